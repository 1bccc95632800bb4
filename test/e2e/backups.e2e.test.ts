/**
 * IRIS Edge backups as a Home Assistant user sees them, against a REAL Home Assistant Core and
 * mosquitto: the backup sensors and the Backup now button on the IRIS device, and a failed backup
 * as an event automations can use and a notification that goes after the next good backup.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBridge, type RunningBridge } from '../../src/app.ts';
import { EVENT_BACKUP_FAILED } from '../../src/ha/backup-notices.ts';
import { SimulatedDatabases } from '../../src/iris/simulator/databases.ts';
import { IrisSimulator } from '../../src/iris/simulator/index.ts';
import { captureLogger, testConfig } from '../support/fixtures.ts';
import { Mosquitto } from '../support/mosquitto.ts';
import { artifactDirFor, startHomeAssistant, type HomeAssistant } from './harness/home-assistant.ts';

const artifactDir = artifactDirFor('backups');
let broker: Mosquitto;
let ha: HomeAssistant;
let sim: IrisSimulator;
let bridge: RunningBridge | undefined;
const logLines: string[] = [];

interface Notification {
  notification_id: string;
  title: string;
  message: string;
}
const notifications = () => ha.connection.sendMessagePromise<Notification[]>({ type: 'persistent_notification/get' });

before(async () => {
  broker = await Mosquitto.start();
  ha = await startHomeAssistant({ mqttPort: broker.port, artifactDir });
  const root = mkdtempSync(join(tmpdir(), 'iris-edge-backups-e2e-'));
  const data = new SimulatedDatabases(join(root, 'iris'), { namespaces: ['ORDERS', 'LAB'], writeIntervalMs: 20 });
  sim = new IrisSimulator({ transitionMs: 100, databases: data });
  const { log, lines } = captureLogger();
  lines.push = (...l: string[]) => logLines.push(...l);
  bridge = await startBridge(
    testConfig({
      mqtt: { source: 'default', url: broker.url },
      pollIntervalMs: 1000,
      homeAssistant: { url: ha.url, token: ha.token },
      stateDir: join(root, 'state'),
      backups: { dir: join(root, 'backups'), uploadLimitBytes: 1 << 26 },
    }),
    log,
    { iris: sim, birthJitterMs: 500, control: sim.owner },
  );
});

after(async () => {
  await bridge?.stop();
  await sim?.close();
  const problems = (await ha?.problems()) ?? [];
  await ha?.stop();
  await broker?.close();
  mkdirSync(artifactDir, { recursive: true });
  writeFileSync(join(artifactDir, 'bridge.log'), logLines.join('\n') + '\n');
  assert.deepEqual(problems, [], 'Home Assistant logged warnings or kept placeholder devices');
});

describe('IRIS Edge backups in Home Assistant', () => {
  it('shows the backup sensors and the Backup now button on the IRIS device, with classes and units HA accepts', async () => {
    const ids = ['sensor.iris_last_backup', 'sensor.iris_last_backup_result', 'sensor.iris_next_scheduled_backup', 'sensor.iris_backups_size', 'button.iris_backup_now'];
    const entities = await ha.waitFor(async () => {
      const reg = await ha.entityRegistry();
      const found = ids.map((id) => reg.find((e) => e.entity_id === id));
      return found.every(Boolean) ? found : undefined;
    }, 30_000, 'the backup entities');
    const devices = new Set(entities.map((e) => e!.device_id));
    assert.equal(devices.size, 1, 'all on one device');
    const device = (await ha.deviceRegistry()).find((d) => d.id === [...devices][0]);
    assert.equal(device?.name, 'IRIS');

    // Registered first, available once the bridge's "online" has arrived.
    await ha.waitFor(async () => (await ha.state('sensor.iris_last_backup'))?.state === 'unknown' || undefined, 10_000, 'the backup sensors to be available');
    const next = await ha.state('sensor.iris_next_scheduled_backup');
    assert.equal(next?.attributes.device_class, 'timestamp');
    // Default schedule: every night at 03:30 (container time).
    assert.equal(new Date(next!.state).getMinutes(), 30);
    assert.ok(Date.parse(next!.state) > Date.now());
    const size = await ha.state('sensor.iris_backups_size');
    assert.equal(size?.attributes.device_class, 'data_size');
    assert.equal(size?.attributes.unit_of_measurement, 'MB');
    assert.equal((await ha.state('sensor.iris_last_backup_result'))?.attributes.device_class, 'enum');
    assert.equal((await ha.state('button.iris_backup_now'))?.attributes.friendly_name, 'IRIS Backup now');
  });

  it('makes a backup when the button is pressed, and the sensors show it', async () => {
    await ha.waitFor(async () => (await ha.state('button.iris_backup_now'))?.state !== 'unavailable' || undefined, 10_000, 'the button to be available');
    await ha.callService('button', 'press', { entity_id: 'button.iris_backup_now' });
    await ha.waitFor(async () => (await ha.state('sensor.iris_last_backup_result'))?.state === 'success', 30_000, 'a successful backup');
    const last = await ha.state('sensor.iris_last_backup');
    assert.ok(Math.abs(Date.parse(last!.state) - Date.now()) < 60_000, `last backup ${last?.state} is now`);
    assert.ok(Number((await ha.state('sensor.iris_backups_size'))?.state) > 0);
    const [record] = await bridge!.backups!.list();
    assert.equal(record?.verify.state, 'verified');
  });

  it('fires iris_edge_backup_failed and notifies when a backup fails; the next good one dismisses it', async () => {
    const seen: { data: { kind: string; error: string } }[] = [];
    const unsubscribe = await ha.connection.subscribeEvents<{ data: { kind: string; error: string } }>((e) => seen.push(e), EVENT_BACKUP_FAILED);
    try {
      sim.setReachable(false);
      await ha.callService('button', 'press', { entity_id: 'button.iris_backup_now' });
      await ha.waitFor(async () => (await ha.state('sensor.iris_last_backup_result'))?.state === 'failed', 30_000, 'a failed backup');
      await ha.waitFor(() => seen.length > 0, 10_000, 'the failure event');
      assert.equal(seen[0]?.data.kind, 'backup');
      assert.match(seen[0]?.data.error ?? '', /IRIS does not answer/);
      const note = await ha.waitFor(async () => (await notifications()).find((n) => n.notification_id === 'iris_edge_backup_failed'), 10_000, 'the notification');
      assert.match(note.message, /IRIS Edge backup failed: .*IRIS does not answer/);

      sim.setReachable(true);
      await ha.callService('button', 'press', { entity_id: 'button.iris_backup_now' });
      await ha.waitFor(async () => (await ha.state('sensor.iris_last_backup_result'))?.state === 'success', 30_000, 'a good backup again');
      await ha.waitFor(async () => !(await notifications()).some((n) => n.notification_id === 'iris_edge_backup_failed'), 10_000, 'the notification to go');
    } finally {
      sim.setReachable(true);
      await unsubscribe();
    }
  });
});
