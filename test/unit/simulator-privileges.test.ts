/**
 * The simulator enforces IRIS's security model for the bridge's own user (the role the setup
 * creates from bridge-role.json): each privilege taken away makes the calls that need it fail the
 * way IRIS documents (src/iris/privileges.ts), every grant of the role is needed by some call, and
 * the self-check names what is missing and how to fix it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IrisCommandRefusedError, IrisUnavailableError, UnknownProductionError } from '../../src/model/errors.ts';
import { AgentVersionError, REMOTE_INSTALL_HINT, REMOTE_SETUP_COMMAND } from '../../src/iris/agent/version.ts';
import { selfCheck } from '../../src/iris/diagnostics.ts';
import { loadBridgeRole, type Permission } from '../../src/iris/privileges.ts';
import { SimulatedDatabases } from '../../src/iris/simulator/databases.ts';
import { IrisSimulator } from '../../src/iris/simulator/index.ts';
import { homeProduction } from '../../src/iris/simulator/ha-event-service.ts';
import { demoScenario } from '../../src/iris/simulator/scenarios.ts';
import { SOURCE_AGENT_DIR } from '../../src/iris/agent/source-dir.ts';
import type { AgentProblem } from '../../src/iris/agent/contract.ts';

const ROLE = loadBridgeRole(SOURCE_AGENT_DIR);
const ORDERS = { namespace: 'ORDERS', production: 'Orders.Production' };
/** A search of every message header ever written. */
const WIDE = { production: null, since: '2000-01-01T00:00:00Z', until: '2100-01-01T00:00:00Z', host: null, status: null, errorsOnly: false, limit: 50 };

function sim(problems: AgentProblem[] = []): IrisSimulator {
  const data = new SimulatedDatabases(mkdtempSync(join(tmpdir(), 'iris-edge-priv-')), { namespaces: ['ORDERS', 'LAB'], blocks: 2, writeIntervalMs: 0 });
  return new IrisSimulator({ transitionMs: 1, databases: data, onProblems: (p) => problems.push(...p) });
}

const refused = (pattern: RegExp) => (err: unknown) => {
  assert.ok(err instanceof IrisCommandRefusedError, `expected a refusal, got ${String(err)}`);
  assert.match(err.message, pattern);
  return true;
};

/**
 * Everything the bridge asks of IRIS, in one go; resolves to the failures, by step. The steps are
 * what the bridge does in its life: inventory, control, enable/disable, SSL/TLS, databases.
 */
async function everything(s: IrisSimulator, problems: AgentProblem[]): Promise<string[]> {
  const failures: string[] = [];
  const step = async (name: string, run: () => Promise<unknown>) => {
    try {
      await run();
    } catch (err) {
      failures.push(`${name}: ${(err as Error).message}`);
    }
  };
  await step('snapshot', async () => {
    await s.snapshot();
    if (problems.length > 0) throw new Error(problems.map((p) => `${p.namespace}: ${p.text}`).join('; '));
  });
  await step('stop', () => s.control({ ...ORDERS, action: 'stop' }));
  await step('start', () => s.control({ ...ORDERS, action: 'start' }));
  await step('restart', () => s.control({ ...ORDERS, action: 'restart' }));
  s.markNeedsUpdate('ORDERS', 'Orders.Production', 'changed');
  await step('update', () => s.control({ ...ORDERS, action: 'update' }));
  s.makeTroubled('LAB', 'Lab.Results.Production');
  await step('recover', () => s.control({ namespace: 'LAB', production: 'Lab.Results.Production', action: 'recover' }));
  await step('enable', () => s.setHostEnabled({ ...ORDERS, host: 'Orders.DB', enable: false }));
  await step('ssl', () => s.sslConfigs());
  await step('ssl-apply', () => s.applySslConfig({ name: 'X', type: 'client', caFile: '', certificateFile: '', privateKeyFile: '', verifyPeer: 0, tlsMinVersion: 16, tlsMaxVersion: 32 }));
  await step('databases', () => s.databases());
  await step('event log', () => s.eventLog('ORDERS', 'Orders.Production'));
  await step('messages', () => s.searchMessages('ORDERS', { ...WIDE, production: 'Orders.Production' }));
  return failures;
}

describe('the simulator enforces the bridge role as IRIS does', () => {
  it('with exactly the role bridge-role.json declares, everything the bridge does succeeds', async () => {
    const problems: AgentProblem[] = [];
    const s = sim(problems);
    assert.deepEqual(await everything(s, problems), []);
    await s.close();
  });

  it('every grant of the role is needed: without any one of them something fails', async () => {
    const grants: Array<{ role: string; resource: string; permission: Permission }> = [
      ...ROLE.resources.flatMap((r) => [...r.permission].map((p) => ({ role: ROLE.role, resource: r.name, permission: p as Permission }))),
      ...[...ROLE.namespaceDatabases.permission].map((p) => ({ role: ROLE.role, resource: '%DB_ORDERS', permission: p as Permission })),
      ...ROLE.escalation.resources.map((r) => ({ role: ROLE.escalation.role, resource: r.name, permission: r.permission as Permission })),
    ];
    for (const g of grants) {
      const problems: AgentProblem[] = [];
      const s = sim(problems);
      s.iris.security.revoke(g.role, g.resource, g.permission);
      const failures = await everything(s, problems);
      assert.ok(failures.length > 0, `${g.role} holds ${g.resource}:${g.permission}, and nothing the bridge does needs it: remove it from bridge-role.json`);
      await s.close();
    }
  });

  it('without %Ens_ProductionRun:USE, start, stop, restart and update answer ERROR #940', async () => {
    const s = sim();
    s.iris.security.revoke(ROLE.role, '%Ens_ProductionRun');
    for (const action of ['stop', 'restart', 'update'] as const) {
      if (action === 'update') s.markNeedsUpdate('ORDERS', 'Orders.Production', 'changed');
      await assert.rejects(s.control({ ...ORDERS, action }), refused(/ERROR #940: Insufficient privilege for operation/), action);
    }
    await s.control({ namespace: 'ORDERS', production: 'Orders.Replay.Production', action: 'start' }).catch((e: unknown) => {
      assert.match((e as Error).message, /#940|already running/);
    });
    assert.equal(s.stateOf('ORDERS', 'Orders.Production'), 'running', 'a refused command changed the production');
    await s.close();
  });

  it('without WRITE on the namespace database, recover and enable/disable fail with <PROTECT>; the inventory still reads', async () => {
    const problems: AgentProblem[] = [];
    const s = sim(problems);
    s.iris.security.revoke(ROLE.role, '%DB_LAB', 'W');
    s.iris.security.revoke(ROLE.role, '%DB_ORDERS', 'W');
    s.makeTroubled('LAB', 'Lab.Results.Production');
    await assert.rejects(s.control({ namespace: 'LAB', production: 'Lab.Results.Production', action: 'recover' }), refused(/<PROTECT>/));
    await assert.rejects(s.setHostEnabled({ ...ORDERS, host: 'Orders.DB', enable: false }), refused(/<PROTECT>/));
    assert.equal((await s.snapshot()).productions.length, 3);
    assert.deepEqual(problems, []);
    await s.close();
  });

  it('without READ on a namespace database, that namespace is skipped with <PROTECT> and the others still show', async () => {
    const problems: AgentProblem[] = [];
    const s = sim(problems);
    s.iris.security.revoke(ROLE.role, '%DB_LAB');
    const snap = await s.snapshot();
    assert.deepEqual([...new Set(snap.productions.map((p) => p.namespace))], ['ORDERS']);
    assert.equal(problems[0]?.namespace, 'LAB');
    assert.match(problems[0]?.text ?? '', /<PROTECT>/);
    await s.close();
  });

  it('without READ on a namespace database, its Event Log answers <PROTECT> (P6); with it, the entries come', async () => {
    const s = sim();
    s.failMessage('LAB', 'Lab.Results.Production', 'Results.Out.File');
    s.iris.security.revoke(ROLE.role, '%DB_LAB', 'R');
    await assert.rejects(s.eventLog('LAB', 'Lab.Results.Production'), refused(/Event Log of Lab\.Results\.Production.*<PROTECT>/));
    s.iris.security.grant(ROLE.role, '%DB_LAB', 'R');
    assert.equal((await s.eventLog('LAB', 'Lab.Results.Production')).length, 1);
    await s.close();
  });

  it('without READ on a namespace database, a search of its message headers answers <PROTECT> (P7); with it, the headers come', async () => {
    const s = sim();
    s.failMessage('LAB', 'Lab.Results.Production', 'Results.Out.File');
    s.iris.security.revoke(ROLE.role, '%DB_LAB', 'R');
    await assert.rejects(s.searchMessages('LAB', WIDE), refused(/search the messages of LAB.*<PROTECT>/));
    s.iris.security.grant(ROLE.role, '%DB_LAB', 'R');
    assert.equal((await s.searchMessages('LAB', WIDE)).messages.length, 1);
    await s.close();
  });

  it('without WRITE on a namespace database, a Home Assistant event handed to its business service answers <PROTECT> (P8) and is not received; with it, it is', async () => {
    const s = new IrisSimulator({ transitionMs: 1, productions: [homeProduction()] });
    const json = JSON.stringify({ kind: 'event', event_type: 'my_event', data: {}, time: '2026-03-01T12:00:00.000Z', context_id: '' });
    s.iris.security.revoke(ROLE.role, '%DB_HOME', 'W');
    await assert.rejects(s.deliverHaEvent('HOME', 'HomeAssistant', json), (err: unknown) => err instanceof IrisCommandRefusedError && err.irisCode === '<PROTECT>');
    assert.deepEqual(s.iris.haEvents.receivedBy('HOME', 'HomeAssistant'), []);
    // Without READ the switch into the namespace fails first (<PROTECT>), before CreateBusinessService.
    s.iris.security.revoke(ROLE.role, '%DB_HOME', 'R');
    await assert.rejects(s.deliverHaEvent('HOME', 'HomeAssistant', json), (err: unknown) => err instanceof UnknownProductionError && /<PROTECT>/.test(err.message));
    s.iris.security.grant(ROLE.role, '%DB_HOME', 'R');
    s.iris.security.grant(ROLE.role, '%DB_HOME', 'W');
    await s.deliverHaEvent('HOME', 'HomeAssistant', json);
    assert.equal(s.iris.haEvents.receivedBy('HOME', 'HomeAssistant').length, 1);
    await s.close();
  });

  it('without WRITE on a namespace database, IrisEdge.HA.Home calls there cannot be taken (P9): <PROTECT> as a problem of that namespace; others still are', async () => {
    const s = new IrisSimulator({ transitionMs: 1, productions: [homeProduction(), ...demoScenario()] });
    s.iris.security.revoke(ROLE.role, '%DB_HOME', 'W');
    void s.callHomeAssistant('HOME', { kind: 'state', entity_id: 'sun.sun' }, 1);
    void s.callHomeAssistant('ORDERS', { kind: 'state', entity_id: 'sun.sun' }, 1);
    const taken = await s.takeHaCalls(10);
    assert.deepEqual(taken.calls.map((c) => c.namespace), ['ORDERS']);
    assert.equal(taken.problems[0]?.namespace, 'HOME');
    assert.match(taken.problems[0]?.text ?? '', /<PROTECT>/);
    s.iris.security.grant(ROLE.role, '%DB_HOME', 'W');
    assert.deepEqual((await s.takeHaCalls(10)).calls.map((c) => c.namespace), ['HOME']);
    await s.close();
  });

  it('without %Admin_Secure in the escalation role, SSL/TLS configurations answer ERROR #921; without the role itself, <ILLEGAL VALUE>', async () => {
    const s = sim();
    s.iris.security.revoke(ROLE.escalation.role, '%Admin_Secure');
    await assert.rejects(s.sslConfigs(), refused(/ERROR #921: Operation requires %Admin_Secure:USE privilege/));
    await assert.rejects(
      s.applySslConfig({ name: 'X', type: 'client', caFile: '', certificateFile: '', privateKeyFile: '', verifyPeer: 0, tlsMinVersion: 16, tlsMaxVersion: 32 }),
      refused(/#921/),
    );
    assert.deepEqual(s.sslApplyCalls, [], 'a refused save reached IRIS');
    await s.close();
    const t = sim();
    t.iris.security.grant('Someone', '%Admin_Secure', 'U');
    // Granting the bridge's user %Admin_Secure directly is what the escalation avoids; the role must exist.
    (t.iris.security as unknown as { roles: Map<string, unknown> }).roles.delete(ROLE.escalation.role);
    await assert.rejects(t.sslConfigs(), refused(/<ILLEGAL VALUE>/));
    await t.close();
  });

  it('without %Service_Bindings, %Service_Native or READ on IRISSYS, the login is refused ("Access Denied")', async () => {
    for (const [resource, permission] of [['%Service_Bindings', 'U'], ['%Service_Native', 'U'], ['%DB_IRISSYS', 'R']] as const) {
      const s = sim();
      s.iris.security.revoke(ROLE.role, resource, permission);
      await assert.rejects(s.snapshot(), (err: unknown) => err instanceof IrisUnavailableError && /Access Denied/.test((err as Error).message), resource);
      await s.close();
    }
  });

  it('a wrong password is refused, and the bridge says IRIS is unavailable', async () => {
    const s = sim();
    s.iris.security.setUser(s.credentials.username, 'changed-by-someone', [ROLE.role]);
    await assert.rejects(s.snapshot(), /Access Denied/);
    await s.close();
  });

  it('a missing or older agent is a clear error naming what an administrator runs; a newer one is accepted', async () => {
    const s = sim();
    s.iris.removeAgent();
    await assert.rejects(s.snapshot(), (err: unknown) => {
      assert.ok(err instanceof AgentVersionError);
      assert.match(err.message, /IrisEdge\.Agent\) is not installed in %SYS of the built-in IRIS simulator.*IrisEdge\.Setup.*Install|InstallAgent/);
      return true;
    });
    s.iris.installAgent(1);
    await assert.rejects(s.snapshot(), /is version 1; this bridge needs version \d+/);
    s.iris.installAgent(99);
    assert.ok((await s.snapshot()).productions.length > 0);
    await s.close();
  });
});

describe('the remote setup the messages name', () => {
  it('is in a folder the add-on ships, and is the command DOCS.md shows', () => {
    const folder = /copy the folder (\S+) of the add-on/.exec(REMOTE_INSTALL_HINT)?.[1];
    assert.equal(folder, '/usr/share/iris-edge/agent');
    assert.ok(existsSync(join(SOURCE_AGENT_DIR, 'IrisEdge.Setup.cls')) && SOURCE_AGENT_DIR.replace(/\/$/, '').endsWith('rootfs/usr/share/iris-edge/agent'));
    const docs = readFileSync(new URL('../../DOCS.md', import.meta.url), 'utf8');
    assert.ok(docs.includes(folder!), 'DOCS.md names the same folder');
    assert.match(REMOTE_SETUP_COMMAND, /##class\(IrisEdge\.Setup\)\.Install\(/);
    assert.ok(docs.includes('##class(IrisEdge.Setup).Install('), 'DOCS.md shows the same call');
  });
});

describe('the self-check', () => {
  const options = (inAddon: boolean) => ({ instanceId: 'iris', bridgeVersion: 'test', role: ROLE, inAddon, databases: true });

  it('passes every check on a correctly set up instance', async () => {
    const s = sim();
    const d = await selfCheck(s, options(true));
    assert.deepEqual(d.checks.filter((c) => c.status !== 'ok').map((c) => `${c.id}: ${c.detail}`), []);
    assert.ok(d.checks.some((c) => c.id === 'resource:%Ens_ProductionRun'));
    assert.ok(d.checks.some((c) => c.id === 'namespace:ORDERS'));
    assert.ok(d.checks.some((c) => c.id === 'escalation'));
    assert.ok(d.checks.some((c) => c.id === 'time' && /UTC[+-]\d\d:\d\d/.test(c.detail)));
    await s.close();
  });

  it('names each missing privilege, the call it breaks, and the fix for the add-on or for an administrator', async () => {
    const s = sim();
    s.iris.security.revoke(ROLE.role, '%Ens_ProductionRun');
    s.iris.security.revoke(ROLE.role, '%DB_LAB', 'W');
    s.iris.security.revoke(ROLE.escalation.role, '%Admin_Secure');
    const inAddon = await selfCheck(s, options(true));
    const failed = new Map(inAddon.checks.filter((c) => c.status === 'failed').map((c) => [c.id, c]));
    assert.deepEqual([...failed.keys()].sort(), ['escalation', 'namespace:LAB', 'read:ssl', 'resource:%Ens_ProductionRun']);
    assert.match(failed.get('resource:%Ens_ProductionRun')?.detail ?? '', /Not held.*StartProduction/);
    assert.match(failed.get('namespace:LAB')?.detail ?? '', /Missing RW on %DB_LAB \(has "READ"\)/);
    assert.match(failed.get('resource:%Ens_ProductionRun')?.fix ?? '', /Restart the add-on/);
    const remote = await selfCheck(s, options(false));
    assert.match(remote.checks.find((c) => c.id === 'escalation')?.fix ?? '', /IrisEdge\.Setup\)\.Install/);
    await s.close();
  });

  it('with no agent it says so and skips the rest, instead of failing everything', async () => {
    const s = sim();
    s.iris.removeAgent();
    const d = await selfCheck(s, options(false));
    assert.deepEqual(d.checks.map((c) => [c.id, c.status]), [['agent', 'failed'], ['privileges', 'skipped']]);
    await s.close();
  });
});
