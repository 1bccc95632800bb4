/**
 * User-defined sensors read through the agent (IrisEdge.Agent.ReadSensors) on the simulator,
 * over the sensors connection (the sensors user, role IrisEdgeSensors): one call per namespace,
 * each sensor answered on its own, IRIS's privilege rules (SQLCODE -99 without SELECT, <PROTECT>
 * without READ on the database), IRIS's statement checks (one statement, statement type 1).
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IrisSimulator } from '../../src/iris/simulator/index.ts';
import { sensorRequest, type SensorReading, type SensorRequest } from '../../src/iris/agent/sensors.ts';
import { readSensorDefinitions } from '../../src/model/sensor-definition.ts';
import { IrisUnavailableError } from '../../src/model/errors.ts';
import { ObjectScriptError } from '../../src/iris/simulator/security.ts';

const NS = 'ORDERS';
const ROLE = 'IrisEdgeSensors';

function requests(raws: unknown[], packages: string[] = ['Orders']): SensorRequest[] {
  const { sensors, problems } = readSensorDefinitions(raws, { pollIntervalS: 10, packages });
  assert.deepEqual(problems, []);
  return sensors.map((s) => sensorRequest(s)!);
}

const SENSORS = [
  { name: 'Open orders', namespace: NS, sql: 'SELECT COUNT(*) FROM Orders.Open' },
  { name: 'Newest order', namespace: NS, sql: 'SELECT Id, Total FROM Orders.Open', attributes: true },
  { name: 'Order count', namespace: NS, global: '^Orders("count")' },
  { name: 'Order days', namespace: NS, global: '^Orders("day")', count_subscripts: true },
  { name: 'Backlog', namespace: NS, method: 'Orders.Stats.Backlog' },
];

function byKey(readings: SensorReading[]): Record<string, SensorReading> {
  return Object.fromEntries(readings.map((r) => [r.key, r]));
}

describe('ReadSensors on the simulator, as the sensors user', () => {
  let sim: IrisSimulator;
  beforeEach(() => {
    sim = new IrisSimulator({ transitionMs: 1 });
    sim.iris.userData.define(NS, {
      tables: { 'Orders.Open': [{ Id: 'A-1', Total: 9.5 }, { Id: 'A-2', Total: 3 }], 'Orders.Secret': [{ Pin: 1234 }] },
      globals: { Orders: { '["count"]': 42, '["day",20260101]': 3, '["day",20260102]': 5, '["day",20260102,"x"]': 1 } },
      methods: {
        'Orders.Stats.Backlog': () => 7,
        'Orders.Stats.Broken': () => {
          throw new ObjectScriptError('<DIVIDE>', 'zBroken+1^Orders.Stats.1');
        },
      },
    });
  });
  afterEach(async () => sim.close());

  const grantAll = () => {
    sim.iris.security.grantSelect(ROLE, 'Orders.Open');
    sim.iris.security.grant(ROLE, `%DB_${NS}`, 'R');
  };

  it('reads sql, global and method sensors of one namespace in ONE agent call, each with its value', async () => {
    grantAll();
    const client = sim.sensorClient();
    const transport = (client as unknown as { transport: { call: (...a: unknown[]) => Promise<unknown> } }).transport;
    const made: string[] = [];
    const call = transport.call.bind(transport);
    transport.call = (...a: unknown[]) => {
      made.push(String(a[1]));
      return call(...a);
    };
    const r = byKey(await client.readSensors(NS, requests(SENSORS), ['Orders']));
    assert.deepEqual(made.filter((m) => m !== 'Version'), ['ReadSensors'], 'one agent call for the five sensors');
    assert.equal((r.open_orders as { value: string }).value, '2');
    assert.deepEqual((r.newest_order as { attributes?: unknown }).attributes, { Id: 'A-1', Total: '9.5' });
    assert.equal((r.newest_order as { value: string }).value, 'A-1');
    assert.equal((r.order_count as { value: string }).value, '42');
    assert.equal((r.order_days as { value: number }).value, 2);
    assert.equal((r.backlog as { value: string }).value, '7');
    await client.close();
  });

  it('without SELECT on the table a SQL sensor fails with IRIS\'s SQLCODE -99, and the others still read', async () => {
    sim.iris.security.grant(ROLE, `%DB_${NS}`, 'R');
    const client = sim.sensorClient();
    const r = byKey(await client.readSensors(NS, requests(SENSORS), ['Orders']));
    assert.equal((r.open_orders as { ok: boolean }).ok, false);
    assert.match((r.open_orders as { text: string }).text, /SQLCODE: -99 Message: User iris_edge_sensors is not privileged/);
    assert.equal((r.order_count as { value: string }).value, '42');
    assert.equal((r.backlog as { value: string }).value, '7');
    await client.close();
  });

  it('without READ on the namespace database the call fails with <PROTECT> (the switch needs it); with READ but no grant, a global is readable and a table is not', async () => {
    const client = sim.sensorClient();
    await assert.rejects(client.readSensors(NS, requests(SENSORS), ['Orders']), /<PROTECT>/);
    sim.iris.security.grantSelect(ROLE, 'Orders.Open');
    sim.iris.security.grant(ROLE, `%DB_${NS}`, 'R');
    const r = byKey(await client.readSensors(NS, requests([{ name: 'Secret', namespace: NS, sql: 'SELECT Pin FROM Orders.Secret' }]), ['Orders']));
    assert.match((r.secret as { text: string }).text, /SQLCODE: -99/);
    await client.close();
  });

  it('a global without READ on its database is <PROTECT> naming the global', async () => {
    grantAll();
    const client = sim.sensorClient();
    await client.readSensors(NS, requests(SENSORS.slice(2, 3)), []);
    sim.iris.security.revoke(ROLE, `%DB_${NS}`);
    await assert.rejects(client.readSensors(NS, requests(SENSORS.slice(2, 3)), []), /<PROTECT>/);
    await client.close();
  });

  it('the setup at the next start keeps what an administrator granted the role (DOCS.md promises it)', async () => {
    grantAll();
    sim.iris.runSetup(sim.credentials, undefined, sim.sensorCredentials);
    const client = sim.sensorClient();
    const r = byKey(await client.readSensors(NS, requests(SENSORS.slice(2, 3)), []));
    assert.equal((r.order_count as { value: string }).value, '42');
    await client.close();
  });

  it('the sensors user holds only IrisEdgeSensors, never the bridge\'s role', () => {
    assert.equal(sim.iris.security.rolesOf(sim.sensorCredentials.username)?.join(), ROLE);
    assert.ok(!sim.iris.security.rolesOf(sim.sensorCredentials.username)?.includes('IrisEdgeBridge'));
  });

  it('IRIS refuses an UPDATE by its statement type, two statements by %Prepare, an unknown table with SQLCODE -30', async () => {
    grantAll();
    const client = sim.sensorClient();
    // Past the lexical check (which refuses these first) the agent's own checks hold.
    const raw: SensorRequest[] = [
      { key: 'upd', kind: 'sql', query: 'UPDATE Orders.Open SET Total = 0', attributes: false },
      { key: 'two', kind: 'sql', query: 'SELECT COUNT(*) FROM Orders.Open; DELETE FROM Orders.Open', attributes: false },
      { key: 'nope', kind: 'sql', query: 'SELECT COUNT(*) FROM Orders.Nope', attributes: false },
      { key: 'ok', kind: 'sql', query: 'SELECT COUNT(*) FROM Orders.Open', attributes: false },
    ];
    const r = byKey(await client.readSensors(NS, raw, []));
    assert.match((r.upd as { text: string }).text, /statement type 3/);
    assert.match((r.two as { text: string }).text, /SQLCODE: -25/);
    assert.match((r.nope as { text: string }).text, /SQLCODE: -30/);
    assert.equal((r.ok as { value: string }).value, '2');
    await client.close();
  });

  it('a method that throws, a class outside the allowed packages, a missing node: each fails alone', async () => {
    grantAll();
    const client = sim.sensorClient();
    const raw: SensorRequest[] = [
      { key: 'boom', kind: 'method', class: 'Orders.Stats', method: 'Broken' },
      { key: 'outside', kind: 'method', class: 'Other.Stats', method: 'Backlog' },
      { key: 'missing', kind: 'global', name: 'Orders', subscripts: ['none'], count: false },
      { key: 'evil', kind: 'global', name: 'Orders', subscripts: [''], count: false },
      { key: 'fine', kind: 'method', class: 'Orders.Stats', method: 'Backlog' },
    ];
    const r = byKey(await client.readSensors(NS, raw, ['Orders']));
    assert.equal((r.boom as { code: string }).code, '<DIVIDE>');
    assert.match((r.outside as { text: string }).text, /not in a package/);
    assert.match((r.missing as { text: string }).text, /has no value/);
    assert.match((r.evil as { text: string }).text, /neither a string nor a number/);
    assert.equal((r.fine as { value: string }).value, '7');
    await client.close();
  });

  it('without %Service_Bindings in its role the sensors user\'s login is refused ("Access Denied")', async () => {
    sim.iris.security.revoke(ROLE, '%Service_Bindings');
    const client = sim.sensorClient();
    await assert.rejects(client.readSensors(NS, requests(SENSORS.slice(0, 1)), []), (e: unknown) => e instanceof IrisUnavailableError && /Access Denied/.test((e as Error).message));
    await client.close();
  });

  it('a sensor over the time limit fails alone; once the call\'s budget is spent the rest are deferred, not failed', async () => {
    let t = Date.parse('2026-12-01T00:00:00Z');
    const timed = new IrisSimulator({ transitionMs: 1, clock: { timeZone: 'UTC', now: () => new Date(t) } });
    timed.iris.userData.define(NS, {
      methods: {
        'Orders.Stats.Slow': () => {
          t += 2500; // longer than the 2 s a sensor may take
          return 1;
        },
        'Orders.Stats.Long': () => {
          t += 1900;
          return 2;
        },
        'Orders.Stats.Quick': () => 3,
      },
    });
    timed.iris.security.grant(ROLE, `%DB_${NS}`, 'R');
    const client = timed.sensorClient();
    const m = (key: string, method: string): SensorRequest => ({ key, kind: 'method', class: 'Orders.Stats', method });
    const got = byKey(await client.readSensors(NS, [m('quick', 'Quick'), m('slow', 'Slow'), m('l1', 'Long'), m('l2', 'Long'), m('later', 'Quick')], ['Orders']));
    assert.equal((got.quick as { value: string }).value, '3');
    assert.match((got.slow as { text: string }).text, /took 2500 ms, more than the limit of 2000 ms/);
    assert.equal((got.l1 as { value: string }).value, '2');
    assert.deepEqual(got.later, { key: 'later', deferred: true }, '2500 + 1900 + 1900 ms spent the 5 s budget');
    await client.close();
    await timed.close();
  });

  it('hostile sensor texts reach IRIS as data: any subscripts and queries give one reading per sensor, never a thrown call', async () => {
    grantAll();
    const client = sim.sensorClient();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.string(), fc.integer()), { maxLength: 4 }), fc.string({ maxLength: 80 }), async (subs, text) => {
        const raw: SensorRequest[] = [
          { key: 'g', kind: 'global', name: 'Orders', subscripts: subs, count: false },
          { key: 'm', kind: 'method', class: text, method: text },
        ];
        const got = await client.readSensors(NS, raw, ['Orders']);
        assert.deepEqual(got.map((x) => x.key), ['g', 'm']);
      }),
      { numRuns: 60 },
    );
    await client.close();
  });

  it("the sensors' user cannot borrow the bridge's escalation role: the SSL/TLS methods refuse it and change nothing", async () => {
    grantAll();
    const client = sim.sensorClient();
    const before = await sim.sslConfigs();
    await assert.rejects(client.sslConfigs(), /PROTECT/);
    await assert.rejects(
      client.applySslConfig({ name: 'Stolen', type: 'client', caFile: '', certificateFile: '', privateKeyFile: '', verifyPeer: 0, tlsMinVersion: 16, tlsMaxVersion: 32 }),
      /PROTECT/,
    );
    assert.deepEqual(await sim.sslConfigs(), before, "the bridge's own user still reads them, and nothing was saved");
    await client.close();
  });
});
