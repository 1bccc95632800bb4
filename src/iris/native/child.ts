/**
 * The child process that owns the IRIS Native API connection. The official SDK is synchronous:
 * a call blocks its thread until IRIS answers (research/iris.md §2.5), and a worker thread blocked
 * inside the native addon ignores terminate() until the call returns. A process can always be
 * killed, so the SDK lives here and the bridge SIGKILLs this process when a call misses its
 * deadline (transport.ts). Calls run ONE AT A TIME, in arrival order; the connection is opened on
 * the first call and reopened on the next call after a connection-lost error.
 *
 * Credentials arrive in the first IPC message, never on the command line or in the environment
 * (both are readable in /proc by other processes of the same user).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import {
  classifyError,
  decodeValue,
  type CallReply,
  type CallRequest,
  type ChildError,
  type FromChild,
  type InitRequest,
  type ToChild,
} from './protocol.ts';

/** The SDK answers synchronously; the simulator's driver answers with a promise. Both are awaited. */
interface DriverIris {
  classMethodValue(className: string, methodName: string, ...args: unknown[]): unknown;
}
interface DriverConnection {
  createIris(): DriverIris;
  close(): void;
}
interface Driver {
  name: string;
  createConnection(info: {
    host: string;
    port: number;
    ns: string;
    user: string;
    pwd: string;
    timeout: number;
    sharedmemory: boolean;
    driverData?: unknown;
  }): DriverConnection | Promise<DriverConnection>;
}

class CallFailure extends Error {
  constructor(readonly detail: ChildError) {
    super(detail.message);
  }
}

if (!process.send) throw new Error('child.ts must run as a child process with an IPC channel');
const send = (msg: FromChild) => process.send?.(msg);

let init: InitRequest | null = null;
let driver: Driver | null = null;
let connection: DriverConnection | null = null;
let iris: DriverIris | null = null;
/** Why the driver did not load; every call answers with it. */
let driverError: ChildError | null = null;

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function loadDriver(spec: InitRequest): Promise<Driver> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(spec.driverModule)) as Record<string, unknown>;
  } catch (err) {
    throw new CallFailure({ kind: 'driver', message: `the IRIS Native SDK (${spec.driverModule}) could not be loaded: ${messageOf(err)}` });
  }
  const fromDefault = (mod.default as { createConnection?: unknown } | undefined)?.createConnection;
  const createConnection = mod.createConnection ?? fromDefault;
  if (typeof createConnection !== 'function') {
    throw new CallFailure({ kind: 'driver', message: `${spec.driverModule} exports no createConnection()` });
  }
  const name = typeof mod.DRIVER_NAME === 'string' ? mod.DRIVER_NAME : `${spec.driverModule}${packageVersion(spec.driverModule)}`;
  return { name, createConnection: createConnection as Driver['createConnection'] };
}

/** " 2.0.3" for an installed npm package, "" for anything else (a file URL, an unreadable package). */
function packageVersion(specifier: string): string {
  if (specifier.startsWith('file:')) return '';
  try {
    const entry = createRequire(import.meta.url).resolve(specifier);
    const root = entry.slice(0, entry.lastIndexOf(`/node_modules/${specifier}/`) + `/node_modules/${specifier}/`.length);
    const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? ` ${pkg.version}` : '';
  } catch {
    return '';
  }
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
  if (!init || !driver) throw new CallFailure({ kind: 'internal', message: 'the IRIS connection process was not initialised' });
  const c = init.connection;
  try {
    connection = await driver.createConnection({
      host: c.host,
      port: c.port,
      ns: c.namespace,
      user: c.username,
      pwd: c.password,
      timeout: c.timeoutSeconds,
      // Shared memory is only for a client on the IRIS host itself and has been the source of
      // hangs; TCP on loopback costs nothing here.
      sharedmemory: false,
      driverData: init.driverData,
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
      raw = await target.classMethodValue(req.className, req.methodName, ...req.args);
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
    const error: ChildError = err instanceof CallFailure ? err.detail : { kind: 'internal', message: messageOf(err) };
    return { type: 'result', id: req.id, ok: false, error };
  }
}

async function handle(msg: ToChild): Promise<void> {
  switch (msg.type) {
    case 'init':
      init = msg;
      try {
        driver = await loadDriver(msg);
        send({ type: 'ready', driver: driver.name });
      } catch (err) {
        // Every call will report it; the bridge says so at start.
        send({ type: 'ready', driver: `unavailable: ${messageOf(err)}` });
        driver = null;
        driverError = err instanceof CallFailure ? err.detail : { kind: 'driver', message: messageOf(err) };
      }
      return;
    case 'call':
      if (!driver) {
        send({ type: 'result', id: msg.id, ok: false, error: driverError ?? { kind: 'internal', message: 'no driver' } });
        return;
      }
      send(await handleCall(msg));
      return;
    case 'close':
      dropConnection();
      process.exit(0);
  }
}

// One at a time, even if the bridge ever sent two messages: each waits for the previous one.
let chain: Promise<void> = Promise.resolve();
process.on('message', (msg: ToChild) => {
  chain = chain.then(() => handle(msg));
});
// The bridge is gone (crashed or killed): nobody is left to answer, and IRIS frees the process.
process.on('disconnect', () => {
  dropConnection();
  process.exit(0);
});
