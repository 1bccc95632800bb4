/**
 * A stand-in IPM registry for the tests: a real HTTP server on a free port speaking the routes
 * of intersystems-community/zpm-registry (src/cls/ZPM/Registry.cls) with ZPM.Package's JSON, and
 * serving package archives in IPM's format (a .tgz holding module.xml, as `zpm package` makes
 * it; module.xml as in intersystems/ipm tests/integration_tests/.../_data/<name>/module.xml), built
 * here from the packages a test declares. Faults on demand: garbage, endless answers, silence,
 * a login, a tampered archive.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';

export interface StandInVersion {
  description?: string;
  repository?: string;
  dependencies?: Record<string, string>;
  /** What the package's Activate phase does in the simulated IPM: 'fail' stops the install there. */
  behaviour?: 'ok' | 'fail-activate';
}

export type StandInPackages = Record<string, Record<string, StandInVersion>>;

export type Fault = 'none' | 'garbage' | 'html' | 'huge' | 'silent' | 'tampered-archive' | 'broken-entry';

export interface StandInRegistry {
  url: string;
  /** Every request's method and path, for assertions. */
  requests: { path: string; authorization: string | undefined }[];
  fault: Fault;
  /** Each archive download waits this long first (a slow registry: IPM's output then comes in steps). */
  archiveDelayMs: number;
  /** When set, every request needs HTTP basic with these. */
  login: { username: string; password: string } | undefined;
  /** Adds or replaces a version (a newer one for update tests). */
  publish(name: string, version: string, v: StandInVersion): Promise<void>;
  archive(name: string, version: string): Buffer;
  close(): Promise<void>;
}

export function moduleXml(name: string, version: string, v: StandInVersion): string {
  const deps = Object.entries(v.dependencies ?? {})
    .map(([n, e]) => `        <ModuleReference>\n          <Name>${n}</Name>\n          <Version>${e}</Version>\n        </ModuleReference>\n`)
    .join('');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Export generator="IRIS" version="26">\n' +
    `  <Document name="${name}.ZPM">\n    <Module>\n      <Name>${name}</Name>\n      <Version>${version}</Version>\n` +
    `      <Description>${v.description ?? ''}</Description>\n      <Packaging>module</Packaging>\n` +
    (deps ? `      <Dependencies>\n${deps}      </Dependencies>\n` : '') +
    `      <Resource Name="${className(name)}.PKG"/>\n      <SourcesRoot>src</SourcesRoot>\n    </Module>\n  </Document>\n</Export>\n`
  );
}

function className(name: string): string {
  return name.replace(/[^A-Za-z0-9]/g, '').replace(/^\d/, 'P') || 'Pkg';
}

/** A real .tgz (tar + gzip) of module.xml and one class. */
export async function buildArchive(name: string, version: string, v: StandInVersion): Promise<Buffer> {
  const pack = tar.pack();
  const pkg = className(name);
  pack.entry({ name: 'module.xml' }, moduleXml(name, version, v));
  pack.entry({ name: `src/cls/${pkg}/App.cls` }, `Class ${pkg}.App\n{\n\nParameter VERSION = "${version}";\n\n}\n`);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

function byVersion(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => Number(x));
  const pb = b.split(/[.-]/).map((x) => Number(x));
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return a.localeCompare(b);
}

export async function startStandInRegistry(initial: StandInPackages): Promise<StandInRegistry> {
  const archives = new Map<string, Buffer>();
  const packages: StandInPackages = {};
  const key = (n: string, v: string) => `${n}@${v}`;

  const publishNow = async (name: string, version: string, v: StandInVersion) => {
    (packages[name] ??= {})[version] = v;
    archives.set(key(name, version), await buildArchive(name, version, v));
  };
  for (const [name, versions] of Object.entries(initial)) for (const [version, v] of Object.entries(versions)) await publishNow(name, version, v);

  const versionsOf = (name: string) => Object.keys(packages[name] ?? {}).sort(byVersion);
  let base = '';

  const packageJson = (name: string, version: string) => {
    const v = packages[name]![version]!;
    const bytes = archives.get(key(name, version))!;
    return {
      name,
      version,
      description: v.description ?? '',
      repository: v.repository ?? `https://github.com/example/${name}`,
      keywords: [],
      license: 'MIT',
      homePage: '',
      dependencies: v.dependencies ?? {},
      size: bytes.length,
      hash: createHash('sha1').update(bytes).digest('hex'),
      // As ZPM.Package.urlGet builds it: ServerURL()/download/<name>/-/<name>-<version>.tgz.
      url: `${base}/download/${name}/-/${name}-${version}.tgz`,
      installer: '',
      versions: versionsOf(name),
      platform_versions: [],
      deployed: false,
    };
  };

  const state: StandInRegistry = {
    url: '',
    requests: [],
    fault: 'none',
    archiveDelayMs: 0,
    login: undefined,
    publish: publishNow,
    archive: (name, version) => archives.get(key(name, version))!,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    state.requests.push({ path: `${url.pathname}${url.search}`, authorization: req.headers.authorization });
    if (state.login) {
      const want = `Basic ${Buffer.from(`${state.login.username}:${state.login.password}`).toString('base64')}`;
      if (req.headers.authorization !== want) return json(res, 401, { errors: [{ error: 'Unauthorized' }] });
    }
    if (state.fault === 'silent') return; // never answers: the client's deadline must end it
    if (state.fault === 'garbage') return json(res, 200, { surprise: [1, 2, 3] });
    if (state.fault === 'html') return res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Sign in</body></html>');
    if (state.fault === 'huge') {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (res.write(chunk)) if (res.destroyed) return;
        res.once('drain', pump);
      };
      res.on('close', () => res.removeAllListeners('drain'));
      return pump();
    }
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts.length === 0) return json(res, 200, { version: '1.3.2' });
    if (parts[0] === '_ping') return json(res, 200, { message: 'ping' });
    if (parts[0] === 'packages' && parts[1] === '-' && parts[2] === 'all') {
      const all = url.searchParams.get('allVersions') === '1';
      const list: unknown[] = Object.keys(packages).sort().map((name) => {
        const versions = versionsOf(name);
        const latest = versions[versions.length - 1]!;
        const v = packages[name]![latest]!;
        return { name, description: v.description ?? '', repository: v.repository ?? `https://github.com/example/${name}`, origin: '', versions: [latest], ...(all ? { allVersions: [...versions].reverse() } : {}), is_owner: 0 };
      });
      if (state.fault === 'broken-entry') list.push({ name: 42, versions: 'no' });
      return json(res, 200, list);
    }
    if (parts[0] === 'packages' && parts[1]) {
      const name = parts[1].toLowerCase();
      const versions = versionsOf(name);
      const version = parts[2] ?? versions[versions.length - 1];
      if (!version || !packages[name]?.[version]) return res.writeHead(404).end();
      if (parts[3] === 'installer') {
        if (name !== 'zpm') return res.writeHead(404).end();
        return res.writeHead(200, { 'content-type': 'text/xml' }).end(`<?xml version="1.0" encoding="UTF-8"?>\n<Export generator="IRIS" version="26">\n<Class name="%IPM.Installer"><Description>IPM ${version}</Description></Class>\n</Export>\n`);
      }
      if (parts[3] === 'manifest') return res.writeHead(200, { 'content-type': 'text/xml' }).end(moduleXml(name, version, packages[name]![version]!));
      return json(res, 200, packageJson(name, version));
    }
    if (parts[0] === 'download' && parts[1] && parts[3]) {
      const name = parts[1];
      const version = parts[3].replace(`${name}-`, '').replace(/\.tgz$/, '');
      const bytes = archives.get(key(name, version));
      if (!bytes) return res.writeHead(404).end();
      const body = state.fault === 'tampered-archive' ? Buffer.concat([bytes, Buffer.from([0])]) : bytes;
      const send = () => res.writeHead(200, { 'content-type': 'application/tar+gzip' }).end(body);
      if (state.archiveDelayMs > 0) return void setTimeout(send, state.archiveDelayMs);
      return send();
    }
    return res.writeHead(404).end();
  };

  const server: Server = createServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.url = `${base}/`;
  return state;
}
