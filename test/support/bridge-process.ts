/** The bridge as a user runs it (`npm start`), as a separate process the test can kill. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { within } from './fixtures.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface BridgeProcess {
  proc: ChildProcess;
  output: () => string;
  /** The exit code, or the signal's name when it was killed; a failure if it still runs after `timeoutMs`. */
  exited(timeoutMs?: number): Promise<number | string | null>;
}

/**
 * `npm start` unless `run` says otherwise: the node arguments and the directory of another entry
 * (the built bridge in an installation laid out as the image's).
 */
export function runBridge(env: Record<string, string>, run: { args: string[]; cwd: string } = { args: ['--import', 'tsx', 'src/main.ts'], cwd: root }): BridgeProcess {
  let out = '';
  const proc = spawn(process.execPath, run.args, {
    cwd: run.cwd,
    // PANEL_PORT=0, MCP_PORT=0: each bridge's panel and MCP server on free ports, so bridges started one after another never clash.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', PANEL_PORT: '0', MCP_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout?.on('data', (d) => (out += String(d)));
  proc.stderr?.on('data', (d) => (out += String(d)));
  const exit = new Promise<number | string | null>((resolve) => proc.on('exit', (code, signal) => resolve(code ?? signal)));
  return { proc, output: () => out, exited: (timeoutMs = 30_000) => within(exit, timeoutMs, () => `the bridge process to exit; its output:\n${out}`) };
}
