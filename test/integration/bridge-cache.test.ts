// Per-host caching in the bridge (src/mqtt/host-cache.ts) over a real mosquitto: a poll that
// changes nothing publishes nothing, a host whose snapshot changes gets a new state alone, and a
// broker that lost every retained message gets each again although the bridge keeps only digests.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { IrisSimulator, scaleScenario } from '../../src/iris/simulator/index.ts';
import { Topics } from '../../src/mqtt/topics.ts';
import { startBridgeRig, type BridgeRig } from '../support/bridge-rig.ts';
import { waitFor } from '../support/fixtures.ts';
import { Mosquitto } from '../support/mosquitto.ts';
import { Observer } from '../support/observer.ts';

const topics = new Topics('iris');
const P = { namespace: 'SCALE01', name: 'Scale1.Production' };
let broker: Mosquitto;
before(async () => {
  broker = await Mosquitto.start();
});
after(async () => broker.close());

/** A device's discovery sent again within this of its last message waits for the rest of it (pacer.ts). */
const HOLDOFF_MS = 200;

/** 25 hosts: past the threshold of 20, so each host also has a device of its own. */
async function withBridge(test: (rig: BridgeRig) => Promise<void>): Promise<void> {
  const rig = await startBridgeRig(broker, { sim: new IrisSimulator({ productions: scaleScenario(1, 25), transitionMs: 10 }), discoveryHoldoffMs: HOLDOFF_MS });
  try {
    await rig.bridge.settled();
    await rig.observer.flush();
    await test(rig);
  } finally {
    await rig.stop();
    // The next test starts from an empty broker.
    await broker.restart();
  }
}

const host = 'Host007.service';
const hostTopic = topics.hostState(P, 'host007_service');

it('publishes nothing for unchanged hosts and a new state for the host that changed', async () => {
  await withBridge(async ({ sim, monitor, bridge, observer }) => {
    assert.equal(JSON.parse(observer.latest(hostTopic) ?? '{}').queue, 0);
    const hostStates = observer.retained(topics.production(P) + '/host/');
    assert.equal(hostStates.size, 25);

    let since = observer.messages.length;
    await monitor.poll();
    await bridge.settled();
    await observer.flush();
    assert.deepEqual(observer.messages.slice(since).map((m) => m.topic), [], 'an unchanged poll publishes nothing');

    sim.setQueue(P.namespace, P.name, host, 3);
    since = observer.messages.length;
    await monitor.poll();
    await bridge.settled();
    await observer.flush();
    const sent = observer.messages.slice(since);
    assert.deepEqual(sent.map((m) => m.topic).sort(), [topics.productionState(P), hostTopic].sort(), 'the host and its production total, nothing else');
    assert.equal(JSON.parse(observer.latest(hostTopic) ?? '{}').queue, 3);

    // Back to what it was before: a change again, published again.
    sim.setQueue(P.namespace, P.name, host, 0);
    await monitor.poll();
    await bridge.settled();
    await observer.waitFor(hostTopic, (p) => JSON.parse(p).queue === 0);
  });
});

it('sends every retained message again after the broker lost them, as it is now: a host changed meanwhile with its latest state', async () => {
  await withBridge(async ({ sim, monitor, bridge, client, lines, observer }) => {
    const before = observer.retained();
    assert.ok(before.size > 50, `the bridge left ${before.size} retained messages`);
    await broker.stop();
    await waitFor(() => !client.connected || undefined, 5000, 'the bridge to see the broker gone');
    // Changed while the broker is away: the publisher remembers it as sent, for the rebuild.
    sim.setQueue(P.namespace, P.name, host, 5);
    await monitor.poll();
    await bridge.settled();
    await broker.restart(); // persistence false: nothing retained survives
    const fresh = await waitFor(() => Observer.connect(broker.url).catch(() => undefined), 5000, 'a new observer to connect');
    try {
      await waitFor(() => lines.find((l) => /Republished \d+ retained messages after reconnecting/.test(l)), 15_000, 'the republish after reconnecting');
      // Discovery goes through the pacer as always: a device sent just before waits its hold-off.
      await delay(HOLDOFF_MS * 2);
      await bridge.settled();
      await fresh.flush();
      const after = fresh.retained();
      assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort(), 'every topic, no other');
      assert.equal(JSON.parse(after.get(hostTopic) ?? '{}').queue, 5);
      const changed = [...after].filter(([t, p]) => before.get(t) !== p).map(([t]) => t);
      assert.deepEqual(changed.sort(), [topics.productionState(P), hostTopic].sort(), 'the rest as it was');
    } finally {
      await fresh.close();
    }
  });
});
