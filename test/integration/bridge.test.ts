/**
 * The bridge against a real mosquitto: what Home Assistant would receive, and what happens to
 * commands, bad input, a restarted broker and an IRIS that stops answering.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { startBridge, type RunningBridge } from '../../src/app.ts';
import { IrisSimulator } from '../../src/iris/simulator/index.ts';
import { Topics } from '../../src/mqtt/topics.ts';
import { validateDiscovery } from '../support/discovery-validator.ts';
import { setTimeout as delay } from 'node:timers/promises';
import { captureLogger, polls, testConfig, waitFor } from '../support/fixtures.ts';
import { Mosquitto } from '../support/mosquitto.ts';
import { Observer, stateIs } from '../support/observer.ts';

const topics = new Topics('iris');
const orders = { namespace: 'ORDERS', name: 'Orders.Production' };
const lab = { namespace: 'LAB', name: 'Lab.Results.Production' };

let broker: Mosquitto;
let observer: Observer;
let running: RunningBridge | undefined;
let sim: IrisSimulator;
let lines: string[];

before(async () => {
  broker = await Mosquitto.start();
});
after(async () => {
  await broker.close();
});
afterEach(async () => {
  await running?.stop();
  running = undefined;
  await observer?.close();
  // Each test starts from an empty broker.
  await broker.restart();
});

async function start(options: { pollIntervalMs?: number; sim?: IrisSimulator } = {}): Promise<RunningBridge> {
  sim = options.sim ?? new IrisSimulator({ transitionMs: 150 });
  const cap = captureLogger();
  lines = cap.lines;
  observer = await Observer.connect(broker.url);
  const started = await startBridge(
    testConfig({ mqtt: { source: 'default', url: broker.url }, pollIntervalMs: options.pollIntervalMs ?? 300 }),
    cap.log,
    { iris: sim, inventoryWindowMs: 300, birthJitterMs: 200 },
  );
  running = started;
  await started.bridge.settled();
  return started;
}

const warnings = () => lines.filter((l) => / WARN: /.test(l));

/** Everything the bridge has published so far has reached the observer. */
async function delivered(): Promise<void> {
  await running?.bridge.settled();
  await observer.flush();
}

describe('bridge over a real mosquitto', () => {
  it('announces the instance and every production with payloads Home Assistant accepts', async () => {
    await start();
    const discovery = await waitFor(() => {
      const d = observer.retained('homeassistant/device/');
      return d.size === 4 ? d : undefined;
    }, 5000, 'four discovery messages (hosts share their production device below the threshold)');
    assert.deepEqual(validateDiscovery(discovery), []);
    assert.ok(discovery.has(topics.productionDiscovery(orders)));
    assert.ok(discovery.has(topics.productionDiscovery(lab)));
    assert.equal(observer.latest(topics.bridgeAvailability), 'online');
    assert.equal(observer.latest(topics.irisAvailability), 'online');
    assert.ok(stateIs('running')(observer.latest(topics.productionState(orders)) ?? ''));
    assert.ok(stateIs('stopped')(observer.latest(topics.productionState({ namespace: 'ORDERS', name: 'Orders.Replay.Production' })) ?? ''));
    // A client that subscribes later (Home Assistant after a restart) gets all of it retained.
    const late = await Observer.connect(broker.url);
    try {
      const expected = observer.retained().size;
      // 4 devices (instance + 3 productions), 2 availabilities, the instance state, 3 production
      // states, 2 namespace selects, 9 host states
      assert.equal(expected, 21);
      const replay = await waitFor(() => (late.messages.length >= expected ? late.messages : undefined), 3000, 'the retained replay');
      assert.ok(replay.every((m) => m.retain), 'every replayed message is retained');
      assert.deepEqual(new Set(replay.map((m) => m.topic)), new Set(observer.retained().keys()));
    } finally {
      await late.close();
    }
  });

  it('publishes discovery and states only when they change', async () => {
    const { monitor } = await start({ pollIntervalMs: 100 });
    await delivered(); // the start-up messages
    const from = observer.messages.length;
    const since = () => observer.messages.slice(from);
    await polls(monitor, 5); // several polls with nothing changing
    await delivered();
    assert.deepEqual(since().map((m) => `${m.topic} ${m.payload}`), []);
    sim.setQueue('ORDERS', 'Orders.Production', 'HL7.In.File', 5); // not part of the production's state payload
    // A poll saw it: the host's state carries the queue, published after any discovery of that poll.
    await observer.waitFor(topics.hostState(orders, 'HL7.In.File'), (p) => JSON.parse(p).queue === 5);
    assert.deepEqual(since().filter((m) => m.topic === topics.productionDiscovery(orders)), []);
  });

  it('stops a production when its switch is turned off, showing stopping then stopped', async () => {
    await start();
    const since = Date.now();
    await observer.publish(topics.productionSet(orders), 'STOP');
    await observer.waitFor(topics.productionState(orders), stateIs('stopped'), 5000, since);
    assert.equal(sim.stateOf('ORDERS', 'Orders.Production'), 'stopped');
    const states = observer.messages.filter((m) => m.at >= since && m.topic === topics.productionState(orders)).map((m) => JSON.parse(m.payload).state);
    assert.deepEqual(states, ['stopping', 'stopped']);
    assert.equal(JSON.parse(observer.latest(topics.productionState(orders)) ?? '{}').running, false);
    await observer.publish(topics.productionSet(orders), 'START');
    await observer.waitFor(topics.productionState(orders), stateIs('running'), 5000, Date.now());
  });

  it('restarts a production with the button: restarting, then running again', async () => {
    await start();
    const since = Date.now();
    await observer.publish(topics.productionRestart(lab), 'PRESS');
    await observer.waitFor(topics.productionState(lab), stateIs('restarting'), 5000, since);
    await observer.waitFor(topics.productionState(lab), stateIs('running'), 5000, since);
    assert.deepEqual(sim.controlCalls.map((c) => c.action), ['restart']);
  });

  it('refuses a second command for a production while one runs, with a log line', async () => {
    await start();
    await observer.publish(topics.productionRestart(orders), 'PRESS');
    await observer.waitFor(topics.productionState(orders), stateIs('restarting'));
    await observer.publish(topics.productionSet(orders), 'STOP');
    await waitFor(() => lines.find((l) => /Refused stop ORDERS\/Orders\.Production from MQTT \(a dashboard, an automation or Assist\), by the bridge: A restart command/.test(l)), 3000, 'the refusal log line');
    await observer.waitFor(topics.productionState(orders), stateIs('running'));
    assert.deepEqual(sim.controlCalls.map((c) => c.action), ['restart']);
  });

  it('reports an IRIS refusal and keeps showing what IRIS reports', async () => {
    await start();
    sim.setBusy('ORDERS', 'Orders.Production', 'HL7.Out.Lab', true);
    const since = Date.now();
    await observer.publish(topics.productionSet(orders), 'STOP');
    await waitFor(() => lines.find((l) => /Refused stop ORDERS\/Orders\.Production from MQTT .*, by IRIS: .*ErrProductionNotQuiescent/.test(l)), 5000, 'the refusal');
    await observer.waitFor(topics.productionState(orders), stateIs('running'), 3000, since);
    assert.equal(sim.stateOf('ORDERS', 'Orders.Production'), 'running');
  });

  it('ignores bad commands with one warning each, changing nothing in IRIS', async () => {
    await start();
    const before = warnings().length;
    await observer.publish(topics.productionSet(orders), 'EXPLODE');
    await observer.publish(topics.productionSet(orders), 'STOP', true); // retained
    await observer.publish(topics.productionSet({ namespace: 'ORDERS', name: 'Ghost.Production' }), 'STOP');
    await observer.publish(topics.productionRestart(orders), Buffer.alloc(1024 * 1024, 0x41));
    await observer.publish(topics.productionRestart(orders), Buffer.from([0xff, 0xfe, 0x00]));
    const sentinel = await observer.handled(topics, lines);
    assert.equal(warnings().at(-1), sentinel);
    const w = warnings().slice(before, -1);
    assert.equal(w.length, 5, w.join('\n'));
    assert.match(w[0] ?? '', /Ignored "EXPLODE" .*allowed are START, STOP/);
    assert.match(w[1] ?? '', /Ignored a retained command/);
    assert.match(w[2] ?? '', /no such production/);
    assert.match(w[3] ?? '', /Ignored a 1048576-byte message/);
    assert.match(w[4] ?? '', /allowed are PRESS/);
    assert.deepEqual(sim.controlCalls, []);
    await observer.publish(topics.productionSet(orders), '', true); // clear the retained command
    // Still alive and answering:
    await observer.publish(topics.productionSet(orders), 'STOP');
    await observer.waitFor(topics.productionState(orders), stateIs('stopped'));
  });

  it('marks entities unavailable while IRIS does not answer and available again after', async () => {
    await start({ pollIntervalMs: 150 });
    sim.setReachable(false);
    await observer.waitFor(topics.irisAvailability, (p) => p === 'offline', 3000);
    assert.equal(observer.latest(topics.bridgeAvailability), 'online');
    sim.setReachable(true);
    await observer.waitFor(topics.irisAvailability, (p) => p === 'online', 3000, Date.now());
  });

  it('comes back with availability and states within 10 s after the broker restarts', async () => {
    await start();
    await broker.restart(500); // no persistence: the broker forgot every retained message
    await observer.close();
    const t0 = Date.now();
    observer = await waitFor(() => Observer.connect(broker.url).catch(() => undefined), 5000, 'the observer to reconnect');
    await observer.waitFor(topics.bridgeAvailability, (p) => p === 'online', 10_000);
    await observer.waitFor(topics.productionState(orders), stateIs('running'), 10_000);
    await observer.waitFor(topics.productionDiscovery(orders), (p) => p.length > 0, 10_000);
    assert.ok(Date.now() - t0 < 10_000);
    assert.equal(observer.latest(topics.irisAvailability), 'online');
  });

  it('republishes availability and states when Home Assistant comes online, but not discovery', async () => {
    await start();
    const since = Date.now();
    await observer.publish('homeassistant/status', 'online');
    await observer.waitFor(topics.productionState(orders), () => true, 5000, since);
    await observer.waitFor(topics.bridgeAvailability, (p) => p === 'online', 5000, since);
    await delivered();
    assert.equal(observer.count(topics.productionDiscovery(orders), since), 0);
    // "offline" is not a reason to republish
    const since2 = Date.now();
    await observer.publish('homeassistant/status', 'offline');
    await observer.handled(topics, lines);
    // A republish answers a birth only after a random delay of up to birthJitterMs (200 ms): that
    // nothing comes can only be seen by letting more than that pass.
    await delay(400);
    await delivered();
    assert.equal(observer.count(topics.productionState(orders), since2), 0);
  });

  it('removes devices left by an earlier run, but only after IRIS answered an inventory', async () => {
    const pre = await Observer.connect(broker.url, []);
    const ghost = { namespace: 'OLD', name: 'Gone.Production' };
    await pre.publish(topics.productionDiscovery(ghost), JSON.stringify({ dev: { ids: ['x'], name: 'Gone' }, o: { name: 'IRIS Edge' }, stat_t: topics.productionState(ghost), cmps: {} }), true);
    await pre.publish(topics.productionState(ghost), '{"state":"running"}', true);
    await pre.close();
    const down = new IrisSimulator({ transitionMs: 50 });
    down.setReachable(false);
    const { monitor } = await start({ sim: down, pollIntervalMs: 200 });
    await polls(monitor, 3);
    await delivered();
    assert.ok(observer.retained().has(topics.productionDiscovery(ghost)), 'kept while IRIS does not answer');
    down.setReachable(true);
    await waitFor(() => !observer.retained().has(topics.productionDiscovery(ghost)), 5000, 'the ghost discovery to be cleared');
    // State topics go a few seconds after the discovery, once HA has removed the entities.
    await waitFor(() => !observer.retained().has(topics.productionState(ghost)), 8000, 'the ghost state to be cleared');
    assert.ok(observer.retained().has(topics.productionDiscovery(orders)));
  });

  it('removes a production deleted from IRIS after the grace period, but not a stopped one', async () => {
    await start({ pollIntervalMs: 100 });
    await observer.publish(topics.productionSet(lab), 'STOP');
    await observer.waitFor(topics.productionState(lab), stateIs('stopped'));
    sim.removeProduction('ORDERS', 'Orders.Replay.Production');
    const replay = { namespace: 'ORDERS', name: 'Orders.Replay.Production' };
    await waitFor(() => !observer.retained().has(topics.productionDiscovery(replay)), 5000, 'the removed production to go');
    await waitFor(() => !observer.retained().has(topics.productionState(replay)), 8000, 'its state cleared later');
    assert.ok(observer.retained().has(topics.productionDiscovery(lab)), 'a stopped production stays');
  });

  it('applies a pending update, recovers a troubled production, enables a host and switches a namespace', async () => {
    await start({ pollIntervalMs: 150 });
    const orders = { namespace: 'ORDERS', name: 'Orders.Production' };
    sim.markNeedsUpdate('LAB', 'Lab.Results.Production', 'Results.Router settings changed');
    const pending = await observer.waitFor(topics.productionState(lab), (p) => JSON.parse(p).config_pending === true);
    assert.equal(JSON.parse(pending.payload).config_reason, 'Results.Router settings changed');
    let since = Date.now();
    await observer.publish(topics.productionUpdate(lab), 'PRESS');
    await observer.waitFor(topics.productionState(lab), (p) => JSON.parse(p).config_pending === false && JSON.parse(p).config_reason === null, 5000, since);

    // Recover says why it did nothing, as an event, when the production is not troubled.
    since = Date.now();
    await observer.publish(topics.productionRecover(orders), 'PRESS');
    const refused = await observer.waitFor(topics.productionEvent(orders), (p) => JSON.parse(p).event_type === 'refused', 5000, since);
    assert.match(JSON.parse(refused.payload).detail, /not troubled/);
    sim.makeTroubled('ORDERS', 'Orders.Production');
    await observer.waitFor(topics.productionEvent(orders), (p) => JSON.parse(p).event_type === 'troubled', 5000, since);
    await observer.publish(topics.productionRecover(orders), 'PRESS');
    await observer.waitFor(topics.productionState(orders), stateIs('suspended'), 5000, since);

    // Host enable switch
    await observer.publish(topics.hostSet(lab, 'Results.Alerts'), 'ON');
    await observer.waitFor(topics.hostState(lab, 'Results.Alerts'), (p) => JSON.parse(p).enabled === true && JSON.parse(p).status === 'ok');

    // Namespace select: the suspended Orders production is stopped, the replay one started.
    since = Date.now();
    await observer.publish(topics.namespaceSelect('ORDERS'), 'Orders Replay Production');
    await observer.waitFor(topics.namespaceState('ORDERS'), (p) => JSON.parse(p).option === 'Orders Replay Production', 5000, since);
    assert.equal(sim.stateOf('ORDERS', 'Orders.Replay.Production'), 'running');
    assert.equal(sim.stateOf('ORDERS', 'Orders.Production'), 'stopped');
    await observer.publish(topics.namespaceSelect('ORDERS'), 'No production');
    await observer.waitFor(topics.namespaceState('ORDERS'), (p) => JSON.parse(p).option === 'No production', 5000, Date.now() - 50);
    assert.equal(sim.stateOf('ORDERS', 'Orders.Replay.Production'), 'stopped');
    assert.equal(observer.messages.filter((m) => m.topic.endsWith('/event')).every((m) => !m.retain), true);
  });

  it('gives both entity id keys in the first device message, whatever Home Assistant listens', async () => {
    await start();
    const first = observer.messages.find((m) => m.topic === topics.productionDiscovery(orders));
    const running = (JSON.parse(first?.payload ?? '{}') as { cmps: Record<string, Record<string, unknown>> }).cmps.running;
    assert.equal(running?.default_entity_id, 'switch.orders_production');
    assert.equal(running?.object_id, 'orders_production');
    assert.deepEqual(validateDiscovery(observer.retained('homeassistant/device/')), []);
  });
});
