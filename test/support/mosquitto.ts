/**
 * A real mosquitto broker for tests: started on a free loopback port with an empty, throwaway
 * configuration, killed at the end. Restartable on the same port (broker-restart tests).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { waitFor } from './fixtures.ts';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export class Mosquitto {
  private proc: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'iris-edge-mosquitto-'));
  log = '';

  private constructor(readonly port: number) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<Mosquitto> {
    const m = new Mosquitto(await freePort());
    await m.startProcess();
    return m;
  }

  private async startProcess(): Promise<void> {
    const conf = join(this.dir, 'mosquitto.conf');
    // persistence false: a restarted broker has forgotten every retained message, as a fresh
    // broker add-on would; the bridge must republish what it owns.
    writeFileSync(conf, `listener ${this.port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
    const proc = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    // A test process that dies on an exception must not leave brokers behind.
    const reap = () => proc.kill('SIGKILL');
    process.once('exit', reap);
    proc.once('exit', () => process.off('exit', reap));
    proc.stdout?.on('data', (d) => (this.log += String(d)));
    proc.stderr?.on('data', (d) => (this.log += String(d)));
    this.proc = proc;
    await waitFor(() => listening(this.port), 5000, () => `mosquitto to listen on ${this.port}:\n${this.log}`);
  }

  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGKILL');
    });
  }

  /** Stops the broker and starts it again on the same port, after being away for `downMs`. */
  async restart(downMs = 0): Promise<void> {
    await this.stop();
    // How long the broker is away is the scenario (clients retrying meanwhile), not a wait.
    if (downMs > 0) await delay(downMs);
    await this.startProcess();
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
