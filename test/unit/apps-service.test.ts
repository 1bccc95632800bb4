// The apps service on the simulated instance and the stand-in registry, through the owner's
// privileged path: IPM installed where missing, installs and uninstalls with IPM's outcome read
// right, the registry asked before IRIS is touched, a half-way failure described exactly, bad
// input refused before anything runs, and the options' declared apps applied idempotently.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { AppsService, PINNED_IPM } from '../../src/ipm/apps-service.ts';
import { AppsError } from '../../src/ipm/apps-errors.ts';
import { applyDeclaredApps } from '../../src/ipm/declared-apps.ts';
import { RegistryClient } from '../../src/ipm/registry-client.ts';
import { SimulatedIris } from '../../src/iris/simulator/server.ts';
import { simulatedAppsRunner } from '../../src/iris/simulator/apps-runner.ts';
import type { AppsRunner } from '../../src/model/ipm.ts';
import { startStandInRegistry, type StandInRegistry } from '../support/ipm-registry.ts';

let reg: StandInRegistry;
before(async () => {
  reg = await startStandInRegistry({
    zpm: { [PINNED_IPM]: {} },
    sslclient: { '1.0.4': {}, '1.1.0': {} },
    webterminal: { '4.9.2': {} },
    'demo-app': { '1.0.0': { dependencies: { sslclient: '^1.0.0', webterminal: '>=4.9.0' } } },
  });
});
after(() => reg.close());

function rig(preinstalled?: string) {
  const iris = new SimulatedIris({ activity: false, ipm: { preinstalled, sourceFor: (repo) => new RegistryClient({ url: repo.url, credentials: repo.credentials }) } });
  iris.runSetup({ username: 'iris_edge', password: 'x'.repeat(16) });
  const inner = simulatedAppsRunner(iris);
  const calls: string[] = [];
  const runner: AppsRunner = Object.fromEntries(Object.entries(inner).map(([k, fn]) => [k, (...a: unknown[]) => (calls.push(k), (fn as (...x: unknown[]) => unknown)(...a))])) as unknown as AppsRunner;
  const service = new AppsService({ runner, registry: async () => ({ client: new RegistryClient({ url: reg.url, timeoutMs: 2000 }), connection: { url: reg.url } }) });
  return { iris, service, calls };
}

async function kind(p: Promise<unknown>, k: AppsError['kind'], text?: RegExp): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof AppsError, String(e));
    assert.equal(e.kind, k, e.message);
    if (text) assert.match(e.message, text);
    return e.message;
  }
  assert.fail(`expected AppsError ${k}`);
}

describe('apps service', () => {
  it('installs into a namespace without IPM: IPM first (the pinned release), then the package and its dependencies, with live output', async () => {
    const { iris, service } = rig();
    iris.createNamespace('APPS', true);
    const lines: string[] = [];
    const outcome = await service.install('apps', 'demo-app', undefined, (l) => lines.push(l));
    assert.equal(outcome.message, 'demo-app 1.0.0 is installed in APPS.');
    assert.match(lines[0]!, new RegExp(`IPM is not installed in APPS: installing IPM ${PINNED_IPM.replace(/\./g, '\\.')}`));
    assert.ok(lines.includes('[APPS|demo-app]\tActivate SUCCESS'));
    const list = await service.list('APPS');
    assert.equal(list.ipm, PINNED_IPM);
    assert.deepEqual(list.packages.map((p) => `${p.name} ${p.version}`), ['demo-app 1.0.0', 'sslclient 1.1.0', 'webterminal 4.9.2']);
  });

  it('update: a named older version, then the latest through IPM\'s update command', async () => {
    const { iris, service } = rig('0.10.5');
    iris.createNamespace('APPS', true);
    await service.install('APPS', 'sslclient', '1.0.4');
    const lines: string[] = [];
    const spy = iris.ipm.shell.bind(iris.ipm);
    iris.ipm.shell = (proc, ns, command, out) => (lines.push(command), spy(proc, ns, command, out));
    assert.equal((await service.install('APPS', 'sslclient', undefined)).version, '1.1.0');
    assert.ok(lines.includes('update sslclient 1.1.0'), lines.join(' | '));
  });

  it('an install lists the namespace before and after, and once more only to see IPM it had to install', async () => {
    for (const [preinstalled, lists] of [[PINNED_IPM, 2], [undefined, 3]] as const) {
      const { iris, service } = rig(preinstalled);
      iris.createNamespace('APPS', true);
      const commands: string[] = [];
      const spy = iris.ipm.shell.bind(iris.ipm);
      iris.ipm.shell = (proc, ns, command, out) => (commands.push(command), spy(proc, ns, command, out));
      await service.install('APPS', 'sslclient', '1.0.4');
      assert.equal(commands.filter((c) => c === 'list-installed').length, lists, `IPM ${preinstalled ? 'there' : 'missing'}: ${commands.join(' | ')}`);
    }
  });

  it('the registry is asked first: an unknown package, a missing version or a dead registry change nothing in IRIS', async () => {
    const { iris, service, calls } = rig();
    iris.createNamespace('APPS', true);
    await kind(service.install('APPS', 'no-such-app', undefined), 'not-found', /no package no-such-app.*Nothing was changed in IRIS/);
    await kind(service.install('APPS', 'webterminal', '9.9.9'), 'not-found', /webterminal 9\.9\.9/);
    reg.fault = 'garbage';
    try {
      await kind(service.install('APPS', 'webterminal', undefined), 'registry', /IPM registry/);
    } finally {
      reg.fault = 'none';
    }
    assert.deepEqual(calls.filter((c) => c !== 'namespaces'), [], 'no IPM step ran');
    assert.equal(iris.ipm.versionIn('APPS'), undefined);
  });

  it('a half-way failure says IPM\'s message and exactly what remains', async () => {
    const { iris, service } = rig('0.10.5');
    iris.createNamespace('APPS', true);
    iris.ipm.failPhase('demo-app', '1.0.0', 'Compile', 'Compiling class Demo.App: ERROR #5373: Class Missing.Base does not exist');
    const msg = await kind(service.install('APPS', 'demo-app', undefined), 'ipm');
    assert.match(msg, /^IPM could not install demo-app 1\.0\.0: Compiling class Demo\.App: ERROR #5373/);
    assert.match(msg, /What changed in APPS and remains: demo-app 1\.0\.0 \(installed\), sslclient 1\.1\.0 \(installed\), webterminal 4\.9\.2 \(installed\)\./);
    iris.ipm.failPhase('sslclient', '1.0.4', 'Initialize', 'nope');
    assert.match(await kind(service.install('APPS', 'sslclient', '1.0.4'), 'ipm'), /Nothing in APPS changed\./);
  });

  it('uninstall: done; declined by IPM for a required module; unknown is not-found', async () => {
    const { iris, service } = rig('0.10.5');
    iris.createNamespace('APPS', true);
    await service.install('APPS', 'demo-app', undefined);
    await kind(service.uninstall('APPS', 'sslclient'), 'ipm', /Clean SKIPPED - required by 1 other module\. \(demo-app\)/);
    assert.equal((await service.uninstall('APPS', 'demo-app')).message, 'demo-app was uninstalled from APPS.');
    await kind(service.uninstall('APPS', 'demo-app'), 'not-found');
  });

  it('hostile input is refused before anything runs', async () => {
    const { service, calls } = rig('0.10.5');
    for (const [ns, name, version] of [
      ['APPS"; halt', 'x', undefined],
      ['', 'x', undefined],
      ['1NS', 'x', undefined],
      ['APPS', 'x" -pass "y', undefined],
      ['APPS', 'install webterminal', undefined],
      ['APPS', 'x', '1.0"'],
      ['APPS', 'x', '../../1.0.0'],
      ['APPS', 'a'.repeat(500), undefined],
    ] as const) {
      await kind(service.install(ns, name, version), 'bad-input', undefined);
    }
    await kind(service.uninstall('APPS', '$(reboot)'), 'bad-input');
    await kind(service.createNamespace('A B'), 'bad-input');
    await kind(service.deleteNamespace('APPS', 'apps'), 'bad-input', /Type the namespace's name, APPS/);
    assert.deepEqual(calls, []);
  });

  it('an unknown namespace is not-found; create and delete (typed confirmation) work through the owner', async () => {
    const { iris, service } = rig('0.10.5');
    await kind(service.install('NOPE', 'webterminal', undefined), 'not-found', /no namespace NOPE/);
    assert.equal(await service.createNamespace('apps'), 'APPS');
    await kind(service.createNamespace('APPS'), 'bad-input', /already has/);
    await service.deleteNamespace('apps', 'APPS');
    assert.ok(!iris.namespaces().some((n) => n.name === 'APPS'));
  });

  it('operations run one at a time', async () => {
    const { iris, service } = rig('0.10.5');
    iris.createNamespace('APPS', true);
    const [a, b] = await Promise.all([service.install('APPS', 'webterminal', undefined), service.install('APPS', 'sslclient', '1.0.4')]);
    assert.equal(a.version, '4.9.2');
    assert.equal(b.version, '1.0.4');
  });
});

describe('apps declared in the options', () => {
  const quiet = { info: () => {}, warn: () => {} };

  it('creates missing namespaces, installs what is missing, and a second start changes nothing', async () => {
    const { iris, service } = rig('0.10.5');
    const apps = [{ name: 'webterminal', namespace: 'apps' }, { name: 'sslclient', version: '1.0.4', namespace: 'APPS' }];
    const first = await applyDeclaredApps(service, ['TOOLS'], apps, quiet);
    assert.deepEqual(first.created.sort(), ['APPS', 'TOOLS']);
    assert.deepEqual(first.installed, ['webterminal in APPS', 'sslclient 1.0.4 in APPS']);
    const commands: string[] = [];
    const spy = iris.ipm.shell.bind(iris.ipm);
    iris.ipm.shell = (proc, ns, command, out) => (commands.push(`${ns} ${command}`), spy(proc, ns, command, out));
    const second = await applyDeclaredApps(service, ['TOOLS'], apps, quiet);
    assert.deepEqual(second, { created: [], installed: [], unchanged: ['webterminal in APPS', 'sslclient 1.0.4 in APPS'], failed: [] });
    // Nothing to do is one listing of each namespace, not one more per declared app.
    const ran = commands.splice(0).sort();
    assert.deepEqual(ran, (await service.listAll()).map((n) => `${n.namespace} list-installed`).sort());
    // A package taken off the list stays installed.
    await applyDeclaredApps(service, [], [], quiet);
    assert.ok(iris.ipm.installed('APPS').some((m) => m.name === 'webterminal'));
  });

  it('one failing app is reported and the others still install', async () => {
    const { service } = rig('0.10.5');
    const warned: string[] = [];
    const r = await applyDeclaredApps(service, [], [{ name: 'no-such-app', namespace: 'APPS' }, { name: 'webterminal', namespace: 'APPS' }], { info: () => {}, warn: (m: string) => warned.push(m) });
    assert.deepEqual(r.installed, ['webterminal in APPS']);
    assert.equal(r.failed[0]?.what, 'no-such-app in APPS');
    assert.match(warned[0]!, /Option ipm: no-such-app in APPS: .*no package no-such-app/);
  });
});
