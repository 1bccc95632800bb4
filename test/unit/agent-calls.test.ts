/**
 * The IRIS calls of IrisEdge.Agent.cls, the registry of what each needs (src/iris/privileges.ts),
 * the simulated agent that enforces it, and the contract README that documents it, kept in step:
 *  - every IRIS call the .cls makes has an entry (so a new call arrives with its privilege and doc);
 *  - the simulated agent makes, per method, only calls its .cls method makes, and a scenario that
 *    drives every method makes every call the .cls makes (so the simulator checks what IRIS checks);
 *  - test/contract/README.md names every call with its privilege.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { IRIS_CALLS, isLanguageCall } from '../../src/iris/privileges.ts';
import { IrisSimulator } from '../../src/iris/simulator/index.ts';
import { SimulatedDatabases } from '../../src/iris/simulator/databases.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLS = readFileSync(new URL('../../rootfs/usr/share/iris-edge/agent/IrisEdge.Agent.cls', import.meta.url), 'utf8');
const README = readFileSync(new URL('../contract/README.md', import.meta.url), 'utf8');

/** Method name -> its body, comments removed. */
function methods(cls: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /^ClassMethod (\w+)\([^\n]*\n\{\n([\s\S]*?)^\}$/gm;
  for (const m of cls.matchAll(re)) {
    const body = (m[2] as string)
      .split('\n')
      .map((l) => l.replace(/(^|\s)\/\/.*$/, ''))
      .join('\n');
    out.set(m[1] as string, body);
  }
  return out;
}

/** The registry keys of the IRIS calls in one method body (own helpers not followed). */
function callsIn(body: string): { calls: Set<string>; helpers: Set<string> } {
  const calls = new Set<string>();
  for (const m of body.matchAll(/##class\(([%\w.]+)\)\.(%?\w+)\(("([^"]*)")?/g)) {
    if ((m[1] === '%ResultSet' || m[1] === '%Library.ResultSet') && m[2] === '%New') calls.add(m[4] as string);
    else calls.add(`${m[1]}.${m[2]}`);
  }
  for (const m of body.matchAll(/\$SYSTEM\.(\w+)\.(\w+)\(/gi)) calls.add(`%SYSTEM.${m[1]}.${m[2]}`);
  if (/\bset \$namespace\s*=/i.test(body)) calls.add('$NAMESPACE');
  if (/\bset \$roles\s*=/i.test(body)) calls.add('$ROLES');
  if (/\$(data|get|order)\(@/i.test(body)) calls.add('^global');
  // A user's method: class and method both from variables (the .cls's own $classmethod calls name a literal %IsA).
  if (/\$classmethod\(\s*[\w.]+\s*,\s*[\w.]+\s*\)/i.test(body)) calls.add('$CLASSMETHOD');
  if (/\^IrisEdge\.HA\.Outbox\(/.test(body)) calls.add('^IrisEdge.HA.Outbox');
  for (const key of Object.keys(IRIS_CALLS).filter((k) => k.includes('#'))) {
    if (new RegExp(`\\.${key.split('#')[1]!.replace('%', '%')}\\(`).test(body)) calls.add(key);
  }
  const helpers = new Set([...body.matchAll(/\.\.(\w+)\(/g)].map((m) => m[1] as string));
  return { calls, helpers };
}

const METHODS = methods(CLS);

/** A public method's calls, its own helpers' included. */
function closure(name: string, seen = new Set<string>()): Set<string> {
  if (seen.has(name)) return new Set();
  seen.add(name);
  const body = METHODS.get(name);
  if (body === undefined) return new Set();
  const { calls, helpers } = callsIn(body);
  for (const h of helpers) for (const c of closure(h, seen)) calls.add(c);
  return calls;
}

const PUBLIC = ['Snapshot', 'Control', 'EnableHost', 'SslConfigs', 'ApplySslConfig', 'Databases', 'Privileges', 'EventLog', 'SearchMessages', 'ReadSensors', 'DeliverHaEvent', 'TakeHaCalls', 'AnswerHaCall'];

describe('IrisEdge.Agent.cls, the privilege registry and the simulated agent agree', () => {
  it('the .cls has the methods this test follows', () => {
    for (const m of [...PUBLIC, 'Version', 'NamespaceSnapshot', 'ReadSslConfigs', 'NamespaceSslUsers', 'CheckEscalation']) assert.ok(METHODS.has(m), m);
    // The extraction sees what it must: a %ResultSet query, $SYSTEM calls, an instance call.
    assert.ok(closure('Snapshot').has('Ens.Util.Statistics:EnumerateHostStatus'));
    assert.ok(closure('Snapshot').has('%SYSTEM.License.LUConsumed'));
    assert.ok(closure('EnableHost').has('Ens.Config.Production#SaveToClass'));
  });

  it('every IRIS call in the .cls is in IRIS_CALLS, with its privilege and the doc it follows', () => {
    const missing: string[] = [];
    for (const m of METHODS.keys()) for (const c of closure(m)) if (!IRIS_CALLS[c]) missing.push(`${m}: ${c}`);
    assert.deepEqual(missing, [], 'add these to src/iris/privileges.ts (privilege, refusal, doc) and to test/contract/README.md');
    for (const [key, call] of Object.entries(IRIS_CALLS)) assert.ok(call.doc.length > 10, `${key} names no doc`);
  });

  it('per method, the simulated agent makes only calls the .cls makes, and a full scenario makes every one of them', async () => {
    const data = new SimulatedDatabases(mkdtempSync(join(tmpdir(), 'iris-edge-calls-')), { namespaces: ['ORDERS', 'LAB'], blocks: 2, writeIntervalMs: 0 });
    const sim = new IrisSimulator({ transitionMs: 1, databases: data });
    // Drive every method along every branch that reaches IRIS.
    sim.failMessage('ORDERS', 'Orders.Production', 'HL7.Out.Lab');
    await sim.snapshot();
    await sim.control({ namespace: 'ORDERS', production: 'Orders.Production', action: 'stop' });
    await sim.control({ namespace: 'ORDERS', production: 'Orders.Production', action: 'start' });
    await sim.control({ namespace: 'ORDERS', production: 'Orders.Production', action: 'restart' });
    sim.markNeedsUpdate('ORDERS', 'Orders.Production', 'changed');
    await sim.snapshot();
    await sim.control({ namespace: 'ORDERS', production: 'Orders.Production', action: 'update' });
    sim.makeTroubled('LAB', 'Lab.Results.Production');
    await sim.control({ namespace: 'LAB', production: 'Lab.Results.Production', action: 'recover' });
    await sim.control({ namespace: 'ORDERS', production: 'No.Such.Production', action: 'start' }).catch(() => undefined);
    await sim.setHostEnabled({ namespace: 'ORDERS', production: 'Orders.Production', host: 'Orders.DB', enable: false });
    await sim.snapshot();
    await sim.sslConfigs();
    await sim.applySslConfig({ name: 'New', type: 'client', caFile: '', certificateFile: '', privateKeyFile: '', verifyPeer: 0, tlsMinVersion: 16, tlsMaxVersion: 32 });
    await sim.applySslConfig({ name: 'New', type: 'client', caFile: '/ca.pem', certificateFile: '', privateKeyFile: '', verifyPeer: 1, tlsMinVersion: 16, tlsMaxVersion: 32 });
    await sim.databases();
    await sim.privileges(['%Service_Bindings']);
    await sim.eventLog('ORDERS', 'Orders.Production');
    await sim.searchMessages('ORDERS', { production: 'Orders.Production', since: '2000-01-01T00:00:00Z', until: '2100-01-01T00:00:00Z', host: null, status: null, errorsOnly: false, limit: 50 });
    // Every branch of ReadSensors, as the sensors user with what it reads granted.
    sim.iris.userData.define('ORDERS', { tables: { 'Orders.Open': [{ Id: 1 }] }, globals: { Orders: { '["n"]': 1 } }, methods: { 'Orders.Stats.N': () => 1 } });
    sim.iris.security.grantSelect('IrisEdgeSensors', 'Orders.Open');
    sim.iris.security.grant('IrisEdgeSensors', '%DB_ORDERS', 'R');
    const sensors = sim.sensorClient();
    await sensors.readSensors('ORDERS', [
      { key: 'a', kind: 'sql', query: 'SELECT Id FROM Orders.Open', attributes: true },
      { key: 'b', kind: 'global', name: 'Orders', subscripts: ['n'], count: false },
      { key: 'c', kind: 'method', class: 'Orders.Stats', method: 'N' },
      { key: 'd', kind: 'sql', query: 'UPDATE Orders.Open SET Id = 2', attributes: false },
    ], ['Orders']);
    await sensors.close();
    // A service of another class: CreateBusinessService and ProcessInput are both reached.
    await sim.deliverHaEvent('ORDERS', 'HL7.In.File', '{}').catch(() => undefined);
    // A call to Home Assistant from ObjectScript, taken and answered.
    const waiting = sim.callHomeAssistant('ORDERS', { kind: 'state', entity_id: 'sun.sun' }, 5);
    const [taken] = (await sim.takeHaCalls(10)).calls;
    await sim.answerHaCall(taken!.namespace, taken!.id, taken!.pid, JSON.stringify({ ok: true, state: 'above_horizon', attributes: {} }));
    assert.equal((await waiting).ok, true);
    const trace = sim.iris.agent!.trace;
    const extra: string[] = [];
    const unreached: string[] = [];
    for (const m of PUBLIC) {
      const cls = closure(m);
      const made = trace.get(m) ?? new Set<string>();
      for (const c of made) if (!cls.has(c)) extra.push(`${m}: ${c}`);
      // Calls made only on an error path (status text, exceptions) need not be reached.
      for (const c of cls) if (!made.has(c) && !isLanguageCall(c)) unreached.push(`${m}: ${c}`);
    }
    assert.deepEqual(extra, [], 'the simulated agent makes calls its .cls method does not');
    assert.deepEqual(unreached, [], 'the simulated agent never makes these calls of the .cls (so their privileges are never checked)');
    await sim.close();
  });

  it('test/contract/README.md names every call with the privilege it needs', () => {
    const undocumented = Object.keys(IRIS_CALLS).filter((k) => !README.includes(`\`${k}\``));
    assert.deepEqual(undocumented, [], 'add a row for each to the table in test/contract/README.md');
  });
});
