/**
 * The bridge on the simulator against a real Home Assistant Core and a real mosquitto: what a user
 * sees in Home Assistant, and what switches, buttons, Assist and restarts do.
 *
 * Needs: bash test/e2e/harness/prepare.sh (as root; npm test does it), mosquitto.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBridge, type RunningBridge } from '../../src/app.ts';
import { IrisSimulator } from '../../src/iris/simulator/index.ts';
import { instanceDiscovery, productionDiscovery, productionDisplayName, type DiscoveryContext } from '../../src/mqtt/discovery.ts';
import { Topics } from '../../src/mqtt/topics.ts';
import { BRIDGE_VERSION } from '../../src/version.ts';
import { captureLogger, testConfig } from '../support/fixtures.ts';
import { Mosquitto } from '../support/mosquitto.ts';
import { artifactDirFor, startHomeAssistant, type HomeAssistant } from './harness/home-assistant.ts';

const artifactDir = artifactDirFor('bridge');
const GRACE_POLLS = 2;
const POLL_MS = 1000;

let broker: Mosquitto;
let ha: HomeAssistant;
let sim: IrisSimulator;
let bridge: RunningBridge | undefined;
const bridgeLog: string[] = [];

const topics = new Topics('iris');
const ctx: DiscoveryContext = {
  topics,
  bridgeVersion: BRIDGE_VERSION,
  entityPrefix: '',
  instanceName: 'IRIS',
  instanceModel: 'IRIS simulator',
  irisVersion: null,
  useDefaultEntityId: true,
};

async function startOurBridge(): Promise<void> {
  const { log, lines } = captureLogger();
  bridgeLog.push('--- bridge started');
  lines.push = (...l: string[]) => bridgeLog.push(...l);
  bridge = await startBridge(
    testConfig({ mqtt: { source: 'default', url: broker.url }, pollIntervalMs: POLL_MS, removalGracePolls: GRACE_POLLS }),
    log,
    { iris: sim, birthJitterMs: 500 },
  );
}

/** What the bridge announces for the simulator's current productions: unique_id -> expectation. */
async function expectedEntities() {
  const snap = await sim.snapshot();
  const devices = [
    { payload: instanceDiscovery(ctx), deviceName: 'IRIS' },
    ...snap.productions.map((p) => ({ payload: productionDiscovery(ctx, p), deviceName: productionDisplayName(p.name) })),
  ];
  return devices.flatMap(({ payload, deviceName }) =>
    Object.values(payload.cmps).map((c) => ({
      uniqueId: c.uniq_id as string,
      entityId: c.default_entity_id as string,
      friendlyName: c.name === null ? deviceName : `${deviceName} ${c.name as string}`,
      deviceClass: (c.dev_cla as string | undefined) ?? null,
      unit: (c.unit_of_meas as string | undefined) ?? null,
      deviceIdentifier: (payload.dev.ids as string[])[0] as string,
      viaDevice: (payload.dev.via_device as string | undefined) ?? null,
    })),
  );
}

const ORDERS = { ns: 'ORDERS', name: 'Orders.Production', switch: 'switch.orders_production' };

async function stateOf(entityId: string): Promise<string | undefined> {
  return (await ha.state(entityId))?.state;
}

before(async () => {
  broker = await Mosquitto.start();
  ha = await startHomeAssistant({ mqttPort: broker.port, artifactDir });
  sim = new IrisSimulator({ transitionMs: 300 });
  await startOurBridge();
});

after(async () => {
  await bridge?.stop();
  const problems = (await ha?.problems()) ?? [];
  await ha?.stop();
  await broker?.close();
  mkdirSync(artifactDir, { recursive: true });
  writeFileSync(join(artifactDir, 'bridge.log'), bridgeLog.join('\n') + '\n');
  assert.deepEqual(problems, [], 'Home Assistant logged warnings or kept placeholder devices');
});

describe('the bridge in a real Home Assistant', () => {
  it('shows every announced entity with its id, name, device, class, unit and state', async () => {
    const expected = await expectedEntities();
    const entities = await ha.waitFor(async () => {
      const reg = (await ha.entityRegistry()).filter((e) => e.platform === 'mqtt');
      return reg.length >= expected.length ? reg : undefined;
    }, 30_000, `${expected.length} MQTT entities`);
    const devices = await ha.deviceRegistry();
    const deviceByIdent = (ident: string) => devices.find((d) => d.identifiers.some(([dom, id]) => dom === 'mqtt' && id === ident));
    const states = new Map((await ha.states()).map((s) => [s.entity_id, s]));
    for (const e of expected) {
      const reg = entities.find((r) => r.unique_id === e.uniqueId);
      assert.ok(reg, `entity ${e.uniqueId} is registered`);
      assert.equal(reg.entity_id, e.entityId);
      const st = states.get(e.entityId);
      assert.ok(st, `${e.entityId} has a state`);
      assert.equal(st.attributes.friendly_name, e.friendlyName);
      assert.equal(st.attributes.device_class ?? null, e.deviceClass, `${e.entityId} device class`);
      assert.equal(st.attributes.unit_of_measurement ?? null, e.unit, `${e.entityId} unit`);
      assert.notEqual(st.state, 'unavailable', `${e.entityId} is available`);
      const dev = deviceByIdent(e.deviceIdentifier);
      assert.ok(dev, `device ${e.deviceIdentifier}`);
      assert.equal(reg.device_id, dev.id);
      if (e.viaDevice) assert.equal(dev.via_device_id, deviceByIdent(e.viaDevice)?.id, `${e.entityId} via_device`);
    }
    // The simulator's state, as Home Assistant shows it.
    await ha.waitFor(async () => (await stateOf('sensor.orders_production_status')) === 'running', 10_000, 'status running');
    assert.equal(await stateOf(ORDERS.switch), 'on');
    assert.equal(await stateOf('switch.orders_replay_production'), 'off');
    assert.equal(await stateOf('sensor.orders_replay_production_status'), 'stopped');
    assert.equal(await stateOf('binary_sensor.orders_production_troubled'), 'off');
    assert.equal(await stateOf('binary_sensor.iris_reachable'), 'on');
    assert.equal(await stateOf('sensor.iris_bridge_version'), BRIDGE_VERSION);
    console.log(`checked ${expected.length} entities on ${new Set(expected.map((e) => e.deviceIdentifier)).size} devices`);
  });

  it('stops, starts and restarts a production from Home Assistant within 5 s each', async () => {
    await ha.callService('switch', 'turn_off', { entity_id: ORDERS.switch });
    await ha.waitFor(async () => (await stateOf(ORDERS.switch)) === 'off', 5000, 'the switch to turn off');
    assert.equal(sim.stateOf(ORDERS.ns, ORDERS.name), 'stopped');
    assert.equal(await stateOf('sensor.orders_production_status'), 'stopped');

    await ha.callService('switch', 'turn_on', { entity_id: ORDERS.switch });
    await ha.waitFor(async () => (await stateOf(ORDERS.switch)) === 'on', 5000, 'the switch to turn on');
    assert.equal(sim.stateOf(ORDERS.ns, ORDERS.name), 'running');

    const calls = sim.controlCalls.length;
    await ha.callService('button', 'press', { entity_id: 'button.orders_production_restart' });
    await ha.waitFor(() => sim.controlCalls.length > calls, 5000, 'the restart to reach IRIS');
    assert.equal(sim.controlCalls.at(-1)?.action, 'restart');
    const inFlight = () => bridge?.monitor.view.productions.find((p) => p.name === ORDERS.name)?.commandInFlight;
    await ha.waitFor(() => inFlight() === null || undefined, 5000, 'the restart to finish');
    await ha.waitFor(async () => (await stateOf('sensor.orders_production_status')) === 'running', 5000, 'running after restart');
  });

  it('stops a production when asked through Assist', async () => {
    const result = await ha.converse('turn off the Orders production');
    assert.equal(result.response.response_type, 'action_done', JSON.stringify(result.response));
    assert.ok(result.response.data?.success?.some((s) => s.id === ORDERS.switch), JSON.stringify(result.response.data));
    await ha.waitFor(() => sim.stateOf(ORDERS.ns, ORDERS.name) === 'stopped' || undefined, 5000, 'IRIS to stop the production');
    await ha.waitFor(async () => (await stateOf(ORDERS.switch)) === 'off', 5000, 'the switch to show off');
    await ha.callService('switch', 'turn_on', { entity_id: ORDERS.switch });
    await ha.waitFor(async () => (await stateOf(ORDERS.switch)) === 'on', 5000, 'on again');
  });

  it('has every entity available with current states after Home Assistant restarts', async () => {
    // Entities disabled by default (noisy host figures) have no state to check.
    const before = (await ha.entityRegistry()).filter((e) => e.platform === 'mqtt' && e.disabled_by === null).map((e) => e.entity_id).sort();
    const restarting = ha.restart();
    // Change something while Home Assistant is away: it must see the new state, not the old one.
    await sim.control({ namespace: 'LAB', production: 'Lab.Results.Production', action: 'stop' });
    await restarting;
    await ha.waitFor(async () => (await stateOf('sensor.lab_results_production_status')) === 'stopped', 15_000, 'the state changed while HA was down');
    const states = await ha.states();
    for (const id of before) {
      const s = states.find((x) => x.entity_id === id);
      // Buttons and event entities show when they last fired: "unknown" until then is fine.
      const fine = s && s.state !== 'unavailable' && (s.state !== 'unknown' || /^(button|event)\./.test(id));
      assert.ok(fine, `${id} is ${s?.state}`);
    }
    await sim.control({ namespace: 'LAB', production: 'Lab.Results.Production', action: 'start' });
  });

  it('creates no duplicates and leaves nothing unavailable when the bridge restarts', async () => {
    const before = (await ha.entityRegistry()).filter((e) => e.platform === 'mqtt').map((e) => e.entity_id).sort();
    await bridge?.stop();
    await ha.waitFor(async () => (await stateOf(ORDERS.switch)) === 'unavailable', 5000, 'entities unavailable while the bridge is stopped');
    // The bridge restarts with a new connection; IRIS keeps running.
    sim = sim.reopen();
    await startOurBridge();
    await ha.waitFor(async () => (await stateOf(ORDERS.switch)) === 'on', 10_000, 'entities back');
    const after = (await ha.entityRegistry()).filter((e) => e.platform === 'mqtt').map((e) => e.entity_id).sort();
    assert.deepEqual(after, before);
    assert.ok(!after.some((id) => /_\d+$/.test(id)), `no _2 ids: ${after.join(', ')}`);
    const unavailable = (await ha.states()).filter((s) => after.includes(s.entity_id) && s.state === 'unavailable');
    assert.deepEqual(unavailable.map((s) => s.entity_id), []);
  });

  it('marks entities unavailable while IRIS does not answer, and back when it does', async () => {
    sim.setReachable(false);
    await ha.waitFor(async () => (await stateOf(ORDERS.switch)) === 'unavailable', POLL_MS * 3 + 5000, 'unavailable');
    assert.equal(await stateOf('binary_sensor.iris_reachable'), 'off');
    sim.setReachable(true);
    await ha.waitFor(async () => (await stateOf(ORDERS.switch)) === 'on', POLL_MS * 3 + 5000, 'available again');
    assert.equal(await stateOf('binary_sensor.iris_reachable'), 'on');
  });

  it('removes a production deleted from IRIS after the grace period, and keeps a stopped one', async () => {
    await ha.callService('switch', 'turn_off', { entity_id: 'switch.lab_results_production' });
    await ha.waitFor(async () => (await stateOf('switch.lab_results_production')) === 'off', 5000, 'lab stopped');
    sim.removeProduction('ORDERS', 'Orders.Replay.Production');
    const gone = topics.productionDeviceId({ namespace: 'ORDERS', name: 'Orders.Replay.Production' });
    await ha.waitFor(async () => {
      const devs = await ha.deviceRegistry();
      const ents = await ha.entityRegistry();
      return !devs.some((d) => d.identifiers.some(([, id]) => id === gone)) && !ents.some((e) => e.unique_id.startsWith(gone + '_'));
    }, POLL_MS * (GRACE_POLLS + 2) + 10_000, 'the removed production to leave the registries');
    assert.ok((await ha.entityRegistry()).some((e) => e.entity_id === 'switch.lab_results_production'), 'the stopped production stays');
  });
});
