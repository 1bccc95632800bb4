/**
 * A small pool of worker threads (worker.ts) for the certificate work whose cost the input sets:
 * reading uploads (a PKCS#12's KDF iterations run in JavaScript, an encrypted key's in OpenSSL,
 * both synchronous) and building chains. Each job has a deadline: past it the thread is ended and
 * the request answered; the queue is bounded. The event loop, and with it the MQTT keepalive and
 * the panel, never waits for a certificate.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { X509Certificate } from 'node:crypto';
import { entryUrl, installOf } from '../model/install-dir.ts';
import { CertError } from './errors.ts';
import type { Decoded, DecodeInput } from './decode.ts';
import type { ParsedCert } from './inspect.ts';
import type { ChainResult } from './verify.ts';
import { asBuffer, type FromWorker, type ToWorker, type WorkerResult } from './worker-protocol.ts';

/** How long one certificate job may take (DOCS.md says it): OpenSSL's PKCS#12 (2,048 iterations) takes milliseconds. */
export const CERT_DEADLINE_MS = 15_000;

export interface CertWorkersOptions {
  /** Threads; default one less than the cores, at least 1, at most 2. */
  size?: number;
  /** How long one job may take; default CERT_DEADLINE_MS. */
  deadlineMs?: number;
  /** Jobs waiting beyond the running ones; more are refused (busy). */
  maxQueued?: number;
  /** Heap for one thread: a file that needs more ends its thread, not the bridge. */
  heapMb?: number;
}

/** One chain to build: the leaf, then the certificates it may chain through. */
export interface ChainRequest {
  leaf: ParsedCert;
  bundle: ParsedCert[];
  useSystemRoots: boolean;
}

type Job = ToWorker extends infer T ? (T extends { id: number } ? Omit<T, 'id'> : never) : never;

interface Pending {
  job: Job;
  resolve(r: WorkerResult): void;
  reject(e: Error): void;
}

interface Slot {
  worker: Worker;
  running: (Pending & { id: number; timer: NodeJS.Timeout }) | null;
  /** Ends an idle thread: certificate work is occasional, and a thread holds tens of MB. */
  idle: NodeJS.Timeout | null;
}

const IDLE_MS = 60_000;

const stopping = () => new CertError('closing', 'The bridge is stopping.', 503);

/**
 * The worker's entry: dist/certs/worker.js once built; under tsx, worker.ts behind tsx's loader,
 * which a worker thread on Node 20 does not take from --import and registers itself.
 */
function startWorker(heapMb: number): Worker {
  const options = { resourceLimits: { maxOldGenerationSizeMb: heapMb } };
  const install = installOf(import.meta.url, existsSync);
  const entry = entryUrl(install, 'certs/worker');
  if (!install.fromSources) return new Worker(entry, options);
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`, { ...options, eval: true });
}

export class CertWorkers {
  private readonly size: number;
  private readonly deadlineMs: number;
  private readonly maxQueued: number;
  private readonly heapMb: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(options: CertWorkersOptions = {}) {
    this.size = options.size ?? Math.max(1, Math.min(2, availableParallelism() - 1));
    this.deadlineMs = options.deadlineMs ?? CERT_DEADLINE_MS;
    this.maxQueued = options.maxQueued ?? 32;
    this.heapMb = options.heapMb ?? 256;
  }

  /** Reads an upload (decode.ts's decodeInput) in a worker. */
  async decode(input: DecodeInput): Promise<Decoded> {
    const r = await this.submit({ op: 'decode', input });
    if (r.op !== 'decode') throw new Error('certificate worker answered another question');
    const certs = r.certs.map((c) => {
      const der = asBuffer(c.der);
      return { der, info: c.info, x509: new X509Certificate(der) };
    });
    return { certs, keys: r.keys, notes: r.notes };
  }

  /** Builds chains in a worker, all of them under one budget of signature checks (ChainBudget). */
  async chains(requests: ChainRequest[]): Promise<ChainResult[]> {
    if (!requests.length) return [];
    const index = new Map<string, number>();
    const table: Buffer[] = [];
    const at = (c: ParsedCert): number => {
      const key = c.info.fingerprints.sha256;
      let i = index.get(key);
      if (i === undefined) {
        i = table.push(c.der) - 1;
        index.set(key, i);
      }
      return i;
    };
    const chains = requests.map((r) => ({ leaf: at(r.leaf), bundle: r.bundle.map(at), useSystemRoots: r.useSystemRoots }));
    const r = await this.submit({ op: 'chains', table, chains });
    if (r.op !== 'chains') throw new Error('certificate worker answered another question');
    return r.chains;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(stopping());
    await Promise.all([...this.slots].map((s) => this.drop(s)));
  }

  private submit(job: Job): Promise<WorkerResult> {
    if (this.closed) return Promise.reject(stopping());
    return new Promise((resolve, reject) => {
      if (this.queue.length >= this.maxQueued) {
        reject(new CertError('busy', 'Too many certificate requests are waiting; try again in a moment.', 503));
        return;
      }
      this.queue.push({ job, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length) {
      let slot = this.slots.find((s) => !s.running);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) return;
      this.run(slot, this.queue.shift()!);
    }
  }

  private spawn(): Slot {
    const slot: Slot = { worker: startWorker(this.heapMb), running: null, idle: null };
    slot.worker.unref();
    slot.worker.on('message', (msg: FromWorker) => this.answered(slot, msg));
    slot.worker.on('error', (err: Error & { code?: string }) => this.lost(slot, err));
    slot.worker.on('exit', () => this.lost(slot, null));
    this.slots.push(slot);
    return slot;
  }

  private run(slot: Slot, p: Pending): void {
    if (slot.idle) clearTimeout(slot.idle);
    slot.idle = null;
    const id = this.nextId++;
    const timer = setTimeout(() => {
      void this.drop(slot);
      p.reject(
        new CertError(
          'too-slow',
          `Reading or checking this took longer than ${this.deadlineMs / 1000} s and was stopped. A PKCS#12 file or an encrypted key made with an unusually high iteration count does this: export it again with the usual settings (OpenSSL uses 2,048 iterations).`,
        ),
      );
      this.pump();
    }, this.deadlineMs);
    slot.running = { ...p, id, timer };
    slot.worker.postMessage({ ...p.job, id } as ToWorker);
  }

  private answered(slot: Slot, msg: FromWorker): void {
    const r = slot.running;
    if (!r || r.id !== msg.id) return;
    clearTimeout(r.timer);
    slot.running = null;
    if (msg.error) r.reject(msg.error.certError ? new CertError(msg.error.code, msg.error.message, msg.error.status) : new Error(`certificate worker: ${msg.error.message}`));
    else r.resolve(msg.result);
    this.pump();
    if (!slot.running) {
      slot.idle = setTimeout(() => void this.drop(slot), IDLE_MS);
      slot.idle.unref();
    }
  }

  /** A thread that died (out of memory, or a crash): its job fails, the next job gets a new thread. */
  private lost(slot: Slot, err: (Error & { code?: string }) | null): void {
    if (!this.slots.includes(slot)) return;
    const r = slot.running;
    void this.drop(slot);
    if (r) {
      clearTimeout(r.timer);
      r.reject(
        err?.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new CertError('too-large', 'Reading this needs more memory than IRIS Edge gives certificate work; nothing was stored.', 413)
          : new Error(`certificate worker stopped: ${err?.message ?? 'it exited'}`),
      );
    }
    if (!this.closed) this.pump();
  }

  /** Takes a thread out of the pool and ends it (a no-op for one that has already exited). */
  private drop(slot: Slot): Promise<number> {
    if (slot.idle) clearTimeout(slot.idle);
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    slot.running = null;
    return slot.worker.terminate();
  }
}
