/**
 * A stand-in for @intersystems/intersystems-iris-native, loaded INSIDE the bridge's IRIS
 * connection process (the transport's `driverModule`). Like the real SDK it is synchronous: a
 * "slow" or "hung" call really blocks the process (Atomics.wait), which only a kill ends. What
 * tests must see across processes (connects, calls) is appended to files in `driverData.dir`.
 * Not a test file: the runner only picks `*.test.ts`.
 */
import { appendFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakeDriverData {
  dir: string;
  /** Every createConnection throws this message. */
  connectError?: string;
}

export function fakeDriverData(opts: Omit<FakeDriverData, 'dir'> = {}): FakeDriverData {
  return { dir: mkdtempSync(join(tmpdir(), 'iris-edge-fake-driver-')), ...opts };
}

/** Lines the driver appended to one of its files ("connects", "calls"). */
export function lines(data: FakeDriverData, file: 'connects' | 'calls'): string[] {
  const path = join(data.dir, file);
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter((l) => l !== '') : [];
}

export const FAKE_DRIVER_URL = import.meta.url;

// ---- the driver (runs in the connection process) -----------------------------------------------

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function block(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

class FakeIris {
  dead = false;

  constructor(private readonly data: FakeDriverData) {}

  classMethodValue(className: string, methodName: string, ...args: unknown[]): unknown {
    if (this.dead) throw new Error('<COMMUNICATION LINK ERROR> Connection closed by server; Details: ECONNRESET');
    const log = (what: string) => appendFileSync(join(this.data.dir, 'calls'), `${process.pid} ${what} ${className}.${methodName} ${performance.timeOrigin + performance.now()}\n`);
    log('start');
    try {
      return this.dispatch(`${className}.${methodName}`, args);
    } finally {
      log('end');
    }
  }

  private dispatch(key: string, args: unknown[]): unknown {
    switch (key) {
      case 'Fake.Echo':
        return args[0];
      case 'Fake.Sleep':
        block(Number(args[0]));
        return args[0];
      case 'Fake.Hang':
        block(60_000);
        return 'woke up';
      case 'Fake.Drop':
        this.dead = true;
        throw new Error('<COMMUNICATION LINK ERROR> Failed to read from server; Details: EPIPE');
      case 'Fake.Throw':
        throw new Error(String(args[0]));
      case 'Fake.Connects':
        return lines(this.data, 'connects').length;
      case 'Fake.One':
        return 1n;
      case 'Fake.Huge':
        return 2n ** 60n;
      case 'Fake.Null':
        return null;
      case 'Fake.Exit':
        process.exit(3);
        return null;
      default:
        throw new Error(`<CLASS DOES NOT EXIST> *${key.split('.').slice(0, -1).join('.')}`);
    }
  }
}

export function createConnection(info: { host: string; port: number; ns: string; user: string; pwd: string; timeout: number; sharedmemory?: boolean; driverData?: FakeDriverData }) {
  const data = info.driverData as FakeDriverData;
  // The real SDK prints when it loads (research/iris.md §2.4); so does the fake, to prove it is harmless.
  console.log('fake driver connecting');
  if (data.connectError) throw new Error(data.connectError);
  // Everything but the password, so tests can see how the SDK was called.
  appendFileSync(join(data.dir, 'connects'), `${JSON.stringify({ pid: process.pid, host: info.host, ns: info.ns, user: info.user, sharedmemory: info.sharedmemory })}\n`);
  const iris = new FakeIris(data);
  return {
    createIris: () => iris,
    close: () => {
      iris.dead = true;
    },
  };
}
