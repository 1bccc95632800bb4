/**
 * Everything a production and an IRIS instance have, in a real Home Assistant: business hosts
 * (on the production's device, or their own past the threshold), events, the update entity, the
 * namespace select, health sensors from /api/monitor, IRIS alerts, Home Assistant events and
 * notifications, and a remote instance going down and up. Bridge, HA and mosquitto are real; the
 * IRIS side is the simulator with its simulated /api/monitor web server.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBridge, type RunningBridge } from '../../src/app.ts';
import { MonitorApiClient } from '../../src/iris/monitor-api/client.ts';
import { IrisSimulator } from '../../src/iris/simulator/index.ts';
import { startSimulatedMonitorApi, type SimulatedMonitorApi } from '../../src/iris/simulator/monitor-api.ts';
import { captureLogger, testConfig } from '../support/fixtures.ts';
import { Mosquitto } from '../support/mosquitto.ts';
import { artifactDirFor, startHomeAssistant, type HomeAssistant } from './harness/home-assistant.ts';

const artifactDir = artifactDirFor('production-model');
const POLL_MS = 1000;

let broker: Mosquitto;
let ha: HomeAssistant;
let bridge: RunningBridge | undefined;
const sim = new IrisSimulator({ transitionMs: 200 });
const remote = new IrisSimulator({ transitionMs: 200 });
let api: SimulatedMonitorApi;
let remoteApi: SimulatedMonitorApi;
const bridgeLog: string[] = [];

const state = async (id: string) => (await ha.state(id))?.state;

/** Resolves once the bridge's monitor has finished `n` more polls (each ends with a 'view'). */
function polls(n: number): Promise<void> {
  const monitor = bridge!.monitor;
  return new Promise((resolve, reject) => {
    let seen = 0;
    const onView = () => {
      if (++seen < n) return;
      clearTimeout(timer);
      monitor.off('view', onView);
      resolve();
    };
    const timer = setTimeout(() => {
      monitor.off('view', onView);
      reject(new Error(`timed out waiting for ${n} polls (${seen} seen)`));
    }, POLL_MS * n + 10_000);
    monitor.on('view', onView);
  });
}
const attr = async (id: string, name: string) => (await ha.state(id))?.attributes[name];

before(async () => {
  broker = await Mosquitto.start();
  ha = await startHomeAssistant({ mqttPort: broker.port, artifactDir });
  api = await startSimulatedMonitorApi();
  remoteApi = await startSimulatedMonitorApi();
  api.set({ licenseDaysRemaining: 40, cpuPercent: 12.5, systemState: 0 });
  const { log, lines } = captureLogger();
  lines.push = (...l: string[]) => bridgeLog.push(...l);
  bridge = await startBridge(
    testConfig({
      mqtt: { source: 'default', url: broker.url },
      pollIntervalMs: POLL_MS,
      // Orders.Production has 4 hosts: past this threshold they get devices of their own.
      hostDeviceThreshold: 3,
      exposeToAssist: true,
      homeAssistant: { url: ha.url, token: ha.token },
      remoteInstances: [{ id: 'office', host: 'office.invalid', superserver_port: 1972, username: 'u', password: 'p' }],
    }),
    log,
    {
      iris: sim,
      health: new MonitorApiClient({ baseUrl: api.url }),
      remoteIris: () => ({ iris: remote, health: new MonitorApiClient({ baseUrl: remoteApi.url }) }),
      birthJitterMs: 300,
    },
  );
});

after(async () => {
  await bridge?.stop();
  const problems = (await ha?.problems()) ?? [];
  await ha?.stop();
  await broker?.close();
  await api?.close();
  await remoteApi?.close();
  mkdirSync(artifactDir, { recursive: true });
  writeFileSync(join(artifactDir, 'bridge.log'), bridgeLog.join('\n') + '\n');
  assert.deepEqual(problems, [], 'Home Assistant logged warnings or kept placeholder devices');
});

describe('productions and instances in a real Home Assistant', () => {
  it('shows business hosts on the production device, or on devices of their own past the threshold', async () => {
    // Orders.Replay.Production has one host: it stays on the production's device.
    await ha.waitFor(async () => (await state('sensor.orders_replay_production_replay_in_file_status')) === 'stopped', 30_000, 'Replay host status');
    assert.equal(await attr('sensor.orders_replay_production_replay_in_file_status', 'friendly_name'), 'Orders Replay Production Replay.In.File status');
    assert.equal(await state('sensor.orders_replay_production_replay_in_file_queue'), '0');
    // The others have four: past the threshold of 3, each host is a device of its own.
    await ha.waitFor(async () => (await state('sensor.lab_results_production_results_router_status')) === 'ok', 30_000, 'Lab host status');
    assert.equal(await attr('sensor.lab_results_production_results_router_status', 'friendly_name'), 'Results.Router Status');
    assert.equal(await state('switch.lab_results_production_results_alerts_enabled'), 'off');
    const devices = await ha.deviceRegistry();
    const byIdent = (id: string) => devices.find((d) => d.identifiers.some(([, x]) => x === id));
    const ordersDev = byIdent('iris_edge_iris_orders_orders_production');
    const hostDev = byIdent('iris_edge_iris_orders_orders_production__hl7_in_file');
    assert.ok(hostDev, 'Orders hosts have their own devices');
    assert.equal(hostDev.via_device_id, ordersDev?.id);
    assert.equal(hostDev.name, 'HL7.In.File');
    assert.equal(await attr('sensor.orders_production_hl7_in_file_queue', 'friendly_name'), 'HL7.In.File Queue');
    assert.equal(byIdent('iris_edge_iris_lab_lab_results_production__results_router')?.via_device_id, byIdent('iris_edge_iris_lab_lab_results_production')?.id);
    // Noisy host entities exist but are disabled by default.
    const reg = await ha.entityRegistry();
    assert.equal(reg.find((e) => e.entity_id === 'sensor.orders_production_hl7_in_file_last_activity')?.disabled_by, 'integration');
    // The enable switch enables the host in IRIS.
    await ha.callService('switch', 'turn_on', { entity_id: 'switch.lab_results_production_results_alerts_enabled' });
    await ha.waitFor(async () => (await state('sensor.lab_results_production_results_alerts_status')) === 'ok', 5000, 'the host enabled');
  });

  it('shows queue and error totals and fires the production event entity', async () => {
    sim.setQueue('ORDERS', 'Orders.Production', 'HL7.In.File', 37);
    sim.failMessage('ORDERS', 'Orders.Production', 'HL7.Out.Lab', 3);
    await ha.waitFor(async () => (await state('sensor.orders_production_queue')) === '35', 5000, 'the rounded queue total');
    assert.equal(await state('sensor.orders_production_errors'), '3');
    // A count, not a measure: no unit ("35", not "35 messages"), and no decimals.
    assert.equal(await attr('sensor.orders_production_queue', 'unit_of_measurement'), undefined);
    await ha.waitFor(async () => (await attr('event.orders_production_events', 'event_type')) === 'error', 5000, 'the error event');
  });

  it('shows saved configuration as Configuration pending, with IRIS\'s reason, and applies it with Apply configuration', async () => {
    const pending = 'binary_sensor.lab_results_production_configuration_pending';
    assert.equal(await state(pending), 'off');
    sim.markNeedsUpdate('LAB', 'Lab.Results.Production', 'Results.Router settings changed');
    await ha.waitFor(async () => (await state(pending)) === 'on', 5000, 'configuration pending');
    assert.match(String(await attr(pending, 'reason')), /Results.Router settings changed/);
    // Not an update: nothing of the production is listed under Settings -> Updates.
    assert.deepEqual((await ha.states()).filter((s) => s.entity_id.startsWith('update.lab_results')).map((s) => s.entity_id), []);
    await ha.callService('button', 'press', { entity_id: 'button.lab_results_production_apply_update' });
    await ha.waitFor(async () => (await state(pending)) === 'off', 5000, 'configuration applied');
    assert.equal(await attr(pending, 'reason'), null);
    assert.ok(sim.controlCalls.some((c) => c.action === 'update' && c.production === 'Lab.Results.Production'));
  });

  it('recovers a troubled production, notifies about it, and explains a recover that does nothing', async () => {
    await ha.callService('button', 'press', { entity_id: 'button.lab_results_production_recover' });
    await ha.waitFor(async () => (await attr('event.lab_results_production_events', 'event_type')) === 'refused', 5000, 'refused event');
    assert.match(String(await attr('event.lab_results_production_events', 'detail')), /not troubled/);
    sim.makeTroubled('LAB', 'Lab.Results.Production');
    await ha.waitFor(async () => (await state('binary_sensor.lab_results_production_troubled')) === 'on', 5000, 'troubled');
    const notifications = () => ha.connection.sendMessagePromise<{ notification_id: string; message: string }[]>({ type: 'persistent_notification/get' });
    const id = 'iris_edge_iris_lab_lab_results_production';
    await ha.waitFor(async () => (await notifications()).some((n) => n.notification_id === id), 10_000, 'a troubled notification');
    await ha.callService('button', 'press', { entity_id: 'button.lab_results_production_recover' });
    await ha.waitFor(async () => (await state('sensor.lab_results_production_status')) === 'suspended', 5000, 'recovered');
    await ha.callService('switch', 'turn_on', { entity_id: 'switch.lab_results_production' });
    await ha.waitFor(async () => (await state('sensor.lab_results_production_status')) === 'running', 5000, 'running again');
    await ha.waitFor(async () => !(await notifications()).some((n) => n.notification_id === id), 10_000, 'the notification dismissed');
  });

  it('switches the running production of a namespace with its select and fires events automations can use', async () => {
    const seen: { data: Record<string, unknown> }[] = [];
    const unsubscribe = await ha.connection.subscribeEvents<{ data: Record<string, unknown> }>((e) => seen.push(e), 'iris_edge_production_state_changed');
    try {
      assert.equal(await state('select.iris_orders_production'), 'Orders Production');
      await ha.callService('select', 'select_option', { entity_id: 'select.iris_orders_production', option: 'Orders Replay Production' });
      await ha.waitFor(async () => (await state('select.iris_orders_production')) === 'Orders Replay Production', 10_000, 'the select');
      assert.equal(sim.stateOf('ORDERS', 'Orders.Production'), 'stopped');
      assert.equal(sim.stateOf('ORDERS', 'Orders.Replay.Production'), 'running');
      await ha.waitFor(() => seen.some((e) => e.data.production === 'Orders.Replay.Production' && e.data.to === 'running') || undefined, 5000, 'the state event');
      assert.ok(seen.some((e) => e.data.production === 'Orders.Production' && e.data.to === 'stopped' && e.data.commanded === true));
      await ha.callService('select', 'select_option', { entity_id: 'select.iris_orders_production', option: 'Orders Production' });
      await ha.waitFor(async () => (await state('switch.orders_production')) === 'on', 10_000, 'Orders back');
    } finally {
      await unsubscribe();
    }
  });

  it('shows IRIS health from one /api/monitor scrape per poll, and IRIS alerts as events and notifications', async () => {
    await ha.waitFor(async () => (await state('sensor.iris_cpu')) === '12.5', 10_000, 'CPU');
    assert.equal(await state('sensor.iris_system_state'), 'ok');
    // The licence comes from %SYSTEM.License through the agent (some releases publish no
    // iris_license_* metrics), not from the scrape.
    const expiry = new Date(String(await state('sensor.iris_license_expiry')));
    assert.equal(expiry.toISOString().slice(0, 10), sim.iris.license().expiresOn);
    assert.equal(Number(await state('sensor.iris_license_available')), sim.iris.license().available);
    assert.ok((await ha.states()).some((s) => /^sensor\.iris_db_.*size/.test(s.entity_id) || /^sensor\.iris_database/.test(s.entity_id)), 'a database size sensor');
    const before = api.requests()['/api/monitor/metrics'] ?? 0;
    await polls(3);
    const scrapes = (api.requests()['/api/monitor/metrics'] ?? 0) - before;
    // One scrape per poll; the poll under way when counting began may have scraped already.
    assert.ok(scrapes === 2 || scrapes === 3, `${scrapes} scrapes in 3 polls`);

    api.postAlert(2, 'Lab.Results.Production: Results.Out.File failed to write');
    await ha.waitFor(async () => (await attr('event.iris_alerts', 'event_type')) === 'severe', 10_000, 'the alert event');
    await ha.waitFor(async () => (await attr('event.lab_results_production_events', 'event_type')) === 'alert', 5000, 'the production alert');
    const notes = await ha.connection.sendMessagePromise<{ notification_id: string; message: string }[]>({ type: 'persistent_notification/get' });
    assert.ok(notes.some((n) => /Results\.Out\.File failed/.test(n.message)), 'a notification for the severe alert');
  });

  it('monitors a remote instance independently: down and up without touching the local one', async () => {
    await ha.waitFor(async () => (await state('switch.office_orders_production')) === 'on', 10_000, 'the remote production');
    assert.equal(await state('binary_sensor.office_iris_office_reachable'), 'on');
    remote.setReachable(false);
    await ha.waitFor(async () => (await state('switch.office_orders_production')) === 'unavailable', POLL_MS * 3 + 5000, 'remote unavailable');
    assert.equal(await state('binary_sensor.office_iris_office_reachable'), 'off');
    assert.equal(await state('switch.orders_production'), 'on', 'the local instance is unaffected');
    remote.setReachable(true);
    await ha.waitFor(async () => (await state('switch.office_orders_production')) === 'on', POLL_MS * 3 + 5000, 'remote back');
  });
});
