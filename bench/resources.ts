/**
 * Bench: the built bridge (node dist/main.js, as in the image) on the simulator with 10
 * productions x 100 hosts (about 5,000 entities) at a 10 s poll, against a real mosquitto: its
 * resident memory and CPU use while idle, and those of its IRIS connection process (the Native
 * API's child), which a real IRIS needs too. The simulated IRIS runs in a process of its own
 * (`npm run simulator`), as IRIS does beside the bridge in the image; its resident memory is
 * printed apart. Prints figures (DESIGN.md §11: RSS < 80 MB, CPU < 1 %).
 *
 * In the same run, as anchors: the bridge with the image's V8 flags (bridge/run's
 * bridge_node_flags) and with a candidate (BENCH_NODE_FLAGS, Node's defaults unless set), and the
 * library floor: a Node process that only loads the bridge's runtime dependencies whole, from
 * node_modules, with the image's flags. The bridge's bundle holds only the parts of them it reaches
 * (scripts/build.ts), so it can come out below that floor; after its measurement, the run with
 * the image's flags prints its heap's largest retainers (bench/support/heap-retainers.ts). Last,
 * the bridge with the simulator inside its process, as `npm start` runs it and as this bench
 * measured it until 2026-12 (issue #19's first figures): the simulator's memory then counts too.
 * Every process runs with the image's allocator settings (bridge/run's MALLOC_* exports).
 * SCENARIO=demo (or another "PxH") measures a different simulator size; a "PxH" other than the
 * base 10x100 also measures the base, with the image's flags, and prints the growth per host.
 * Beside resident memory it prints the anonymous part: about 60 MB of a running bridge's resident
 * memory are the node binary's own code pages, which no change to the bridge can shrink.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Mosquitto } from '../test/support/mosquitto.ts';
import { largestRetainers } from './support/heap-retainers.ts';
import { childrenOf } from '../test/support/processes.ts';
import { benchNodeFlags, imageMallocEnv, imageNodeFlags, processSample as sample, startCompiledBridge, startCompiledSimulator } from './support/bridge-process.ts';

const WARMUP_S = 30;
const MEASURE_S = 60;
const FLOOR_S = 10;
/** Node's defaults (no V8 flags): measured against the image's flags in every run. */
const CANDIDATE_FLAGS = benchNodeFlags([]);
const TICKS_PER_S = 100; // USER_HZ on Linux
const root = fileURLToPath(new URL('..', import.meta.url));
const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));
const range = (xs: number[]) => `min ${Math.min(...xs).toFixed(1)} MB, max ${Math.max(...xs).toFixed(1)} MB`;

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const HEAP_TOP = 12;
const BASE_SCENARIO = '10x100';
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** Hosts of a "PxH" scenario; undefined for a named one. */
const hostsOf = (scenario: string) => {
  const m = /^(\d+)x(\d+)$/.exec(scenario);
  return m ? Number(m[1]) * Number(m[2]) : undefined;
};
/** The library floor measured in this run, printed beside every bridge figure. */
let floorRss: number[] = [];
let floorAnon: number[] = [];

/** A heap snapshot of the running bridge (SIGUSR2, after the measurement) and its largest retainers. */
async function printRetainers(pid: number, dir: string): Promise<void> {
  process.kill(pid, 'SIGUSR2');
  const deadline = Date.now() + 120_000;
  let file: string | undefined;
  // The snapshot is complete when its file stops growing: V8 writes it in one go, then the bridge goes on.
  for (let last = -1; Date.now() < deadline; await sleep(1)) {
    file = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && f.includes(`.${pid}.`));
    if (!file) continue;
    const size = statSync(join(dir, file)).size;
    if (size > 0 && size === last) break;
    last = size;
  }
  if (!file) throw new Error('the bridge wrote no heap snapshot within 120 s');
  const { totalBytes, top } = largestRetainers(join(dir, file), HEAP_TOP);
  rmSync(join(dir, file));
  console.log(`  its JavaScript heap at the end: ${mb(totalBytes)} reachable; the ${HEAP_TOP} largest retainers (retained / own size):`);
  for (const r of top) {
    console.log(`    ${mb(r.retainedBytes).padStart(9)} / ${mb(r.selfBytes).padStart(8)}  ${r.label}`);
    console.log(`${' '.repeat(26)}holding ${r.parts.map((p) => `${p.label} ${mb(p.retainedBytes)}`).join(', ')}`);
  }
}

/**
 * Where the simulated IRIS runs: in a process of its own, as IRIS is to the bridge in the image
 * (what the figures are judged by), or inside the bridge's process, as `npm start` runs it and as
 * this bench measured the bridge before: its memory and work are then counted as the bridge's.
 */
type SimulatorPlace = 'own process' | 'in the bridge';

/** Measures the bridge on `scenario`; returns its RSS samples (MB). */
async function measureBridge(broker: Mosquitto, scenario: string, flags: string[], place: SimulatorPlace, retainers = false): Promise<number[]> {
  const snapshots = mkdtempSync(join(tmpdir(), 'iris-edge-bench-heap-'));
  const state = mkdtempSync(join(tmpdir(), 'iris-edge-bench-resources-'));
  // The simulated write daemon stands in for IRIS's own work, which is not the bridge's cost.
  const simulatorEnv = { IRIS_EDGE_SIMULATOR_SCENARIO: scenario, IRIS_EDGE_SIMULATOR_WRITE_MS: '0' };
  const simulator = place === 'own process' ? await startCompiledSimulator({ ...simulatorEnv, LOG_LEVEL: 'warning', IRIS_EDGE_STATE_DIR: join(state, 'simulator') }) : undefined;
  const bridge = startCompiledBridge(
    {
      MQTT_URL: broker.url,
      POLL_INTERVAL: '10',
      ...(simulator ? simulator.env : simulatorEnv),
      PANEL_PORT: '0',
      MCP_PORT: '0',
      LOG_LEVEL: 'warning',
      IRIS_EDGE_STATE_DIR: join(state, 'bridge'),
    },
    'ignore',
    // --heapsnapshot-signal only installs a signal handler: it changes nothing until the signal.
    retainers ? [...flags, '--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${snapshots}`] : flags,
  );
  try {
    await sleep(WARMUP_S);
    const pid = bridge.pid as number;
    const [child] = childrenOf(pid);
    if (child === undefined) throw new Error('the bridge has no IRIS connection process');
    const a = [sample(pid), sample(child)];
    const rss: number[][] = [[], []];
    const anon: number[] = [];
    const simulatorRss: number[] = [];
    for (let i = 0; i < MEASURE_S; i++) {
      await sleep(1);
      const s = sample(pid);
      rss[0]!.push(s.rssMb);
      anon.push(s.anonMb);
      rss[1]!.push(sample(child).rssMb);
      if (simulator) simulatorRss.push(sample(simulator.proc.pid as number).rssMb);
    }
    const b = [sample(pid), sample(child)];
    const cpu = (i: number) => (((b[i]!.cpuTicks - a[i]!.cpuTicks) / TICKS_PER_S / MEASURE_S) * 100).toFixed(2);
    const named = flags.length > 0 ? flags.join(' ') : 'no V8 flags (Node defaults)';
    const aboveFloor = (mean(rss[0]!) - mean(floorRss)).toFixed(1);
    console.log(`bridge ${scenario}, ${named}, simulated IRIS ${place}: resident memory ${range(rss[0]!)} (budget 80 MB; library floor ${range(floorRss)}, mean ${aboveFloor} MB above it); CPU ${cpu(0)} % of one core (budget 1 %)`);
    console.log(`  of it anonymous (heap, stacks, allocations; the rest is file pages, mostly node's code): ${range(anon)} (library floor ${range(floorAnon)})`);
    console.log(`  its IRIS connection process: resident memory ${range(rss[1]!)}; CPU ${cpu(1)} % of one core`);
    if (simulator) console.log(`  the simulated IRIS's own process (not in the image, where IRIS runs): resident memory ${range(simulatorRss)}`);
    if (retainers) await printRetainers(pid, snapshots);
    return rss[0]!;
  } finally {
    bridge.kill('SIGTERM');
    simulator?.proc.kill('SIGTERM');
    rmSync(snapshots, { recursive: true, force: true });
  }
}

/** RSS of a Node process that has loaded every runtime dependency of the bridge and does nothing else. */
async function libraryFloor(flags: string[]): Promise<void> {
  const deps = Object.keys((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies);
  const script = `const failed = [];
for (const m of ${JSON.stringify(deps)}) { try { await import(m); } catch { failed.push(m); } }
console.log('FLOOR-LOADED ' + JSON.stringify(failed));
setInterval(() => {}, 1000);`;
  const floor = spawn(process.execPath, [...flags, '--input-type=module', '-e', script], { cwd: root, env: { ...process.env, ...imageMallocEnv() }, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    // Some libraries print when loaded (the IRIS Native SDK names its platform): the marked line is the script's.
    let out = '';
    const failed = await new Promise<string[]>((resolve) =>
      floor.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const line = /^FLOOR-LOADED (.*)$/m.exec(out);
        if (line) resolve(JSON.parse(line[1]!) as string[]);
      }),
    );
    const rss: number[] = [];
    const anon: number[] = [];
    for (let i = 0; i < FLOOR_S; i++) {
      await sleep(1);
      const s = sample(floor.pid as number);
      rss.push(s.rssMb);
      anon.push(s.anonMb);
    }
    floorRss = rss;
    floorAnon = anon;
    const missing = failed.length > 0 ? ` (${failed.join(', ')} could not load on this machine)` : '';
    console.log(`library floor, ${flags.join(' ') || 'no V8 flags'}: ${deps.length} runtime dependencies loaded, nothing else: resident memory ${range(rss)}${missing}`);
  } finally {
    floor.kill('SIGTERM');
  }
}

async function main(): Promise<void> {
  const flags = imageNodeFlags();
  const scenario = process.env.SCENARIO ?? BASE_SCENARIO;
  const malloc = Object.entries(imageMallocEnv()).map(([k, v]) => `${k}=${v}`).join(' ') || 'none';
  // The bridge runs on this process's node (process.execPath), so this is the Node measured.
  console.log(`IRIS Edge resources — built bridge on Node ${process.version}, simulator ${scenario}, poll 10 s, panel on, ${MEASURE_S} s after ${WARMUP_S} s warm-up each; allocator settings of the image: ${malloc}`);
  const broker = await Mosquitto.start();
  try {
    await libraryFloor(flags);
    const measured = await measureBridge(broker, scenario, flags, 'own process', true);
    const hosts = hostsOf(scenario);
    const baseHosts = hostsOf(BASE_SCENARIO) as number;
    if (hosts !== undefined && hosts !== baseHosts) {
      const base = await measureBridge(broker, BASE_SCENARIO, flags, 'own process');
      // Lowest to lowest (what stays after each collection) and mean to mean (young-generation peaks included).
      const perHost = (of: (xs: number[]) => number) => (((of(measured) - of(base)) * 1024) / (hosts - baseHosts)).toFixed(1);
      console.log(`growth per host, ${BASE_SCENARIO} -> ${scenario}: ${perHost((xs) => Math.min(...xs))} KB lowest to lowest, ${perHost(mean)} KB mean to mean`);
    }
    await measureBridge(broker, scenario, CANDIDATE_FLAGS, 'own process');
    await measureBridge(broker, scenario, flags, 'in the bridge');
  } finally {
    await broker.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
