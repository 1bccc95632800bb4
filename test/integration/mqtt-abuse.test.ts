/**
 * Floods and hostile topics over a real mosquitto: bad input is reported, never amplified (a flood
 * of 1,000 commands once gave 1,999 log lines and 987 events), nothing reaches IRIS that should
 * not, and the bridge keeps its MQTT session (no "offline").
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBridge, type RunningBridge } from '../../src/app.ts';
import { IrisSimulator } from '../../src/iris/simulator/index.ts';
import { Topics } from '../../src/mqtt/topics.ts';
import { captureLogger, testConfig, waitFor } from '../support/fixtures.ts';
import { Mosquitto } from '../support/mosquitto.ts';
import { Observer } from '../support/observer.ts';

const topics = new Topics('iris');
const orders = { namespace: 'ORDERS', name: 'Orders.Production' };

describe('MQTT floods and hostile topics', () => {
  let broker: Mosquitto;
  let observer: Observer;
  let running: RunningBridge;
  let sim: IrisSimulator;
  let lines: string[];
  before(async () => {
    broker = await Mosquitto.start();
    sim = new IrisSimulator({ transitionMs: 50 });
    const cap = captureLogger();
    lines = cap.lines;
    observer = await Observer.connect(broker.url);
    running = await startBridge(testConfig({ mqtt: { source: 'default', url: broker.url }, pollIntervalMs: 300, commandCooldownMs: 30_000 }), cap.log, {
      iris: sim,
      inventoryWindowMs: 300,
      birthJitterMs: 200,
    });
    await running.bridge.settled();
  });
  after(async () => {
    await running.stop();
    await observer.close();
    await broker.close();
  });

  /** Publishes everything at once (QoS 0, not awaited one by one), then waits until it is in. */
  const flood = async (messages: Array<[string, string | Buffer]>) => {
    await Promise.all(messages.map(([t, p]) => observer.client.publishAsync(t, p)));
  };

  it('1,000 STOP commands and 1,000 bad payloads in one go: one stop reaches IRIS, a handful of lines and events, still online', async () => {
    const linesBefore = lines.length;
    const since = Date.now();
    await flood([
      ...Array.from({ length: 1000 }, () => [topics.productionSet(orders), 'STOP'] as [string, string]),
      ...Array.from({ length: 1000 }, (_, i) => [topics.productionRestart(orders), `BOOM${i}`] as [string, string]),
    ]);
    await waitFor(() => sim.stateOf('ORDERS', 'Orders.Production') === 'stopped' || undefined, 10_000, 'the one stop');
    // Every command of the flood handled, and what the bridge published about them delivered.
    const sentinel = await observer.handled(topics, lines);
    await running.bridge.settled();
    await observer.flush();
    assert.equal(sim.controlCalls.length, 1, 'more than one command reached IRIS');
    const flooded = lines.slice(linesBefore, lines.indexOf(sentinel));
    assert.ok(flooded.length <= 12, `${flooded.length} log lines for the flood:\n${flooded.slice(0, 20).join('\n')}`);
    const events = observer.count(topics.productionEvent(orders), since);
    assert.ok(events >= 1 && events <= 4, `${events} events for the flood`);
    assert.equal(observer.latest(topics.bridgeAvailability), 'online');
  });

  it('a 60 KB command topic is logged in a line of bounded length, not whole', async () => {
    const linesBefore = lines.length;
    const longTopic = `iris-edge/iris/orders/${'x'.repeat(60 * 1024)}/set`;
    await observer.publish(longTopic, 'STOP');
    await waitFor(() => lines.slice(linesBefore).find((l) => /no such production/.test(l)), 5000, 'the warning');
    for (const l of lines.slice(linesBefore)) assert.ok(l.length < 600, `a ${l.length}-character log line`);
    assert.match(lines.slice(linesBefore).join('\n'), /\(61\d\d\d characters\)/);
  });

  it('the summary of a flood comes when its window ends', { timeout: 30_000 }, async () => {
    const linesBefore = lines.length;
    await flood(Array.from({ length: 50 }, () => [topics.productionRecover(orders), 'NOPE'] as [string, string]));
    await waitFor(() => lines.slice(linesBefore).find((l) => /49 more MQTT command\(s\) like this in the last 10 s were not logged one by one: Ignored "NOPE"/.test(l)), 20_000, 'the summary');
  });
});
