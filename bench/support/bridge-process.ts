/**
 * The compiled bridge as the image runs it (node dist/main.js), for the benches that measure it
 * from outside: built once, started with the environment a bench gives, read through /proc.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Builds dist/ and starts dist/main.js with only PATH and `env` set. */
export function startCompiledBridge(env: Record<string, string>, stdio: 'ignore' | 'pipe' = 'ignore'): ChildProcess {
  const built = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) throw new Error('npm run build failed');
  return spawn(process.execPath, ['dist/main.js'], { cwd: root, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', stdio, stdio === 'pipe' ? 'pipe' : 'inherit'] });
}

/** The process's children: the bridge has one, its IRIS connection process. */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Resident memory (MB) and CPU time used so far (clock ticks, USER_HZ) of a process; zeros once it is gone. */
export function processSample(pid: number): { rssMb: number; cpuTicks: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return { rssMb: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024, cpuTicks: Number(stat[11]) + Number(stat[12]) };
  } catch {
    return { rssMb: 0, cpuTicks: 0 };
  }
}
