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
import { Topics } from '../../src/mqtt/topics.ts';
import { captureLogger, testConfig } from '../support/fixtures.ts';
import { Mosquitto } from '../support/mosquitto.ts';
import { DISABLED, GOLDEN_DEVICES, GOLDEN_ENTITIES } from './bridge.golden.ts';
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
  it('shows exactly the entities, devices, ids, names, classes, units and states of the golden list', async () => {
    const want = new Set(GOLDEN_ENTITIES.map((e) => e.uniqueId));
    const mqttEntities = async () => (await ha.entityRegistry()).filter((e) => e.platform === 'mqtt');
    // On time-out the comparison below names what is missing.
    const registry = await ha
      .waitFor(async () => {
        const reg = await mqttEntities();
        return reg.length >= want.size ? reg : undefined;
      }, 30_000, `${want.size} MQTT entities`)
      .catch(mqttEntities);
    // Nothing missing, nothing more: a dropped or an extra component fails here.
    const have = new Set(registry.map((e) => e.unique_id));
    assert.deepEqual({ missing: [...want].filter((u) => !have.has(u)), extra: [...have].filter((u) => !want.has(u)) }, { missing: [], extra: [] });
    // States follow registration; the namespace selects' are the bridge's last.
    await ha.waitFor(async () => (await stateOf('select.iris_lab_production')) === 'Lab Results Production', 10_000, 'the last state');

    const devices = await ha.deviceRegistry();
    const deviceOf = (ident: string) => devices.find((d) => d.identifiers.some(([dom, id]) => dom === 'mqtt' && id === ident));
    for (const g of GOLDEN_DEVICES) {
      const dev = deviceOf(g.id);
      assert.ok(dev, `device ${g.id}`);
      assert.deepEqual(
        { name: dev.name, manufacturer: dev.manufacturer, model: dev.model, via: dev.via_device_id },
        { name: g.name, manufacturer: g.manufacturer, model: g.model, via: g.via === null ? null : deviceOf(g.via)?.id },
        `device ${g.id}`,
      );
    }
    const states = new Map((await ha.states()).map((s) => [s.entity_id, s]));
    for (const g of GOLDEN_ENTITIES) {
      const reg = registry.find((r) => r.unique_id === g.uniqueId)!;
      assert.equal(reg.entity_id, g.entityId, `entity id of ${g.uniqueId}`);
      assert.equal(reg.device_id, deviceOf(g.device)?.id, `device of ${g.entityId}`);
      if (g.state === DISABLED) {
        // Off by default: no state to read, so its class and unit come from the registry.
        assert.equal(reg.disabled_by, 'integration', `${g.entityId} is disabled by default`);
        const full = await ha.connection.sendMessagePromise<{ original_device_class: string | null; [key: string]: unknown }>({
          type: 'config/entity_registry/get',
          entity_id: g.entityId,
        });
        assert.equal(full.original_device_class, g.deviceClass, `${g.entityId} device class`);
        continue;
      }
      assert.equal(reg.disabled_by, null, `${g.entityId} is enabled`);
      const st = states.get(g.entityId);
      assert.ok(st, `${g.entityId} has a state`);
      const actual = { name: st.attributes.friendly_name, class: st.attributes.device_class ?? null, unit: st.attributes.unit_of_measurement ?? null };
      assert.deepEqual(actual, { name: g.friendlyName, class: g.deviceClass, unit: g.unit }, g.entityId);
      if (g.state instanceof RegExp) assert.match(st.state, g.state, `${g.entityId} state`);
      else assert.equal(st.state, g.state, `${g.entityId} state`);
    }
    console.log(`checked ${GOLDEN_ENTITIES.length} entities on ${GOLDEN_DEVICES.length} devices against the golden list`);
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
