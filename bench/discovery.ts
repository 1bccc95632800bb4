/**
 * Bench: the bridge on the simulator with 10 productions x 100 hosts against a real mosquitto.
 * Prints (1) start -> all discovery published, next to the broker's time for the same number of
 * discovery-sized messages published raw; (2) simulated state change -> MQTT state publish;
 * (3) command -> confirmed state published, minus the simulator's own transition time.
 * Figures only; nothing here passes or fails.
 */
import mqtt from 'mqtt';
import { startBridge } from '../src/app.ts';
import { IrisSimulator, scaleScenario } from '../src/iris/simulator/index.ts';
import { createLogger } from '../src/log/logger.ts';
import { Topics } from '../src/mqtt/topics.ts';
import { DEFAULT_INVENTORY_WINDOW_MS } from '../src/mqtt/bridge.ts';
import { testConfig, waitFor } from '../test/support/fixtures.ts';
import { Mosquitto } from '../test/support/mosquitto.ts';
import { Observer, stateIs } from '../test/support/observer.ts';
import { Writable } from 'node:stream';

const PRODUCTIONS = 10;
const HOSTS = 100;
const POLL_MS = 1000;
const SAMPLES = 15;
const TRANSITION_MS = 100;

const quiet = createLogger('error', new Writable({ write: (_c, _e, cb) => cb() }));
const ms = (n: number) => `${n.toFixed(1)} ms`;
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `min ${ms(s[0] ?? 0)}, median ${ms(s[Math.floor(s.length / 2)] ?? 0)}, max ${ms(s.at(-1) ?? 0)} (n=${s.length})`;
};

async function rawBaseline(url: string, payloads: string[]): Promise<number> {
  const c = await mqtt.connectAsync(url, { protocolVersion: 5 });
  const t0 = performance.now();
  for (const [i, p] of payloads.entries()) await c.publishAsync(`bench/raw/${i}/config`, p, { qos: 1, retain: true });
  const t = performance.now() - t0;
  for (let i = 0; i < payloads.length; i++) await c.publishAsync(`bench/raw/${i}/config`, '', { qos: 1, retain: true });
  await c.endAsync();
  return t;
}

async function main(): Promise<void> {
  const broker = await Mosquitto.start();
  try {
    await measure(broker);
  } finally {
    await broker.close();
  }
}

async function measure(broker: Mosquitto): Promise<void> {
  const topics = new Topics('bench');
  const sim = new IrisSimulator({ productions: scaleScenario(PRODUCTIONS, HOSTS), transitionMs: TRANSITION_MS });
  const observer = await Observer.connect(broker.url);
  const config = testConfig({ instanceId: 'bench', mqtt: { source: 'default', url: broker.url }, pollIntervalMs: POLL_MS, logLevel: 'error', hostDeviceThreshold: 20 });

  const t0 = performance.now();
  const running = await startBridge(config, quiet, { iris: sim });
  // The instance, each production, and (past the 20-host threshold) each host as its own device.
  const expected = 1 + PRODUCTIONS + PRODUCTIONS * HOSTS;
  await waitFor(() => observer.retained('homeassistant/device/').size === expected || undefined, 30_000, 'discovery');
  const startToDiscovery = performance.now() - t0;
  const discoveryMsgs = observer.messages.filter((m) => m.topic.startsWith('homeassistant/device/'));
  const firstAt = Math.min(...discoveryMsgs.map((m) => m.at));
  const lastAt = Math.max(...discoveryMsgs.map((m) => m.at));
  const bytes = discoveryMsgs.reduce((n, m) => n + m.payload.length, 0);
  const raw = await rawBaseline(broker.url, discoveryMsgs.map((m) => m.payload));

  // State change -> publish, at random moments within the poll cycle.
  const stateLatency: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const p = { namespace: `SCALE${String((i % PRODUCTIONS) + 1).padStart(2, '0')}`, name: `Scale${(i % PRODUCTIONS) + 1}.Production` };
    await new Promise((r) => setTimeout(r, Math.random() * POLL_MS));
    const since = Date.now();
    const t = performance.now();
    sim.makeTroubled(p.namespace, p.name);
    await observer.waitFor(topics.productionState(p), stateIs('troubled'), POLL_MS * 3, since);
    stateLatency.push(performance.now() - t);
    await sim.control({ namespace: p.namespace, production: p.name, action: 'stop', force: true });
    await sim.control({ namespace: p.namespace, production: p.name, action: 'start' });
    await observer.waitFor(topics.productionState(p), stateIs('running'), POLL_MS * 3, since);
  }

  // Command -> confirmed state published.
  const commandLatency: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const p = { namespace: 'SCALE01', name: 'Scale1.Production' };
    const [cmd, want] = i % 2 === 0 ? ['STOP', 'stopped'] : ['START', 'running'];
    const since = Date.now();
    const t = performance.now();
    await observer.publish(topics.productionSet(p), cmd as string);
    await observer.waitFor(topics.productionState(p), stateIs(want as string), 5000, since);
    commandLatency.push(performance.now() - t - TRANSITION_MS);
  }

  await running.stop();
  await observer.close();

  console.log(`IRIS Edge bench — simulator ${PRODUCTIONS} productions x ${HOSTS} hosts, mosquitto on loopback, poll ${POLL_MS} ms`);
  console.log(`start -> all ${expected} discovery messages received: ${ms(startToDiscovery)} (includes the ${DEFAULT_INVENTORY_WINDOW_MS} ms start-up scan for stale topics)`);
  console.log(`  discovery publishing itself (first -> last message): ${ms(lastAt - firstAt)} for ${discoveryMsgs.length} messages, ${bytes} bytes`);
  console.log(`  the same ${discoveryMsgs.length} payloads published raw, QoS 1, one by one: ${ms(raw)} (ratio ${((lastAt - firstAt) / raw).toFixed(2)}, budget 3)`);
  console.log(`state change in IRIS -> state published: ${stats(stateLatency)} (budget: poll interval + 100 ms = ${POLL_MS + 100} ms)`);
  console.log(`command -> confirmed state published (minus ${TRANSITION_MS} ms simulated IRIS work): ${stats(commandLatency)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
