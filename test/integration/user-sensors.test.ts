/**
 * The user's own metric sensors through the bridge to a real mosquitto, as Home Assistant sees
 * them: entities on the IRIS device with the typing the options gave, values from the scrape the
 * bridge makes anyway, a sensor whose line IRIS does not write unavailable while the others keep
 * updating, and a sensor taken out of the options removed from Home Assistant at the next start.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
    assert.deepEqual(JSON.parse(readFileSync(join(stateDir, 'user-sensors.json'), 'utf8')), { shown: ['host_cpu', 'user_free_space', 'mirror_lag'] });
    const { running } = await start(SENSORS.filter((s) => s.name !== 'Mirror lag'));
    try {
      await waitFor(() => (instanceCmps().user_mirror_lag !== undefined && Object.keys(instanceCmps().user_mirror_lag ?? {}).length === 1) || undefined, 5000, 'the removal of Mirror lag');
      assert.deepEqual(instanceCmps().user_mirror_lag, { p: 'sensor' });
      assert.ok(instanceCmps().user_host_cpu);
      assert.deepEqual(validateDiscovery(observer.retained('homeassistant/device/')), []);
      assert.deepEqual(JSON.parse(readFileSync(join(stateDir, 'user-sensors.json'), 'utf8')), { shown: ['host_cpu', 'user_free_space'] });
    } finally {
      await running.stop();
    }
  });
});
