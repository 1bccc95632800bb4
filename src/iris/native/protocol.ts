/**
 * Messages between the bridge (transport.ts) and the child process that owns the Native API
 * connection (child.ts), and the classification of Native API errors by their text (the SDK throws
 * plain Error objects with no code: research/iris.md §2.2).
 */

/** Scalar arguments and results that cross the Native API (BigInt is decoded to number or string). */
export type NativeArg = string | number | boolean | null;
export type NativeValue = string | number | boolean | null;

/** What a client needs from a transport: Iris.classMethodValue with a deadline per call. */
export interface NativeCalls {
  call(className: string, methodName: string, args: NativeArg[], opts?: { timeoutMs?: number }): Promise<NativeValue>;
}

export interface ConnectionConfig {
  host: string;
  port: number;
  namespace: string;
  username: string;
  password: string;
  /** createConnection timeout, in SECONDS (the SDK README says ms; it is seconds). */
  timeoutSeconds: number;
}

export interface InitRequest {
  type: 'init';
  connection: ConnectionConfig;
  /** Module specifier or file URL of the driver: the official SDK, the simulator's, or a test double. */
  driverModule: string;
  /** Opaque data for a substitute driver (tests); the official driver ignores it. */
  driverData?: unknown;
}

export interface CallRequest {
  type: 'call';
  id: number;
  className: string;
  methodName: string;
  args: NativeArg[];
}

export interface CloseRequest {
  type: 'close';
}

export type ToChild = InitRequest | CallRequest | CloseRequest;

/**
 * connection: the link is gone or never came up (the child reconnects on the next call);
 * login: IRIS refused the credentials; driver: the Native SDK could not be loaded;
 * class-missing / method-missing / protect / server: IRIS raised an error in the call;
 * internal: a bug or an unsupported value on our side.
 */
export type ErrorKind =
  | 'connection'
  | 'login'
  | 'driver'
  | 'class-missing'
  | 'method-missing'
  | 'protect'
  | 'server'
  | 'internal';

export interface ChildError {
  kind: ErrorKind;
  message: string;
  /** The ObjectScript error name, e.g. "<PROTECT>", when the message carries one. */
  irisCode?: string;
}

export type CallReply =
  | { type: 'result'; id: number; ok: true; value: NativeValue }
  | { type: 'result'; id: number; ok: false; error: ChildError };

/** Sent once the driver module has loaded, so the bridge can say which transport it uses. */
export interface ReadyReply {
  type: 'ready';
  driver: string;
}

export type FromChild = CallReply | ReadyReply;

const CONNECTION =
  /COMMUNICATION LINK ERROR|ECONNRESET|EPIPE|ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENOTCONN|Communication timed out|Connection (?:is )?closed|Connection reset|broken pipe|not connected/i;
const LOGIN = /Access Denied|Authentication failed|Invalid (?:user ?name|password|credentials)|password change required|Login failed/i;

/**
 * Classify an error thrown by the Native SDK. `atConnect` marks errors of createConnection,
 * which are connection problems unless they name a login failure. The exact server texts of
 * login/privilege failures are [UNVERIFIED] (research/iris.md §9); the contract suite shows them.
 */
export function classifyError(message: string, atConnect = false): { kind: ErrorKind; irisCode?: string } {
  const code = /<([A-Z][A-Z0-9 ]*[A-Z0-9])>/.exec(message)?.[0];
  const withCode = (kind: ErrorKind) => (code ? { kind, irisCode: code } : { kind });
  if (LOGIN.test(message)) return withCode('login');
  if (CONNECTION.test(message)) return withCode('connection');
  if (atConnect) return withCode('connection');
  if (/<CLASS DOES NOT EXIST>/i.test(message)) return withCode('class-missing');
  if (/<METHOD DOES NOT EXIST>/i.test(message)) return withCode('method-missing');
  if (/<PROTECT>/i.test(message)) return withCode('protect');
  return withCode('server');
}

/** Turn whatever classMethodValue returned into a value that crosses processes and JSON. */
export function decodeValue(value: unknown): NativeValue {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return value;
    case 'bigint': {
      const n = Number(value);
      return Number.isSafeInteger(n) ? n : value.toString();
    }
    default:
      break;
  }
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  // decimal.js values (the SDK's Decimal) print exactly.
  if (typeof value === 'object' && value.constructor?.name === 'Decimal') return String(value);
  throw new TypeError(`unsupported Native API result type ${Object.prototype.toString.call(value)}`);
}
