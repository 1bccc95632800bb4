/** The simulated IRIS alone in a process (`npm run simulator`), as a test runs it by a bridge. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { within } from './fixtures.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface SimulatorProcess {
  proc: ChildProcess;
  /** stdout and stderr so far. */
  output: () => string;
  /** The environment it printed for a bridge, once it has printed all of it. */
  env(timeoutMs?: number): Promise<Record<string, string>>;
  exited(timeoutMs?: number): Promise<number | string | null>;
}

/** `compiled`: dist/simulator-main.js, as a bench runs it after a build; else sources via tsx. */
export function runSimulator(env: Record<string, string>, opts: { args?: string[]; compiled?: boolean } = {}): SimulatorProcess {
  let out = '';
  let stdout = '';
  const entry = opts.compiled ? ['dist/simulator-main.js'] : ['--import', 'tsx', 'src/simulator-main.ts'];
  const proc = spawn(process.execPath, [...entry, ...(opts.args ?? [])], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let printed: (env: Record<string, string>) => void;
  const printedEnv = new Promise<Record<string, string>>((resolve) => (printed = resolve));
  proc.stdout?.on('data', (d) => {
    out += String(d);
    stdout += String(d);
    // IRIS_EDGE_IRIS_DRIVER is the last line it prints.
    if (/^IRIS_EDGE_IRIS_DRIVER=.*\n/m.test(stdout)) printed(Object.fromEntries([...stdout.matchAll(/^([A-Z_]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!])));
  });
  proc.stderr?.on('data', (d) => (out += String(d)));
  const exit = new Promise<number | string | null>((resolve) => proc.on('exit', (code, signal) => resolve(code ?? signal)));
  return {
    proc,
    output: () => out,
    env: (timeoutMs = 30_000) => within(printedEnv, timeoutMs, () => `the simulator to print its environment; its output:\n${out}`),
    exited: (timeoutMs = 30_000) => within(exit, timeoutMs, () => `the simulator process to exit; its output:\n${out}`),
  };
}
