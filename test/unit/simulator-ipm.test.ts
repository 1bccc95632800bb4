// The simulated IPM and namespaces, against the stand-in registry through the add-on's registry
// client (the path the add-on wires): installs with dependencies, updates, uninstalls and lists
// as IPM does, fails with IPM's own messages, leaves a half-way failure as IPM leaves it, creates
// namespaces by IRIS's name rules, and refuses all of it to the bridge's own role.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RegistryClient } from '../../src/ipm/registry-client.ts';
import { SimulatedIris } from '../../src/iris/simulator/server.ts';
import { SimProcess } from '../../src/iris/simulator/security.ts';
import { ipmWords } from '../../src/iris/simulator/ipm.ts';
import { loadBridgeRole } from '../../src/iris/privileges.ts';
import { SOURCE_AGENT_DIR } from '../../src/iris/agent/source-dir.ts';
import { startStandInRegistry, type StandInRegistry } from '../support/ipm-registry.ts';

let reg: StandInRegistry;
before(async () => {
  reg = await startStandInRegistry({
    sslclient: { '1.0.4': { description: 'SSL client' }, '2.0.0': { description: 'SSL client 2' } },
    webterminal: { '4.9.2': {} },
    'demo-app': { '1.0.0': { description: 'A demo production', dependencies: { sslclient: '^1.0.0', webterminal: '>=4.9.0' } } },
    'needs-missing': { '1.0.0': { dependencies: { 'no-such-lib': '^1.0.0' } } },
    'needs-new-ssl': { '1.0.0': { dependencies: { sslclient: '^3.0.0' } } },
  });
});
after(() => reg.close());

const BRIDGE_ROLE = loadBridgeRole(SOURCE_AGENT_DIR).role;

function instance(preinstalled: string | null = '0.10.5'): SimulatedIris {
  const iris = new SimulatedIris({ activity: false, ipm: { preinstalled: preinstalled ?? undefined, sourceFor: (repo) => new RegistryClient({ url: repo.url, credentials: repo.credentials }) } });
  iris.runSetup({ username: 'iris_edge', password: 'x'.repeat(16) });
  return iris;
}

async function zpm(iris: SimulatedIris, ns: string, command: string, proc = iris.ownerProcess()): Promise<string[]> {
  const lines: string[] = [];
  await iris.ipm.shell(proc, ns, command, (l) => lines.push(l));
  return lines;
}

async function withRepo(iris: SimulatedIris, ns: string): Promise<void> {
  await zpm(iris, ns, `repo -r -n registry -url ${reg.url}`);
}

/** An instance with IPM, and the namespace APPS pointed at the stand-in registry. */
async function appsNamespace(): Promise<SimulatedIris> {
  const iris = instance();
  iris.createNamespace('APPS', true);
  await withRepo(iris, 'APPS');
  return iris;
}

describe('simulated IPM', () => {
  it('installs a package after its dependencies, each through IPM\'s phases, and lists them', async () => {
    const iris = await appsNamespace();
    const out = await zpm(iris, 'APPS', 'install demo-app');
    assert.equal(out[0], 'Building dependency graph...');
    assert.equal(out[1], 'Done.');
    const activates = out.filter((l) => l.endsWith('Activate SUCCESS'));
    assert.deepEqual(activates, ['[APPS|sslclient]\tActivate SUCCESS', '[APPS|webterminal]\tActivate SUCCESS', '[APPS|demo-app]\tActivate SUCCESS']);
    assert.equal(out.filter((l) => l.includes('SUCCESS')).length, 15, 'five phases for each of three modules');
    // ^1.0.0 takes 1.0.4, not 2.0.0.
    assert.deepEqual(await zpm(iris, 'APPS', 'list-installed'), ['zpm 0.10.5', 'demo-app 1.0.0', 'sslclient 1.0.4', 'webterminal 4.9.2']);
    assert.deepEqual(iris.ipm.installed('USER'), [], 'another namespace is untouched');
  });

  it('an unknown package or version: IPM\'s own message, and nothing changes', async () => {
    const iris = await appsNamespace();
    assert.deepEqual(await zpm(iris, 'APPS', 'install no-such-app'), ["ERROR! 'no-such-app' not found in any repository."]);
    assert.deepEqual(await zpm(iris, 'APPS', 'install webterminal 9.9.9'), ['ERROR! webterminal 9.9.9 not found in any repository.']);
    assert.deepEqual(iris.ipm.installed('APPS'), [{ name: 'zpm', version: '0.10.5' }]);
  });

  it('a namespace without a registry finds nothing (IPM 0.9+ has none by default)', async () => {
    const iris = instance();
    iris.createNamespace('APPS', true);
    assert.deepEqual(await zpm(iris, 'APPS', 'install webterminal'), ["ERROR! 'webterminal' not found in any repository."]);
  });

  it('an unsatisfiable dependency fails before anything is installed', async () => {
    const iris = await appsNamespace();
    const out = await zpm(iris, 'APPS', 'install needs-missing');
    assert.equal(out.at(-1), 'ERROR! Could not find satisfactory version of no-such-lib in any repositories. Required by: needs-missing 1.0.0: ^1.0.0');
    assert.equal(iris.ipm.installed('APPS').length, 1);
  });

  it('an update another module forbids is refused with IPM\'s message', async () => {
    const iris = await appsNamespace();
    await zpm(iris, 'APPS', 'install demo-app');
    const out = await zpm(iris, 'APPS', 'install sslclient 2.0.0');
    assert.equal(out.at(-1), 'ERROR! Requested version (sslclient 2.0.0) does not satisfy the requirements of other modules installed in the current namespace (demo-app: ^1.0.0).');
    assert.ok(iris.ipm.installed('APPS').some((m) => m.name === 'sslclient' && m.version === '1.0.4'));
  });

  it('update: only of an installed module (IPM\'s message otherwise)', async () => {
    const iris = await appsNamespace();
    assert.deepEqual(await zpm(iris, 'APPS', 'update sslclient'), ['ERROR! Module sslclient has not been installed. Please use the install or load commands to install the module before calling update.']);
    await zpm(iris, 'APPS', 'install sslclient 1.0.4');
    assert.equal((await zpm(iris, 'APPS', 'update sslclient 2.0.0')).at(-1), '[APPS|sslclient]\tActivate SUCCESS');
    assert.deepEqual(iris.ipm.installed('APPS').find((m) => m.name === 'sslclient'), { name: 'sslclient', version: '2.0.0' });
  });

  it('update: installing a newer version replaces the installed one', async () => {
    const iris = await appsNamespace();
    await zpm(iris, 'APPS', 'install sslclient 1.0.4');
    await zpm(iris, 'APPS', 'install sslclient');
    assert.deepEqual(iris.ipm.installed('APPS').find((m) => m.name === 'sslclient'), { name: 'sslclient', version: '2.0.0' });
  });

  it('a half-way failure is left as IPM leaves it: dependencies stay, the failing module is listed after Reload', async () => {
    const iris = await appsNamespace();
    iris.ipm.failPhase('demo-app', '1.0.0', 'Activate', 'Error in Activate: class Demo.Setup does not exist');
    const out = await zpm(iris, 'APPS', 'install demo-app');
    assert.deepEqual(out.slice(-2), ['[demo-app]\tActivate FAILURE', 'ERROR! Error in Activate: class Demo.Setup does not exist']);
    assert.deepEqual(iris.ipm.installed('APPS').map((m) => m.name), ['zpm', 'demo-app', 'sslclient', 'webterminal']);

    const before = instance();
    before.createNamespace('APPS', true);
    await withRepo(before, 'APPS');
    before.ipm.failPhase('webterminal', '4.9.2', 'Initialize', 'Initialize failed');
    await zpm(before, 'APPS', 'install demo-app');
    assert.deepEqual(before.ipm.installed('APPS').map((m) => m.name), ['zpm', 'sslclient'], 'a failure before Reload leaves no record of the failing module');
  });

  it('a tampered archive stops the install with IPM\'s hash message', async () => {
    const iris = await appsNamespace();
    reg.fault = 'tampered-archive';
    try {
      assert.equal((await zpm(iris, 'APPS', 'install webterminal')).at(-1), 'ERROR! Download module, hash mismatch.');
    } finally {
      reg.fault = 'none';
    }
    assert.equal(iris.ipm.installed('APPS').length, 1);
  });

  it('uninstall: removes; a required module is skipped as IPM skips it; an unknown one is IPM\'s error', async () => {
    const iris = await appsNamespace();
    await zpm(iris, 'APPS', 'install demo-app');
    assert.deepEqual(await zpm(iris, 'APPS', 'uninstall sslclient'), ['[APPS|sslclient]\tClean SKIPPED - required by 1 other module. (demo-app)']);
    assert.deepEqual(await zpm(iris, 'APPS', 'uninstall demo-app'), ['[APPS|demo-app]\tClean SUCCESS']);
    assert.deepEqual(await zpm(iris, 'APPS', 'uninstall demo-app'), ["ERROR! Module 'demo-app' not found."]);
    assert.deepEqual(iris.ipm.installed('APPS').map((m) => m.name), ['zpm', 'sslclient', 'webterminal']);
  });

  it('IPM missing from the image: %IPM.Main does not exist until its installer is loaded', async () => {
    const iris = instance(null);
    iris.createNamespace('APPS', true);
    await assert.rejects(zpm(iris, 'APPS', 'list-installed'), /<CLASS DOES NOT EXIST> .*\*%IPM\.Main/);
    iris.ipm.loadInstaller(iris.ownerProcess(), 'APPS', '0.10.5');
    assert.deepEqual(await zpm(iris, 'APPS', 'list-installed'), ['zpm 0.10.5']);
    assert.equal(iris.ipm.versionIn('ORDERS'), undefined, 'IPM 0.9+ is per namespace');
  });

  it('quoted words: a password with spaces and quotes reaches the repo as given', async () => {
    assert.deepEqual(ipmWords('repo -r -n registry -url https://x/ -user "a b" -pass "p ""q"" r"'), ['repo', '-r', '-n', 'registry', '-url', 'https://x/', '-user', 'a b', '-pass', 'p "q" r']);
  });
});

describe('simulated namespaces', () => {
  it('creates an interoperability namespace with its own database, upper case, granted to the bridge\'s role', () => {
    const iris = instance();
    assert.equal(iris.createNamespace('apps_1', true), 'APPS_1');
    const ns = iris.namespaces().find((n) => n.name === 'APPS_1');
    assert.deepEqual(ns, { name: 'APPS_1', database: 'APPS_1', directory: '/usr/irissys/mgr/apps_1/', interop: true });
    assert.ok(iris.security.roleExists(BRIDGE_ROLE));
    const bridge = new SimProcess('iris_edge', [BRIDGE_ROLE], '%SYS');
    assert.ok(iris.security.holds(bridge, '%DB_APPS_1', 'R') && iris.security.holds(bridge, '%DB_APPS_1', 'W'));
  });

  it('refuses names IRIS refuses, and names already taken', () => {
    const iris = instance();
    for (const bad of ['', '1APPS', 'A'.repeat(65), 'AP PS', 'APPS;kill', 'ÄPPS', '_X', 'A.B']) {
      assert.throws(() => iris.createNamespace(bad, true), /ERROR #5001: Invalid namespace name/, bad);
    }
    assert.ok(iris.createNamespace('%APPS-2', false));
    assert.ok(iris.createNamespace('A'.repeat(64), false));
    for (const taken of ['%SYS', 'user', 'ORDERS', '%apps-2']) assert.throws(() => iris.createNamespace(taken, true), /already exists/, taken);
  });

  it('deletes only a namespace created here, with what IPM kept in it', async () => {
    const iris = await appsNamespace();
    await zpm(iris, 'APPS', 'install webterminal');
    iris.deleteNamespace('apps');
    assert.ok(!iris.namespaces().some((n) => n.name === 'APPS'));
    await assert.rejects(zpm(iris, 'APPS', 'list-installed'), /<NAMESPACE>/);
    assert.throws(() => iris.deleteNamespace('ORDERS'), /does not exist or was not created here/);
    assert.throws(() => iris.deleteNamespace('%SYS'), /does not exist or was not created here/);
  });
});

describe('privileges: installing code and changing namespaces is the owner\'s, never the bridge\'s role', () => {
  const bridgeProcess = () => new SimProcess('iris_edge', [BRIDGE_ROLE], '%SYS');

  it('IPM commands as the bridge\'s role: <PROTECT>, nothing installed', async () => {
    const iris = await appsNamespace();
    for (const cmd of ['install webterminal', 'update webterminal', 'uninstall webterminal', 'list-installed', 'load /share/iris-edge/packages/webterminal-4.9.2.tgz', `repo -r -n registry -url ${reg.url}`]) {
      await assert.rejects(zpm(iris, 'APPS', cmd, bridgeProcess()), /<PROTECT>/, cmd);
    }
    assert.throws(() => iris.ipm.loadInstaller(bridgeProcess(), 'APPS', '0.10.5'), /<PROTECT>/);
    assert.deepEqual(iris.ipm.installed('APPS'), [{ name: 'zpm', version: '0.10.5' }]);
  });

  it('even an administrator role short of %All is refused IPM', async () => {
    const iris = instance();
    iris.security.setRole('Almost', '%Admin_Manage:U,%Admin_Secure:U,%Development:U,%DB_ORDERS:RW');
    await assert.rejects(zpm(iris, 'ORDERS', 'list-installed', new SimProcess('admin', ['Almost'], '%SYS')), /<PROTECT>/);
  });

  it('namespaces as the bridge\'s role: ERROR #921, nothing created or deleted', () => {
    const iris = instance();
    // The database's own %DB_ resource is made first: a security API (%Admin_Secure).
    assert.throws(() => iris.createNamespace('APPS', true, bridgeProcess()), /ERROR #921: Operation requires %Admin_Secure:USE privilege/);
    iris.security.setRole('Secure', '%Admin_Secure:U');
    assert.throws(() => iris.createNamespace('APPS', true, new SimProcess('x', [BRIDGE_ROLE, 'Secure'], '%SYS')), /ERROR #921: Operation requires %Admin_Manage:USE privilege/);
    assert.ok(!iris.namespaces().some((n) => n.name === 'APPS'));
    iris.createNamespace('APPS', true);
    assert.throws(() => iris.deleteNamespace('APPS', bridgeProcess()), /ERROR #921: Operation requires %Admin_Manage:USE privilege/);
    assert.ok(iris.namespaces().some((n) => n.name === 'APPS'));
  });
});
