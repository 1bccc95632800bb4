// Per-host caching in the bridge (src/mqtt/host-cache.ts) over a real mosquitto: a poll that
// changes nothing publishes nothing, and a host whose snapshot changes gets a new state alone.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { IrisSimulator, scaleScenario } from '../../src/iris/simulator/index.ts';
import { Topics } from '../../src/mqtt/topics.ts';
import { startBridgeRig } from '../support/bridge-rig.ts';
import { Mosquitto } from '../support/mosquitto.ts';

const topics = new Topics('iris');
const P = { namespace: 'SCALE01', name: 'Scale1.Production' };
let broker: Mosquitto;
before(async () => {
  broker = await Mosquitto.start();
});
after(async () => broker.close());

it('publishes nothing for unchanged hosts and a new state for the host that changed', async () => {
  // 25 hosts: past the threshold of 20, so each host also has a device of its own.
  const rig = await startBridgeRig(broker, { sim: new IrisSimulator({ productions: scaleScenario(1, 25), transitionMs: 10 }) });
  const { sim, monitor, bridge, observer } = rig;
  try {
    await bridge.settled();
    await observer.flush();
    const host = 'Host007.service';
    const hostTopic = topics.hostState(P, 'host007_service');
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
  } finally {
    await rig.stop();
  }
});
