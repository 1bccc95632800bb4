// The offline folder of IPM package archives: listed and searched from each archive's own
// module.xml, hostile archives refused with why (bombs, traversal, links, huge manifests, garbage,
// fuzzed bytes) while the others still count, and an install through the owner's path on the
// simulated IPM: `load <archive>` for each dependency the folder holds, then the package,
// `update -path` over an installed one, and nothing touched when the folder lacks a dependency.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { AppsService, PINNED_IPM } from '../../src/ipm/apps-service.ts';
import { AppsError } from '../../src/ipm/apps-errors.ts';
import { AppsJobs } from '../../src/ipm/apps-jobs.ts';
import { parseModuleManifest } from '../../src/ipm/module-manifest.ts';
import { OfflineFolder } from '../../src/ipm/offline-folder.ts';
import { ARCHIVE_LIMITS, ArchiveError, readArchiveManifest } from '../../src/ipm/package-archive.ts';
import { simulatedAppsRunner } from '../../src/iris/simulator/apps-runner.ts';
import { SimulatedIris } from '../../src/iris/simulator/server.ts';
import type { PanelApps } from '../../src/panel/context.ts';
import { fetchBody } from '../support/http.ts';
import { buildArchive, moduleXml } from '../support/ipm-registry.ts';
import { startPanelRig } from '../support/panel-rig.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iris-edge-offline-'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function tgz(entries: Array<{ name: string; body?: string | Buffer; type?: 'file' | 'symlink' | 'directory'; linkname?: string; size?: number }>): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) {
    if (e.type === 'symlink') pack.entry({ name: e.name, type: 'symlink', linkname: e.linkname ?? '/etc/passwd' });
    else if (e.type === 'directory') pack.entry({ name: e.name, type: 'directory' });
    else pack.entry({ name: e.name }, e.body ?? '');
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

async function folderWith(files: Record<string, Buffer | string>): Promise<string> {
  const f = await mkdtemp(join(dir, 'f-'));
  for (const [name, body] of Object.entries(files)) await writeFile(join(f, name), body);
  return f;
}

async function refused(bytes: Buffer, why: RegExp, limits = ARCHIVE_LIMITS): Promise<void> {
  const f = await folderWith({ 'x.tgz': bytes });
  await assert.rejects(readArchiveManifest(join(f, 'x.tgz'), limits), (e: Error) => e instanceof ArchiveError && why.test(e.message), String(why));
}

describe('module.xml', () => {
  it('reads name, version, description and dependencies as IPM writes them', () => {
    const m = parseModuleManifest(moduleXml('Demo-App', '1.2.0', { description: 'A &amp; B &#x263A;', dependencies: { sslclient: '^1.0.0', webterminal: '>=4.9.0' } }));
    assert.deepEqual(m, { name: 'demo-app', version: '1.2.0', description: 'A & B ☺', dependencies: [{ name: 'sslclient', version: '^1.0.0' }, { name: 'webterminal', version: '>=4.9.0' }] });
  });
  it('refuses what is not a module.xml, with what is missing', () => {
    for (const [xml, why] of [
      ['<Export/>', /no <Module>/],
      ['<Module><Name>a</Name></Module>', /no semantic version/],
      ['<Module><Name>../x</Name><Version>1.0.0</Version></Module>', /no valid module/],
      ['<Module><Name>a</Name><Version>1.0.0</Version><Dependencies><ModuleReference><Name>b</Name><Version>not a range</Version></ModuleReference></Dependencies></Module>', /not a version expression/],
      ['<Module><Name>a</Name><Version>1.0.0</Version><Dependencies><ModuleReference><Name>b</Name></Module>', /unclosed <Dependencies>/],
      ['<Module><Name>a</Name>', /unclosed <Module>/],
      ['<!DOCTYPE x [<!ENTITY a "aaaa">]><Module><Name>&a;</Name><Version>1.0.0</Version></Module>', /DTD/],
    ] as const) assert.throws(() => parseModuleManifest(xml), why);
  });
  it('stays linear on hostile text (many unclosed openings)', () => {
    const xml = `<Module><Name>a</Name><Version>1.0.0</Version>${'<Dependencies><ModuleReference>'.repeat(8000)}</Module>`;
    assert.throws(() => parseModuleManifest(xml), /unclosed <Dependencies>/);
  });
});

describe('package archive', () => {
  it('reads the top-level module.xml of an archive zpm package makes', async () => {
    const f = await folderWith({ 'webterminal-4.9.2.tgz': await buildArchive('webterminal', '4.9.2', { description: 'A web terminal' }) });
    assert.deepEqual(await readArchiveManifest(join(f, 'webterminal-4.9.2.tgz')), { name: 'webterminal', version: '4.9.2', description: 'A web terminal', dependencies: [] });
    const nested = await tgz([{ name: 'pkg/deps/module.xml', body: moduleXml('inner', '9.9.9', {}) }, { name: 'pkg/module.xml', body: moduleXml('outer', '1.0.0', {}) }]);
    const g = await folderWith({ 'n.tgz': nested });
    assert.equal((await readArchiveManifest(join(g, 'n.tgz'))).name, 'outer', 'the top-level one, as IPM takes it');
  });
  it('refuses hostile archives with a clear reason', async () => {
    await refused(await tgz([{ name: '../../etc/cron.d/x', body: 'x' }, { name: 'module.xml', body: moduleXml('a', '1.0.0', {}) }]), /outside the folder/);
    await refused(await tgz([{ name: '/etc/x', body: 'x' }]), /outside the folder/);
    await refused(await tgz([{ name: 'module.xml', body: moduleXml('a', '1.0.0', {}) }, { name: 'l', type: 'symlink' }]), /is a symlink/);
    await refused(await tgz([{ name: 'src/a.cls', body: 'x' }]), /no module\.xml/);
    await refused(await tgz([{ name: 'module.xml', body: 'x'.repeat(300 * 1024) }]), /module\.xml is larger than 256 KiB/);
    await refused(await tgz([{ name: 'module.xml', body: '<Export/>' }]), /no <Module>/);
    await refused(Buffer.from('just text, not gzip'), /not a gzip-compressed archive/);
    await refused(gzipSync(Buffer.from('gzip, but no tar inside at all '.repeat(40))), /not a tar archive/);
    const full = await tgz([{ name: 'module.xml', body: moduleXml('a', '1.0.0', {}) }]);
    await refused(full.subarray(0, full.length - 10), /damaged|not a tar/);
    // A bomb: 64 MiB of zeros in one entry compresses to ~64 KiB; the cap stops it early.
    await refused(await tgz([{ name: 'module.xml', body: moduleXml('a', '1.0.0', {}) }, { name: 'zeros', body: Buffer.alloc(64 * 1024 * 1024) }]), /unpacks to more than 8 MiB/, { ...ARCHIVE_LIMITS, maxUnpackedBytes: 8 * 1024 * 1024 });
    await refused(await tgz(Array.from({ length: 30 }, (_, i) => ({ name: `f${i}`, body: 'x' }))), /more than 20 entries/, { ...ARCHIVE_LIMITS, maxEntries: 20 });
    await refused(await buildArchive('a', '1.0.0', {}), /larger than 0 MiB/, { ...ARCHIVE_LIMITS, maxArchiveBytes: 100 });
  });
  it('fuzz: random and mutated archives end in an ArchiveError or a manifest, never anything else', async () => {
    const good = await buildArchive('fuzz', '1.0.0', { dependencies: { b: '^1.0.0' } });
    const f = await folderWith({});
    for (let i = 0; i < 150; i++) {
      const bytes = i % 3 === 0 ? randomBytes(1 + (i * 37) % 4000) : Buffer.from(good);
      if (i % 3 !== 0) for (let k = 0; k < 1 + (i % 7); k++) bytes[(i * 7919 + k * 104729) % bytes.length] = (i * 31 + k) & 0xff;
      const file = join(f, `z${i}.tgz`);
      await writeFile(file, bytes);
      try {
        const m = await readArchiveManifest(file, { ...ARCHIVE_LIMITS, timeoutMs: 5000 });
        assert.equal(typeof m.name, 'string');
      } catch (e) {
        assert.ok(e instanceof ArchiveError, `${i}: ${String(e)}`);
      }
    }
  });
});

describe('offline folder', () => {
  it('lists and searches the archives, reports those it refuses and ignores other files and links', async () => {
    const f = await folderWith({
      'webterminal-4.9.2.tgz': await buildArchive('webterminal', '4.9.2', { description: 'A web terminal for IRIS' }),
      'webterminal-4.9.3.tgz': await buildArchive('webterminal', '4.9.3', { description: 'A web terminal for IRIS' }),
      'copy-of-4.9.3.tgz': await buildArchive('webterminal', '4.9.3', { description: 'A web terminal for IRIS' }),
      'sslclient-1.0.4.tar.gz': await buildArchive('sslclient', '1.0.4', { description: 'SSL client configuration' }),
      'evil.tgz': await tgz([{ name: '../x', body: 'x' }]),
      'bad name!.tgz': 'x',
      'README.txt': 'not an archive',
    });
    await mkdir(join(f, 'sub.tgz'));
    await symlink('/etc/hostname', join(f, 'link.tgz'));
    const folder = new OfflineFolder(f);
    assert.deepEqual((await folder.list()).map((p) => `${p.name} ${p.versions.join(',')}`), ['sslclient 1.0.4', 'webterminal 4.9.3,4.9.2']);
    assert.deepEqual((await folder.list('web terminal')).map((p) => p.name), ['webterminal']);
    const { problems } = await folder.scan();
    const byFile = Object.fromEntries(problems.map((p) => [p.file, p.message]));
    assert.match(byFile['evil.tgz'] ?? '', /^refused: .*outside the folder/);
    assert.match(byFile['link.tgz'] ?? '', /not a plain file/);
    assert.match(byFile['sub.tgz'] ?? '', /not a plain file/);
    assert.match(byFile['bad name!.tgz'] ?? '', /rename it/);
    assert.match(byFile['webterminal-4.9.3.tgz'] ?? '', /copy-of-4\.9\.3\.tgz already holds webterminal 4\.9\.3/);
    assert.equal(byFile['README.txt'], undefined);
    const p = await folder.package('webterminal');
    assert.equal(p.version, '4.9.3');
    assert.equal(p.file, join(f, 'copy-of-4.9.3.tgz'));
    await assert.rejects(folder.package('webterminal', '5.0.0'), /only in 4\.9\.3, 4\.9\.2, not 5\.0\.0/);
    await assert.rejects(folder.package('../../etc'), /no archive of/);
    await assert.rejects(new OfflineFolder(join(f, 'missing')).list(), /does not exist; create it/);
  });
  it('offers IPM\'s release installer only when it is in the folder and is an IRIS export', async () => {
    const f = await folderWith({ [`zpm-${PINNED_IPM}.xml`]: '<?xml version="1.0"?>\n<Export generator="IRIS"></Export>\n', 'zpm-0.0.1.xml': '<html>' });
    const folder = new OfflineFolder(f);
    assert.match((await folder.installer('zpm', PINNED_IPM)).toString(), /<Export/);
    await assert.rejects(folder.installer('zpm', '0.0.1'), /not an IRIS export/);
    await assert.rejects(folder.installer('zpm', '0.0.2'), /has no zpm-0\.0\.2\.xml: put IPM's release file there/);
  });
});

/** How many times the folder is scanned from now on. */
function countScans(folder: OfflineFolder): () => number {
  let n = 0;
  const scan = folder.scan.bind(folder);
  folder.scan = () => ((n += 1), scan());
  return () => n;
}

describe("the panel's search of the offline folder", () => {
  it('answers the packages and the refused archives from one reading of the folder', async () => {
    const f = await folderWith({ 'webterminal-4.9.2.tgz': await buildArchive('webterminal', '4.9.2', { description: 'A web terminal' }), 'evil.tgz': await tgz([{ name: '../x', body: 'x' }]) });
    const folder = new OfflineFolder(f);
    const scans = countScans(folder);
    const rig = await startPanelRig({ productions: [], apps: { jobs: new AppsJobs(), registry: async () => ({ client: folder }) } as unknown as PanelApps });
    try {
      const found = await fetchBody(`${rig.panel.url}api/apps/search?q=web`);
      assert.equal(found.status, 200);
      assert.deepEqual(found.body.packages.map((p: { name: string }) => p.name), ['webterminal']);
      assert.deepEqual(found.body.problems.map((p: { file: string }) => p.file), ['evil.tgz']);
      assert.equal(scans(), 1);
    } finally {
      await rig.close();
    }
  });
});

describe('installing from the offline folder on the simulated IPM', () => {
  async function rig(files: Record<string, Buffer>) {
    const f = await folderWith(files);
    const iris = new SimulatedIris({ activity: false, ipm: { preinstalled: PINNED_IPM, readArchive: (path) => readArchiveManifest(path) } });
    iris.runSetup({ username: 'iris_edge', password: 'x'.repeat(16) });
    iris.createNamespace('APPS', true);
    const folder = new OfflineFolder(f);
    const commands: string[] = [];
    const runner = simulatedAppsRunner(iris);
    const service = new AppsService({ runner: { ...runner, zpm: (ns, c, out) => (commands.push(c), runner.zpm(ns, c, out)) }, registry: async () => ({ client: folder }) });
    return { f, iris, service, commands };
  }

  it('loads each dependency the folder holds, then the package; update -path over an installed one', async () => {
    const { f, iris, service, commands } = await rig({
      'sslclient-1.0.4.tgz': await buildArchive('sslclient', '1.0.4', {}),
      'demo-app-1.0.0.tgz': await buildArchive('demo-app', '1.0.0', { dependencies: { sslclient: '^1.0.0' } }),
    });
    const lines: string[] = [];
    const outcome = await service.install('APPS', 'demo-app', undefined, (l) => lines.push(l));
    assert.equal(outcome.message, 'demo-app 1.0.0 is installed in APPS.');
    assert.deepEqual(commands.filter((c) => c !== 'list-installed'), [`load ${join(f, 'sslclient-1.0.4.tgz')}`, `load ${join(f, 'demo-app-1.0.0.tgz')}`]);
    assert.ok(lines.includes('[APPS|demo-app]\tActivate SUCCESS'));
    assert.deepEqual(iris.ipm.installed('APPS').map((m) => `${m.name} ${m.version}`), [`zpm ${PINNED_IPM}`, 'demo-app 1.0.0', 'sslclient 1.0.4']);

    await writeFile(join(f, 'sslclient-1.1.0.tgz'), await buildArchive('sslclient', '1.1.0', {}));
    commands.length = 0;
    await service.install('APPS', 'sslclient', undefined);
    assert.deepEqual(commands.filter((c) => c !== 'list-installed'), [`update sslclient -path ${join(f, 'sslclient-1.1.0.tgz')}`]);
    assert.ok(iris.ipm.installed('APPS').some((m) => m.name === 'sslclient' && m.version === '1.1.0'));
  });

  it('reads the folder once per install, and lists the namespace twice: before and after', async () => {
    const { f, service, commands } = await rig({
      'sslclient-1.0.4.tgz': await buildArchive('sslclient', '1.0.4', {}),
      'demo-app-1.0.0.tgz': await buildArchive('demo-app', '1.0.0', { dependencies: { sslclient: '^1.0.0' } }),
    });
    const folder = (await (service as unknown as { o: { registry: () => Promise<{ client: OfflineFolder }> } }).o.registry()).client;
    const readdirs = countScans(folder);
    await service.install('APPS', 'demo-app', undefined);
    assert.equal(readdirs(), 1, `the folder ${f} was read more than once`);
    assert.equal(commands.filter((c) => c === 'list-installed').length, 2);
  });

  it('refuses before IRIS is touched when the folder lacks a dependency', async () => {
    const { iris, service, commands } = await rig({ 'demo-app-1.0.0.tgz': await buildArchive('demo-app', '1.0.0', { dependencies: { sslclient: '^2.0.0' } }) });
    await assert.rejects(service.install('APPS', 'demo-app', undefined), (e: Error) => e instanceof AppsError && /needs sslclient \^2\.0\.0, which is neither installed in the namespace nor in the offline folder.*Nothing was changed in IRIS/.test(e.message));
    assert.deepEqual(commands.filter((c) => c !== 'list-installed'), []);
    assert.deepEqual(iris.ipm.installed('APPS').map((m) => m.name), ['zpm']);
  });

  it('the simulated IPM answers load as IPM does: a relative path, an archive without module.xml, a dependency nowhere', async () => {
    const { f, iris } = await rig({ 'empty.tgz': await tgz([{ name: 'src/a.cls', body: 'x' }]), 'needy.tgz': await buildArchive('needy', '1.0.0', { dependencies: { nowhere: '^1.0.0' } }) });
    const out: string[] = [];
    const run = (c: string) => iris.ipm.shell(iris.ownerProcess(), 'APPS', c, (l) => out.push(l));
    await run('load relative/x.tgz');
    await run(`load ${join(f, 'empty.tgz')}`);
    await run(`load ${join(f, 'needy.tgz')}`);
    await run(`update needy -path ${join(f, 'needy.tgz')}`);
    assert.deepEqual(out.filter((l) => l.startsWith('ERROR!')), [
      'ERROR! The specified path must be absolute.',
      'ERROR! No module.xml file found in archive.',
      'ERROR! Could not find satisfactory version of nowhere in any repositories. Required by: needy 1.0.0: ^1.0.0',
      'ERROR! Module needy has not been installed. Please use the install or load commands to install the module before calling update.',
    ]);
    assert.deepEqual(iris.ipm.installed('APPS').map((m) => m.name), ['zpm']);
  });
});
