/**
 * Bench: CPU per tick and discovery throughput of the bridge on the simulator, against a real
 * mosquitto, in one run (issue #19).
 * (1) Discovery at 10 x 100: first -> last discovery message as an observer receives them, next
 *     to the same payloads published raw by a plain client with 64 QoS 1 publishes in flight,
 *     timed the same way by the same observer (all three in this process), after an unmeasured
 *     raw burst of as many messages warmed the broker and the client code both of them use.
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
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { SOURCE_AGENT_DIR } from '../src/iris/agent/source-dir.ts';
import type { Logger } from '../src/log/logger.ts';
import { testConfig, waitFor } from '../test/support/fixtures.ts';
import { Mosquitto } from '../test/support/mosquitto.ts';
import { Observer } from '../test/support/observer.ts';
import { childrenOf } from '../test/support/processes.ts';
import { benchNodeFlags, buildOnce, builtBridge, imageMallocEnv, imageNodeFlags, runAsImage } from './support/bridge-process.ts';
import type { QueueMove, TickIrisReady } from './support/tick-iris.ts';

const WARMUP_TICKS = 20;
const TICKS = 100;
/** Hosts whose queue moves before each tick: a quiet production, not a frozen one. */
const MOVING_HOSTS = 10;
const IN_FLIGHT = 64;
const HOST_DEVICE_THRESHOLD = 20;
/** About as many and as large as the discovery messages at 10 x 100. */
const WARMUP_MESSAGES = 1000;

const load = () => loadavg().map((n) => n.toFixed(2)).join(' ');
const pct = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))] ?? 0;

/**
 * The same payloads from a plain client in this process, IN_FLIGHT QoS 1 publishes outstanding at
 * a time, timed as the bridge is: first -> last message as the observer receives them.
 */
async function rawWindowed(url: string, observer: Observer, payloads: string[], prefix = 'bench/raw/'): Promise<number> {
  const c = await mqtt.connectAsync(url, { protocolVersion: 5 });
  const send = async (payload: (i: number) => string) => {
    let next = 0;
    const worker = async () => {
      while (next < payloads.length) {
        const i = next++;
        await c.publishAsync(`${prefix}${i}/config`, payload(i), { qos: 1, retain: true });
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  };
  const raw = () => observer.messages.filter((m) => m.topic.startsWith(prefix) && m.payload !== '');
  await send((i) => payloads[i] as string);
  await waitFor(() => raw().length === payloads.length || undefined, 30_000, 'the raw messages');
  const at = raw().map((m) => m.at);
  await send(() => '');
  await c.endAsync();
  return Math.max(...at) - Math.min(...at);
}

interface Scale {
  productions: number;
  hosts: number;
}

interface Figures {
  discoveryMs?: number;
  rawMs?: number;
  messages?: number;
  /** CPU ms per tick of the bridge's process. */
  bridge: number[];
  /** ... of its IRIS connection process (iris/native/child), the add-on's too. */
  connection: number[];
  /** ... of the simulated IRIS's process: IRIS's work, not the bridge's. */
  iris: number[];
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

async function run({ startBridge, quiet }: Compiled, broker: Mosquitto, scale: Scale, discovery: boolean): Promise<Figures> {
  const iris = await startIris(scale);
  const observer = await Observer.connect(broker.url, ['homeassistant/device/#', 'bench/raw/#', 'bench/warm/#']);
  const config = testConfig({
    instanceId: `bench${scale.productions}`,
    mqtt: { source: 'default', url: broker.url },
    iris: { mode: 'native', ...iris.ready, agentDir: SOURCE_AGENT_DIR, driver: 'simulator' },
    // No timer-driven polls: the bench drives every tick itself.
    pollIntervalMs: 3_600_000,
    logLevel: 'error',
    hostDeviceThreshold: HOST_DEVICE_THRESHOLD,
  });
  // An unmeasured burst first, so that the broker, the observer and mqtt.js's publish path are
  // warm for the bridge as they are for the raw client after it: raw publishing alone took a
  // median 84 ms first on a fresh broker and 60 ms once warm (12 runs each).
  if (discovery) await rawWindowed(broker.url, observer, Array.from({ length: WARMUP_MESSAGES }, (_, i) => 'w'.repeat(2400 + (i % 7))), 'bench/warm/');
  const running = await startBridge(config, quiet);
  try {
    const expected = 1 + scale.productions + scale.productions * scale.hosts;
    const prefix = `homeassistant/device/${running.topics.nodeId}/`;
    // startBridge returns after the first sync; without the discovery figure nothing need be
    // watched (an in-process observer of 5,000 messages would only add its own CPU).
    await running.bridge.settled();
    if (discovery) {
      await waitFor(() => observer.retained(prefix).size === expected || undefined, 60_000, 'discovery').catch((err: unknown) => {
        // mosquitto drops QoS 1 messages for a subscriber past max_queued_messages (1000): an
        // observer slower than the bridge then never sees them all.
        const drops = broker.log.split('\n').filter((l) => /dropped/i.test(l));
        throw new Error(`${(err as Error).message}; the observer has ${observer.retained(prefix).size} of ${expected}${drops.length ? `; mosquitto: ${drops[0]}` : ''}`);
      });
    }
    const out: Figures = { bridge: [], connection: [], iris: [] };
    if (discovery) {
      const msgs = observer.messages.filter((m) => m.topic.startsWith(prefix) && m.payload !== '');
      out.discoveryMs = Math.max(...msgs.map((m) => m.at)) - Math.min(...msgs.map((m) => m.at));
      out.messages = msgs.length;
      out.rawMs = await rawWindowed(broker.url, observer, msgs.map((m) => m.payload));
    }
    await observer.close();
    const connection = childrenOf(process.pid).find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('native/child'));
    if (connection === undefined) throw new Error('the bridge has no IRIS connection process');
    const irisPid = iris.proc.pid as number;
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
  const bursts: { bridge: number; raw: number }[] = [];
  console.log(`IRIS Edge tick bench — the bridge bundled as in the image on Node ${process.version} with ${process.env.BENCH_TICK_FLAGS || 'no V8 flags'}, mosquitto on loopback, hosts past ${HOST_DEVICE_THRESHOLD} on devices of their own`);
  for (let r = 1; r <= runs; r++) {
    const broker = await Mosquitto.start();
    try {
      const before = load();
      const small = await run(bridge, broker, { productions: 10, hosts: 100 }, true);
      const large = await run(bridge, broker, { productions: 50, hosts: 100 }, false);
      const ratio = (small.discoveryMs as number) / (small.rawMs as number);
      bursts.push({ bridge: small.discoveryMs as number, raw: small.rawMs as number });
      const f = (xs: number[]) => `median ${pct(xs, 0.5).toFixed(2)} ms, p95 ${pct(xs, 0.95).toFixed(2)} ms`;
      console.log(`run ${r}/${runs} (load average before ${before}, after ${load()})`);
      console.log(`  discovery 10x100: bridge ${small.discoveryMs?.toFixed(0)} ms for ${small.messages} messages; raw, ${IN_FLIGHT} in flight: ${small.rawMs?.toFixed(0)} ms; ratio ${ratio.toFixed(2)} (goal <= 1.5)`);
      const cpu = (x: Figures) => {
        const both = x.bridge.map((b, i) => b + (x.connection[i] as number));
        return `${f(both)} (the bridge's process ${f(x.bridge)}; its IRIS connection process median ${pct(x.connection, 0.5).toFixed(2)} ms); the simulated IRIS's process, not counted: median ${pct(x.iris, 0.5).toFixed(2)} ms`;
      };
      console.log(`  CPU per tick, ${TICKS} ticks, ${MOVING_HOSTS} hosts moving, the bridge's process and its IRIS connection process together:`);
      console.log(`    10x100 (goal <= 8 ms): ${cpu(small)}`);
      console.log(`    50x100 (goal <= 25 ms): ${cpu(large)}`);
    } finally {
      await broker.close();
    }
  }
  if (runs > 1) {
    // One burst each is a few tens of ms, and the raw one alone varied fourfold between runs.
    const bridge = pct(bursts.map((b) => b.bridge), 0.5);
    const raw = pct(bursts.map((b) => b.raw), 0.5);
    // The goal compares bursts of the same run; the ratio of the medians pairs different runs'.
    const sameRun = pct(bursts.map((b) => b.bridge / b.raw), 0.5);
    console.log(`discovery 10x100 over ${runs} runs: bridge median ${bridge.toFixed(0)} ms, raw median ${raw.toFixed(0)} ms; median of the same-run ratios ${sameRun.toFixed(2)}, ratio of the medians ${(bridge / raw).toFixed(2)} (goal <= 1.5)`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
