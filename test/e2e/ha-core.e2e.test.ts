/**
 * The Home Assistant Core side of the bridge against a REAL Home Assistant (test/e2e/harness):
 * events automations can trigger on, persistent notifications, and Assist exposure with aliases.
 * The bridge runs as in bridge.e2e.test.ts; HaCore, HaReactions and AssistExposure are wired here
 * the way src/app.ts wires them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { once } from 'node:events';
import { startBridge, type RunningBridge } from '../../src/app.ts';
import { AssistExposure } from '../../src/ha/assist.ts';
import { HaCore } from '../../src/ha/core.ts';
import { EVENT_PRODUCTION_STATE, HaReactions } from '../../src/ha/ha-bridge.ts';
import { IrisSimulator } from '../../src/iris/simulator/index.ts';
import { Topics } from '../../src/mqtt/topics.ts';
import { captureLogger, testConfig } from '../support/fixtures.ts';
import { Mosquitto } from '../support/mosquitto.ts';
import { artifactDirFor, endRun, startHomeAssistant, type HomeAssistant } from './harness/home-assistant.ts';

const artifactDir = artifactDirFor('ha-core');

const topics = new Topics('iris');
const ORDERS = { namespace: 'ORDERS', name: 'Orders.Production', switch: 'switch.orders_production', button: 'button.orders_production_restart' };
const LAB = { namespace: 'LAB', name: 'Lab.Results.Production', switch: 'switch.lab_results_production' };
const ORDERS_NOTE = topics.productionDeviceId(ORDERS);
const LAB_NOTE = topics.productionDeviceId(LAB);

let broker: Mosquitto;
let ha: HomeAssistant;
let sim: IrisSimulator;
let bridge: RunningBridge | undefined;
let core: HaCore | undefined;
let reactions: HaReactions | undefined;
let assist: AssistExposure;
const logLines: string[] = [];

interface StateEvent {
  event_type: string;
  data: { instance: string; namespace: string; production: string; name: string; from: string; to: string; commanded: boolean };
}
interface Notification {
  notification_id: string;
  title: string;
  message: string;
}

async function stateOf(entityId: string): Promise<string | undefined> {
  return (await ha.state(entityId))?.state;
}

function notifications(): Promise<Notification[]> {
  return ha.connection.sendMessagePromise<Notification[]>({ type: 'persistent_notification/get' });
}

async function exposedToConversation(): Promise<Record<string, { conversation?: boolean }>> {
  const r = await ha.connection.sendMessagePromise<{ exposed_entities: Record<string, { conversation?: boolean }> }>({
    type: 'homeassistant/expose_entity/list',
  });
  return r.exposed_entities;
}

before(async () => {
  broker = await Mosquitto.start();
  ha = await startHomeAssistant({ mqttPort: broker.port, artifactDir });
  sim = new IrisSimulator({ transitionMs: 300 });
  const { log, lines } = captureLogger();
  lines.push = (...l: string[]) => logLines.push(...l);
  bridge = await startBridge(
    testConfig({ mqtt: { source: 'default', url: broker.url }, pollIntervalMs: 1000, exposeToAssist: true }),
    log,
    { iris: sim, birthJitterMs: 500 },
  );
  // What src/app.ts does when config.homeAssistant is set.
  core = HaCore.start({ url: ha.url, token: ha.token }, log);
  await once(core, 'ready', { signal: AbortSignal.timeout(30_000) });
  assist = new AssistExposure(core, topics, true, log);
  reactions = new HaReactions({ core, monitor: bridge.monitor, ids: topics, log, assist });
  reactions.start();
});

after(() =>
  endRun({
    stopBridge: async () => {
      reactions?.stop();
      core?.close();
      await bridge?.stop();
    },
    ha,
    broker,
    artifactDir,
    bridgeLog: logLines,
  }),
);

describe('the bridge and Home Assistant Core', () => {
  it('connects to the real Home Assistant and knows its version', () => {
    assert.equal(core?.haVersion, ha.version);
    assert.ok(core?.atLeast('2024.11'), `HA ${ha.version}`);
    console.log(`Home Assistant ${ha.version}`);
  });

  it('fires iris_edge_production_state_changed that automations can see when a production stops', async () => {
    const seen: StateEvent[] = [];
    const unsubscribe = await ha.connection.subscribeEvents<StateEvent>((ev) => seen.push(ev), EVENT_PRODUCTION_STATE);
    try {
      await ha.waitFor(async () => (await stateOf(ORDERS.switch)) === 'on', 30_000, 'the Orders switch');
      await ha.callService('switch', 'turn_off', { entity_id: ORDERS.switch });
      const stopped = await ha.waitFor(() => seen.find((e) => e.data.production === ORDERS.name && e.data.to === 'stopped'), 10_000, 'the stop event');
      assert.deepEqual(stopped.data, {
        instance: 'iris',
        namespace: 'ORDERS',
        production: 'Orders.Production',
        name: 'Orders Production',
        from: 'running',
        to: 'stopped',
        commanded: true,
      });
      // Stopped through Home Assistant: no "stopped" notification.
      assert.ok(!(await notifications()).some((n) => n.notification_id === ORDERS_NOTE));

      // Stopped behind the bridge's back (e.g. in the Management Portal): commanded false, notified.
      await sim.control({ namespace: LAB.namespace, production: LAB.name, action: 'stop' });
      const labStop = await ha.waitFor(() => seen.find((e) => e.data.production === LAB.name && e.data.to === 'stopped'), 10_000, 'the Lab stop event');
      assert.equal(labStop.data.commanded, false);
      const note = await ha.waitFor(async () => (await notifications()).find((n) => n.notification_id === LAB_NOTE), 10_000, 'the Lab notification');
      assert.match(note.message, /not by a command/);
      await ha.callService('switch', 'turn_on', { entity_id: LAB.switch });
      await ha.waitFor(async () => !(await notifications()).some((n) => n.notification_id === LAB_NOTE), 10_000, 'the Lab notification to go');

      await ha.callService('switch', 'turn_on', { entity_id: ORDERS.switch });
      const started = await ha.waitFor(() => seen.find((e) => e.data.production === ORDERS.name && e.data.to === 'running'), 10_000, 'the start event');
      assert.equal(started.data.from, 'stopped');
    } finally {
      await unsubscribe();
    }
  });

  it('keeps a persistent notification while a production is troubled and dismisses it when it runs again', async () => {
    sim.makeTroubled(ORDERS.namespace, ORDERS.name);
    const note = await ha.waitFor(
      async () => (await notifications()).find((n) => n.notification_id === ORDERS_NOTE),
      10_000,
      'the troubled notification',
    );
    assert.match(note.title, /Orders Production is troubled/);
    assert.equal(await stateOf('binary_sensor.orders_production_troubled'), 'on');
    // Recovering a troubled production: stop it, then start it.
    await ha.callService('switch', 'turn_off', { entity_id: ORDERS.switch });
    await ha.waitFor(() => sim.stateOf(ORDERS.namespace, ORDERS.name) === 'stopped' || undefined, 10_000, 'IRIS to stop it');
    await ha.waitFor(async () => !(await notifications()).some((n) => n.notification_id === ORDERS_NOTE), 10_000, 'the notification to be dismissed');
    await ha.callService('switch', 'turn_on', { entity_id: ORDERS.switch });
    await ha.waitFor(async () => (await stateOf(ORDERS.switch)) === 'on', 10_000, 'running again');
    assert.ok(!(await notifications()).some((n) => n.notification_id === ORDERS_NOTE));
  });

  it('reconnects after Home Assistant restarts and puts the open notifications back', async () => {
    sim.makeTroubled(ORDERS.namespace, ORDERS.name);
    await ha.waitFor(async () => (await notifications()).some((n) => n.notification_id === ORDERS_NOTE), 10_000, 'the troubled notification');
    // The restart itself may take a minute or two on a loaded machine (the harness allows 180 s).
    const down = once(core!, 'disconnected', { signal: AbortSignal.timeout(60_000) });
    const up = once(core!, 'ready', { signal: AbortSignal.timeout(240_000) });
    await ha.restart();
    await down;
    await up;
    // Persistent notifications live in HA's memory only: the restart lost it, the bridge re-created it.
    const note = await ha.waitFor(
      async () => (await notifications()).find((n) => n.notification_id === ORDERS_NOTE),
      15_000,
      'the notification after the restart',
    );
    assert.match(note.title, /troubled/);
    assert.ok(logLines.some((l) => l.includes('Lost the connection to Home Assistant')));
    await ha.callService('switch', 'turn_off', { entity_id: ORDERS.switch });
    await ha.waitFor(async () => !(await notifications()).some((n) => n.notification_id === ORDERS_NOTE), 10_000, 'the notification to be dismissed');
    await ha.callService('switch', 'turn_on', { entity_id: ORDERS.switch });
    await ha.waitFor(async () => (await stateOf(ORDERS.switch)) === 'on', 15_000, 'running again');
  });

  it('exposes the productions to Assist with aliases that work in a conversation', async () => {
    await ha.waitFor(async () => (await exposedToConversation())[ORDERS.switch]?.conversation, 30_000, 'the switch to be exposed');
    // The restart button is not (assist.e2e.test.ts: restarts go through the voice automation).
    assert.notEqual((await exposedToConversation())[ORDERS.button]?.conversation, true);
    const entry = await ha.connection.sendMessagePromise<{ aliases: (string | null)[] }>({ type: 'config/entity_registry/get', entity_id: ORDERS.switch });
    assert.ok(entry.aliases.includes('Orders production') && entry.aliases.includes('Orders interface'), JSON.stringify(entry.aliases));

    // "Orders interface" is only an alias: it works only because the bridge set it.
    let result = await ha.converse('turn off Orders interface');
    assert.equal(result.response.response_type, 'action_done', JSON.stringify(result.response));
    assert.ok(result.response.data?.success?.some((s) => s.id === ORDERS.switch), JSON.stringify(result.response.data));
    await ha.waitFor(() => sim.stateOf(ORDERS.namespace, ORDERS.name) === 'stopped' || undefined, 10_000, 'IRIS to stop Orders');
    await ha.callService('switch', 'turn_on', { entity_id: ORDERS.switch });
    await ha.waitFor(async () => (await stateOf(ORDERS.switch)) === 'on', 10_000, 'on again');

    result = await ha.converse('turn off Orders production');
    assert.equal(result.response.response_type, 'action_done', JSON.stringify(result.response));
    assert.deepEqual(result.response.data?.success?.map((s) => s.id), [ORDERS.switch], 'only the switch');
    await ha.waitFor(() => sim.stateOf(ORDERS.namespace, ORDERS.name) === 'stopped' || undefined, 10_000, 'IRIS to stop Orders');
    await ha.callService('switch', 'turn_on', { entity_id: ORDERS.switch });
    await ha.waitFor(async () => (await stateOf(ORDERS.switch)) === 'on', 10_000, 'on again');
  });

  it('hides the productions from Assist when exposure is off', async () => {
    assert.equal((await exposedToConversation())[ORDERS.switch]?.conversation, true, 'exposed before');
    const off = new AssistExposure(core!, topics, false, captureLogger().log);
    await off.sync(bridge!.monitor.view.productions);
    const exposed = await exposedToConversation();
    assert.equal(exposed[ORDERS.switch]?.conversation, undefined, JSON.stringify(exposed[ORDERS.switch]));
    assert.equal(exposed[ORDERS.button]?.conversation, undefined);
    assert.equal(exposed[LAB.switch]?.conversation, undefined);
    const result = await ha.converse('turn off Orders interface');
    assert.notEqual(result.response.response_type, 'action_done', JSON.stringify(result.response));
    assert.equal(sim.stateOf(ORDERS.namespace, ORDERS.name), 'running');
  });
});
