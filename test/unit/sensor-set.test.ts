/**
 * The panel's sensors beside the options' (sensors/sensor-set.ts, panel-store.ts): the options
 * win on a name and cannot be changed here, every refusal names its field and saves nothing, the
 * bound holds, changes run one at a time, an unreadable file is never saved over; what Home
 * Assistant would show for a value (ha-state.ts); the grants the role needs (role-grants.ts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pino from 'pino';
import { startUserSensors } from '../../src/compose/user-sensors.ts';
import { deviceNameProblem, MAX_USER_SENSORS, readSensorDefinitions, type UserSensor } from '../../src/model/sensor-definition.ts';
import { Topics } from '../../src/mqtt/topics.ts';
import { haStateOf } from '../../src/sensors/ha-state.ts';
import { testSensor } from '../../src/sensors/sensor-test.ts';
import { PanelSensorStore } from '../../src/sensors/panel-store.ts';
import { grantsFor, tablesOf } from '../../src/sensors/role-grants.ts';
import { definitionOf, SensorSetError, UserSensorSet } from '../../src/sensors/sensor-set.ts';
import { captureLogger, testConfig } from '../support/fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'sensor-set-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const ctx = { pollIntervalS: 10, packages: ['Orders'] };
const one = (raw: Record<string, unknown>): UserSensor => readSensorDefinitions([raw], ctx).sensors[0] as UserSensor;
let n = 0;

async function newSet(options: Record<string, unknown>[] = [], file = join(dir, `s${++n}.json`)) {
  const applied: UserSensor[][] = [];
  const set = new UserSensorSet({ options: readSensorDefinitions(options, ctx).sensors, context: ctx, store: new PanelSensorStore(file), deviceName: 'IRIS', log: pino({ level: 'silent' }) });
  await set.load();
  set.onChange(async (s) => {
    applied.push(s);
  });
  return { set, applied, file };
}

const rejects = (p: Promise<unknown>, kind: string, message: RegExp) =>
  assert.rejects(p, (e: unknown) => e instanceof SensorSetError && e.kind === kind && message.test(e.message));

describe('the panel sensors beside the options', () => {
  it('creates, changes and deletes, saving each change and applying the merged list', async () => {
    const { set, applied, file } = await newSet([{ name: 'Host CPU', metric: 'iris_cpu_usage' }]);
    await set.create({ name: 'Open orders', namespace: 'orders', sql: 'SELECT COUNT(*) FROM Orders.Open' });
    assert.deepEqual(applied.at(-1)?.map((s) => s.key), ['host_cpu', 'open_orders']);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')).sensors, [{ name: 'Open orders', namespace: 'orders', sql: 'SELECT COUNT(*) FROM Orders.Open' }]);
    const changed = await set.update('open_orders', { name: 'Orders open', namespace: 'ORDERS', global: '^Orders("open")' });
    assert.equal(changed.key, 'orders_open');
    assert.deepEqual(set.list().sensors.map((e) => `${e.key}:${e.origin}`), ['host_cpu:options', 'orders_open:panel']);
    await set.remove('orders_open');
    assert.deepEqual(applied.at(-1)?.map((s) => s.key), ['host_cpu']);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')).sensors, []);
  });

  it("refuses with the field named, and saves nothing: bad typing, a taken name, an option's sensor, the device name", async () => {
    const { set, applied, file } = await newSet([{ name: 'Host CPU', metric: 'iris_cpu_usage' }]);
    await rejects(set.create({ name: 'Room', namespace: 'USER', sql: 'SELECT 1', device_class: 'temperature', unit: 'C' }), 'invalid', /^unit: "C" is not a unit/);
    await rejects(set.create({ name: 'host-cpu', metric: 'iris_cpu_usage' }), 'conflict', /options already define/);
    await rejects(set.update('host_cpu', { name: 'Host CPU', metric: 'iris_cpu_usage' }), 'read-only', /add-on options/);
    await rejects(set.remove('host_cpu'), 'read-only', /add-on options/);
    await rejects(set.remove('nothing'), 'not-found', /no panel sensor/);
    await rejects(set.create({ name: 'IRIS CPU', metric: 'iris_cpu_usage' }), 'invalid', /^name: Home Assistant already puts the device name/);
    await set.create({ name: 'A', metric: 'iris_cpu_usage' });
    await rejects(set.create({ name: 'a', metric: 'iris_process_count' }), 'conflict', /same entity/);
    await rejects(set.update('a', { name: 'A', metric: 'iris_cpu_usage', interval: 1 }), 'invalid', /^interval: /);
    assert.equal(applied.length, 1);
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).sensors.length, 1);
  });

  it('keeps the bound of the options, counting both lists', async () => {
    const options = Array.from({ length: MAX_USER_SENSORS - 1 }, (_, i) => ({ name: `O${i}`, metric: 'iris_cpu_usage' }));
    const { set } = await newSet(options);
    await set.create({ name: 'Last', metric: 'iris_cpu_usage' });
    await rejects(set.create({ name: 'One more', metric: 'iris_cpu_usage' }), 'full', new RegExp(`At most ${MAX_USER_SENSORS}`));
  });

  it('runs changes one at a time: two creates of the same name at once keep one', async () => {
    const { set } = await newSet();
    const r = await Promise.allSettled([set.create({ name: 'Same', metric: 'iris_cpu_usage' }), set.create({ name: 'same', metric: 'iris_cpu_usage' })]);
    assert.deepEqual(r.map((x) => x.status), ['fulfilled', 'rejected']);
    assert.equal(set.list().sensors.length, 1);
  });

  it('marks a panel sensor the options override, and one that no longer holds', async () => {
    const file = join(dir, 'override.json');
    writeFileSync(file, JSON.stringify({ sensors: [{ name: 'Host CPU', metric: 'iris_process_count' }, { name: 'Calls', namespace: 'USER', method: 'Gone.Stats.Count' }] }));
    const { set } = await newSet([{ name: 'Host CPU', metric: 'iris_cpu_usage' }], file);
    const [opt, over, bad] = set.list().sensors;
    assert.equal(opt?.origin, 'options');
    assert.equal(over?.overridden, true);
    assert.equal(bad?.problems?.[0]?.field, 'method');
    assert.deepEqual(set.sensors().map((s) => s.key), ['host_cpu']);
  });

  it('never saves over an unreadable file, and says why', async () => {
    for (const text of ['{not json', JSON.stringify({ sensors: 'x' }), JSON.stringify({ sensors: [1] })]) {
      const file = join(dir, `bad${++n}.json`);
      writeFileSync(file, text);
      const { set } = await newSet([], file);
      assert.match(set.list().readOnly ?? '', /cannot be read/);
      await rejects(set.create({ name: 'A', metric: 'iris_cpu_usage' }), 'read-only', /does not save over/);
      assert.equal(readFileSync(file, 'utf8'), text);
    }
  });

  it("shows an option's sensor in the option's own fields", () => {
    const raw = { name: 'Day', namespace: 'ORDERS', global: '^Orders("day",2026,"a""b")', count_subscripts: true, unit: 'd', interval: 60 };
    const d = definitionOf(one(raw));
    assert.deepEqual(d, { ...raw, interval: 60 });
    assert.deepEqual(readSensorDefinitions([d], ctx).problems, []);
    assert.equal(definitionOf(one({ name: 'M', metric: 'iris_db_free_space{id="USER"}' })).metric, 'iris_db_free_space{id="USER"}');
  });
});

describe('what Home Assistant would show', () => {
  it('rounds a number to the display precision with its unit', () => {
    assert.deepEqual(haStateOf(one({ name: 'X', metric: 'm', unit: 'MB', display_precision: 2 }), 9.5), { available: true, state: '9.50 MB' });
    assert.deepEqual(haStateOf(one({ name: 'X', metric: 'm', state_class: 'measurement' }), 3), { available: true, state: '3' });
  });
  it("is unavailable for what HA's sensor refuses", () => {
    const enumSensor = one({ name: 'E', namespace: 'U', sql: 'SELECT 1', device_class: 'enum', options: 'idle, busy' });
    assert.equal(haStateOf(enumSensor, 'busy').state, 'busy');
    assert.match((haStateOf(enumSensor, 'down') as { reason: string }).reason, /not one of the options/);
    const ts = one({ name: 'T', namespace: 'U', sql: 'SELECT 1', device_class: 'timestamp' });
    assert.equal(haStateOf(ts, '2026-05-01T12:00:00Z').state, '2026-05-01T12:00:00Z');
    assert.equal(haStateOf(ts, '2026-05-01 12:00').state, 'unavailable');
    const date = one({ name: 'D', namespace: 'U', sql: 'SELECT 1', device_class: 'date' });
    assert.equal(haStateOf(date, '2026-13-45').state, 'unavailable');
    assert.equal(haStateOf(one({ name: 'N', namespace: 'U', sql: 'SELECT 1', unit: 'h' }), 'soon').state, 'unavailable');
    assert.equal(haStateOf(one({ name: 'L', namespace: 'U', sql: 'SELECT 1' }), 'x'.repeat(256)).state, 'unavailable');
  });
});

describe('the grants the sensors role needs', () => {
  it('names each namespace database and the tables of its queries, once each', () => {
    const sensors = readSensorDefinitions(
      [
        { name: 'A', namespace: 'orders', sql: 'SELECT COUNT(*) FROM Orders.Open o JOIN Orders.Line l ON l.O = o.ID' },
        { name: 'B', namespace: 'ORDERS', sql: "SELECT 'FROM x' FROM Orders.Open" },
        { name: 'C', namespace: 'USER', global: '^X' },
        { name: 'D', metric: 'iris_cpu_usage' },
      ],
      ctx,
    ).sensors;
    assert.deepEqual(grantsFor(sensors), [
      { namespace: 'ORDERS', resource: '%DB_ORDERS', statements: ['GRANT SELECT ON Orders.Open TO IrisEdgeSensors', 'GRANT SELECT ON Orders.Line TO IrisEdgeSensors'], sensors: ['A', 'B'] },
      { namespace: 'USER', resource: '%DB_USER', statements: [], sensors: ['C'] },
    ]);
    assert.deepEqual(tablesOf('SELECT a FROM "My Schema"."T" WHERE b IN (SELECT c FROM Sch.U)'), ['"My Schema"."T"', 'Sch.U']);
  });

  it('grants no table named inside a string or a comment, whichever comes first', () => {
    // A quote inside a comment must not open a string that hides the real table, nor close one early.
    assert.deepEqual(tablesOf("SELECT a FROM Real.T -- o'clock\nWHERE b = 'FROM Fake.X'"), ['Real.T']);
    assert.deepEqual(tablesOf("SELECT a /* it's */ FROM Real.T WHERE b = 'x' -- FROM Fake.Y"), ['Real.T']);
    assert.deepEqual(tablesOf("SELECT 'it''s FROM Fake.Z' FROM \"Odd Schema\".\"T\""), ['"Odd Schema"."T"']);
    // A literal left open makes no valid query, and no grant.
    assert.deepEqual(tablesOf("SELECT a FROM Real.T WHERE b = 'FROM Fake.W"), []);
  });
});

describe("the panel's Test of one sensor", () => {
  const sql = one({ name: 'Q', namespace: 'ORDERS', sql: 'SELECT COUNT(*) FROM Orders.Open', unit: 'h' });
  let t = 0;
  const clock = () => (t += 12.5);
  it('reads it alone in one agent call and times it', async () => {
    const asked: unknown[] = [];
    const agent = { readSensors: async (ns: string, reqs: unknown[], packages: readonly string[]) => (asked.push([ns, reqs, packages]), [{ key: 'q', ok: true as const, value: '7', ms: 1 }]) };
    assert.deepEqual(await testSensor(sql, { agent, packages: ['Orders'] }, clock), { value: 7, type: 'number', ms: 12.5, state: '7 h' });
    assert.deepEqual(asked, [['ORDERS', [{ key: 'q', kind: 'sql', query: 'SELECT COUNT(*) FROM Orders.Open', attributes: false }], ['Orders']]]);
  });
  it("is unavailable with the reason when IRIS refuses, defers, fails or there is no login", async () => {
    const answer = (r: unknown) => ({ readSensors: async () => [r] as never });
    assert.match((await testSensor(sql, { agent: answer({ key: 'q', ok: false, code: '5540', text: 'SQLCODE: -99', ms: 1 }), packages: [] }, clock)).reason ?? '', /IRIS answered 5540: SQLCODE: -99/);
    assert.match((await testSensor(sql, { agent: answer({ key: 'q', deferred: true }), packages: [] }, clock)).reason ?? '', /deferred/);
    assert.match((await testSensor(sql, { agent: { readSensors: async () => Promise.reject(new Error('no route')) }, packages: [] }, clock)).reason ?? '', /could not be asked: no route/);
    assert.match((await testSensor(sql, { packages: [] }, clock)).reason ?? '', /no login/);
    assert.match((await testSensor(sql, { agent: answer({ key: 'q', ok: true, value: 'soon', ms: 1 }), packages: [] }, clock)).reason ?? '', /not a number/);
  });
  it('reads a metric from one scrape', async () => {
    const m = one({ name: 'M', metric: 'iris_cpu_usage', unit: '%' });
    assert.equal((await testSensor(m, { metric: async () => 42, packages: [] }, clock)).state, '42 %');
    assert.match((await testSensor(m, { metric: async () => undefined, packages: [] }, clock)).reason ?? '', /has no number/);
  });
});

describe('a sensor name that repeats the device name', () => {
  it('is one problem, whatever the case, and only at the start', () => {
    assert.deepEqual(deviceNameProblem('iris cpu', 'IRIS'), { sensor: 'iris cpu', field: 'name', message: 'Home Assistant already puts the device name "IRIS" before it; leave it out' });
    assert.equal(deviceNameProblem('CPU of IRIS', 'IRIS'), null);
  });

  it("is left out of what Home Assistant is shown when an option's sensor has it, with a warning saying why", async () => {
    const { log, lines } = captureLogger();
    const stateDir = mkdtempSync(join(dir, 'state-'));
    const sensors = readSensorDefinitions([{ name: 'IRIS CPU', metric: 'iris_cpu_usage' }, { name: 'CPU', metric: 'iris_cpu_usage' }], ctx).sensors;
    const shown = await startUserSensors(testConfig({ stateDir, userSensors: { sensors, problems: [] } }), new Topics('iris'), 'IRIS', log, { connection: undefined, health: undefined, panel: false });
    assert.deepEqual(shown?.feature.discoveryInputs().sensors.map((s) => s.name), ['CPU']);
    assert.equal(lines.filter((l) => l.includes('Left out: sensor "IRIS CPU", field "name": Home Assistant already puts the device name "IRIS" before it')).length, 1);
  });
});
