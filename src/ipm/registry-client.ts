/**
 * A client of the IPM registry HTTP API, as the community registry (pm.community.intersystems.com)
 * serves it: the routes of intersystems-community/zpm-registry src/cls/ZPM/Registry.cls, read the
 * way IPM's own client reads them (intersystems/ipm src/cls/IPM/Repo/Remote/PackageService.cls):
 *
 *   GET /                                  {"version"}                     (GetInfo)
 *   GET /packages/-/all?allVersions=1      [{name, description, repository, origin, versions, allVersions}]
 *   GET /packages/:name[/:version]         one version: ZPM.Package's JSON (dependencies, versions, url, hash)
 *   GET <url from the above>               the archive, application/tar+gzip; SHA-1 = hash (GetModule)
 *
 * Every answer is bounded in size and time; anything else than the API's shapes is a typed
 * 'garbage' error. Credentials (HTTP basic, as %IPM.Repo.Http.PackageService sets them) go only
 * to the registry's own origin, and never appear in a message.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { COMMUNITY_REGISTRY } from '../model/ipm-package.ts';
import { PACKAGE_NAME, isVersion, newestFirst, type RegistryPackage, type RegistryPackageSummary } from '../model/ipm.ts';
import { BodyTooLargeError, readBounded } from './bounded-body.ts';
import { RegistryError } from './registry-errors.ts';
import { byText } from '../model/text-order.ts';

export interface RegistryCredentials {
  username: string;
  password: string;
}

export interface RegistryClientOptions {
  /** The registry's address, e.g. https://pm.community.intersystems.com/ (a path prefix is fine). */
  url: string;
  credentials?: RegistryCredentials | undefined;
  /** Per request; default 15 s (IPM gives a healthy registry 3 s for a ping, 300 s for an archive). */
  timeoutMs?: number;
  /** Largest JSON answer; default 8 MiB (the community list with every version is a few hundred KiB). */
  maxJsonBytes?: number;
  /** Largest archive; default 64 MiB. */
  maxArchiveBytes?: number;
  fetchImpl?: typeof fetch;
}

/** The address as the client uses it (ending in '/'), or a RegistryError saying what is wrong. */
export function registryBase(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new RegistryError('invalid-url', `"${url.slice(0, 200)}" is not a registry address; give one such as ${COMMUNITY_REGISTRY}.`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new RegistryError('invalid-url', `A registry address starts with https:// or http://, not ${u.protocol}//.`);
  if (u.username || u.password) throw new RegistryError('invalid-url', 'Put the registry\'s user name and password in their own fields, not in its address.');
  if (u.search || u.hash) throw new RegistryError('invalid-url', 'A registry address has no ? query or # fragment.');
  if (!u.pathname.endsWith('/')) u.pathname += '/';
  return u;
}

const summarySchema = z.object({
  name: z.string().regex(PACKAGE_NAME),
  description: z.string().nullish(),
  repository: z.string().nullish(),
  origin: z.string().nullish(),
  versions: z.array(z.string()).min(1),
  allVersions: z.array(z.string()).nullish(),
});

const packageSchema = z.object({
  name: z.string().regex(PACKAGE_NAME),
  version: z.string().refine(isVersion, 'not a semantic version'),
  description: z.string().nullish(),
  repository: z.string().nullish(),
  license: z.string().nullish(),
  homePage: z.string().nullish(),
  keywords: z.array(z.string()).nullish(),
  // ZPM.Package: "dependencies As array Of %String", JSON {"name": "expression"}.
  dependencies: z.record(z.string().regex(PACKAGE_NAME), z.string().max(200)).nullish(),
  versions: z.array(z.string()).nullish(),
  size: z.number().int().nonnegative().nullish(),
  hash: z.string().regex(/^[0-9a-f]{40}$/i).nullish().or(z.literal('')),
  url: z.string().nullish(),
});

const infoSchema = z.object({ version: z.string().max(100) });

export class RegistryClient {
  readonly kind = 'registry' as const;
  readonly base: URL;
  readonly #credentials: RegistryCredentials | undefined;
  private readonly timeoutMs: number;
  private readonly maxJsonBytes: number;
  private readonly maxArchiveBytes: number;
  private readonly fetchImpl: typeof fetch;

  constructor(o: RegistryClientOptions) {
    this.base = registryBase(o.url);
    this.#credentials = o.credentials;
    this.timeoutMs = o.timeoutMs ?? 15_000;
    this.maxJsonBytes = o.maxJsonBytes ?? 8 * 1024 * 1024;
    this.maxArchiveBytes = o.maxArchiveBytes ?? 64 * 1024 * 1024;
    this.fetchImpl = o.fetchImpl ?? fetch;
  }

  /** The registry's address for messages and the panel (never with credentials). */
  get address(): string {
    return this.base.href;
  }

  /** The registry's own version (GET /): also the check that the address and credentials work. */
  async info(): Promise<{ version: string }> {
    return this.parse(infoSchema, await this.getJson(''), '/');
  }

  /** Every package, latest version first in `versions`; `term` filters on name and description. */
  async list(term = ''): Promise<RegistryPackageSummary[]> {
    const body = await this.getJson('packages/-/all?allVersions=1');
    if (!Array.isArray(body)) throw this.garbage('packages/-/all', 'a list of packages');
    const needle = term.trim().toLowerCase();
    const out: RegistryPackageSummary[] = [];
    for (const item of body) {
      const p = summarySchema.safeParse(item);
      // One malformed entry is the registry's problem, not a reason to hide the others.
      if (!p.success) continue;
      const versions = newestFirst([...(p.data.allVersions ?? []), ...p.data.versions]);
      const latest = versions[0];
      if (latest === undefined) continue;
      const description = p.data.description ?? '';
      if (needle && !p.data.name.toLowerCase().includes(needle) && !description.toLowerCase().includes(needle)) continue;
      out.push({ name: p.data.name, description, repository: p.data.repository ?? '', origin: p.data.origin ?? '', latest, versions: [...new Set(versions)] });
    }
    return out.sort((a, b) => byText(a.name, b.name));
  }

  /** One version of a package, the latest when `version` is not given. */
  async package(name: string, version?: string): Promise<RegistryPackage & { archiveUrl: string }> {
    this.checkName(name, version);
    const path = `packages/${encodeURIComponent(name.toLowerCase())}${version ? `/${encodeURIComponent(version)}` : ''}`;
    const p = this.parse(packageSchema, await this.getJson(path, `${name}${version ? ` ${version}` : ''}`), path);
    return {
      name: p.name,
      version: p.version,
      description: p.description ?? '',
      repository: p.repository ?? '',
      license: p.license ?? '',
      homePage: p.homePage ?? '',
      keywords: p.keywords ?? [],
      dependencies: Object.entries(p.dependencies ?? {}).map(([n, v]) => ({ name: n, version: v })),
      versions: [...new Set(newestFirst([...(p.versions ?? []), p.version]))],
      size: p.size ?? undefined,
      hash: p.hash ? p.hash.toLowerCase() : undefined,
      archiveUrl: p.url ?? '',
    };
  }

  /** The archive of one version, checked against the SHA-1 the registry announced. */
  async archive(name: string, version: string): Promise<{ bytes: Buffer; meta: RegistryPackage }> {
    const { archiveUrl, ...meta } = await this.package(name, version);
    if (!archiveUrl) throw new RegistryError('not-found', `The registry ${this.address} has no archive for ${name} ${version}.`);
    const bytes = await this.get(this.archiveLocation(archiveUrl), this.maxArchiveBytes, `${name} ${version}`);
    if (meta.hash) {
      const got = createHash('sha1').update(bytes).digest('hex');
      if (got !== meta.hash) throw new RegistryError('hash', `The archive of ${name} ${version} from ${this.address} is not the one the registry announced (SHA-1 ${got}, expected ${meta.hash}); nothing was installed.`);
    }
    return { bytes, meta };
  }

  /**
   * A release's installer (GET /packages/:name/:version/installer, ZPM.Registry PackageInstaller):
   * the .xml that loads IPM itself, as IPM's README installs it.
   */
  async installer(name: string, version: string): Promise<Buffer> {
    this.checkName(name, version);
    const bytes = await this.get(new URL(`packages/${encodeURIComponent(name)}/${encodeURIComponent(version)}/installer`, this.base), this.maxArchiveBytes, `${name} ${version} (its installer)`);
    if (!bytes.subarray(0, 400).toString('utf8').includes('<Export')) throw this.garbage(`packages/${name}/${version}/installer`, 'an IRIS export (.xml)');
    return bytes;
  }

  /**
   * IPM notes that the registry's `url` may carry a host and port only valid from the registry's
   * side, and no path prefix: a URL on another origin is read as a path under this registry, so
   * credentials never leave for another host.
   */
  private archiveLocation(url: string): URL {
    let u: URL;
    try {
      u = new URL(url, this.base);
    } catch {
      throw this.garbage('packages', 'an archive address');
    }
    if (u.origin === this.base.origin) return u;
    return new URL(`${u.pathname.replace(/^\/+/, '')}${u.search}`, this.base);
  }

  private checkName(name: string, version?: string): void {
    if (!PACKAGE_NAME.test(name)) throw new RegistryError('not-found', `"${name.slice(0, 100)}" is not a package name (letters, digits, dots, dashes and underscores).`);
    if (version !== undefined && !isVersion(version)) throw new RegistryError('not-found', `"${version.slice(0, 100)}" is not a version (such as 1.2.3).`);
  }

  private parse<T>(schema: z.ZodType<T>, body: unknown, path: string): T {
    const p = schema.safeParse(body);
    if (!p.success) throw this.garbage(path, 'what the IPM registry API returns');
    return p.data;
  }

  private garbage(path: string, expected: string): RegistryError {
    return new RegistryError('garbage', `The registry ${this.address} answered ${path} with something other than ${expected}; is the address an IPM registry?`);
  }

  private async getJson(path: string, what?: string): Promise<unknown> {
    const bytes = await this.get(new URL(path, this.base), this.maxJsonBytes, what);
    try {
      return JSON.parse(bytes.toString('utf8'));
    } catch {
      throw this.garbage(`/${path.split('?')[0]}`, 'JSON');
    }
  }

  private async get(url: URL, limit: number, what?: string): Promise<Buffer> {
    const headers: Record<string, string> = { accept: 'application/json, application/tar+gzip, */*' };
    const sameOrigin = url.origin === this.base.origin;
    if (this.#credentials && sameOrigin) {
      headers.authorization = `Basic ${Buffer.from(`${this.#credentials.username}:${this.#credentials.password}`).toString('base64')}`;
    }
    let res: Response;
    try {
      // With credentials, no redirect is followed: it could lead them to another host.
      res = await this.fetchImpl(url, { headers, signal: AbortSignal.timeout(this.timeoutMs), redirect: this.#credentials ? 'manual' : 'follow' });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      if (err.name === 'TimeoutError' || err.name === 'AbortError') throw new RegistryError('timeout', `The registry ${this.address} did not answer within ${Math.round(this.timeoutMs / 1000)} s.`, { cause: e });
      throw new RegistryError('unreachable', `The registry ${this.address} cannot be reached (${err.cause?.code ?? err.message}); check the address and the network.`, { cause: e });
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      if (res.status === 401 || res.status === 403) {
        throw new RegistryError('auth', this.#credentials ? `The registry ${this.address} refused the user name and password (HTTP ${res.status}).` : `The registry ${this.address} asks for a user name and password (HTTP ${res.status}).`);
      }
      if (res.status === 404 && what) throw new RegistryError('not-found', `The registry ${this.address} has no package ${what}.`);
      if (res.status >= 300 && res.status < 400) throw new RegistryError('http', `The registry ${this.address} redirected (HTTP ${res.status}); give the address it redirects to.`);
      throw new RegistryError('http', `The registry ${this.address} answered HTTP ${res.status}.`);
    }
    try {
      return await readBounded(res, limit);
    } catch (e) {
      if (e instanceof BodyTooLargeError) throw new RegistryError('too-large', `The registry ${this.address} sent more than ${Math.round(limit / 1024)} KiB; that is not an answer of the IPM registry API.`);
      const err = e as Error;
      if (err.name === 'TimeoutError' || err.name === 'AbortError') throw new RegistryError('timeout', `The registry ${this.address} did not finish its answer within ${Math.round(this.timeoutMs / 1000)} s.`, { cause: e });
      throw new RegistryError('unreachable', `The registry ${this.address} broke off its answer (${err.message}).`, { cause: e });
    }
  }
}
