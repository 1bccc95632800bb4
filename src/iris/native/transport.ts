/**
 * Main-thread side of the Native API transport. Calls are queued and sent to the worker one at
 * a time; each call has a deadline that starts when it is sent. A call that misses its deadline
 * rejects with IrisUnavailableError and its worker is TERMINATED (the connection it held is
 * abandoned); the next call starts a fresh worker and connection. close() ends everything.
 */
import { Worker } from 'node:worker_threads';
import { IrisError, IrisUnavailableError } from '../errors.ts';
import type { NativeCalls } from '../agent/installer.ts';
import type { CallReply, ErrorKind, NativeArg, NativeValue, ToWorker, WorkerConfig } from './protocol.ts';

export const OFFICIAL_DRIVER = '@intersystems/intersystems-iris-native';

/** IRIS answered the call with an ObjectScript error (<CLASS DOES NOT EXIST>, <PROTECT>, ...). */
export class IrisServerError extends IrisError {
  constructor(
    message: string,
    readonly kind: ErrorKind,
    readonly irisCode: string | undefined,
  ) {
    super(message);
  }
}

export interface NativeTransportOptions {
  host: string;
  port: number;
  /** Namespace of the connection; the agent lives in %SYS. */
  namespace?: string;
  username: string;
  password: string;
  /** createConnection timeout in seconds (default 5). */
  connectTimeoutSeconds?: number;
  /** Default deadline of one call, ms (default 15000). */
  callTimeoutMs?: number;
  /** The driver module (default: the official SDK). Tests pass a fake's file URL. */
  driverModule?: string;
  /** Passed to the worker as-is for a substitute driver. */
  driverData?: unknown;
  /** Lines the worker (i.e. the SDK) printed; the SDK prints on load. Default: dropped. */
  onOutput?: (line: string, stream: 'stdout' | 'stderr') => void;
}

interface Pending {
  id: number;
  className: string;
  methodName: string;
  args: NativeArg[];
  timeoutMs: number;
  resolve: (v: NativeValue) => void;
  reject: (e: Error) => void;
}

/** The worker entry next to this file: worker.ts under tsx, worker.js once compiled. */
function workerUrl(): URL {
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  return new URL(`./worker.${ext}`, import.meta.url);
}

function spawnWorker(config: WorkerConfig): Worker {
  const url = workerUrl();
  const options = { workerData: config, stdout: true, stderr: true } as const;
  if (url.pathname.endsWith('.js')) return new Worker(url, options);
  // A .ts worker does not inherit tsx's loader from `--import tsx` on Node 20 (observed:
  // ERR_UNKNOWN_FILE_EXTENSION), so register tsx inside the worker before importing it.
  let tsxApi = 'tsx/esm/api';
  try {
    tsxApi = import.meta.resolve('tsx/esm/api');
  } catch {
    // keep the bare specifier
  }
  const boot =
    `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); ` +
    `return import(${JSON.stringify(url.href)}); });`;
  return new Worker(boot, { ...options, eval: true });
}

export class NativeTransport implements NativeCalls {
  readonly target: string;
  private readonly config: WorkerConfig;
  private readonly callTimeoutMs: number;
  private readonly onOutput: NonNullable<NativeTransportOptions['onOutput']>;
  private worker: Worker | null = null;
  private queue: Pending[] = [];
  private inFlight: { call: Pending; timer: NodeJS.Timeout; worker: Worker } | null = null;
  private nextId = 1;
  private closed = false;
  /** Workers started so far (diagnostics and tests). */
  workersStarted = 0;

  constructor(opts: NativeTransportOptions) {
    this.target = `iris://${opts.host}:${opts.port}`;
    this.callTimeoutMs = opts.callTimeoutMs ?? 15000;
    this.onOutput = opts.onOutput ?? (() => {});
    this.config = {
      connection: {
        host: opts.host,
        port: opts.port,
        namespace: opts.namespace ?? '%SYS',
        username: opts.username,
        password: opts.password,
        timeoutSeconds: opts.connectTimeoutSeconds ?? 5,
      },
      driverModule: opts.driverModule ?? OFFICIAL_DRIVER,
      driverData: opts.driverData,
    };
  }

  classMethodValue(className: string, methodName: string, ...args: NativeArg[]): Promise<NativeValue> {
    return this.call(className, methodName, args);
  }

  /** One class method call with its own deadline (default callTimeoutMs). */
  call(className: string, methodName: string, args: NativeArg[], opts: { timeoutMs?: number } = {}): Promise<NativeValue> {
    if (this.closed) return Promise.reject(new IrisUnavailableError(`the IRIS connection to ${this.target} is closed`));
    return new Promise<NativeValue>((resolve, reject) => {
      this.queue.push({
        id: this.nextId++,
        className,
        methodName,
        args,
        timeoutMs: opts.timeoutMs ?? this.callTimeoutMs,
        resolve,
        reject,
      });
      this.pump();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const gone = new IrisUnavailableError(`the IRIS connection to ${this.target} was closed`);
    for (const p of this.queue.splice(0)) p.reject(gone);
    if (this.inFlight) {
      clearTimeout(this.inFlight.timer);
      this.inFlight.call.reject(gone);
      this.inFlight = null;
    }
    const w = this.worker;
    this.worker = null;
    if (!w) return;
    const exited = new Promise<void>((r) => w.once('exit', () => r()));
    try {
      w.postMessage({ type: 'close' } satisfies ToWorker);
    } catch {
      // already gone
    }
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((r) => {
      timer = setTimeout(r, 1000);
    });
    await Promise.race([exited, grace]);
    clearTimeout(timer);
    w.unref();
    await Promise.race([w.terminate().then(() => undefined), new Promise<void>((r) => setTimeout(r, 200).unref())]);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const w = spawnWorker(this.config);
    this.workersStarted += 1;
    this.worker = w;
    for (const stream of ['stdout', 'stderr'] as const) {
      let buffered = '';
      w[stream].setEncoding('utf8');
      w[stream].on('data', (chunk: string) => {
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl).trimEnd();
          buffered = buffered.slice(nl + 1);
          if (line !== '') this.onOutput(line, stream);
        }
      });
    }
    w.on('message', (msg: CallReply) => this.onReply(w, msg));
    w.on('error', (err) => this.onWorkerGone(w, `the IRIS worker failed: ${err.message}`));
    w.on('exit', (code) => this.onWorkerGone(w, `the IRIS worker exited (code ${code})`));
    return w;
  }

  private pump(): void {
    if (this.closed || this.inFlight) return;
    const call = this.queue.shift();
    if (!call) return;
    let w: Worker;
    try {
      w = this.ensureWorker();
      w.postMessage({
        type: 'call',
        id: call.id,
        className: call.className,
        methodName: call.methodName,
        args: call.args,
      } satisfies ToWorker);
    } catch (err) {
      call.reject(new IrisUnavailableError(`cannot start the IRIS worker: ${(err as Error).message}`, { cause: err }));
      this.abandon();
      queueMicrotask(() => this.pump());
      return;
    }
    const timer = setTimeout(() => this.onDeadline(), call.timeoutMs);
    this.inFlight = { call, timer, worker: w };
  }

  private onReply(w: Worker, msg: CallReply): void {
    const current = this.inFlight;
    if (!current || current.worker !== w || msg.id !== current.call.id) return; // late answer of an abandoned call
    clearTimeout(current.timer);
    this.inFlight = null;
    const { call } = current;
    if (msg.ok) {
      call.resolve(msg.value);
    } else {
      const what = `${call.className}.${call.methodName}`;
      const e = msg.error;
      switch (e.kind) {
        case 'connection':
        case 'login':
        case 'driver':
        case 'internal':
          call.reject(new IrisUnavailableError(`IRIS at ${this.target} (${what}): ${e.message}`));
          break;
        default:
          call.reject(new IrisServerError(`IRIS at ${this.target} raised an error in ${what}: ${e.message}`, e.kind, e.irisCode));
      }
    }
    this.pump();
  }

  private onDeadline(): void {
    const current = this.inFlight;
    if (!current) return;
    this.inFlight = null;
    const { call } = current;
    call.reject(
      new IrisUnavailableError(
        `IRIS at ${this.target} did not answer ${call.className}.${call.methodName} within ${call.timeoutMs} ms; ` +
          'the connection was abandoned and will be reopened for the next call',
      ),
    );
    this.abandon();
    this.pump();
  }

  private onWorkerGone(w: Worker, reason: string): void {
    if (this.worker !== w) return;
    this.worker = null;
    const current = this.inFlight;
    if (current && current.worker === w) {
      clearTimeout(current.timer);
      this.inFlight = null;
      current.call.reject(new IrisUnavailableError(`IRIS at ${this.target}: ${reason}`));
    }
    this.pump();
  }

  /** Drop the current worker without waiting: it may be blocked inside the SDK. */
  private abandon(): void {
    const w = this.worker;
    this.worker = null;
    if (!w) return;
    w.unref();
    w.terminate().catch(() => {});
  }
}
