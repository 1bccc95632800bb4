/**
 * The worker thread that owns the IRIS Native API connection. The official SDK is synchronous
 * (every call blocks its thread, research/iris.md §2.5), so it lives here, away from the event
 * loop. Calls run ONE AT A TIME, in arrival order. The connection is opened on the first call and
 * reopened on the next call after a connection-lost error. If a call hangs, the main thread
 * terminates this worker and starts another; nothing here needs to cope with that.
 */
import { parentPort, workerData } from 'node:worker_threads';
import {
  classifyError,
  decodeValue,
  type CallReply,
  type CallRequest,
  type ToWorker,
  type WorkerConfig,
  type WorkerError,
} from './protocol.ts';

interface DriverIris {
  classMethodValue(className: string, methodName: string, ...args: unknown[]): unknown;
}
interface DriverConnection {
  createIris(): DriverIris;
  close(): void;
}
interface Driver {
  createConnection(info: {
    host: string;
    port: number;
    ns: string;
    user: string;
    pwd: string;
    timeout: number;
  }): DriverConnection;
}

class CallFailure extends Error {
  constructor(readonly detail: WorkerError) {
    super(detail.message);
  }
}

const config = workerData as WorkerConfig;
const port = parentPort;
if (!port) throw new Error('worker.ts must run in a worker thread');

let driver: Driver | null = null;
let connection: DriverConnection | null = null;
let iris: DriverIris | null = null;

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function loadDriver(): Promise<Driver> {
  if (driver) return driver;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(config.driverModule)) as Record<string, unknown>;
  } catch (err) {
    throw new CallFailure({
      kind: 'driver',
      message: `the IRIS Native SDK (${config.driverModule}) could not be loaded: ${messageOf(err)}`,
    });
  }
  const fromDefault = (mod.default as { createConnection?: unknown } | undefined)?.createConnection;
  const createConnection = mod.createConnection ?? fromDefault;
  if (typeof createConnection !== 'function') {
    throw new CallFailure({ kind: 'driver', message: `${config.driverModule} exports no createConnection()` });
  }
  driver = { createConnection: createConnection as Driver['createConnection'] };
  return driver;
}

function dropConnection(): void {
  const c = connection;
  connection = null;
  iris = null;
  try {
    c?.close();
  } catch {
    // a dead connection may refuse to close; it is abandoned either way
  }
}

async function ensureIris(): Promise<DriverIris> {
  if (iris) return iris;
  const d = await loadDriver();
  const c = config.connection;
  try {
    connection = d.createConnection({
      host: c.host,
      port: c.port,
      ns: c.namespace,
      user: c.username,
      pwd: c.password,
      timeout: c.timeoutSeconds,
    });
    iris = connection.createIris();
    return iris;
  } catch (err) {
    dropConnection();
    const message = messageOf(err);
    throw new CallFailure({ ...classifyError(message, true), message });
  }
}

async function handleCall(req: CallRequest): Promise<CallReply> {
  try {
    const target = await ensureIris();
    let raw: unknown;
    try {
      raw = target.classMethodValue(req.className, req.methodName, ...req.args);
    } catch (err) {
      const message = messageOf(err);
      const detail = { ...classifyError(message), message };
      if (detail.kind === 'connection') dropConnection();
      throw new CallFailure(detail);
    }
    try {
      return { type: 'result', id: req.id, ok: true, value: decodeValue(raw) };
    } catch (err) {
      throw new CallFailure({ kind: 'internal', message: `${req.className}.${req.methodName}: ${messageOf(err)}` });
    }
  } catch (err) {
    const error: WorkerError = err instanceof CallFailure ? err.detail : { kind: 'internal', message: messageOf(err) };
    return { type: 'result', id: req.id, ok: false, error };
  }
}

// One at a time, even if the main thread ever sent two messages: each waits for the previous.
let chain: Promise<void> = Promise.resolve();
port.on('message', (msg: ToWorker) => {
  chain = chain.then(async () => {
    if (msg.type === 'close') {
      dropConnection();
      port.close();
      return;
    }
    port.postMessage(await handleCall(msg));
  });
});
