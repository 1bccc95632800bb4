/**
 * Bench: the compiled bridge (node dist/main.js, as in the image) on the simulator with 10
 * productions x 100 hosts (about 5,000 entities) at a 10 s poll, against a real mosquitto: its
 * resident memory and CPU use while idle. Prints figures (DESIGN.md §11: RSS < 80 MB, CPU < 1 %).
 * SCENARIO=demo (or another "PxH") measures a different simulator size.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Mosquitto } from '../test/support/mosquitto.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const WARMUP_S = 30;
const MEASURE_S = 60;
const TICKS_PER_S = 100; // USER_HZ on Linux

function sample(pid: number): { rssMb: number; cpuTicks: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return { rssMb: rssKb / 1024, cpuTicks: Number(stat[11]) + Number(stat[12]) };
}

async function main(): Promise<void> {
  const built = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) throw new Error('npm run build failed');
  const broker = await Mosquitto.start();
  const bridge = spawn(process.execPath, ['dist/main.js'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      MQTT_URL: broker.url,
      POLL_INTERVAL: '10',
      IRIS_EDGE_SIMULATOR_SCENARIO: process.env.SCENARIO ?? '10x100',
      PANEL_PORT: '0',
      LOG_LEVEL: 'warning',
      // The simulated write daemon stands in for IRIS's own work, which is not the bridge's cost.
      IRIS_EDGE_SIMULATOR_WRITE_MS: '0',
      IRIS_EDGE_STATE_DIR: mkdtempSync(join(tmpdir(), 'iris-edge-bench-resources-')),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await new Promise((r) => setTimeout(r, WARMUP_S * 1000));
    const a = sample(bridge.pid as number);
    const rss: number[] = [];
    for (let i = 0; i < MEASURE_S; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      rss.push(sample(bridge.pid as number).rssMb);
    }
    const b = sample(bridge.pid as number);
    const cpuPercent = ((b.cpuTicks - a.cpuTicks) / TICKS_PER_S / MEASURE_S) * 100;
    console.log(`IRIS Edge resources — compiled bridge, simulator ${process.env.SCENARIO ?? '10x100'}, poll 10 s, panel on, ${MEASURE_S} s after ${WARMUP_S} s warm-up`);
    console.log(`resident memory: min ${Math.min(...rss).toFixed(1)} MB, max ${Math.max(...rss).toFixed(1)} MB (budget 80 MB)`);
    console.log(`CPU: ${cpuPercent.toFixed(2)} % of one core (budget 1 %)`);
  } finally {
    bridge.kill('SIGTERM');
    await broker.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
