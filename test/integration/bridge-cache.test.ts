// Per-host caching in the bridge (src/mqtt/host-cache.ts) over a real mosquitto: a poll that
// changes nothing publishes nothing, and a host whose snapshot changes gets a new state alone.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { IrisSimulator, scaleScenario } from '../../src/iris/simulator/index.ts';
import { Monitor } from '../../src/monitor/monitor.ts';
import { MqttBridge } from '../../src/mqtt/bridge.ts';
import { connectMqtt } from '../../src/mqtt/connection.ts';
import { Topics } from '../../src/mqtt/topics.ts';
import { captureLogger } from '../support/fixtures.ts';
import { Mosquitto } from '../support/mosquitto.ts';
import { Observer } from '../support/observer.ts';

const topics = new Topics('iris');
const P = { namespace: 'SCALE01', name: 'Scale1.Production' };
let broker: Mosquitto;
before(async () => {
  broker = await Mosquitto.start();
});
after(async () => broker.close());

it('publishes nothing for unchanged hosts and a new state for the host that changed', async () => {
  const { log } = captureLogger();
  // 25 hosts: past the threshold of 20, so each host also has a device of its own.
  const sim = new IrisSimulator({ productions: scaleScenario(1, 25), transitionMs: 10 });
  const monitor = new Monitor(sim, { pollIntervalMs: 3_600_000, removalGracePolls: 2 }, log);
  const observer = await Observer.connect(broker.url);
  const client = connectMqtt({ url: broker.url, instanceId: 'iris', will: { topic: topics.bridgeAvailability, payload: 'offline' } }, log);
  const bridge = new MqttBridge({
    client,
    monitor,
    log,
    hostDeviceThreshold: 20,
    inventoryWindowMs: 200,
    discovery: { topics, bridgeVersion: 'test', entityPrefix: '', instanceName: 'IRIS', instanceModel: 'IRIS simulator', panelUrl: null },
  });
  try {
    await monitor.start();
    await bridge.start();
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
    monitor.stop();
    await bridge.stop();
    await client.endAsync();
    await observer.close();
  }
});
