/**
 * The bridge's side of the Native API transport: one child process (child.ts) owns the IRIS
 * connection. Calls are queued and sent one at a time; each has a deadline that starts when it is
 * sent. A call that misses its deadline is ABANDONED: the child is SIGKILLed (a blocked native call
 * cannot be interrupted any other way), the call rejects with IrisUnavailableError, and the next
 * call starts a fresh child and connection.
 *
 * An abandoned call may still run inside IRIS, holding a process and probably a licence unit
 * until it ends (IRIS notices the closed socket only when it answers). So abandoned calls are
 * counted, reported, and capped: after `maxAbandoned` of them within `abandonedWindowMs`, no new
 * connection is opened until the oldest leaves the window, instead of piling up IRIS processes on
 * an instance that does not answer.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { entryUrl, installOf } from '../../model/install-dir.ts';
import type { TransportReport } from '../../model/diagnostics.ts';
import { IrisError, IrisUnavailableError } from '../../model/errors.ts';
import type { CallReply, ChildError, ConnectionConfig, ErrorKind, FromChild, NativeArg, NativeCalls, NativeValue, ToChild } from './protocol.ts';

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

/** A failed call as the bridge sees it: IRIS unreachable, or an error IRIS raised in the call. */
export function callError(target: string, what: string, e: ChildError): IrisError {
  switch (e.kind) {
    case 'connection':
      return new IrisUnavailableError(`IRIS does not answer at ${target} (${what}): ${e.message}`);
    case 'login':
      return new IrisUnavailableError(`IRIS at ${target} refused the bridge's login (${what}): ${e.message}. Check the user and password; the self-check on the Diagnostics page says more.`);
    case 'driver':
    case 'internal':
      return new IrisUnavailableError(`IRIS at ${target} (${what}): ${e.message}`);
    default:
      return new IrisServerError(`IRIS at ${target} raised an error in ${what}: ${e.message}`, e.kind, e.irisCode);
  }
}

export interface AbandonedCall {
  call: string;
  at: string;
  afterMs: number;
}

/** What the transport has done so far: the log, the panel and the diagnostics show it. */
export interface TransportStats extends TransportReport {
  transport: 'child-process';
  /** The driver the child loaded ("InterSystems IRIS Native SDK ...", "IRIS simulator"), null before the first call. */
  driver: string | null;
  pid: number | null;
  processesStarted: number;
  callsAnswered: number;
  callsAbandoned: number;
  /** Abandoned within the window: each may still hold an IRIS process. */
  abandonedRecently: number;
  lastAbandoned: AbandonedCall | null;
  /** While the cap holds new connections back, until when (ISO). */
  holdUntil: string | null;
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
  /** The driver module (default: the official SDK). The simulator and tests pass their own. */
  driverModule?: string;
  /** Passed to the driver's createConnection as-is (the simulator's and the tests' drivers). */
  driverData?: unknown;
  /** Abandoned calls allowed within the window before new connections are held back (default 3). */
  maxAbandoned?: number;
  /** The window, ms (default 10 minutes). */
  abandonedWindowMs?: number;
  /** Lines the child printed (the SDK prints on load). Default: dropped. */
  onOutput?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Told once per abandoned call, so it is logged at the edge. */
  onAbandoned?: (call: AbandonedCall, stats: TransportStats) => void;
  /** Told each time a connection process has loaded its driver (the SDK, or why it did not load). */
  onDriver?: (driver: string, pid: number | undefined) => void;
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

/** The connection process's entry: child.ts under tsx, dist/iris/native/child.js once built. */
function spawnChild(): ChildProcess {
  // A .ts child needs tsx's loader; a built one needs nothing. Never inherit the parent's
  // execArgv: under `node --test` it would make the child a test runner.
  const install = installOf(import.meta.url, existsSync);
  const execArgv = install.fromSources ? ['--import', import.meta.resolve('tsx')] : [];
  return fork(entryUrl(install, 'iris/native/child'), [], { execArgv, serialization: 'advanced', stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: process.env });
}

export class NativeTransport implements NativeCalls {
  readonly target: string;
  private readonly connection: ConnectionConfig;
  private readonly driverModule: string;
  private readonly driverData: unknown;
  private readonly callTimeoutMs: number;
  private readonly maxAbandoned: number;
  private readonly abandonedWindowMs: number;
  private readonly onOutput: NonNullable<NativeTransportOptions['onOutput']>;
  private readonly onAbandoned: NativeTransportOptions['onAbandoned'];
  private readonly onDriver: NativeTransportOptions['onDriver'];
  private child: ChildProcess | null = null;
  private queue: Pending[] = [];
  private inFlight: { call: Pending; timer: NodeJS.Timeout; child: ChildProcess; sentAt: number } | null = null;
  private nextId = 1;
  private closed = false;
  private readonly abandonedAt: number[] = [];
  private readonly counts = { processesStarted: 0, callsAnswered: 0, callsAbandoned: 0 };
  private driverName: string | null = null;
  private lastAbandoned: AbandonedCall | null = null;

  constructor(opts: NativeTransportOptions) {
    this.target = `iris://${opts.host}:${opts.port}`;
    this.callTimeoutMs = opts.callTimeoutMs ?? 15000;
    this.maxAbandoned = opts.maxAbandoned ?? 3;
    this.abandonedWindowMs = opts.abandonedWindowMs ?? 10 * 60_000;
    this.onOutput = opts.onOutput ?? (() => {});
    this.onAbandoned = opts.onAbandoned;
    this.onDriver = opts.onDriver;
    this.driverModule = opts.driverModule ?? OFFICIAL_DRIVER;
    this.driverData = opts.driverData;
    this.connection = {
      host: opts.host,
      port: opts.port,
      namespace: opts.namespace ?? '%SYS',
      username: opts.username,
      password: opts.password,
      timeoutSeconds: opts.connectTimeoutSeconds ?? 5,
    };
  }

  stats(): TransportStats {
    const hold = this.holdEndsAt();
    return {
      transport: 'child-process',
      driver: this.driverName,
      pid: this.child?.pid ?? null,
      ...this.counts,
      abandonedRecently: this.recentAbandoned().length,
      lastAbandoned: this.lastAbandoned,
      holdUntil: hold === null ? null : new Date(hold).toISOString(),
    };
  }

  classMethodValue(className: string, methodName: string, ...args: NativeArg[]): Promise<NativeValue> {
    return this.call(className, methodName, args);
  }

  /** One class method call with its own deadline (default callTimeoutMs). */
  call(className: string, methodName: string, args: NativeArg[], opts: { timeoutMs?: number } = {}): Promise<NativeValue> {
    if (this.closed) return Promise.reject(new IrisUnavailableError(`the IRIS connection to ${this.target} is closed`));
    return new Promise<NativeValue>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, className, methodName, args, timeoutMs: opts.timeoutMs ?? this.callTimeoutMs, resolve, reject });
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
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    try {
      child.send({ type: 'close' } satisfies ToChild);
    } catch {
      // the channel is already gone
    }
    // A child blocked in a native call never reads 'close': it is killed after a short grace, so
    // stopping the add-on never waits for IRIS.
    const grace = setTimeout(() => child.kill('SIGKILL'), 1000);
    await exited;
    clearTimeout(grace);
  }

  private recentAbandoned(): number[] {
    const since = Date.now() - this.abandonedWindowMs;
    while (this.abandonedAt.length > 0 && (this.abandonedAt[0] as number) < since) this.abandonedAt.shift();
    return this.abandonedAt;
  }

  /** When the cap releases, or null when it does not hold. */
  private holdEndsAt(): number | null {
    const recent = this.recentAbandoned();
    if (recent.length < this.maxAbandoned) return null;
    return (recent[recent.length - this.maxAbandoned] as number) + this.abandonedWindowMs;
  }

  private ensureChild(): ChildProcess {
    if (this.child) return this.child;
    const child = spawnChild();
    this.counts.processesStarted += 1;
    this.child = child;
    for (const stream of ['stdout', 'stderr'] as const) {
      let buffered = '';
      const s = child[stream];
      s?.setEncoding('utf8');
      s?.on('data', (chunk: string) => {
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl).trimEnd();
          buffered = buffered.slice(nl + 1);
          if (line !== '') this.onOutput(line, stream);
        }
      });
    }
    child.on('message', (msg: FromChild) => this.onMessage(child, msg));
    child.on('error', (err) => this.onChildGone(child, `the IRIS connection process failed: ${err.message}`));
    child.on('exit', (code, signal) => this.onChildGone(child, `the IRIS connection process exited (${signal ?? `code ${code}`})`));
    child.send({
      type: 'init',
      connection: this.connection,
      driverModule: this.driverModule,
      driverData: this.driverData,
    } satisfies ToChild);
    return child;
  }

  private pump(): void {
    if (this.closed || this.inFlight || this.queue.length === 0) return;
    const hold = this.holdEndsAt();
    if (hold !== null && !this.child) {
      const recent = this.recentAbandoned().length;
      const until = new Date(hold).toISOString();
      const err = new IrisUnavailableError(
        `${recent} calls to IRIS at ${this.target} went unanswered in the last ${Math.round(this.abandonedWindowMs / 60000)} minutes ` +
          `and may still hold IRIS processes and licence units; IRIS Edge opens no new connection before ${until}`,
      );
      // Nothing waits for the hold to end: the next poll asks again.
      for (const p of this.queue.splice(0)) p.reject(err);
      return;
    }
    const call = this.queue.shift() as Pending;
    let child: ChildProcess;
    try {
      child = this.ensureChild();
      child.send({ type: 'call', id: call.id, className: call.className, methodName: call.methodName, args: call.args } satisfies ToChild);
    } catch (err) {
      call.reject(new IrisUnavailableError(`cannot start the IRIS connection process: ${(err as Error).message}`, { cause: err }));
      this.kill();
      queueMicrotask(() => this.pump());
      return;
    }
    const timer = setTimeout(() => this.onDeadline(), call.timeoutMs);
    this.inFlight = { call, timer, child, sentAt: Date.now() };
  }

  private onMessage(child: ChildProcess, msg: FromChild): void {
    if (msg.type === 'ready') {
      if (child !== this.child) return;
      this.driverName = msg.driver;
      this.onDriver?.(msg.driver, child.pid);
      return;
    }
    this.onReply(child, msg);
  }

  private onReply(child: ChildProcess, msg: CallReply): void {
    const current = this.inFlight;
    if (!current || current.child !== child || msg.id !== current.call.id) return; // a killed child's late answer
    clearTimeout(current.timer);
    this.inFlight = null;
    this.counts.callsAnswered += 1;
    const { call } = current;
    if (msg.ok) call.resolve(msg.value);
    else call.reject(callError(this.target, `${call.className}.${call.methodName}`, msg.error));
    this.pump();
  }

  private onDeadline(): void {
    const current = this.inFlight;
    if (!current) return;
    this.inFlight = null;
    const { call } = current;
    const what = `${call.className}.${call.methodName}`;
    this.kill();
    this.counts.callsAbandoned += 1;
    this.abandonedAt.push(Date.now());
    this.lastAbandoned = { call: what, at: new Date().toISOString(), afterMs: Date.now() - current.sentAt };
    call.reject(
      new IrisUnavailableError(
        `IRIS at ${this.target} did not answer ${what} within ${call.timeoutMs} ms; its connection process was killed ` +
          `and a new one serves the next call (${this.recentAbandoned().length} unanswered in the last ` +
          `${Math.round(this.abandonedWindowMs / 60000)} minutes)`,
      ),
    );
    this.onAbandoned?.(this.lastAbandoned, this.stats());
    this.pump();
  }

  private onChildGone(child: ChildProcess, reason: string): void {
    if (this.child !== child) return;
    this.child = null;
    const current = this.inFlight;
    if (current && current.child === child) {
      clearTimeout(current.timer);
      this.inFlight = null;
      current.call.reject(new IrisUnavailableError(`IRIS at ${this.target}: ${reason}`));
    }
    this.pump();
  }

  /** Drop the current child without waiting: it may be blocked inside the SDK. */
  private kill(): void {
    const child = this.child;
    this.child = null;
    if (!child) return;
    child.kill('SIGKILL');
  }
}
