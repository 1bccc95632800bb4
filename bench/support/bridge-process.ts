/**
 * The built bridge as the image runs it (node dist/main.js), for the benches that measure it
 * from outside: built once, started with the environment a bench gives, read through /proc.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleBridge } from '../../scripts/build.ts';
import { runSimulator } from '../../test/support/simulator-process.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The V8 flags the image starts the bridge with: the `bridge_node_flags=(...)` line of the s6 run
 * script, read rather than repeated, so a bench measures what the image runs.
 */
export function imageNodeFlags(): string[] {
  const run = readFileSync(join(root, 'rootfs/etc/s6-overlay/s6-rc.d/bridge/run'), 'utf8');
  const line = /^bridge_node_flags=\((.*)\)$/m.exec(run);
  if (!line) throw new Error('bridge/run has no bridge_node_flags=(...) line');
  return line[1]!.trim().split(/\s+/).filter(Boolean);
}

/** The V8 flags a bench is asked to compare (BENCH_NODE_FLAGS; "" for Node's defaults), else `otherwise`. */
export function benchNodeFlags(otherwise: string[]): string[] {
  const asked = process.env.BENCH_NODE_FLAGS;
  return asked === undefined ? otherwise : asked.split(/\s+/).filter(Boolean);
}

/**
 * The allocator settings the image starts the bridge with: the `export MALLOC_...=...` lines of the
 * s6 run script (glibc reads them at start), read for the same reason as imageNodeFlags.
 */
export function imageMallocEnv(): Record<string, string> {
  const run = readFileSync(join(root, 'rootfs/etc/s6-overlay/s6-rc.d/bridge/run'), 'utf8');
  return Object.fromEntries([...run.matchAll(/^export (MALLOC_[A-Z_]+)=(\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
}

/**
 * Runs the bench file `moduleUrl` again in a process started with the image's allocator settings,
 * `nodeFlags` and `env`, with this one's arguments, and exits with its status; returns only in
 * that process (where BENCH_AS_IMAGE is set). glibc and V8 read their settings only at start.
 */
export function runAsImage(moduleUrl: string, nodeFlags: string[] = [], env: Record<string, string> = {}): void {
  if (process.env.BENCH_AS_IMAGE) return;
  const again = spawnSync(process.execPath, [...nodeFlags, '--import', 'tsx', fileURLToPath(moduleUrl), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, ...imageMallocEnv(), ...env, BENCH_AS_IMAGE: '1' },
  });
  process.exit(again.status ?? 1);
}

let built = false;
/** dist/ from the sources as they are now, built once per bench process. */
export function buildOnce(): void {
  if (built) return;
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');
  built = true;
}

/** Builds dist/ and starts dist/main.js with only PATH, the image's allocator settings and `env` set, with the image's V8 flags unless `nodeFlags` says otherwise. */
export function startCompiledBridge(env: Record<string, string>, stdio: 'ignore' | 'pipe' = 'ignore', nodeFlags: string[] = imageNodeFlags()): ChildProcess {
  buildOnce();
  return spawn(process.execPath, [...nodeFlags, 'dist/main.js'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...imageMallocEnv(), ...env },
    stdio: ['ignore', stdio, stdio === 'pipe' ? 'pipe' : 'inherit'],
  });
}

/**
 * Resident memory (MB), the anonymous part of it (MB) and CPU time used so far (clock ticks,
 * USER_HZ) of a process; zeros once it is gone. The rest of the resident memory is file pages,
 * mostly the node binary's code: clean, so the kernel can drop and re-read them under pressure.
 */
export function processSample(pid: number): { rssMb: number; anonMb: number; cpuTicks: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    return { rssMb: kb('VmRSS') / 1024, anonMb: kb('RssAnon') / 1024, cpuTicks: Number(stat[11]) + Number(stat[12]) };
  } catch {
    return { rssMb: 0, anonMb: 0, cpuTicks: 0 };
  }
}

/**
 * The simulated IRIS in a process of its own (dist/simulator-main.js, `npm run simulator`
 * compiled), as IRIS is to the bridge in the image: a bench that starts the bridge with the env it
 * printed measures the bridge without the simulator's memory and work. Builds dist/ first, as
 * startCompiledBridge does, and runs with the image's allocator settings.
 */
export async function startCompiledSimulator(env: Record<string, string>): Promise<{ proc: ChildProcess; env: Record<string, string> }> {
  buildOnce();
  const simulator = runSimulator({ ...imageMallocEnv(), ...env }, { compiled: true });
  return { proc: simulator.proc, env: await simulator.env() };
}

/**
 * The bridge's modules bundled as the image's build bundles them (scripts/build.ts, the same
 * esbuild settings), for a bench that drives the bridge in its own process: the code the image
 * runs, not the sources as tsx transforms them. Built into .artifacts/ beside dist/ (after
 * buildOnce), whose entry points the bridge starts by path.
 */
export async function builtBridge(): Promise<{
  startBridge: (typeof import('../../src/app.ts'))['startBridge'];
  createLogger: (typeof import('../../src/log/logger.ts'))['createLogger'];
  BackupService: (typeof import('../../src/backups/service.ts'))['BackupService'];
}> {
  buildOnce();
  const out = join(root, '.artifacts', 'bench-bridge');
  await bundleBridge(out, ['app', 'log/logger', 'backups/service']);
  const load = (path: string) => import(pathToFileURL(join(out, `${path}.js`)).href);
  const [app, logger, backups] = await Promise.all([load('app'), load('log/logger'), load('backups/service')]);
  return { startBridge: app.startBridge, createLogger: logger.createLogger, BackupService: backups.BackupService };
}
