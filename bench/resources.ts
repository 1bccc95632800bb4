/**
 * Bench: the compiled bridge (node dist/main.js, as in the image) on the simulator with 10
 * productions x 100 hosts (about 5,000 entities) at a 10 s poll, against a real mosquitto: its
 * resident memory and CPU use while idle, and those of its IRIS connection process (the Native
 * API's child), which a real IRIS needs too. The simulated IRIS runs inside the bridge's process,
 * so its work is counted there. Prints figures (DESIGN.md §11: RSS < 80 MB, CPU < 1 %).
 * SCENARIO=demo (or another "PxH") measures a different simulator size.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Mosquitto } from '../test/support/mosquitto.ts';
import { childrenOf, processSample as sample, startCompiledBridge } from './support/bridge-process.ts';

const WARMUP_S = 30;
const MEASURE_S = 60;
const TICKS_PER_S = 100; // USER_HZ on Linux

async function main(): Promise<void> {
  const broker = await Mosquitto.start();
  const bridge = startCompiledBridge({
    MQTT_URL: broker.url,
    POLL_INTERVAL: '10',
    IRIS_EDGE_SIMULATOR_SCENARIO: process.env.SCENARIO ?? '10x100',
    PANEL_PORT: '0',
    LOG_LEVEL: 'warning',
    // The simulated write daemon stands in for IRIS's own work, which is not the bridge's cost.
    IRIS_EDGE_SIMULATOR_WRITE_MS: '0',
    IRIS_EDGE_STATE_DIR: mkdtempSync(join(tmpdir(), 'iris-edge-bench-resources-')),
  });
  try {
    await new Promise((r) => setTimeout(r, WARMUP_S * 1000));
    const pid = bridge.pid as number;
    const [child] = childrenOf(pid);
    if (child === undefined) throw new Error('the bridge has no IRIS connection process');
    const a = [sample(pid), sample(child)];
    const rss: number[][] = [[], []];
    for (let i = 0; i < MEASURE_S; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      rss[0]!.push(sample(pid).rssMb);
      rss[1]!.push(sample(child).rssMb);
    }
    const b = [sample(pid), sample(child)];
    const cpu = (i: number) => (((b[i]!.cpuTicks - a[i]!.cpuTicks) / TICKS_PER_S / MEASURE_S) * 100).toFixed(2);
    const range = (xs: number[]) => `min ${Math.min(...xs).toFixed(1)} MB, max ${Math.max(...xs).toFixed(1)} MB`;
    // The bridge runs on this process's node (process.execPath), so this is the Node measured.
    console.log(`IRIS Edge resources — compiled bridge on Node ${process.version}, simulator ${process.env.SCENARIO ?? '10x100'}, poll 10 s, panel on, ${MEASURE_S} s after ${WARMUP_S} s warm-up`);
    console.log(`bridge process (simulated IRIS inside): resident memory ${range(rss[0]!)} (budget 80 MB); CPU ${cpu(0)} % of one core (budget 1 %)`);
    console.log(`IRIS connection process: resident memory ${range(rss[1]!)}; CPU ${cpu(1)} % of one core`);
    console.log(`together: resident memory max ${(Math.max(...rss[0]!) + Math.max(...rss[1]!)).toFixed(1)} MB`);
  } finally {
    bridge.kill('SIGTERM');
    await broker.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
