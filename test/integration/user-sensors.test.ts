/**
 * The user's own metric sensors through the bridge to a real mosquitto, as Home Assistant sees
 * them: entities on the IRIS device with the typing the options gave, values from the scrape the
 * bridge makes anyway, a sensor whose line IRIS does not write unavailable while the others keep
 * updating, and a sensor taken out of the options removed from Home Assistant at the next start.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBridge, type RunningBridge } from '../../src/app.ts';
import { sensorMetricsOf } from '../../src/compose/iris.ts';
import { MonitorApiClient } from '../../src/iris/monitor-api/client.ts';
import { IrisSimulator } from '../../src/iris/simulator/index.ts';
import { startSimulatedMonitorApi, type SimulatedMonitorApi } from '../../src/iris/simulator/monitor-api.ts';
import { readSensorDefinitions } from '../../src/model/sensor-definition.ts';
import { Topics } from '../../src/mqtt/topics.ts';
import { validateDiscovery } from '../support/discovery-validator.ts';
import { captureLogger, polls, testConfig, waitFor } from '../support/fixtures.ts';
import { Mosquitto } from '../support/mosquitto.ts';
import { Observer } from '../support/observer.ts';

const topics = new Topics('iris');
const SENSORS = [
  { name: 'Host CPU', metric: 'iris_cpu_usage', unit: '%', state_class: 'measurement', icon: 'mdi:chip' },
  { name: 'USER free space', metric: 'iris_db_free_space{id="USER"}', device_class: 'data_size', unit: 'MB', display_precision: 1, entity_category: 'diagnostic' },
  { name: 'Mirror lag', metric: 'iris_mirror_lag_seconds', device_class: 'duration', unit: 's' },
  { name: 'IRIS processes', metric: 'iris_process_count' },
  { name: 'Bad unit', metric: 'iris_cpu_usage', device_class: 'temperature', unit: 'C' },
];

let broker: Mosquitto;
let api: SimulatedMonitorApi;
let observer: Observer;
let stateDir: string;

before(async () => {
  broker = await Mosquitto.start();
  api = await startSimulatedMonitorApi();
  api.set({ cpuPercent: 42 });
  observer = await Observer.connect(broker.url);
  stateDir = mkdtempSync(join(tmpdir(), 'iris-edge-user-sensors-'));
});
after(async () => {
  await observer.close();
  await api.close();
  await broker.close();
  rmSync(stateDir, { recursive: true, force: true });
});

async function start(sensors: unknown[]): Promise<{ running: RunningBridge; lines: string[] }> {
  const cap = captureLogger();
  const config = testConfig({ mqtt: { source: 'default', url: broker.url }, pollIntervalMs: 200, stateDir, userSensors: readSensorDefinitions(sensors, { pollIntervalS: 2, packages: [] }) });
  const running = await startBridge(config, cap.log, {
    iris: new IrisSimulator({ transitionMs: 50 }),
    health: new MonitorApiClient({ baseUrl: api.url, sensorMetrics: sensorMetricsOf(config) }),
    inventoryWindowMs: 200,
  });
  return { running, lines: cap.lines };
}

type Cmps = Record<string, Record<string, unknown>>;
const instanceCmps = (): Cmps => (JSON.parse(observer.latest(topics.instanceDiscovery()) ?? '{}') as { cmps?: Cmps }).cmps ?? {};
const values = (): Record<string, unknown> => (JSON.parse(observer.latest(topics.instanceSensors) ?? '{}') as { values?: Record<string, unknown> }).values ?? {};

describe('user metric sensors over MQTT', () => {
  it('shows each sensor on the IRIS device with its typing, read from the one scrape per poll', async () => {
    const { running, lines } = await start(SENSORS);
    try {
      await waitFor(() => values().host_cpu === 42 || undefined, 5000, 'the Host CPU value');
      const cmps = instanceCmps();
      assert.deepEqual(Object.keys(cmps).filter((k) => k.startsWith('user_')).sort(), ['user_host_cpu', 'user_mirror_lag', 'user_user_free_space']);
      assert.deepEqual(validateDiscovery(observer.retained('homeassistant/device/')), []);
      const cpu = cmps.user_host_cpu as Record<string, unknown>;
      assert.equal(cpu.name, 'Host CPU');
      assert.equal(cpu.unit_of_meas, '%');
      assert.equal(cpu.stat_cla, 'measurement');
      assert.equal(cpu.icon, 'mdi:chip');
      assert.equal(cpu.stat_t, topics.instanceSensors);
      assert.equal(cpu.default_entity_id, 'sensor.iris_user_host_cpu');
      const free = cmps.user_user_free_space as Record<string, unknown>;
      assert.deepEqual([free.dev_cla, free.unit_of_meas, free.sug_dsp_prc, free.ent_cat], ['data_size', 'MB', 1, 'diagnostic']);
      // The USER database's free space as the scrape gives it; a line IRIS does not write has no value.
      assert.deepEqual(values(), { host_cpu: 42, user_free_space: 9.5 });
      // Refused with the sensor and the field named, once each; the others are shown regardless.
      assert.equal(lines.filter((l) => l.includes('sensor "Bad unit", field "unit": "C" is not a unit of device class temperature')).length, 1);
      assert.equal(lines.filter((l) => l.includes('sensor "IRIS processes", field "name"')).length, 1);
      // The sensors cost no request of their own.
      const before = api.requests()['/api/monitor/metrics'] ?? 0;
      await polls(running.monitor, 5);
      const scrapes = (api.requests()['/api/monitor/metrics'] ?? 0) - before;
      assert.ok(scrapes >= 4 && scrapes <= 6, `${scrapes} scrapes in 5 polls`);
      // A new value is published; the sensor without a line stays without one.
      api.set({ cpuPercent: 55 });
      await waitFor(() => values().host_cpu === 55 || undefined, 5000, 'the new Host CPU value');
      assert.ok(!('mirror_lag' in values()));
      assert.equal(lines.filter((l) => l.includes(`Sensor "Mirror lag" is unavailable: IRIS's /api/monitor/metrics has no number for iris_mirror_lag_seconds.`)).length, 1, 'said once');
    } finally {
      await running.stop();
    }
  });

  it('removes from Home Assistant a sensor taken out of the options, at the next start', async () => {
    const onIris = (...keys: string[]) => ({ shown: keys.map((key) => ({ key, on: '' })) });
    assert.deepEqual(JSON.parse(readFileSync(join(stateDir, 'user-sensors.json'), 'utf8')), onIris('host_cpu', 'user_free_space', 'mirror_lag'));
    const { running } = await start(SENSORS.filter((s) => s.name !== 'Mirror lag'));
    try {
      await waitFor(() => (instanceCmps().user_mirror_lag !== undefined && Object.keys(instanceCmps().user_mirror_lag ?? {}).length === 1) || undefined, 5000, 'the removal of Mirror lag');
      assert.deepEqual(instanceCmps().user_mirror_lag, { p: 'sensor' });
      assert.ok(instanceCmps().user_host_cpu);
      assert.deepEqual(validateDiscovery(observer.retained('homeassistant/device/')), []);
      assert.deepEqual(JSON.parse(readFileSync(join(stateDir, 'user-sensors.json'), 'utf8')), onIris('host_cpu', 'user_free_space'));
    } finally {
      await running.stop();
    }
  });
});

describe('user SQL, global and method sensors over MQTT (read through the agent as the sensors user)', () => {
  const NS = 'ORDERS';
  const ALL = [
    { name: 'Open orders', namespace: NS, sql: 'SELECT COUNT(*) FROM Orders.Open', state_class: 'measurement' },
    { name: 'Newest order', namespace: NS, sql: 'SELECT Id, Total FROM Orders.Open', attributes: true },
    { name: 'Order count', namespace: NS, global: '^Orders("count")', state_class: 'total' },
    { name: 'Backlog', namespace: NS, method: 'Orders.Stats.Backlog', unit: 'h', device_class: 'duration' },
    { name: 'Secret pins', namespace: NS, sql: 'SELECT COUNT(*) FROM Orders.Secret' },
    { name: 'Host CPU', metric: 'iris_cpu_usage', unit: '%' },
  ];

  it('shows all four sources with their state; one IRIS refuses goes unavailable, logged once, while the others keep updating', async () => {
    const sim = new IrisSimulator({ transitionMs: 50 });
    let backlog = 3;
    sim.iris.userData.define(NS, {
      tables: { 'Orders.Open': [{ Id: 'A-1', Total: 9.5 }, { Id: 'A-2', Total: 3 }], 'Orders.Secret': [{ Pin: 1 }] },
      globals: { Orders: { '["count"]': 42 } },
      methods: { 'Orders.Stats.Backlog': () => backlog },
    });
    // What an administrator grants the sensors' role: SELECT on one table, READ on the database.
    sim.iris.security.grantSelect('IrisEdgeSensors', 'Orders.Open');
    sim.iris.security.grant('IrisEdgeSensors', `%DB_${NS}`, 'R');
    const cap = captureLogger();
    const dir = mkdtempSync(join(tmpdir(), 'iris-edge-agent-sensors-'));
    const defined = readSensorDefinitions(ALL, { pollIntervalS: 2, packages: ['Orders'] });
    const config = testConfig({ mqtt: { source: 'default', url: broker.url }, pollIntervalMs: 200, stateDir: dir, userSensors: { ...defined, packages: ['Orders'] } });
    const running = await startBridge(config, cap.log, {
      iris: sim,
      sensors: sim.sensorClient(),
      health: new MonitorApiClient({ baseUrl: api.url, sensorMetrics: sensorMetricsOf(config) }),
      inventoryWindowMs: 200,
    });
    try {
      await waitFor(() => values().backlog === 3 || undefined, 5000, 'the method sensor\'s value');
      const v = values();
      assert.equal(v.open_orders, 2);
      assert.equal(v.newest_order, 'A-1');
      assert.equal(v.order_count, 42);
      assert.ok(typeof v.host_cpu === 'number');
      assert.ok(!('secret_pins' in v), 'no SELECT on Orders.Secret: unavailable');
      const state = JSON.parse(observer.latest(topics.instanceSensors) ?? '{}') as { attributes?: Record<string, unknown> };
      assert.deepEqual(state.attributes?.newest_order, { Id: 'A-1', Total: '9.5' });
      const cmps = instanceCmps();
      assert.deepEqual(validateDiscovery(observer.retained('homeassistant/device/')), []);
      assert.equal(cmps.user_newest_order?.json_attr_t, topics.instanceSensors);
      assert.deepEqual([cmps.user_backlog?.unit_of_meas, cmps.user_backlog?.dev_cla], ['h', 'duration']);
      // The others keep updating while the refused one stays unavailable, said once.
      backlog = 5;
      await waitFor(() => values().backlog === 5 || undefined, 8000, 'the new Backlog value');
      await polls(running.monitor, 3);
      assert.equal(cap.lines.filter((l) => l.includes('Sensor "Secret pins" is unavailable') && l.includes('SQLCODE: -99')).length, 1);
      // Granted, it comes back.
      sim.iris.security.grantSelect('IrisEdgeSensors', 'Orders.Secret');
      await waitFor(() => values().secret_pins === '1' || values().secret_pins === 1 || undefined, 8000, 'Secret pins after the grant');
      assert.equal(cap.lines.filter((l) => l.includes('Sensor "Secret pins" has a value again.')).length, 1);
    } finally {
      await running.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("user sensors on a production's device over MQTT", () => {
  const ORDERS = { namespace: 'ORDERS', name: 'Orders.Production' };
  const LATER = { namespace: 'LAB', name: 'Lab.Later.Production' };
  const WAITING = { name: 'Orders waiting', namespace: 'ORDERS', global: '^Orders("queue")', unit: 'orders' };
  const SENSORS = [
    { ...WAITING, production: ORDERS.name },
    { name: 'Host CPU', metric: 'iris_cpu_usage', unit: '%', namespace: 'orders', production: ORDERS.name },
    { name: 'Lab queue', namespace: 'LAB', global: '^Lab("queue")', production: LATER.name },
    { name: 'Open orders', namespace: 'ORDERS', global: '^Orders("open")' },
  ];
  const cmpsOf = (topic: string): Cmps => (JSON.parse(observer.latest(topic) || '{}') as { cmps?: Cmps }).cmps ?? {};
  const userKeys = (cmps: Cmps) => Object.keys(cmps).filter((k) => k.startsWith('user_')).sort();

  it('shows a sensor on the device of the production it names, and moves it with its removal from the device it left', async () => {
    // Each run is a new bridge with its own connection, so a simulated IRIS each (the same data).
    const newSim = () => {
      const sim = new IrisSimulator({ transitionMs: 50 });
      sim.iris.userData.define('ORDERS', { globals: { Orders: { '["queue"]': 7, '["open"]': 3 } } });
      sim.iris.userData.define('LAB', { globals: { Lab: { '["queue"]': 2 } } });
      sim.iris.security.grant('IrisEdgeSensors', '%DB_ORDERS', 'R');
      sim.iris.security.grant('IrisEdgeSensors', '%DB_LAB', 'R');
      return sim;
    };
    const dir = mkdtempSync(join(tmpdir(), 'iris-edge-production-sensors-'));
    const run = async (sim: IrisSimulator, sensors: unknown[]) => {
      const cap = captureLogger();
      const config = testConfig({ mqtt: { source: 'default', url: broker.url }, pollIntervalMs: 200, stateDir: dir, userSensors: readSensorDefinitions(sensors, { pollIntervalS: 2, packages: [] }) });
      const running = await startBridge(config, cap.log, {
        iris: sim,
        sensors: sim.sensorClient(),
        health: new MonitorApiClient({ baseUrl: api.url, sensorMetrics: sensorMetricsOf(config) }),
        inventoryWindowMs: 200,
      });
      return { running, lines: cap.lines };
    };
    const ordersTopic = topics.productionDiscovery(ORDERS);
    try {
      const sim = newSim();
      const first = await run(sim, SENSORS);
      try {
        await waitFor(() => (values().orders_waiting === 7 && userKeys(cmpsOf(ordersTopic)).length === 2) || undefined, 8000, "the production's sensors");
        const cmps = cmpsOf(ordersTopic);
        assert.deepEqual(userKeys(cmps), ['user_host_cpu', 'user_orders_waiting']);
        assert.equal(cmps.user_orders_waiting?.default_entity_id, 'sensor.orders_production_user_orders_waiting', 'the entity id DOCS.md gives');
        assert.equal(cmps.user_orders_waiting?.uniq_id, `${topics.productionDeviceId(ORDERS)}_user_orders_waiting`);
        assert.equal(cmps.user_orders_waiting?.unit_of_meas, 'orders');
        assert.ok(cmps.running, "the production's own switch stays in the message");
        assert.deepEqual(userKeys(instanceCmps()), ['user_open_orders'], 'the others stay on the IRIS device');
        assert.deepEqual(validateDiscovery(observer.retained('homeassistant/device/')), []);
        // A production IRIS does not have: not shown, said once, shown when it appears.
        await polls(first.running.monitor, 3);
        assert.equal(first.lines.filter((l) => l.includes('Sensor "Lab queue" is not shown: it goes on the device of production Lab.Later.Production, which IRIS does not have in namespace LAB')).length, 1);
        assert.equal(observer.latest(topics.productionDiscovery(LATER)), undefined);
        sim.addProduction({ ...LATER, running: false, hosts: [] });
        await waitFor(() => cmpsOf(topics.productionDiscovery(LATER)).user_lab_queue || undefined, 8000, 'Lab queue on the new production');
        assert.equal(first.lines.filter((l) => l.includes('Sensor "Lab queue" is shown on the device of production Lab.Later.Production.')).length, 1);
      } finally {
        await first.running.stop();
      }
      assert.deepEqual(JSON.parse(readFileSync(join(dir, 'user-sensors.json'), 'utf8')), {
        shown: [
          { key: 'orders_waiting', on: 'ORDERS/Orders.Production' },
          { key: 'host_cpu', on: 'ORDERS/Orders.Production' },
          { key: 'lab_queue', on: 'LAB/Lab.Later.Production' },
          { key: 'open_orders', on: '' },
        ],
      });

      // Orders waiting moves to the IRIS device; Host CPU is taken out.
      const again = newSim();
      again.addProduction({ ...LATER, running: false, hosts: [] });
      const second = await run(again, [WAITING, SENSORS[2], SENSORS[3]]);
      try {
        await waitFor(() => (instanceCmps().user_orders_waiting?.p === 'sensor' && instanceCmps().user_orders_waiting?.stat_t ? true : undefined), 8000, 'Orders waiting on the IRIS device');
        assert.equal(instanceCmps().user_orders_waiting?.uniq_id, `${topics.instanceDeviceId}_user_orders_waiting`);
        await waitFor(() => (Object.keys(cmpsOf(ordersTopic).user_orders_waiting ?? {}).length === 1 ? true : undefined), 8000, 'its removal from the production');
        assert.deepEqual(cmpsOf(ordersTopic).user_orders_waiting, { p: 'sensor' });
        assert.deepEqual(cmpsOf(ordersTopic).user_host_cpu, { p: 'sensor' });
        assert.ok(cmpsOf(topics.productionDiscovery(LATER)).user_lab_queue?.stat_t, 'a sensor that did not move is still there');
        assert.deepEqual(validateDiscovery(observer.retained('homeassistant/device/')), []);
        await waitFor(() => values().orders_waiting === 7 || undefined, 8000, 'its value');
      } finally {
        await second.running.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads the list of shown sensors an earlier version wrote (keys only, all on the IRIS device)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iris-edge-old-shown-'));
    try {
      writeFileSync(join(dir, 'user-sensors.json'), JSON.stringify({ shown: ['old_sensor'] }));
      const cap = captureLogger();
      const config = testConfig({ mqtt: { source: 'default', url: broker.url }, pollIntervalMs: 200, stateDir: dir, userSensors: readSensorDefinitions([SENSORS[1]], { pollIntervalS: 2, packages: [] }) });
      const running = await startBridge(config, cap.log, { iris: new IrisSimulator({ transitionMs: 50 }), health: new MonitorApiClient({ baseUrl: api.url, sensorMetrics: sensorMetricsOf(config) }), inventoryWindowMs: 200 });
      try {
        await waitFor(() => (instanceCmps().user_old_sensor?.p === 'sensor' && Object.keys(instanceCmps().user_old_sensor ?? {}).length === 1) || undefined, 8000, 'the removal of the old sensor');
        assert.ok(cmpsOf(topics.productionDiscovery(ORDERS)).user_host_cpu);
        assert.ok(!cap.lines.some((l) => l.includes('unreadable')));
      } finally {
        await running.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
