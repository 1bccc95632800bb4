/**
 * Bench: CPU per tick and discovery throughput of the bridge on the simulator, against a real
 * mosquitto, in one run (issue #19).
 * (1) Discovery at 10 x 100: first -> last discovery message as an observer receives them, next
 *     to the same payloads published raw right after by a plain client with 64 QoS 1 publishes in
 *     flight, timed the same way by the same observer (all three in this process), after an
 *     unmeasured raw burst of as many messages warmed the broker and the client code both of them
 *     use; BURSTS such pairs per run, each with a bridge started afresh. Beside them, the CPU this
 *     process used from the first to the last message of each burst: the bridge's or the raw
 *     client's work and the observer's, a figure that does not depend on the broker's timing.
 * (2) CPU per tick at 10 x 100 and 50 x 100: polls run back to back (no timer), each after a few
 *     hosts' queues moved, from the poll to the last publish acked: the CPU of this process (the
 *     bridge's, by process.cpuUsage) and of the bridge's IRIS connection process (its threads'
 *     scheduler counters), together.
 * The simulated IRIS runs in a process of its own (support/tick-iris.ts), reached through the
 * Native API connection process as the image reaches IRIS: its work is IRIS's, not the bridge's,
 * and is printed apart. (Until 2026-12-04 it ran in this process and only its agent's Snapshot was
 * taken out of the bridge's figure; its other calls counted as the bridge's.)
 * The bridge's modules are bundled as the image's build bundles them (scripts/build.ts).
 * Figures only; nothing here passes or fails. The machine may be shared: the load average is
 * printed beside the figures. RUNS=n repeats the whole measurement. The bench runs with the V8
 * flags and allocator settings the image starts the bridge with (bridge/run), or with the flags in
 * BENCH_NODE_FLAGS ("" for Node's defaults) to compare.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { SOURCE_AGENT_DIR } from '../src/iris/agent/source-dir.ts';
import { Topics } from '../src/mqtt/topics.ts';
import type { Logger } from '../src/log/logger.ts';
import { testConfig, waitFor } from '../test/support/fixtures.ts';
import { Mosquitto } from '../test/support/mosquitto.ts';
import { Observer } from '../test/support/observer.ts';
import { childrenRunning } from '../test/support/processes.ts';
import { benchNodeFlags, buildOnce, builtBridge, imageMallocEnv, imageNodeFlags, runAsImage } from './support/bridge-process.ts';
import type { QueueMove, TickIrisReady } from './support/tick-iris.ts';

const WARMUP_TICKS = 20;
const TICKS = 100;
/** Hosts whose queue moves before each tick: a quiet production, not a frozen one. */
const MOVING_HOSTS = 10;
const IN_FLIGHT = 64;
/**
 * Starts of a bridge whose discovery bursts are timed, each beside a raw burst, per run. Some
 * bursts, more often the bridge's, stall for 40-45 ms and take two or three times as long (8 of
 * 36 bridge bursts, 3 of 36 raw ones in one trial); with TCP_NODELAY on the observer's socket
 * none did in 24 pairs: mosquitto waits for the observer's acknowledgements, which Nagle's
 * algorithm holds back, on Home Assistant's socket too (paho leaves it on). With 7 pairs a run's
 * median moved by a third from run to run.
 */
const BURSTS = 15;
const SETTLE_MS = 300;
const HOST_DEVICE_THRESHOLD = 20;
/** About as many and as large as the discovery messages at 10 x 100. */
const WARMUP_MESSAGES = 1000;

const load = () => loadavg().map((n) => n.toFixed(2)).join(' ');
const pct = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))] ?? 0;

/** Publishes `messages` retained from a plain client, IN_FLIGHT QoS 1 publishes at a time. */
async function publishWindowed(url: string, messages: { topic: string; payload: string }[]): Promise<void> {
  const c = await mqtt.connectAsync(url, { protocolVersion: 5 });
  let next = 0;
  const worker = async () => {
    while (next < messages.length) {
      const m = messages[next++] as { topic: string; payload: string };
      await c.publishAsync(m.topic, m.payload, { qos: 1, retain: true });
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  await c.endAsync();
}

/** First -> last message under `prefix` as the observer received them. */
function spanOf(observer: Observer, prefix: string): { ms: number; messages: { topic: string; payload: string }[] } {
  const seen = observer.messages.filter((m) => m.topic.startsWith(prefix) && m.payload !== '');
  const at = seen.map((m) => m.at);
  return { ms: Math.max(...at) - Math.min(...at), messages: seen };
}

/**
 * Counts the messages with a payload under one prefix as the observer receives them, and the CPU
 * time (ms) this process uses from the first to the `count`th. Waiting on its count, rather than
 * searching the observer's whole history every 25 ms, keeps that search out of the bursts timed:
 * the history holds every burst of the run, tens of thousands of messages by the last one.
 */
function burstWatch(observer: Observer): { watch(prefix: string, count: number): void; seen(): number; cpuMs(): number } {
  let watched = { prefix: '\0', count: 0, seen: 0, first: process.cpuUsage(), ms: Number.NaN };
  observer.client.on('message', (topic, payload) => {
    if (payload.length === 0 || !topic.startsWith(watched.prefix)) return;
    if (++watched.seen === 1) watched.first = process.cpuUsage();
    if (watched.seen === watched.count) {
      const c = process.cpuUsage(watched.first);
      watched.ms = (c.user + c.system) / 1000;
    }
  });
  return {
    watch: (prefix, count) => void (watched = { prefix, count, seen: 0, first: process.cpuUsage(), ms: Number.NaN }),
    seen: () => watched.seen,
    cpuMs: () => watched.ms,
  };
}

/**
 * The same payloads from a plain client in this process, IN_FLIGHT QoS 1 publishes outstanding at
 * a time, timed as the bridge is: first -> last message as the observer receives them, and the
 * CPU this process used meanwhile. Cleared afterwards.
 */
async function rawWindowed(url: string, observer: Observer, watch: BurstWatch, payloads: string[], prefix: string): Promise<{ ms: number; cpuMs: number }> {
  const messages = payloads.map((payload, i) => ({ topic: `${prefix}${i}/config`, payload }));
  watch.watch(prefix, payloads.length);
  await publishWindowed(url, messages);
  await waitFor(() => watch.seen() >= payloads.length || undefined, 30_000, 'the raw messages');
  const { ms } = spanOf(observer, prefix);
  await publishWindowed(url, messages.map((m) => ({ topic: m.topic, payload: '' })));
  return { ms, cpuMs: watch.cpuMs() };
}

type BurstWatch = ReturnType<typeof burstWatch>;

interface Scale {
  productions: number;
  hosts: number;
}

interface Figures {
  /** CPU ms per tick of the bridge's process. */
  bridge: number[];
  /** ... of its IRIS connection process (iris/native/child), the add-on's too. */
  connection: number[];
  /** ... of the simulated IRIS's process: IRIS's work, not the bridge's. */
  iris: number[];
}

/** One start's discovery burst and the same messages published raw right after it (ms). */
interface Burst {
  bridge: number;
  raw: number;
  /** The CPU this process used during each. */
  bridgeCpu: number;
  rawCpu: number;
  messages: number;
}

/** CPU time (ms) a process has used so far, all its threads, from the scheduler's ns counters. */
function cpuMsOf(pid: number): number {
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // A thread that ended between the listing and the read: its time is gone with it.
    }
  }
  return ns / 1e6;
}

type TickIris = Awaited<ReturnType<typeof startIris>>;

/** The simulated IRIS in its own process (support/tick-iris.ts), and the moves of its queues. */
async function startIris(scale: Scale): Promise<{ proc: ChildProcess; ready: TickIrisReady; move(moves: QueueMove[]): Promise<void> }> {
  const proc = fork(fileURLToPath(new URL('./support/tick-iris.ts', import.meta.url)), [`${scale.productions}x${scale.hosts}`], {
    execArgv: ['--import', 'tsx'],
    env: { PATH: process.env.PATH ?? '', ...imageMallocEnv() },
  });
  const ready = await new Promise<TickIrisReady>((resolve, reject) => {
    proc.once('message', (m) => resolve(m as TickIrisReady));
    proc.once('exit', (code) => reject(new Error(`the simulated IRIS exited (${code}) before it listened`)));
  });
  const move = (moves: QueueMove[]) =>
    new Promise<void>((resolve, reject) => {
      proc.once('message', (m: { error?: string }) => (m.error ? reject(new Error(m.error)) : resolve()));
      proc.send(moves);
    });
  return { proc, ready, move };
}

/** The bridge as the image's build bundles it (builtBridge) and its logger. */
type Compiled = Awaited<ReturnType<typeof builtBridge>> & { quiet: Logger };

function benchConfig(instanceId: string, broker: Mosquitto, iris: TickIris) {
  return testConfig({
    instanceId,
    mqtt: { source: 'default', url: broker.url },
    iris: { mode: 'native', ...iris.ready, agentDir: SOURCE_AGENT_DIR, driver: 'simulator' },
    // No timer-driven polls: the bench drives every tick itself.
    pollIntervalMs: 3_600_000,
    logLevel: 'error',
    hostDeviceThreshold: HOST_DEVICE_THRESHOLD,
  });
}

/**
 * 1 + BURSTS starts of a bridge, each of its discovery bursts followed by the same messages
 * published raw: a burst is a few tens of ms, and one pair alone scattered from half to twice the
 * median. Each bridge is stopped before its raw burst, and its messages are cleared before the
 * next start. The first start is the bridge's code's first run in this process (its own bundled
 * copy of mqtt.js included, which the raw warm-up does not warm): it is returned apart, as the
 * cold start it is, next to a raw client that is warm.
 */
async function discoveryBursts({ startBridge, quiet }: Compiled, broker: Mosquitto, iris: TickIris, scale: Scale): Promise<{ cold: Burst; warm: Burst[] }> {
  const observer = await Observer.connect(broker.url, ['homeassistant/device/#', 'bench/#']);
  try {
    // An unmeasured burst first, so that the broker, the observer and mqtt.js's publish path are
    // warm for the bridge as they are for the raw client after it: raw publishing alone took a
    // median 84 ms first on a fresh broker and 60 ms once warm (12 runs each).
    const watch = burstWatch(observer);
    await rawWindowed(broker.url, observer, watch, Array.from({ length: WARMUP_MESSAGES }, (_, i) => 'w'.repeat(2400 + (i % 7))), 'bench/warm/');
    const expected = 1 + scale.productions + scale.productions * scale.hosts;
    const out: Burst[] = [];
    for (let k = 0; k <= BURSTS; k++) {
      const config = benchConfig(`burst${k}`, broker, iris);
      // Watched before the bridge starts: its first messages go out during startBridge.
      const prefix = `homeassistant/device/${new Topics(config.instanceId).nodeId}/`;
      watch.watch(prefix, expected);
      const running = await startBridge(config, quiet);
      let burst;
      try {
        await running.bridge.settled();
        await waitFor(() => watch.seen() >= expected || undefined, 60_000, 'discovery').catch((err: unknown) => {
          // mosquitto drops QoS 1 messages for a subscriber past max_queued_messages (1000): an
          // observer slower than the bridge then never sees them all.
          const drops = broker.log.split('\n').filter((l) => /dropped/i.test(l));
          throw new Error(`${(err as Error).message}; the observer has ${watch.seen()} of ${expected}${drops.length ? `; mosquitto: ${drops[0]}` : ''}`);
        });
        burst = spanOf(observer, prefix);
      } finally {
        await running.stop();
      }
      // The stopped bridge's processes wind down first: their exit is not the raw client's cost.
      await sleep(SETTLE_MS);
      const bridgeCpu = watch.cpuMs();
      const raw = await rawWindowed(broker.url, observer, watch, burst.messages.map((m) => m.payload), `bench/raw${k}/`);
      await publishWindowed(broker.url, burst.messages.map((m) => ({ topic: m.topic, payload: '' })));
      await sleep(SETTLE_MS);
      out.push({ bridge: burst.ms, raw: raw.ms, bridgeCpu, rawCpu: raw.cpuMs, messages: burst.messages.length });
    }
    const [cold, ...warm] = out as [Burst, ...Burst[]];
    return { cold, warm };
  } finally {
    await observer.close();
  }
}

/** CPU per tick: polls back to back, each after MOVING_HOSTS hosts' queues moved. */
async function ticks({ startBridge, quiet }: Compiled, broker: Mosquitto, iris: TickIris, scale: Scale): Promise<Figures> {
  const running = await startBridge(benchConfig(`bench${scale.productions}`, broker, iris), quiet);
  try {
    await running.bridge.settled();
    const [connection] = childrenRunning(process.pid, 'native/child');
    if (connection === undefined) throw new Error('the bridge has no IRIS connection process');
    const irisPid = iris.proc.pid as number;
    const out: Figures = { bridge: [], connection: [], iris: [] };
    let n = 0;
    for (let i = 0; i < WARMUP_TICKS + TICKS; i++) {
      const moves: QueueMove[] = [];
      for (let k = 0; k < MOVING_HOSTS; k++, n++) {
        const p = n % scale.productions;
        const h = (n * 7) % scale.hosts;
        const kind = ['service', 'process', 'operation'][h % 3] as string;
        moves.push([`SCALE${String(p + 1).padStart(2, '0')}`, `Scale${p + 1}.Production`, `Host${String(h + 1).padStart(3, '0')}.${kind}`, (n * 13) % 40]);
      }
      await iris.move(moves);
      const [k0, i0] = [cpuMsOf(connection), cpuMsOf(irisPid)];
      const c0 = process.cpuUsage();
      await running.monitor.poll();
      await running.bridge.settled();
      const c = process.cpuUsage(c0);
      if (i >= WARMUP_TICKS) {
        out.bridge.push((c.user + c.system) / 1000);
        out.connection.push(cpuMsOf(connection) - k0);
        out.iris.push(cpuMsOf(irisPid) - i0);
      }
    }
    return out;
  } finally {
    await running.stop();
  }
}

/** With the simulated IRIS of `scale` running for it. */
async function withIris<T>(scale: Scale, use: (iris: TickIris) => Promise<T>): Promise<T> {
  const iris = await startIris(scale);
  try {
    return await use(iris);
  } finally {
    iris.proc.disconnect();
  }
}

async function main(): Promise<void> {
  if (!process.env.BENCH_AS_IMAGE) {
    buildOnce();
    const flags = benchNodeFlags(imageNodeFlags());
    runAsImage(import.meta.url, flags, { BENCH_TICK_FLAGS: flags.join(' ') });
  }
  const compiled = await builtBridge();
  // Errors only, on stderr: a publish that fails must show, not look like a slow run.
  const bridge: Compiled = { ...compiled, quiet: compiled.createLogger('error', process.stderr) };
  const runs = Number(process.env.RUNS ?? 1);
  const ratios: number[] = [];
  console.log(`IRIS Edge tick bench — the bridge bundled as in the image on Node ${process.version} with ${process.env.BENCH_TICK_FLAGS || 'no V8 flags'}, mosquitto on loopback, hosts past ${HOST_DEVICE_THRESHOLD} on devices of their own`);
  const small: Scale = { productions: 10, hosts: 100 };
  const large: Scale = { productions: 50, hosts: 100 };
  for (let r = 1; r <= runs; r++) {
    const broker = await Mosquitto.start();
    try {
      const before = load();
      const [bursts, smallTicks] = await withIris(small, async (iris) => [await discoveryBursts(bridge, broker, iris, small), await ticks(bridge, broker, iris, small)] as const);
      const largeTicks = await withIris(large, (iris) => ticks(bridge, broker, iris, large));
      const pairs = bursts.warm.map((b) => b.bridge / b.raw);
      ratios.push(...pairs);
      const ms = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(' ');
      const f = (xs: number[]) => `median ${pct(xs, 0.5).toFixed(2)} ms, p95 ${pct(xs, 0.95).toFixed(2)} ms`;
      console.log(`run ${r}/${runs} (load average before ${before}, after ${load()})`);
      const { cold, warm } = bursts;
      console.log(`  discovery 10x100, ${cold.messages} messages at each start of a bridge, each next to the same published raw (${IN_FLIGHT} in flight):`);
      console.log(`    first start, the bridge's code cold: bridge ${ms([cold.bridge])} ms; raw ${ms([cold.raw])} ms; ratio ${(cold.bridge / cold.raw).toFixed(2)}`);
      console.log(`    ${BURSTS} starts after it: bridge ${ms(warm.map((b) => b.bridge))} ms; raw ${ms(warm.map((b) => b.raw))} ms; ratios ${pairs.map((x) => x.toFixed(2)).join(' ')}; median ratio ${pct(pairs, 0.5).toFixed(2)} (goal <= 1.5)`);
      const bridgeCpu = warm.map((b) => b.bridgeCpu);
      const rawCpu = warm.map((b) => b.rawCpu);
      console.log(`    this process's CPU during those bursts (the bridge's or the raw client's work, and the observer's): bridge median ${pct(bridgeCpu, 0.5).toFixed(1)} ms, raw median ${pct(rawCpu, 0.5).toFixed(1)} ms; ratio of medians ${(pct(bridgeCpu, 0.5) / pct(rawCpu, 0.5)).toFixed(2)}`);
      const cpu = (x: Figures) => {
        const both = x.bridge.map((b, i) => b + (x.connection[i] as number));
        return `${f(both)} (the bridge's process ${f(x.bridge)}; its IRIS connection process median ${pct(x.connection, 0.5).toFixed(2)} ms); the simulated IRIS's process, not counted: median ${pct(x.iris, 0.5).toFixed(2)} ms`;
      };
      console.log(`  CPU per tick, ${TICKS} ticks, ${MOVING_HOSTS} hosts moving, the bridge's process and its IRIS connection process together:`);
      console.log(`    10x100 (goal <= 8 ms): ${cpu(smallTicks)}`);
      console.log(`    50x100 (goal <= 25 ms): ${cpu(largeTicks)}`);
    } finally {
      await broker.close();
    }
  }
  if (runs > 1) console.log(`discovery 10x100 over ${runs} runs: median of all ${ratios.length} bridge/raw ratios after the first start ${pct(ratios, 0.5).toFixed(2)} (goal <= 1.5)`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
