/**
 * The user's own sensors in a real Home Assistant: sensors of all four sources (metric, SQL,
 * global, method) and different device classes appear on the IRIS device with their unit and
 * state; one whose line IRIS does not write, and one IRIS refuses (no SELECT granted to the
 * sensors' role), are unavailable while the others keep updating; one taken out of the options is gone from Home
 * Assistant after the next start; one created in the panel appears at once and its entity is
 * removed when it is deleted there, without a restart; one put on a production's device is there,
 * and moves to the IRIS device when its production is taken out, leaving nothing behind. Also checks the table of Home Assistant's rules the bridge
 * refuses sensors with (src/model/ha-sensor-rules.ts) against the tables of this very release:
 * every unit and state class it offers must be one Home Assistant accepts.
 *
 * Needs: bash test/e2e/harness/prepare.sh (as root), mosquitto.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBridge, type RunningBridge } from '../../src/app.ts';
import { sensorMetricsOf } from '../../src/compose/iris.ts';
import { MonitorApiClient } from '../../src/iris/monitor-api/client.ts';
import { IrisSimulator } from '../../src/iris/simulator/index.ts';
import { startSimulatedMonitorApi, type SimulatedMonitorApi } from '../../src/iris/simulator/monitor-api.ts';
import { SENSOR_DEVICE_CLASSES } from '../../src/model/ha-sensor-rules.ts';
import { readSensorDefinitions } from '../../src/model/sensor-definition.ts';
import { Topics } from '../../src/mqtt/topics.ts';
import { LogBuffer } from '../../src/panel/log-buffer.ts';
import { captureLogger, testConfig } from '../support/fixtures.ts';
import { Mosquitto } from '../support/mosquitto.ts';
import { artifactDirFor, haRoot, startHomeAssistant, type HomeAssistant } from './harness/home-assistant.ts';

const artifactDir = artifactDirFor('user-sensors');
const SENSORS = [
  { name: 'Host CPU', metric: 'iris_cpu_usage', unit: '%', state_class: 'measurement', icon: 'mdi:chip' },
  { name: 'USER free space', metric: 'iris_db_free_space{id="USER"}', device_class: 'data_size', unit: 'MB', state_class: 'measurement' },
  { name: 'Write daemon cycle', metric: 'iris_wd_cycle_time', device_class: 'duration', unit: 'ms', entity_category: 'diagnostic' },
  { name: 'Licence days left', metric: 'iris_license_days_remaining', device_class: 'duration', unit: 'd' },
  { name: 'Processes', metric: 'iris_process_count', unit: 'processes', state_class: 'measurement' },
  { name: 'Mirror lag', metric: 'iris_mirror_lag_seconds', device_class: 'duration', unit: 's' },
  { name: 'Open orders', namespace: 'ORDERS', sql: 'SELECT COUNT(*) FROM Orders.Open', unit: 'orders', state_class: 'measurement' },
  { name: 'Newest order', namespace: 'ORDERS', sql: 'SELECT Id, Total FROM Orders.Open', attributes: true },
  { name: 'Order count', namespace: 'ORDERS', global: '^Orders("count")', state_class: 'total_increasing' },
  { name: 'Backlog', namespace: 'ORDERS', method: 'Orders.Stats.Backlog', device_class: 'duration', unit: 'h' },
  { name: 'Secret pins', namespace: 'ORDERS', sql: 'SELECT COUNT(*) FROM Orders.Secret' },
];
let backlog = 3;

/** The simulated IRIS with the user's application data, and the grants an administrator made. */
function irisWithOrders(): IrisSimulator {
  const sim = new IrisSimulator({ transitionMs: 300 });
  sim.iris.userData.define('ORDERS', {
    tables: { 'Orders.Open': [{ Id: 'A-1', Total: 9.5 }, { Id: 'A-2', Total: 3 }], 'Orders.Secret': [{ Pin: 1 }] },
    globals: { Orders: { '["count"]': 42 } },
    methods: { 'Orders.Stats.Backlog': () => backlog },
  });
  sim.iris.security.grantSelect('IrisEdgeSensors', 'Orders.Open');
  sim.iris.security.grant('IrisEdgeSensors', '%DB_ORDERS', 'R');
  return sim;
}

let broker: Mosquitto;
let ha: HomeAssistant;
let api: SimulatedMonitorApi;
let stateDir: string;
let bridge: RunningBridge | undefined;
const bridgeLog: string[] = [];

async function startOurBridge(sensors: unknown[]): Promise<void> {
  const { log, lines } = captureLogger();
  bridgeLog.push('--- bridge started');
  lines.push = (...l: string[]) => bridgeLog.push(...l);
  const defined = readSensorDefinitions(sensors, { pollIntervalS: 1, packages: ['Orders'] });
  const config = testConfig({ mqtt: { source: 'default', url: broker.url }, pollIntervalMs: 1000, stateDir, userSensors: { ...defined, packages: ['Orders'] } });
  const sim = irisWithOrders();
  bridge = await startBridge(config, log, {
    iris: sim,
    sensors: sim.sensorClient(),
    health: new MonitorApiClient({ baseUrl: api.url, sensorMetrics: sensorMetricsOf(config) }),
    birthJitterMs: 500,
    panelLogs: new LogBuffer(100),
  });
}

before(async () => {
  broker = await Mosquitto.start();
  api = await startSimulatedMonitorApi();
  api.set({ cpuPercent: 42 });
  stateDir = mkdtempSync(join(tmpdir(), 'iris-edge-user-sensors-e2e-'));
  ha = await startHomeAssistant({ mqttPort: broker.port, artifactDir });
  await startOurBridge(SENSORS);
});

after(async () => {
  await bridge?.stop();
  const problems = (await ha?.problems()) ?? [];
  await ha?.stop();
  await api?.close();
  await broker?.close();
  rmSync(stateDir, { recursive: true, force: true });
  mkdirSync(artifactDir, { recursive: true });
  writeFileSync(join(artifactDir, 'bridge.log'), bridgeLog.join('\n') + '\n');
  assert.deepEqual(problems, [], 'Home Assistant logged warnings or kept placeholder devices');
});

const stateOf = async (id: string) => (await ha.state(id))?.state;

/** A change through the panel's API, as its Sensors page makes it. */
async function send(method: string, path: string, body?: unknown): Promise<void> {
  const panel = bridge?.panel?.url;
  assert.ok(panel, 'the panel runs');
  const r = await fetch(panel + path, { method, headers: { 'x-iris-edge': '1', ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
  assert.ok(r.ok, `${method} ${path}: ${r.status} ${await r.text()}`);
}

describe('user sensors in a real Home Assistant', () => {
  it('shows each sensor on the IRIS device with its unit, class and state; a missing line is unavailable', async () => {
    const ids = ['host_cpu', 'user_free_space', 'write_daemon_cycle', 'licence_days_left', 'processes', 'mirror_lag'].map((k) => `sensor.iris_user_${k}`);
    await ha.waitFor(async () => (await stateOf('sensor.iris_user_host_cpu')) === '42', 30_000, 'Host CPU at 42');
    const registry = (await ha.entityRegistry()).filter((e) => ids.includes(e.entity_id));
    assert.deepEqual(registry.map((e) => e.entity_id).sort(), [...ids].sort());
    const device = (await ha.deviceRegistry()).find((d) => d.identifiers.some(([dom, id]) => dom === 'mqtt' && id === 'iris_edge_iris'));
    assert.ok(device, 'the IRIS device');
    for (const e of registry) assert.equal(e.device_id, device.id, `${e.entity_id} is on the IRIS device`);
    assert.equal(registry.find((e) => e.entity_id === 'sensor.iris_user_write_daemon_cycle')?.entity_category, 'diagnostic');
    const shown = async (id: string) => {
      const s = await ha.state(id);
      return { state: s?.state, name: s?.attributes.friendly_name, class: s?.attributes.device_class ?? null, unit: s?.attributes.unit_of_measurement ?? null };
    };
    assert.deepEqual(await shown('sensor.iris_user_host_cpu'), { state: '42', name: 'IRIS Host CPU', class: null, unit: '%' });
    assert.deepEqual(await shown('sensor.iris_user_user_free_space'), { state: '9.5', name: 'IRIS USER free space', class: 'data_size', unit: 'MB' });
    assert.deepEqual(await shown('sensor.iris_user_licence_days_left'), { state: '214', name: 'IRIS Licence days left', class: 'duration', unit: 'd' });
    assert.deepEqual(await shown('sensor.iris_user_processes'), { state: '41', name: 'IRIS Processes', class: null, unit: 'processes' });
    assert.match((await shown('sensor.iris_user_write_daemon_cycle')).state ?? '', /^\d+(\.\d+)?$/);
    assert.equal(await stateOf('sensor.iris_user_mirror_lag'), 'unavailable');
    // SQL, global and method sensors, read through the agent as the sensors' own IRIS user.
    await ha.waitFor(async () => (await stateOf('sensor.iris_user_backlog')) === '3', 30_000, 'Backlog at 3');
    assert.deepEqual(await shown('sensor.iris_user_open_orders'), { state: '2', name: 'IRIS Open orders', class: null, unit: 'orders' });
    assert.deepEqual(await shown('sensor.iris_user_order_count'), { state: '42', name: 'IRIS Order count', class: null, unit: null });
    assert.deepEqual(await shown('sensor.iris_user_backlog'), { state: '3', name: 'IRIS Backlog', class: 'duration', unit: 'h' });
    const newest = await ha.state('sensor.iris_user_newest_order');
    assert.equal(newest?.state, 'A-1');
    assert.deepEqual([newest?.attributes.Id, newest?.attributes.Total], ['A-1', '9.5']);
    assert.equal(await stateOf('sensor.iris_user_secret_pins'), 'unavailable', 'no SELECT on Orders.Secret');
    assert.equal(bridgeLog.filter((l) => l.includes('Sensor "Secret pins" is unavailable') && l.includes('SQLCODE: -99')).length, 1);
  });

  it('keeps updating the others while the broken one stays unavailable', async () => {
    api.set({ cpuPercent: 55, processCount: 43 });
    await ha.waitFor(async () => (await stateOf('sensor.iris_user_host_cpu')) === '55', 15_000, 'Host CPU at 55');
    await ha.waitFor(async () => (await stateOf('sensor.iris_user_processes')) === '43', 15_000, 'Processes at 43');
    backlog = 5;
    await ha.waitFor(async () => (await stateOf('sensor.iris_user_backlog')) === '5', 15_000, 'Backlog at 5');
    assert.equal(await stateOf('sensor.iris_user_mirror_lag'), 'unavailable');
    assert.equal(await stateOf('sensor.iris_user_secret_pins'), 'unavailable');
  });

  it('shows sensors created in the panel at once, and removes their entities when they are deleted there', async () => {
    await send('POST', 'api/sensors', { name: 'Panel orders', namespace: 'ORDERS', sql: 'SELECT COUNT(*) FROM Orders.Open', unit: 'orders', state_class: 'measurement' });
    await send('POST', 'api/sensors', { name: 'Panel CPU', metric: 'iris_cpu_usage', unit: '%' });
    await ha.waitFor(async () => (await stateOf('sensor.iris_user_panel_orders')) === '2', 30_000, 'Panel orders at 2');
    await ha.waitFor(async () => (await stateOf('sensor.iris_user_panel_cpu')) === '55', 30_000, 'Panel CPU at 55');
    assert.equal((await ha.state('sensor.iris_user_panel_orders'))?.attributes.unit_of_measurement, 'orders');
    await send('DELETE', 'api/sensors/panel_orders');
    await send('DELETE', 'api/sensors/panel_cpu');
    await ha.waitFor(async () => !(await ha.entityRegistry()).some((e) => e.entity_id.startsWith('sensor.iris_user_panel_')), 30_000, 'the panel sensors to be removed');
    assert.equal(await ha.state('sensor.iris_user_panel_orders'), undefined);
    assert.equal(await stateOf('sensor.iris_user_host_cpu'), '55', 'the others stay');
  });

  it("shows a sensor on its production's device, and moves it between devices without a restart", async () => {
    const topics = new Topics('iris');
    const deviceId = async (identifier: string) => (await ha.deviceRegistry()).find((d) => d.identifiers.some(([dom, id]) => dom === 'mqtt' && id === identifier))?.id;
    const waiting = { name: 'Orders waiting', namespace: 'ORDERS', global: '^Orders("count")', state_class: 'total_increasing' };
    const onProduction = 'sensor.orders_production_user_orders_waiting';
    const onIris = 'sensor.iris_user_orders_waiting';
    await send('POST', 'api/sensors', { ...waiting, production: 'Orders.Production' });
    await ha.waitFor(async () => (await stateOf(onProduction)) === '42', 30_000, 'Orders waiting on the production');
    const production = await deviceId(topics.productionDeviceId({ namespace: 'ORDERS', name: 'Orders.Production' }));
    assert.ok(production, "the production's device");
    assert.equal((await ha.entityRegistry()).find((e) => e.entity_id === onProduction)?.device_id, production);
    assert.equal((await ha.state(onProduction))?.attributes.friendly_name, 'Orders Production Orders waiting');
    // Moved to the IRIS device: one entity there, none left on the production.
    await send('PUT', 'api/sensors/orders_waiting', waiting);
    await ha.waitFor(async () => (await stateOf(onIris)) === '42', 30_000, 'Orders waiting on the IRIS device');
    await ha.waitFor(async () => !(await ha.entityRegistry()).some((e) => e.entity_id === onProduction), 30_000, 'its entity on the production to be removed');
    assert.equal((await ha.entityRegistry()).find((e) => e.entity_id === onIris)?.device_id, await deviceId('iris_edge_iris'));
    await send('DELETE', 'api/sensors/orders_waiting');
    await ha.waitFor(async () => !(await ha.entityRegistry()).some((e) => e.entity_id === onIris), 30_000, 'Orders waiting to be removed');
  });

  it('removes the entity of a sensor taken out of the options at the next start', async () => {
    await bridge?.stop();
    bridge = undefined;
    await startOurBridge(SENSORS.filter((s) => s.name !== 'Processes'));
    await ha.waitFor(async () => !(await ha.entityRegistry()).some((e) => e.entity_id === 'sensor.iris_user_processes'), 30_000, 'Processes to be removed');
    assert.equal(await ha.state('sensor.iris_user_processes'), undefined);
    await ha.waitFor(async () => (await stateOf('sensor.iris_user_host_cpu')) === '55', 15_000, 'Host CPU still shown');
  });

  it('offers only units and state classes this Home Assistant accepts for each device class', () => {
    // HA's own tables, read by its own Python in the chroot the tests run it from.
    const script = [
      'import json',
      'from homeassistant.components.sensor.const import DEVICE_CLASS_UNITS, DEVICE_CLASS_STATE_CLASSES, NON_NUMERIC_DEVICE_CLASSES',
      'out = {}',
      'for dc in set(DEVICE_CLASS_UNITS) | set(DEVICE_CLASS_STATE_CLASSES) | set(NON_NUMERIC_DEVICE_CLASSES):',
      '    out[dc.value] = {"units": [None if u is None else str(u) for u in DEVICE_CLASS_UNITS.get(dc, set())], "states": [str(s.value) for s in DEVICE_CLASS_STATE_CLASSES.get(dc, set())]}',
      'print(json.dumps(out))',
    ].join('\n');
    const ha = JSON.parse(execFileSync('chroot', [haRoot(), '/opt/ha/bin/python3', '-c', script], { encoding: 'utf8' })) as Record<string, { units: (string | null)[]; states: string[] }>;
    const problems: string[] = [];
    for (const [dc, rule] of Object.entries(SENSOR_DEVICE_CLASSES)) {
      const theirs = ha[dc];
      if (!theirs) {
        problems.push(`${dc}: not a device class of this Home Assistant`);
        continue;
      }
      if (Array.isArray(rule.units)) for (const u of rule.units) if (!theirs.units.includes(u)) problems.push(`${dc}: unit ${u} is not accepted`);
      if (rule.units === 'none' && theirs.units.some((u) => u !== null)) problems.push(`${dc}: Home Assistant wants a unit`);
      if (rule.unitOptional && !theirs.units.includes(null)) problems.push(`${dc}: Home Assistant wants a unit`);
      for (const s of rule.stateClasses) if (!theirs.states.includes(s)) problems.push(`${dc}: state class ${s} is not accepted`);
    }
    assert.deepEqual(problems, []);
  });
});
