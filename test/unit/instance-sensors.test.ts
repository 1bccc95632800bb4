import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InstanceMetrics } from '../../src/model/instance-health.ts';
import { toInstanceMetrics } from '../../src/iris/monitor-api/metrics.ts';
import { parsePrometheus } from '../../src/iris/monitor-api/prometheus.ts';
import { instanceDiscovery, type DiscoveryContext } from '../../src/mqtt/discovery.ts';
import { databaseComponentKeys, instanceSensorComponents, metricsState, UNKNOWN } from '../../src/mqtt/instance-sensors.ts';
import { startSimulatedMonitorApi } from '../../src/iris/simulator/monitor-api.ts';
import { validateDiscovery } from '../support/discovery-validator.ts';
import { discoveryContext } from '../support/fixtures.ts';

const ctx = discoveryContext();
const topics = ctx.topics;
const STATE = 'iris-edge/iris/metrics';
const NOW = new Date('2026-11-22T03:30:00Z');

type Component = Record<string, unknown>;

function instancePayload(c: DiscoveryContext, dbs: string[]): string {
  const p = instanceDiscovery(c);
  p.cmps = { ...p.cmps, ...instanceSensorComponents(c, STATE, dbs) };
  return JSON.stringify(p);
}

/**
 * Renders the value templates these components use, the way HA's Jinja would for this JSON:
 * `{{ value_json.key }}` and `{{ value_json.db_size_mb["NAME"] | default('None') }}`. Any other
 * template fails the test, so a new template form needs a deliberate update here.
 */
function render(tpl: string, state: Record<string, unknown>): string {
  let m = /^\{\{ value_json\.([a-z_]+) \}\}$/.exec(tpl);
  if (m) {
    assert.ok(m[1]! in state, `template reads value_json.${m[1]}, which the state lacks`);
    return String(state[m[1]!]);
  }
  m = /^\{\{ value_json\.([a-z_]+)\[("(?:[^"\\]|\\.)*")\] \| default\('None'\) \}\}$/.exec(tpl);
  if (m) {
    const map = state[m[1]!] as Record<string, unknown> | undefined;
    assert.ok(map && typeof map === 'object', `template reads value_json.${m[1]}, which is not an object`);
    const key = JSON.parse(m[2]!) as string;
    return key in map ? String(map[key]) : 'None';
  }
  assert.fail(`unsupported template ${tpl}`);
}

/** What HA requires of the rendered state for each component (research/mqtt-discovery.md §2). */
function stateProblems(cmps: Record<string, Component>, stateJson: string): string[] {
  const state = JSON.parse(stateJson) as Record<string, unknown>;
  const problems: string[] = [];
  for (const [key, c] of Object.entries(cmps)) {
    if (c.stat_t !== STATE) continue;
    const v = render(c.val_tpl as string, state);
    if (v === UNKNOWN) continue; // HA: payload "None" -> unknown, for every sensor
    if (v.length > 255) problems.push(`${key}: state longer than 255`);
    const numeric = c.unit_of_meas !== undefined || c.stat_cla !== undefined || c.sug_dsp_prc !== undefined;
    if (numeric && !(v.trim() !== '' && Number.isFinite(Number(v)))) problems.push(`${key}: "${v}" is not numeric`);
    if (c.dev_cla === 'enum' && !(c.ops as string[]).includes(v)) problems.push(`${key}: "${v}" is not an option`);
    if (c.dev_cla === 'timestamp' && !(/(?:Z|[+-]\d\d:\d\d)$/.test(v) && !Number.isNaN(Date.parse(v)))) problems.push(`${key}: "${v}" is not a timestamp with timezone`);
  }
  return problems;
}

function metricsOf(text: string): InstanceMetrics {
  return toInstanceMetrics(parsePrometheus(text).samples, NOW);
}

describe('instance health sensors', () => {
  const dbs = ['IRISSYS', 'IRISTEMP', 'USER'];

  it('pass the Home Assistant discovery rules merged into the instance device, both entity id styles', () => {
    for (const c of [ctx, { ...ctx, panelUrl: null }, { ...ctx, entityPrefix: 'remote1', instanceName: 'Lab IRIS' }]) {
      assert.deepEqual(validateDiscovery({ [topics.instanceDiscovery()]: instancePayload(c, dbs) }), []);
    }
  });

  it('would be caught by the validator if a unit did not fit its device class', () => {
    const p = instanceDiscovery(ctx);
    const cmps = instanceSensorComponents(ctx, STATE, dbs);
    p.cmps = { ...p.cmps, ...cmps, bad: { ...cmps.journal_free, uniq_id: 'x_bad', default_entity_id: 'sensor.x_bad', object_id: 'x_bad', unit_of_meas: 'megabytes' } };
    assert.equal(validateDiscovery({ [topics.instanceDiscovery()]: JSON.stringify(p) }).length, 1);
  });

  it('have stable ids and the entity ids the user expects, with names that do not repeat "IRIS"', () => {
    const c = instanceSensorComponents(ctx, STATE, dbs);
    assert.equal(c.cpu?.uniq_id, 'iris_edge_iris_cpu');
    assert.equal(c.cpu?.default_entity_id, 'sensor.iris_cpu');
    assert.equal(c.db_user_size?.uniq_id, 'iris_edge_iris_db_user_size');
    assert.equal(c.db_user_size?.default_entity_id, 'sensor.iris_db_user_size');
    assert.equal(instanceSensorComponents({ ...ctx, entityPrefix: 'lab' }, STATE).cpu?.default_entity_id, 'sensor.lab_iris_cpu');
    assert.equal(instanceSensorComponents(ctx, STATE).cpu?.object_id, 'iris_cpu');
    assert.equal(instanceSensorComponents({ ...ctx, instanceName: 'Renamed' }, STATE).cpu?.uniq_id, 'iris_edge_iris_cpu');
    for (const comp of Object.values(c)) assert.doesNotMatch(String(comp.name), /^iris/i);
  });

  it('use the classes and units HA accepts for each figure', () => {
    const c = instanceSensorComponents(ctx, STATE, ['USER']);
    const pick = (k: string) => [c[k]?.dev_cla, c[k]?.unit_of_meas, c[k]?.stat_cla, c[k]?.ent_cat];
    assert.deepEqual(pick('system_state'), ['enum', undefined, undefined, undefined]);
    assert.deepEqual(c.system_state?.ops, ['ok', 'warning', 'alert', 'hung']);
    assert.deepEqual(pick('cpu'), [undefined, '%', 'measurement', undefined]);
    assert.deepEqual(pick('memory'), [undefined, '%', 'measurement', undefined]);
    assert.deepEqual(pick('license_consumed'), [undefined, undefined, 'measurement', 'diagnostic']);
    assert.deepEqual(pick('license_available'), [undefined, undefined, 'measurement', 'diagnostic']);
    assert.deepEqual(pick('license_expiry'), ['timestamp', undefined, undefined, 'diagnostic']);
    // GiB: IRIS's MB are 1024 x 1024 bytes, and a big database in MB reads 41,906.
    assert.deepEqual(pick('db_user_size'), ['data_size', 'GiB', 'measurement', 'diagnostic']);
    assert.deepEqual(pick('journal_free'), ['data_size', 'GiB', 'measurement', 'diagnostic']);
    assert.deepEqual(pick('wij_free'), ['data_size', 'GiB', 'measurement', 'diagnostic']);
    // Whole numbers where fractions mean nothing; sizes to a tenth or hundredth of a GiB.
    const precision = Object.fromEntries(Object.entries(c).map(([k, x]) => [k, x.sug_dsp_prc]));
    assert.deepEqual(precision, {
      system_state: undefined, cpu: 0, memory: 0, license_consumed: 0, license_available: 0, license_expiry: undefined, disk_full: 0,
      journal_free: 1, wij_free: 1, glo_refs: 0, cache_efficiency: 1, wd_cycle: 0, open_transactions: 0, db_user_size: 2,
    });
    assert.deepEqual(pick('wd_cycle'), ['duration', 'ms', 'measurement', 'diagnostic']);
    assert.deepEqual(pick('open_transactions'), [undefined, undefined, 'measurement', 'diagnostic']);
    assert.equal(c.glo_refs?.unit_of_meas, 'refs/s');
  });

  it('publish a state every component can read: numbers, options, timestamps with timezone', async () => {
    const sim = await startSimulatedMonitorApi();
    try {
      sim.enableInterop('Orders.Production', 'ORDERS');
      const m = metricsOf(sim.metricsText());
      const cmps = instanceSensorComponents(ctx, STATE, m.databases.map((d) => d.name));
      const json = metricsState(m);
      assert.deepEqual(stateProblems(cmps, json), []);
      const state = JSON.parse(json) as Record<string, unknown>;
      assert.equal(state.system_state, 'ok');
      assert.equal(typeof state.cpu, 'number');
      assert.match(String(state.license_expiry), /^\d{4}-\d\d-\d\dT00:00:00\.000Z$/);
      assert.equal((state.db_size_gib as Record<string, unknown>).USER, Math.round((31 / 1024) * 10_000) / 10_000);
    } finally {
      await sim.close();
    }
  });

  it('send "None" for every figure IRIS did not report, so HA shows unknown instead of rejecting it', () => {
    const m = metricsOf('iris_wd_sleep 1\n');
    const cmps = instanceSensorComponents(ctx, STATE, ['USER']);
    const state = JSON.parse(metricsState(m)) as Record<string, unknown>;
    for (const [key, c] of Object.entries(cmps)) assert.equal(render(c.val_tpl as string, state), UNKNOWN, key);
    assert.deepEqual(stateProblems(cmps, metricsState(m)), []);
  });

  it('catch a state a component could not take (the checker itself can fail)', () => {
    const cmps = instanceSensorComponents(ctx, STATE, ['USER']);
    const good = JSON.parse(metricsState(metricsOf('iris_cpu_usage 3\n'))) as Record<string, unknown>;
    const bad = { ...good, cpu: 'high', system_state: 'degraded', license_expiry: '2026-12-01T00:00:00', db_size_gib: { USER: 'big' } };
    assert.deepEqual(stateProblems(cmps, JSON.stringify(bad)).sort(), [
      'cpu: "high" is not numeric',
      'db_user_size: "big" is not numeric',
      'license_expiry: "2026-12-01T00:00:00" is not a timestamp with timezone',
      'system_state: "degraded" is not an option',
    ]);
  });

  it('give databases whose names slug alike distinct keys, and quote odd names safely in templates', () => {
    const keys = databaseComponentKeys(['MY-DB', 'MY_DB', 'A"B']);
    assert.deepEqual([...keys.values()].sort(), ['db_a_b_size', 'db_my_db_size', 'db_my_db_size_2']);
    const cmps = instanceSensorComponents(ctx, STATE, ['MY-DB', 'MY_DB', 'A"B']);
    assert.deepEqual(validateDiscovery({ [topics.instanceDiscovery()]: JSON.stringify({ ...instanceDiscovery(ctx), cmps }) }), []);
    const state = { db_size_gib: { 'A"B': 7, 'MY-DB': 1, MY_DB: 2 } };
    assert.equal(render(cmps[keys.get('A"B')!]!.val_tpl as string, state), '7');
    assert.equal(render(cmps[keys.get('MY_DB')!]!.val_tpl as string, state), '2');
  });

  it('read unknown for a database that has vanished from the scrape', () => {
    const cmps = instanceSensorComponents(ctx, STATE, ['GONE']);
    assert.deepEqual(stateProblems(cmps, metricsState(metricsOf('iris_db_size_mb{id="USER"} 3\n'))), []);
    assert.equal(render(cmps.db_gone_size!.val_tpl as string, { db_size_gib: {} }), UNKNOWN);
  });

  it('round numbers so tiny float noise does not republish state', () => {
    const state = JSON.parse(metricsState(metricsOf('iris_cpu_usage 12.3456789\n'))) as Record<string, unknown>;
    assert.equal(state.cpu, 12.346);
  });
});

describe('instance health sensors availability', () => {
  it('go unavailable when either the bridge or IRIS is offline', () => {
    for (const c of Object.values(instanceSensorComponents(ctx, STATE, ['USER']))) {
      assert.deepEqual(c.avty, [{ t: topics.bridgeAvailability }, { t: topics.irisAvailability }]);
      assert.equal(c.avty_mode, 'all');
    }
  });
});
