/**
 * 10 productions x 100 business hosts in a real Home Assistant: every device and entity appears,
 * with no discovery error in Home Assistant's log. Prints how long it took (a figure, not a test).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBridge, type RunningBridge } from '../../src/app.ts';
import { IrisSimulator, scaleScenario } from '../../src/iris/simulator/index.ts';
import { captureLogger, testConfig } from '../support/fixtures.ts';
import { Mosquitto } from '../support/mosquitto.ts';
import { artifactDirFor, startHomeAssistant, type HomeAssistant } from './harness/home-assistant.ts';

const artifactDir = artifactDirFor('scale');
const PRODUCTIONS = 10;
const HOSTS = 100;

let broker: Mosquitto;
let ha: HomeAssistant;
let bridge: RunningBridge | undefined;

before(async () => {
  broker = await Mosquitto.start();
  ha = await startHomeAssistant({ mqttPort: broker.port, artifactDir });
});
after(async () => {
  await bridge?.stop();
  const problems = (await ha?.problems()) ?? [];
  await ha?.stop();
  await broker?.close();
  assert.deepEqual(problems, [], 'Home Assistant logged warnings or kept placeholder devices');
});

describe(`${PRODUCTIONS} productions x ${HOSTS} hosts in a real Home Assistant`, () => {
  it('shows every device and entity', { timeout: 300_000 }, async () => {
    const sim = new IrisSimulator({ productions: scaleScenario(PRODUCTIONS, HOSTS), transitionMs: 50 });
    const t0 = Date.now();
    bridge = await startBridge(
      testConfig({ mqtt: { source: 'default', url: broker.url }, pollIntervalMs: 10_000, hostDeviceThreshold: 20 }),
      captureLogger().log,
      { iris: sim },
    );
    // Instance: 4 entities + 10 namespace selects. Production: 10 each. Host: 5 each.
    const expectedEntities = 4 + PRODUCTIONS + PRODUCTIONS * 10 + PRODUCTIONS * HOSTS * 5;
    const expectedDevices = 1 + PRODUCTIONS + PRODUCTIONS * HOSTS;
    const entities = await ha.waitFor(async () => {
      const reg = (await ha.entityRegistry()).filter((e) => e.platform === 'mqtt');
      return reg.length >= expectedEntities ? reg : undefined;
    }, 240_000, `${expectedEntities} entities`);
    const seconds = (Date.now() - t0) / 1000;
    const devices = (await ha.deviceRegistry()).filter((d) => d.identifiers.some(([dom, id]) => dom === 'mqtt' && id.startsWith('iris_edge_iris')));
    assert.equal(entities.length, expectedEntities);
    assert.equal(devices.length, expectedDevices);
    assert.equal(new Set(entities.map((e) => e.entity_id)).size, expectedEntities, 'entity ids are unique');
    assert.ok(!entities.some((e) => /_\d+$/.test(e.entity_id) && !/host\d+/.test(e.entity_id)), 'no _2 suffixes');
    // A sample of states arrived, not just registrations.
    await ha.waitFor(async () => (await ha.state('sensor.scale10_production_host100_service_status'))?.state === 'ok', 60_000, 'a host state');
    const enabledStates = (await ha.states()).filter((s) => s.entity_id.startsWith('sensor.scale') && s.state !== 'unavailable').length;
    console.log(`scale: ${expectedDevices} devices and ${expectedEntities} entities registered in Home Assistant ${ha.version} within ${seconds.toFixed(1)} s of the bridge starting; ${enabledStates} sensor states`);
  });
});
