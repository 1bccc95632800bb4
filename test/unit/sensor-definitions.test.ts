/**
 * User-defined sensors as the `sensors` option gives them: every source and every typing rule,
 * each refusal naming the sensor and the field, one bad sensor costing only itself, and hostile
 * definitions (garbage options, SQL that writes or holds two statements, globals with code in
 * their subscripts) answered with a problem, never a crash.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load.ts';
import { readFileSync } from 'node:fs';
import { SENSOR_DEVICE_CLASS_NAMES, sensorTypingProblems } from '../../src/model/ha-sensor-rules.ts';
import {
  describeSensorProblem,
  MAX_ENUM_OPTIONS,
  MAX_INTERVAL_S,
  MAX_STATE_CHARS,
  MAX_USER_SENSORS,
  placementOf,
  readSensorDefinitions,
  readSensorPackages,
  type SensorProblem,
} from '../../src/model/sensor-definition.ts';
import { MAX_SUBSCRIPTS, parseGlobalRef, parseMethodRef, parseMetricSelector, parseSqlQuery, SQL_MAX_CHARS } from '../../src/model/sensor-source.ts';

const ctx = { pollIntervalS: 10, packages: ['Orders', 'Acme.Stats'] };
const read = (...raws: unknown[]) => readSensorDefinitions(raws, ctx);
/** The problems of one definition, as "field: message". */
const problemsOf = (raw: unknown): string[] => read(raw).problems.map((p) => `${p.field}: ${p.message}`);

describe('user sensor definitions', () => {
  it('reads one sensor of each source with its typing', () => {
    const { sensors, problems } = read(
      { name: 'Open orders', namespace: 'orders', sql: 'SELECT COUNT(*) FROM Orders.Open;', unit: 'orders', state_class: 'measurement', icon: 'mdi:cart' },
      { name: 'Order count', namespace: 'ORDERS', global: '^Orders("count")', state_class: 'total_increasing', interval: 60 },
      { name: 'Customers', namespace: 'ORDERS', global: '^Orders.Customer', count_subscripts: true },
      { name: 'Backlog', namespace: 'ORDERS', method: 'Orders.Stats.Backlog', device_class: 'duration', unit: 'min', display_precision: 1 },
      { name: 'USER free', metric: 'iris_db_free_space{id="USER"}', device_class: 'data_size', unit: 'MiB', entity_category: 'diagnostic' },
      { name: 'Line state', namespace: 'ORDERS', sql: 'SELECT State FROM Orders.Line', attributes: true, device_class: 'enum', options: 'idle, busy ,down' },
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(sensors.map((s) => [s.key, s.namespace, s.source.kind, s.intervalS]), [
      ['open_orders', 'ORDERS', 'sql', 10],
      ['order_count', 'ORDERS', 'global', 60],
      ['customers', 'ORDERS', 'global', 10],
      ['backlog', 'ORDERS', 'method', 10],
      ['user_free', undefined, 'metric', 10],
      ['line_state', 'ORDERS', 'sql', 10],
    ]);
    assert.deepEqual(sensors[0]?.source, { kind: 'sql', query: 'SELECT COUNT(*) FROM Orders.Open', attributes: false });
    assert.deepEqual(sensors[1]?.source, { kind: 'global', ref: { name: 'Orders', subscripts: ['count'] }, count: false });
    assert.deepEqual(sensors[2]?.source, { kind: 'global', ref: { name: 'Orders.Customer', subscripts: [] }, count: true });
    assert.deepEqual(sensors[3]?.source, { kind: 'method', ref: { className: 'Orders.Stats', method: 'Backlog' } });
    assert.deepEqual(sensors[4]?.source, { kind: 'metric', selector: { name: 'iris_db_free_space', labels: { id: 'USER' } } });
    assert.deepEqual(sensors[5]?.typing, { unit: undefined, deviceClass: 'enum', stateClass: undefined, icon: undefined, displayPrecision: undefined, entityCategory: undefined, options: ['idle', 'busy', 'down'] });
  });

  it("reads the production a sensor is shown on, in the sensor's namespace", () => {
    const { sensors, problems } = read(
      { name: 'Queue', namespace: 'orders', global: '^Q', production: ' Orders.Production ' },
      { name: 'CPU', metric: 'iris_cpu_usage', namespace: 'Orders', production: 'Orders.Production' },
      { name: 'Here', namespace: 'ORDERS', global: '^Q' },
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(sensors.map((s) => s.production), [{ namespace: 'ORDERS', name: 'Orders.Production' }, { namespace: 'ORDERS', name: 'Orders.Production' }, undefined]);
    assert.deepEqual(sensors.map(placementOf), ['ORDERS/Orders.Production', 'ORDERS/Orders.Production', '']);
  });

  it('refuses a unit that does not fit the device class, naming the sensor and the field', () => {
    const { sensors, problems } = read({ name: 'Room', namespace: 'USER', global: '^T', device_class: 'temperature', unit: 'C' });
    assert.equal(sensors.length, 0);
    assert.deepEqual(problems.map(describeSensorProblem), ['sensor "Room", field "unit": "C" is not a unit of device class temperature (one of °C, °F, K)']);
  });

  it('applies Home Assistant\'s typing rules field by field', () => {
    const base = { name: 'X', namespace: 'USER', global: '^X' };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ device_class: 'enum' }, 'options: an enum sensor needs the list of its possible values'],
      [{ device_class: 'enum', options: 'a,b,a' }, 'options: the values must differ from each other'],
      [{ device_class: 'enum', options: 'a,,b' }, 'options: an empty value'],
      [{ options: 'a,b' }, 'options: possible values go only with device class enum'],
      [{ device_class: 'enum', options: 'a', unit: 'x' }, 'unit: device class enum takes no unit'],
      [{ device_class: 'timestamp', state_class: 'measurement' }, 'state_class: device class timestamp takes no state class'],
      [{ device_class: 'timestamp', display_precision: 2 }, 'display_precision: device class timestamp is not a number'],
      [{ device_class: 'energy', unit: 'kWh', state_class: 'measurement' }, 'state_class: device class energy goes only with total or total_increasing'],
      [{ device_class: 'data_size' }, 'unit: device class data_size needs a unit'],
      [{ device_class: 'aqi', unit: 'ppm' }, 'unit: device class aqi takes no unit'],
      [{ device_class: 'monetary' }, 'unit: device class monetary needs a unit'],
      [{ device_class: 'lightyears', unit: 'ly' }, 'device_class: "lightyears" is not a sensor device class'],
      [{ unit: '' }, 'unit: an empty unit makes Home Assistant expect a number'],
      [{ entity_category: 'config' }, 'entity_category: must be diagnostic'],
      [{ state_class: 'sometimes' }, 'state_class: must be measurement or total or total_increasing'],
      [{ icon: 'cart' }, 'icon: a Material Design icon'],
      [{ display_precision: 11 }, 'display_precision: must be at most 10'],
      [{ display_precision: 'two' }, 'display_precision: must be number'],
      [{ interval: 5 }, 'interval: sensors are read at most once a poll; use at least the poll interval (10 s)'],
      [{ interval: 86_401 }, 'interval: must be at most 86400'],
    ];
    for (const [extra, expected] of cases) {
      const got = problemsOf({ ...base, ...extra });
      assert.ok(got.some((p) => p.startsWith(expected)), `${JSON.stringify(extra)}: expected "${expected}", got ${JSON.stringify(got)}`);
    }
    // power_factor may go without a unit; monetary takes any currency code; total fits data_size.
    assert.deepEqual(problemsOf({ ...base, device_class: 'power_factor', state_class: 'measurement' }), []);
    assert.deepEqual(problemsOf({ ...base, device_class: 'monetary', unit: 'EUR', state_class: 'total' }), []);
    assert.deepEqual(problemsOf({ ...base, device_class: 'data_size', unit: 'GiB', state_class: 'total' }), []);
  });

  it('needs exactly one source, a namespace where IRIS is read, and fields that belong to the source', () => {
    assert.deepEqual(problemsOf({ name: 'A', namespace: 'USER' }), ['source: set one of sql, global, method, metric']);
    assert.deepEqual(problemsOf({ name: 'A', namespace: 'USER', sql: 'SELECT 1', global: '^X' }), ['source: set only one of sql, global']);
    assert.deepEqual(problemsOf({ name: 'A', global: '^X' }), ['namespace: the IRIS namespace to read in is required (e.g. USER)']);
    const classHint = "production: the production's class name as IRIS shows it, e.g. Orders.Production";
    for (const production of ['', 'Production', '%Sys.Production', 'Orders.Production;X', 'Orders..Production', `A.${'b'.repeat(220)}`]) {
      const expected = production.length > 220 ? 'production: at most 220 characters' : classHint;
      assert.deepEqual(problemsOf({ name: 'A', global: '^X', namespace: 'USER', production }), [expected], production);
    }
    assert.deepEqual(problemsOf({ name: 'A', global: '^X', namespace: 'USER', production: 42 }), ['production: must be text']);
    // A metric needs no namespace to be read, but a production is found by its namespace too.
    assert.deepEqual(problemsOf({ name: 'A', metric: 'iris_cpu_usage', production: 'Orders.Production' }), ['namespace: the namespace of the production whose device shows this sensor is required (e.g. USER)']);
    assert.deepEqual(problemsOf({ name: 'A', metric: 'iris_cpu_usage', device_class: 'timestamp' }), ['device_class: a metric is a number, so it cannot be a timestamp sensor']);
    assert.deepEqual(problemsOf({ name: 'A', namespace: 'USER', global: '^X', attributes: true }), ['attributes: only an sql sensor has a row to take attributes from']);
    assert.deepEqual(problemsOf({ name: 'A', namespace: 'USER', sql: 'SELECT 1', count_subscripts: true }), ['count_subscripts: only a global sensor counts subscripts']);
    assert.deepEqual(problemsOf({ name: 'A', namespace: 'USER;X', global: '^X' }), ['namespace: an IRIS namespace name such as USER or ORDERS']);
    assert.deepEqual(problemsOf({ name: 'A', namespace: 'USER', global: '^X', colour: 'red' }), ['colour: is not a sensor field']);
    assert.deepEqual(problemsOf({ namespace: 'USER', global: '^X' }), ['name: is required']);
  });

  it('allows method sensors only in the packages the user lists', () => {
    assert.deepEqual(problemsOf({ name: 'A', namespace: 'USER', method: 'Acme.Stats.Daily.Count' }), []);
    assert.deepEqual(problemsOf({ name: 'A', namespace: 'USER', method: 'Acme.Other.Count' }), ['method: class Acme.Other is not in an allowed package (Orders, Acme.Stats)']);
    // A package is a whole name: OrdersX is not in Orders, nor is a % class anywhere.
    assert.match(problemsOf({ name: 'A', namespace: 'USER', method: 'OrdersX.Stats.Count' })[0] ?? '', /not in an allowed package/);
    assert.match(problemsOf({ name: 'A', namespace: 'USER', method: '%SYSTEM.Util.Halt' })[0] ?? '', /method: write Package\.Class\.Method/);
    assert.match(readSensorDefinitions([{ name: 'A', namespace: 'USER', method: 'Orders.Stats.Count' }], { pollIntervalS: 10, packages: [] }).problems[0]?.message ?? '', /no package is allowed/);
    assert.deepEqual(readSensorPackages(['Orders', '%SYS', 'Bad Name', 'Acme.Stats']), {
      packages: ['Orders', 'Acme.Stats'],
      problems: [
        { sensor: '(all)', field: 'sensor_packages', message: '"%SYS" is not a package name such as Orders or Acme.Stats (no % packages)' },
        { sensor: '(all)', field: 'sensor_packages', message: '"Bad Name" is not a package name such as Orders or Acme.Stats (no % packages)' },
      ],
    });
  });

  it('keeps every good sensor when others are bad, and refuses a name that makes the same entity', () => {
    const { sensors, problems } = read(
      { name: 'Good one', namespace: 'USER', global: '^A' },
      'not a sensor',
      null,
      { name: 'Bad', namespace: 'USER', global: 'A' },
      { name: 'good-one', namespace: 'USER', global: '^B' },
      { name: 'Second', namespace: 'USER', global: '^C' },
    );
    assert.deepEqual(sensors.map((s) => s.name), ['Good one', 'Second']);
    assert.deepEqual(problems.map((p) => [p.sensor, p.field]), [['#2', '(sensor)'], ['#3', '(sensor)'], ['Bad', 'global'], ['good-one', 'name']]);
    assert.equal(problems[3]?.message, 'makes the same entity as sensor "Good one"; give it a different name');
  });

  it(`takes at most ${MAX_ENUM_OPTIONS} enum values of at most ${MAX_STATE_CHARS} characters`, () => {
    const base = { name: 'E', namespace: 'USER', global: '^E', device_class: 'enum' };
    const values = (n: number, len = 3) => Array.from({ length: n }, (_, i) => String(i).padStart(len, 'v')).join(',');
    assert.deepEqual(problemsOf({ ...base, options: values(MAX_ENUM_OPTIONS) }), []);
    assert.deepEqual(problemsOf({ ...base, options: values(MAX_ENUM_OPTIONS + 1) }), [`options: at most ${MAX_ENUM_OPTIONS} values`]);
    assert.deepEqual(problemsOf({ ...base, options: values(2, MAX_STATE_CHARS) }), []);
    assert.deepEqual(problemsOf({ ...base, options: values(2, MAX_STATE_CHARS + 1) }), [`options: a value is longer than ${MAX_STATE_CHARS} characters`]);
  });

  it('is documented in DOCS.md with the limits the code keeps', () => {
    const docs = readFileSync(new URL('../../DOCS.md', import.meta.url), 'utf8');
    const start = docs.indexOf('### Option: `sensors`');
    const text = docs.slice(start, docs.indexOf('\n### ', start + 1)).replace(/\s+/g, ' ');
    assert.match(text, new RegExp(`At most ${MAX_USER_SENSORS} sensors`));
    assert.match(text, new RegExp(`At most ${SQL_MAX_CHARS} characters`));
    assert.match(text, new RegExp(`at most ${MAX_SUBSCRIPTS} subscripts`));
    assert.match(text, new RegExp(`at most ${MAX_ENUM_OPTIONS}, each at most ${MAX_STATE_CHARS} characters`));
    assert.match(text, new RegExp(`up to ${MAX_INTERVAL_S}`));
    assert.match(text, new RegExp(`Device classes: ${SENSOR_DEVICE_CLASS_NAMES.join(', ')}\\.`));
    // The example in DOCS.md is itself a valid list of sensors.
    const example = /```yaml\n(sensors:[\s\S]*?)```/.exec(docs.slice(start))?.[1] ?? '';
    const parsed = parse(example) as { sensors: unknown[]; sensor_packages: string[] };
    const read = readSensorDefinitions(parsed.sensors, { pollIntervalS: 10, packages: parsed.sensor_packages });
    assert.deepEqual(read.problems, []);
    assert.deepEqual(read.sensors.map((s) => s.source.kind), ['sql', 'global', 'method', 'metric', 'sql', 'sql', 'global']);
  });

  it(`takes at most ${MAX_USER_SENSORS} sensors`, () => {
    const many = Array.from({ length: MAX_USER_SENSORS + 2 }, (_, i) => ({ name: `S${i}`, metric: 'iris_cpu_usage' }));
    const { sensors, problems } = readSensorDefinitions(many, ctx);
    assert.equal(sensors.length, MAX_USER_SENSORS);
    assert.deepEqual(problems.map((p) => p.sensor), [`S${MAX_USER_SENSORS}`, `S${MAX_USER_SENSORS + 1}`]);
  });
});

describe('sensor sources', () => {
  it('accepts one read-only query and refuses anything else before it reaches IRIS', () => {
    assert.deepEqual(parseSqlQuery("  SELECT Name FROM T WHERE Note = 'a;b' -- trailing; comment\n"), { ok: true, value: "SELECT Name FROM T WHERE Note = 'a;b' -- trailing; comment" });
    assert.equal(parseSqlQuery('WITH x AS (SELECT 1 AS n) SELECT n FROM x').ok, true);
    assert.equal(parseSqlQuery('(SELECT 1)').ok, true);
    const refused: Array<[string, RegExp]> = [
      ['UPDATE Orders.Open SET Done = 1', /only a SELECT .* not UPDATE/],
      ['DELETE FROM T', /not DELETE/],
      ['INSERT INTO T VALUES (1)', /not INSERT/],
      ['SELECT 1; DROP TABLE T', /only one statement/],
      ['SELECT 1;;', /only one statement/],
      ["SELECT ';' FROM T; DELETE FROM T", /only one statement/],
      ['/* SELECT */ DELETE FROM T', /not DELETE/],
      ['-- SELECT\nCALL Orders.Purge()', /not CALL/],
      ["SELECT 'open", /not closed/],
      ['SELECT 1 /* open', /not closed/],
      ['', /empty/],
      ['SELECT 1\u0000', /control characters/],
      [`SELECT ${'1+'.repeat(SQL_MAX_CHARS)}1`, /longer than 4000/],
    ];
    for (const [sql, why] of refused) {
      const p = parseSqlQuery(sql);
      assert.ok(!p.ok && why.test(p.reason), `${JSON.stringify(sql.slice(0, 60))}: ${JSON.stringify(p)}`);
    }
  });

  it('takes global references apart into a name and literal subscripts', () => {
    assert.deepEqual(parseGlobalRef('^Demo.Stats(2026, "say ""hi""", -1.5)'), { ok: true, value: { name: 'Demo.Stats', subscripts: [2026, 'say "hi"', -1.5] } });
    assert.deepEqual(parseGlobalRef('^%Edge'), { ok: true, value: { name: '%Edge', subscripts: [] } });
    const refused: Array<[string, RegExp]> = [
      ['Orders("count")', /starts with \^/],
      ['^|"USER"|Orders', /extended references/],
      ['^["USER"]Orders', /extended references/],
      ['^Orders(x)', /variables and expressions are not allowed/],
      ['^Orders($ZF(-1,"rm -rf /"))', /variables and expressions/],
      ['^Orders(1)_$$Kill()', /unexpected "\)" in the subscripts/],
      ['^Orders("a"', /not closed with \)/],
      ['^Orders("a)', /not closed with "/],
      ['^Orders("")', /empty string/],
      ['^Orders(1 2)', /separate them with commas/],
      ['^Orders(,1)', /\(empty\)/],
      ['^Orders(01)', /neither a "string" nor a number/],
      ['^1Orders', /not a global name/],
      ['^Or ders', /not a global name/],
      [`^${'A'.repeat(32)}`, /at most 31/],
      [`^A(${Array.from({ length: 17 }, (_, i) => i + 1).join(',')})`, /at most 16 subscripts/],
    ];
    for (const [ref, why] of refused) {
      const p = parseGlobalRef(ref);
      assert.ok(!p.ok && why.test(p.reason), `${ref}: ${JSON.stringify(p)}`);
    }
  });

  it('reads metric selectors by name and labels', () => {
    assert.deepEqual(parseMetricSelector('iris_db_size_mb{id="USER", dir="/data/x\\"y"}'), { ok: true, value: { name: 'iris_db_size_mb', labels: { id: 'USER', dir: '/data/x"y' } } });
    for (const [s, why] of [
      ['iris cpu', /not a metric name/],
      ['iris_x{id=USER}', /double quotes/],
      ['iris_x{id=~"U.*"}', /only key="value"/],
      ['iris_x{id="A",id="B"}', /given twice/],
      ['iris_x{id="A"', /not closed with \}/],
      ['iris_x{id="A}', /not closed with "/],
      ['iris_x{id="A" dir="B"}', /separate labels with commas/],
    ] as const) {
      const p = parseMetricSelector(s);
      assert.ok(!p.ok && why.test(p.reason), `${s}: ${JSON.stringify(p)}`);
    }
  });

  it('parses Package.Class.Method, with or without ()', () => {
    assert.deepEqual(parseMethodRef('Orders.Stats.Open()', ['orders']), { ok: true, value: { className: 'Orders.Stats', method: 'Open' } });
    assert.equal(parseMethodRef('Orders.Stats.Open(1)', ['Orders']).ok, false);
    assert.equal(parseMethodRef('Orders.Open', ['Orders']).ok, false);
  });
});

describe('hostile definitions', () => {
  const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined;
  const params = { numRuns: 400, ...(seed !== undefined ? { seed } : {}) };
  const fieldNames = ['name', 'namespace', 'sql', 'global', 'count_subscripts', 'method', 'metric', 'attributes', 'unit', 'device_class', 'state_class', 'icon', 'display_precision', 'entity_category', 'options', 'interval', 'production', 'junk'];
  const anyValue = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }), fc.object({ maxDepth: 1 }));
  const garbage = fc.oneof(anyValue, fc.dictionary(fc.constantFrom(...fieldNames), anyValue, { maxKeys: 8 }));

  it('answers garbage options with problems that name a sensor and a field, never with an exception', () => {
    fc.assert(
      fc.property(fc.array(garbage, { maxLength: 6 }), (raws) => {
        const { sensors, problems } = readSensorDefinitions(raws, ctx);
        assert.ok(sensors.length + new Set(problems.map((p) => p.sensor)).size >= Math.min(raws.length, 1) || raws.length === 0);
        for (const p of problems as SensorProblem[]) {
          assert.ok(p.sensor.length > 0 && p.field.length > 0 && p.message.length > 0, JSON.stringify(p));
          assert.doesNotMatch(p.message, /undefined|\[object /);
        }
        for (const s of sensors) assert.deepEqual(sensorTypingProblems({ device_class: s.typing.deviceClass, unit_of_measurement: s.typing.unit, state_class: s.typing.stateClass, options: s.typing.options }), []);
      }),
      params,
    );
  });

  it('never lets a parsed global or method carry anything but names and literals', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        const g = parseGlobalRef(`^${text}`);
        if (g.ok) {
          assert.match(g.value.name, /^%?[A-Za-z][A-Za-z0-9.]*$/);
          for (const s of g.value.subscripts) assert.ok(typeof s === 'string' ? s.length > 0 : Number.isFinite(s));
        }
        const m = parseMethodRef(text, ['Orders']);
        if (m.ok) assert.match(`${m.value.className}.${m.value.method}`, /^[A-Za-z0-9.]+$/);
        parseMetricSelector(text);
        const q = parseSqlQuery(text);
        if (q.ok) assert.match(q.value, /^\(*\s*(select|with)/i);
      }),
      params,
    );
  });

  it('loads sensors from the add-on options, and a bad one does not stop the start', () => {
    const options = {
      poll_interval: 10,
      sensor_packages: ['Orders', '%SYS'],
      sensors: [{ name: 'CPU', metric: 'iris_cpu_usage', unit: '%', state_class: 'measurement' }, { name: 'Broken', namespace: 'USER', sql: 'DELETE FROM T' }],
    };
    const c = loadConfig({ env: { IRIS_EDGE_OPTIONS_FILE: '/o.json' }, argv: [], readFile: () => JSON.stringify(options) });
    assert.deepEqual(c.userSensors.sensors.map((s) => s.key), ['cpu']);
    assert.deepEqual(c.userSensors.problems.map(describeSensorProblem), [
      'sensor "(all)", field "sensor_packages": "%SYS" is not a package name such as Orders or Acme.Stats (no % packages)',
      'sensor "Broken", field "sql": only a SELECT (or WITH ... SELECT) query is allowed, not DELETE',
    ]);
    assert.throws(() => loadConfig({ env: { IRIS_EDGE_OPTIONS_FILE: '/o.json' }, argv: [], readFile: () => '{"sensors": "all of them"}' }), /option "sensors"/);
  });
});
