/**
 * Home Assistant to IRIS against a REAL Home Assistant: toggling an input_boolean reaches the
 * production's IrisEdge.HA.EventService in the simulator with entity, states, attributes, UTC
 * time and context id; an entity outside the allow-list does not; an event an automation could
 * fire arrives with its data, and so does data an automation publishes with mqtt.publish on
 * iris-edge/<instance>/to_iris/<service>; events sent while IRIS is away, or while the production is stopped,
 * wait and arrive in the order Home Assistant fired them once IRIS takes them again, also across
 * a restart of Home Assistant.
 *
 * Needs: bash test/e2e/harness/prepare.sh (as root), mosquitto.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningBridge } from '../../src/app.ts';
import type { ReceivedHaEvent } from '../../src/iris/simulator/ha-event-service.ts';
import type { IrisSimulator } from '../../src/iris/simulator/index.ts';
import { AllowList } from '../../src/model/allow-list.ts';
import { artifactDirFor, type HomeAssistant } from './harness/home-assistant.ts';
import { startHomeRig, type HomeRig } from './harness/home-rig.ts';

const artifactDir = artifactDirFor('ha-to-iris');
const HELPERS = `input_boolean:
  porch:
    name: Porch
  hall_light:
    name: Hall light
  garage:
    name: Garage
`;

let rig: HomeRig | undefined;
let ha: HomeAssistant;
let sim: IrisSimulator;
let bridge: RunningBridge;
const bridgeLog: string[] = [];

const received = (): ReceivedHaEvent[] => sim.iris.haEvents.receivedBy('HOME', 'HomeAssistant');
const messages = () => received().map((e) => e.message);
const toggle = (entity: string) => ha.callService('input_boolean', 'toggle', { entity_id: entity });

before(async () => {
  const entities = new AllowList(['input_boolean.porch', 'input_boolean.hall_*']);
  const toIris = { entities, events: new AllowList(['iris_edge_e2e_*']), namespace: 'HOME', service: 'HomeAssistant', maxQueue: 100, mqttServices: ['HomeAssistant'] };
  rig = await startHomeRig({ artifactDir, extraYaml: HELPERS, bridgeLog, config: { toIris } });
  ({ ha, sim, bridge } = rig);
});

after(async () => {
  await rig?.close();
});

describe('Home Assistant events reach the production in a real Home Assistant', () => {
  it('toggling an allowed input_boolean reaches the business service with entity, states, attributes, UTC time and context id', async () => {
    const fired = Date.now();
    await toggle('input_boolean.porch');
    const m = await ha.waitFor(() => messages().find((x) => x.entity === 'input_boolean.porch'), 15_000, 'the porch toggle in IRIS');
    assert.equal(m.kind, 'state');
    assert.equal(m.event_type, 'state_changed');
    assert.equal(m.old_state, 'off');
    assert.equal(m.new_state, 'on');
    assert.equal((m.attributes as Record<string, unknown>).friendly_name, 'Porch');
    assert.match(String(m.time), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    assert.ok(Math.abs(Date.parse(String(m.time)) - fired) < 60_000, `time ${String(m.time)} is UTC`);
    const state = await ha.state('input_boolean.porch');
    assert.equal(m.context_id, state?.context.id, 'the context id of the state change');
  });

  it('an entity outside the allow-list does not reach IRIS; a pattern lets its entities through', async () => {
    const before = received().length;
    await toggle('input_boolean.garage');
    await toggle('input_boolean.hall_light');
    // Delivered in order: had the garage passed, it would come before the hall light.
    await ha.waitFor(() => received().length > before && messages().some((x) => x.entity === 'input_boolean.hall_light'), 15_000, 'the hall light in IRIS');
    assert.deepEqual(received().slice(before).map((e) => e.message.entity), ['input_boolean.hall_light']);
  });

  it('an event of an allowed type arrives with its data, as an automation would fire it', async () => {
    await ha.connection.sendMessagePromise({ type: 'fire_event', event_type: 'iris_edge_e2e_order', event_data: { item: 'milk', count: 2 } });
    await ha.connection.sendMessagePromise({ type: 'fire_event', event_type: 'not_for_iris', event_data: {} });
    const m = await ha.waitFor(() => messages().find((x) => x.event_type === 'iris_edge_e2e_order'), 15_000, 'the event in IRIS');
    assert.equal(m.kind, 'event');
    assert.deepEqual(m.data, { item: 'milk', count: 2 });
    assert.ok(!messages().some((x) => x.event_type === 'not_for_iris'));
  });

  it('an automation hands data to IRIS with mqtt.publish on the documented topic; a service not listed gets nothing', async () => {
    await ha.callService('mqtt', 'publish', { topic: 'iris-edge/iris/to_iris/Home.Log', payload: '{"item":"bread"}' });
    await ha.callService('mqtt', 'publish', { topic: 'iris-edge/iris/to_iris/HomeAssistant', payload: '{"item":"milk","count":2}' });
    const m = await ha.waitFor(() => messages().find((x) => x.event_type === 'mqtt'), 15_000, 'the MQTT data in IRIS');
    assert.deepEqual(m.data, { item: 'milk', count: 2 });
    assert.deepEqual(sim.iris.haEvents.receivedBy('HOME', 'Home.Log'), []);
    assert.ok(bridgeLog.some((l) => /Ignored a message on iris-edge\/iris\/to_iris\/Home\.Log for IRIS: the business service "Home\.Log" is not in the option to_iris_mqtt_services/.test(l)));
  });

  it('events sent while IRIS does not answer wait and arrive in the order Home Assistant fired them', async () => {
    const before = received().length;
    sim.setReachable(false);
    const expected: string[] = [];
    for (let i = 0; i < 6; i++) {
      await toggle('input_boolean.porch');
      expected.push((await ha.state('input_boolean.porch'))!.context.id);
    }
    await ha.waitFor(() => bridge.toIris!.stats().queued === 6 && bridge.toIris!.stats().waiting !== null, 15_000, 'six events waiting');
    assert.equal(received().length, before, 'nothing reached IRIS while it was away');
    sim.setReachable(true);
    await ha.waitFor(() => received().length === before + 6, 30_000, 'the six waiting events');
    assert.deepEqual(received().slice(before).map((e) => e.message.context_id), expected);
    const states = received().slice(before).map((e) => `${String(e.message.old_state)}>${String(e.message.new_state)}`);
    assert.deepEqual(states, ['on>off', 'off>on', 'on>off', 'off>on', 'on>off', 'off>on']);
    assert.ok(bridgeLog.filter((l) => /wait in the queue/.test(l)).length >= 1);
    assert.equal(bridge.toIris!.stats().dropped, 0);
  });

  it('while the production is stopped the events wait; after it starts they arrive in order', async () => {
    await sim.control({ namespace: 'HOME', production: 'Home.Production', action: 'stop' });
    const before = received().length;
    await toggle('input_boolean.hall_light');
    await toggle('input_boolean.porch');
    await ha.waitFor(() => /ErrProductionNotRunning/.test(bridge.toIris!.stats().waiting ?? ''), 15_000, 'the queue to wait for the production');
    await sim.control({ namespace: 'HOME', production: 'Home.Production', action: 'start' });
    await ha.waitFor(() => received().length === before + 2, 30_000, 'the two waiting events');
    assert.deepEqual(received().slice(before).map((e) => e.message.entity), ['input_boolean.hall_light', 'input_boolean.porch']);
  });

  it('a Home Assistant restart loses no event the bridge took, and changes after it still arrive', async () => {
    const before = received().length;
    sim.setReachable(false);
    await toggle('input_boolean.porch');
    await ha.waitFor(() => bridge.toIris!.stats().queued === 1, 15_000, 'one event waiting');
    const taken = (await ha.state('input_boolean.porch'))!.context.id;
    await ha.restart();
    sim.setReachable(true);
    // Home Assistant's start may add state changes of the helpers after it: the one taken comes first.
    await ha.waitFor(() => received().length > before, 30_000, 'the event taken before the restart');
    assert.equal(received()[before]!.message.context_id, taken);
    // The bridge's websocket reconnects and subscribes again on its own.
    await ha.waitFor(async () => {
      await toggle('input_boolean.hall_light');
      return received().slice(before + 1).some((e) => e.message.entity === 'input_boolean.hall_light');
    }, 60_000, 'a change after the restart');
  });
});
