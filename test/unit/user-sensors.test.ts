/**
 * The user's metric sensors from a scrape to Home Assistant's payloads: which line a selector
 * reads, the components each definition makes (checked by the discovery validator), the per-sensor
 * interval on a faster poll, and the removal of a sensor taken out of the options.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { selectSensorMetrics, toInstanceMetrics } from '../../src/iris/monitor-api/metrics.ts';
import { parsePrometheus } from '../../src/iris/monitor-api/prometheus.ts';
import { readSensorDefinitions, type UserSensor } from '../../src/model/sensor-definition.ts';
import { parseMetricSelector } from '../../src/model/sensor-source.ts';
import { instanceDiscovery, productionDiscovery } from '../../src/mqtt/discovery.ts';
import { UserSensorFeature } from '../../src/mqtt/user-sensors.ts';
import { validateDiscovery } from '../support/discovery-validator.ts';
import { discoveryContext } from '../support/fixtures.ts';

const ctx = discoveryContext();
const TOPIC = ctx.topics.instanceSensors;
const SCRAPE = parsePrometheus(
  [
    'iris_db_free_space{id="IRISSYS",dir="/usr/irissys/mgr/"} 23',
    'iris_db_free_space{id="USER",dir="/usr/irissys/mgr/user/"} 9.5',
    'iris_db_free_space{id="USER2",dir="/x/"} NaN',
    'iris_cpu_usage 12',
  ].join('\n'),
).samples;

const selector = (text: string) => {
  const p = parseMetricSelector(text);
  assert.ok(p.ok);
  return p.value;
};

function sensors(...raws: object[]): UserSensor[] {
  const { sensors, problems } = readSensorDefinitions(raws, { pollIntervalS: 10, packages: [] });
  assert.deepEqual(problems, []);
  return sensors;
}

describe('metric sensors', () => {
  it('read the first line of the name that carries every label given, exactly', () => {
    const sel = new Map([
      ['user', selector('iris_db_free_space{id="USER"}')],
      ['first', selector('iris_db_free_space')],
      ['cpu', selector('iris_cpu_usage')],
      ['nan', selector('iris_db_free_space{id="USER2"}')],
      ['lower', selector('iris_db_free_space{id="user"}')],
      ['absent', selector('iris_mirror_lag')],
    ]);
    assert.deepEqual(selectSensorMetrics(SCRAPE, sel), { user: 9.5, first: 23, cpu: 12 });
    // Only when sensors are asked for does the scrape carry their values.
    assert.equal(toInstanceMetrics(SCRAPE, new Date()).sensorValues, undefined);
    assert.deepEqual(toInstanceMetrics(SCRAPE, new Date(), new Map([['cpu', selector('iris_cpu_usage')]])).sensorValues, { cpu: 12 });
  });

  it('become components Home Assistant accepts, with the typing of their definition', () => {
    const defs = sensors(
      { name: 'Host CPU', metric: 'iris_cpu_usage', unit: '%', state_class: 'measurement', icon: 'mdi:chip', display_precision: 0 },
      { name: 'USER free', metric: 'iris_db_free_space{id="USER"}', device_class: 'data_size', unit: 'MB', entity_category: 'diagnostic' },
      { name: '2nd sensor', metric: 'iris_process_count' },
    );
    const cmps = new UserSensorFeature(TOPIC, defs, []).components(ctx, { sensors: defs, removed: ['gone'] });
    assert.deepEqual(cmps.user_host_cpu, {
      p: 'sensor',
      name: 'Host CPU',
      uniq_id: 'iris_edge_iris_user_host_cpu',
      default_entity_id: 'sensor.iris_user_host_cpu',
      object_id: 'iris_user_host_cpu',
      stat_t: TOPIC,
      val_tpl: `{{ value_json['values']["host_cpu"] | default('None') }}`,
      avty: [{ t: ctx.topics.bridgeAvailability }, { t: ctx.topics.irisAvailability }, { t: TOPIC, val_tpl: `{{ 'online' if "host_cpu" in value_json['values'] else 'offline' }}` }],
      avty_mode: 'all',
      unit_of_meas: '%',
      stat_cla: 'measurement',
      icon: 'mdi:chip',
      sug_dsp_prc: 0,
    });
    assert.equal(cmps.user_user_free?.dev_cla, 'data_size');
    assert.equal(cmps.user_user_free?.ent_cat, 'diagnostic');
    assert.deepEqual(cmps.user_gone, { p: 'sensor' });
    const payload = instanceDiscovery(ctx, [], cmps);
    assert.deepEqual(validateDiscovery({ [ctx.topics.instanceDiscovery()]: JSON.stringify(payload) }), []);
  });

  it("go on the device of the production they name, and are removed from the device they left", () => {
    const orders = { namespace: 'USER', name: 'Demo.Orders.Production' };
    const defs = sensors(
      { name: 'Open orders', sql: 'SELECT 1', namespace: 'USER', unit: 'orders' },
      { name: 'Queue', global: '^Q', namespace: 'user', production: 'Demo.Orders.Production', unit: 'messages', state_class: 'measurement' },
      { name: 'CPU here', metric: 'iris_cpu_usage', namespace: 'USER', production: 'Demo.Orders.Production', unit: '%' },
    );
    // Queue was on the IRIS device before; Old was on the production's device and is gone.
    const f = new UserSensorFeature(TOPIC, defs, [{ key: 'queue', on: '' }, { key: 'old', on: 'USER/Demo.Orders.Production' }]);
    assert.deepEqual(f.discoveryInputs(), { sensors: [defs[0]], removed: ['queue'] });
    const inputs = f.productionInputs({ namespace: 'user', name: 'Demo.Orders.Production' });
    assert.deepEqual(inputs, { sensors: [defs[1], defs[2]], removed: ['old'] });
    assert.equal(f.productionInputs({ namespace: 'USER', name: 'Demo.Other.Production' }), undefined, 'a production no sensor is on keeps its message');
    assert.equal(f.productionInputs({ namespace: 'ORDERS', name: 'Demo.Orders.Production' }), undefined, 'the same class in another namespace is another production');
    const cmps = f.productionComponents(ctx, orders, inputs!);
    const id = ctx.topics.productionDeviceId(orders);
    assert.equal(cmps.user_queue?.uniq_id, `${id}_user_queue`, "a unique id of the production's device: never the one it had on the IRIS device");
    assert.notEqual(cmps.user_queue?.uniq_id, f.components(ctx, { sensors: [defs[1]!], removed: [] }).user_queue?.uniq_id);
    assert.equal(cmps.user_queue?.stat_t, TOPIC, 'the one state topic of every user sensor');
    assert.equal(cmps.user_cpu_here?.unit_of_meas, '%');
    assert.deepEqual(cmps.user_old, { p: 'sensor' });
    const instance = instanceDiscovery(ctx, [orders], f.components(ctx, f.discoveryInputs()));
    assert.deepEqual(instance.cmps.user_queue, { p: 'sensor' });
    const payload = productionDiscovery(ctx, orders, cmps);
    assert.deepEqual(
      validateDiscovery({ [ctx.topics.instanceDiscovery()]: JSON.stringify(instance), [ctx.topics.productionDiscovery(orders)]: JSON.stringify(payload) }),
      [],
    );
  });

  it('take a value once their interval has passed, and lose it when the line or the scrape is gone', () => {
    let now = 0;
    const defs = sensors({ name: 'Fast', metric: 'a' }, { name: 'Slow', metric: 'b', interval: 60 });
    const said: string[] = [];
    const f = new UserSensorFeature(TOPIC, defs, [], (s, missing) => said.push(`${s.key} ${missing ? 'missing' : 'back'}`), () => now);
    let changes = 0;
    f.onChange(() => changes++);
    assert.deepEqual(f.states(), [], 'nothing before the first scrape');
    const values = () => (JSON.parse(f.states()[0]?.payload ?? '{}') as { values: Record<string, number> }).values;
    f.update({ fast: 1, slow: 1 });
    assert.deepEqual(values(), { fast: 1, slow: 1 });
    now = 10_000;
    f.update({ fast: 2, slow: 2 });
    assert.deepEqual(values(), { fast: 2, slow: 1 }, 'Slow keeps its value until its minute is up');
    now = 60_000;
    f.update({ fast: 3, slow: 3 });
    assert.deepEqual(values(), { fast: 3, slow: 3 });
    now = 70_000;
    f.update({ fast: 4 });
    assert.deepEqual(values(), { fast: 4 }, 'a line IRIS stopped writing makes its sensor unavailable at once');
    f.update(undefined);
    assert.deepEqual(values(), {}, 'a failed scrape leaves none with a value');
    assert.equal(changes, 5);
    // Said once when a successful scrape first lacks the line and once when it is back; a failed
    // scrape is the monitor's to report.
    f.update({ fast: 5 });
    f.update({ fast: 6, slow: 6 });
    assert.deepEqual(said, ['slow missing', 'slow back']);
    assert.deepEqual(f.discoveryInputs(), { sensors: defs, removed: [] });
  });

  it('read any scrape without throwing, and only finite numbers', () => {
    const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined;
    const word = fc.constantFrom('a', 'id', 'USER', 'dir', '"', '\\', '');
    const sample = fc.record({ name: fc.constantFrom('a', 'b'), labels: fc.dictionary(word, word, { maxKeys: 3 }), value: fc.oneof(fc.double(), fc.constant(Number.NaN)) });
    const sel = fc.record({ name: fc.constantFrom('a', 'b', 'c'), labels: fc.dictionary(word, word, { maxKeys: 2 }) });
    fc.assert(
      fc.property(fc.array(sample, { maxLength: 20 }), fc.array(sel, { maxLength: 5 }), (samples, sels) => {
        const got = selectSensorMetrics(samples, new Map(sels.map((s, i) => [`k${i}`, s])));
        for (const v of Object.values(got)) assert.ok(Number.isFinite(v));
      }),
      { numRuns: 300, ...(seed !== undefined ? { seed } : {}) },
    );
  });
});
