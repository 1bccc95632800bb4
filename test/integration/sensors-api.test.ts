/**
 * The Sensors page's API against the simulator and a real mosquitto: a sensor created in the
 * panel is on the IRIS device in Home Assistant's discovery at once, tested before saving with
 * its value, type, time and what HA would show, changed, and deleted, which removes its entity;
 * an option's sensor is read-only and wins on its name; the list survives a restart from /data.
 * Beside the happy path: garbage definitions, a huge body, a flood of tests and of changes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBridge, type RunningBridge } from '../../src/app.ts';
import { MonitorApiClient } from '../../src/iris/monitor-api/client.ts';
import { IrisSimulator } from '../../src/iris/simulator/index.ts';
import { startSimulatedMonitorApi, type SimulatedMonitorApi } from '../../src/iris/simulator/monitor-api.ts';
import { readSensorDefinitions } from '../../src/model/sensor-definition.ts';
import { Topics } from '../../src/mqtt/topics.ts';
import { LogBuffer } from '../../src/panel/log-buffer.ts';
import { SENSOR_CHANGES_PER_MINUTE, SENSOR_TESTS_PER_MINUTE } from '../../src/panel/sensors-api.ts';
import { validateDiscovery } from '../support/discovery-validator.ts';
import { captureLogger, testConfig, waitFor } from '../support/fixtures.ts';
import { Mosquitto } from '../support/mosquitto.ts';
import { Observer } from '../support/observer.ts';

const topics = new Topics('iris');
const NS = 'ORDERS';
const OPTIONS = [{ name: 'Host CPU', metric: 'iris_cpu_usage', unit: '%' }];

let broker: Mosquitto;
let api: SimulatedMonitorApi;
let observer: Observer;
let dir: string;
let sim: IrisSimulator;

before(async () => {
  broker = await Mosquitto.start();
  api = await startSimulatedMonitorApi();
  api.set({ cpuPercent: 42 });
  observer = await Observer.connect(broker.url);
  dir = mkdtempSync(join(tmpdir(), 'iris-edge-sensors-api-'));
  sim = new IrisSimulator({ transitionMs: 50 });
  sim.iris.userData.define(NS, { tables: { 'Orders.Open': [{ Id: 'A-1' }, { Id: 'A-2' }] }, globals: { Orders: { '["state"]': 'busy' } } });
  sim.iris.security.grantSelect('IrisEdgeSensors', 'Orders.Open');
  sim.iris.security.grant('IrisEdgeSensors', `%DB_${NS}`, 'R');
});
after(async () => {
  await observer.close();
  await api.close();
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<{ running: RunningBridge; lines: string[]; url: string }> {
  const cap = captureLogger();
  const config = testConfig({ mqtt: { source: 'default', url: broker.url }, pollIntervalMs: 200, stateDir: dir, userSensors: { ...readSensorDefinitions(OPTIONS, { pollIntervalS: 2, packages: [] }), packages: [] } });
  const running = await startBridge(config, cap.log, {
    iris: sim,
    sensors: sim.sensorClient(),
    health: new MonitorApiClient({ baseUrl: api.url }),
    inventoryWindowMs: 200,
    panelLogs: new LogBuffer(100),
  });
  assert.ok(running.panel);
  return { running, lines: cap.lines, url: running.panel.url };
}

async function req(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers = { 'x-iris-edge': '1', ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
  const r = await fetch(url + path, { method, headers, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

type Cmps = Record<string, Record<string, unknown>>;
const cmps = (): Cmps => (JSON.parse(observer.latest(topics.instanceDiscovery()) ?? '{}') as { cmps?: Cmps }).cmps ?? {};
const values = (): Record<string, unknown> => (JSON.parse(observer.latest(topics.instanceSensors) ?? '{}') as { values?: Record<string, unknown> }).values ?? {};

describe('the Sensors API', () => {
  it('creates, tests, changes and deletes a panel sensor, each reaching Home Assistant without a restart', async () => {
    const { running, url } = await start();
    try {
      const open = { name: 'Open orders', namespace: NS, sql: 'SELECT COUNT(*) FROM Orders.Open', state_class: 'measurement', display_precision: 1 };
      // Test before saving: one read, what HA would show.
      const t = await req(url, 'POST', 'api/sensors/test', open);
      assert.equal(t.status, 200);
      assert.equal(t.body.value, 2);
      assert.equal(t.body.type, 'number');
      assert.equal(t.body.state, '2.0');
      assert.equal(typeof t.body.ms, 'number');
      const metric = await req(url, 'POST', 'api/sensors/test', { name: 'CPU again', metric: 'iris_cpu_usage', unit: '%' });
      assert.deepEqual([metric.body.value, metric.body.state], [42, '42 %']);
      const missing = await req(url, 'POST', 'api/sensors/test', { name: 'Lag', metric: 'iris_mirror_lag_seconds' });
      assert.equal(missing.body.state, 'unavailable');
      assert.match(String(missing.body.reason), /has no number/);
      const refused = await req(url, 'POST', 'api/sensors/test', { name: 'Secret', namespace: NS, sql: 'SELECT COUNT(*) FROM Orders.Secret' });
      assert.equal(refused.body.state, 'unavailable');
      assert.match(String(refused.body.reason), /IRIS answered/);
      const notOption = await req(url, 'POST', 'api/sensors/test', { name: 'Line', namespace: NS, global: '^Orders("state")', device_class: 'enum', options: 'idle, down' });
      assert.match(String(notOption.body.reason), /not one of the options/);

      // Create: on the IRIS device at once, with its value.
      const created = await req(url, 'POST', 'api/sensors', open);
      assert.equal(created.status, 201);
      assert.equal(created.body.key, 'open_orders');
      await waitFor(() => values().open_orders === 2 || undefined, 8000, 'the new sensor\'s value');
      // Discovery is paced (a burst of changes is one message): it follows within the hold-off.
      await waitFor(() => cmps().user_open_orders?.name === 'Open orders' || undefined, 8000, 'the new sensor in discovery');
      assert.deepEqual(validateDiscovery(observer.retained('homeassistant/device/')), []);
      const stored = JSON.parse(readFileSync(join(dir, 'panel-sensors.json'), 'utf8')) as { sensors: unknown[] };
      assert.deepEqual(stored.sensors, [open]);

      // The list: the option's sensor read-only, the panel's, and the grants its namespace needs.
      const list = await req(url, 'GET', 'api/sensors');
      const entries = list.body.sensors as Array<{ key: string; origin: string }>;
      assert.deepEqual(entries.map((e) => `${e.key}:${e.origin}`), ['host_cpu:options', 'open_orders:panel']);
      const role = list.body.role as { name: string; namespaces: Array<{ namespace: string; resource: string; statements: string[] }> };
      assert.equal(role.name, 'IrisEdgeSensors');
      assert.deepEqual(role.namespaces, [{ namespace: NS, resource: '%DB_ORDERS', statements: ['GRANT SELECT ON Orders.Open TO IrisEdgeSensors'], sensors: ['Open orders'] }]);

      // The options win: their sensor cannot be changed here, nor its name taken.
      assert.equal((await req(url, 'PUT', 'api/sensors/host_cpu', { name: 'Host CPU', metric: 'iris_cpu_usage' })).status, 409);
      assert.equal((await req(url, 'DELETE', 'api/sensors/host_cpu')).status, 409);
      const taken = await req(url, 'POST', 'api/sensors', { name: 'host cpu', metric: 'iris_cpu_usage' });
      assert.equal(taken.status, 409);
      assert.match(String(taken.body.message), /options already define/);

      // Rename: the old entity is removed, the new one shown.
      const renamed = await req(url, 'PUT', 'api/sensors/open_orders', { ...open, name: 'Orders open' });
      assert.equal(renamed.status, 200);
      await waitFor(() => (values().orders_open === 2 && Object.keys(cmps().user_open_orders ?? {}).length === 1) || undefined, 8000, 'the rename');
      assert.deepEqual(cmps().user_open_orders, { p: 'sensor' });
      assert.deepEqual(validateDiscovery(observer.retained('homeassistant/device/')), []);

      // Delete: removed from Home Assistant.
      assert.equal((await req(url, 'DELETE', 'api/sensors/orders_open')).status, 200);
      await waitFor(() => (Object.keys(cmps().user_orders_open ?? {}).length === 1 && !('orders_open' in values())) || undefined, 8000, 'the removal');
      assert.deepEqual(cmps().user_orders_open, { p: 'sensor' });
      assert.equal((await req(url, 'DELETE', 'api/sensors/orders_open')).status, 404);
    } finally {
      await running.stop();
    }
  });

  it('keeps the panel\'s sensors in the state directory across a restart', async () => {
    const first = await start();
    try {
      const r = await req(first.url, 'POST', 'api/sensors', { name: 'Order state', namespace: NS, global: '^Orders("state")' });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    } finally {
      await first.running.stop();
    }
    const second = await start();
    try {
      await waitFor(() => values().order_state === 'busy' || undefined, 8000, 'the saved sensor after the restart');
      assert.ok(cmps().user_order_state);
      assert.equal((await req(second.url, 'DELETE', 'api/sensors/order_state')).status, 200);
    } finally {
      await second.running.stop();
    }
  });

  it('refuses garbage definitions with the field named, a huge body, and floods of tests and changes', async () => {
    const { running, url } = await start();
    const saved = () => (JSON.parse(readFileSync(join(dir, 'panel-sensors.json'), 'utf8')) as { sensors: unknown[] }).sensors.length;
    const before = saved();
    try {
      const bad = async (body: unknown, field: RegExp) => {
        const r = await req(url, 'POST', 'api/sensors', body);
        assert.equal(r.status, 400, JSON.stringify(r.body));
        assert.match(String(r.body.message), field);
      };
      await bad({ name: 'Room', namespace: NS, sql: 'SELECT 1', device_class: 'temperature', unit: 'C' }, /unit: "C" is not a unit of device class temperature/);
      await bad({ name: 'Drop', namespace: NS, sql: 'DELETE FROM Orders.Open' }, /^sql: /);
      await bad({ name: 'Two', namespace: NS, sql: 'SELECT 1', global: '^X' }, /source: set only one of sql, global/);
      await bad({ name: 'X', namespace: NS, sql: 'SELECT 1', evil: '<script>' }, /evil: is not a sensor field/);
      await bad({ name: 42, metric: 'iris_cpu_usage' }, /name: must be text/);
      await bad({ name: 'IRIS load', metric: 'iris_cpu_usage' }, /name: Home Assistant already puts the device name/);
      await bad([], /body|sensor/);
      const huge = await req(url, 'POST', 'api/sensors', { name: 'Big', namespace: NS, sql: `SELECT '${'x'.repeat(40_000)}'` });
      assert.equal(huge.status, 413);
      const notJson = await req(url, 'POST', 'api/sensors', '{"name":');
      assert.equal(notJson.status, 400);
      assert.equal(saved(), before, 'nothing saved');

      // A flood of tests: the cap answers 429 with Retry-After, and nothing else breaks.
      const flood = await Promise.all(Array.from({ length: SENSOR_TESTS_PER_MINUTE + 10 }, () => req(url, 'POST', 'api/sensors/test', { name: 'CPU', metric: 'iris_cpu_usage' })));
      const codes = flood.map((r) => r.status);
      assert.ok(codes.every((c) => c === 200 || c === 429), codes.join());
      assert.ok(codes.filter((c) => c === 200).length <= SENSOR_TESTS_PER_MINUTE);
      assert.ok(codes.includes(429));
      // A flood of changes stops at the cap too.
      let last = 0;
      for (let i = 0; i <= SENSOR_CHANGES_PER_MINUTE; i++) last = (await req(url, 'POST', 'api/sensors', { name: `Flood ${i % 3}`, metric: 'iris_cpu_usage' })).status;
      assert.equal(last, 429);
      assert.equal((await req(url, 'GET', 'api/sensors')).status, 200);
    } finally {
      await running.stop();
    }
  });
});
