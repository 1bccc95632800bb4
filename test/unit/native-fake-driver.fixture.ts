/**
 * A stand-in for @intersystems/intersystems-iris-native, loaded INSIDE the transport's worker
 * thread (the transport's `driverModule` option). Like the real SDK it is synchronous: a "slow"
 * or "hung" call really blocks the worker thread (Atomics.wait). State that tests must see across
 * workers (connects, concurrent calls, the installed agent version) lives in a SharedArrayBuffer
 * passed as `driverData`. Not a test file: the runner only picks `*.test.ts`.
 */
import { readFileSync } from 'node:fs';
import { isMainThread, workerData } from 'node:worker_threads';

export const C = {
  inFlight: 0,
  maxInFlight: 1,
  connects: 2,
  calls: 3,
  /** 0 = IrisEdge.Agent missing. */
  agentVersion: 4,
  loads: 5,
  textInstalls: 6,
  controls: 7,
  /** Stateful agent: $$$eProductionState of the production (1 running, 2 stopped). */
  prodState: 8,
  /** Stateful agent: 1 while the host "In" is disabled (EnableHost). */
  inDisabled: 9,
} as const;

export interface FakeDriverData {
  counters: SharedArrayBuffer;
  /** Every createConnection throws this message. */
  connectError?: string;
  agent?: {
    /** JSON text IrisEdge.Agent.Snapshot returns. */
    snapshot?: string;
    /** JSON text IrisEdge.Agent.Control returns, per action. Default {"ok":true}. */
    control?: Partial<Record<'start' | 'stop' | 'restart' | 'update' | 'recover', string>>;
    /** %SYSTEM.OBJ.Load fails as if IRIS cannot read the file. */
    loadFails?: boolean;
    /** Emulate one production that Control really starts/stops (Snapshot reflects it). */
    stateful?: { namespace: string; production: string };
    /** JSON text IrisEdge.Agent.SslConfigs returns; default: the configs ApplySslConfig saved in this worker. */
    sslConfigs?: string;
  };
}

export function fakeDriverData(opts: Omit<FakeDriverData, 'counters'> & { agentVersion?: number } = {}): FakeDriverData {
  const counters = new SharedArrayBuffer(16 * 4);
  const { agentVersion, ...rest } = opts;
  if (agentVersion) Atomics.store(new Int32Array(counters), C.agentVersion, agentVersion);
  return { counters, ...rest };
}

export function counter(data: FakeDriverData, index: number): number {
  return Atomics.load(new Int32Array(data.counters), index);
}

export const FAKE_DRIVER_URL = import.meta.url;

// ---- the driver (runs in the worker) ----------------------------------------------------------

const data = (workerData as { driverData?: FakeDriverData } | null)?.driverData;
const shared = data ? new Int32Array(data.counters) : new Int32Array(16);
const sleeper = new Int32Array(new SharedArrayBuffer(4));
let lastControl = '';
let lastSslApply = '';
/** Backup.General's freeze state, as ExternalFreeze/ExternalThaw keep it (worker-local). */
let frozen = false;
/** Security.SSLConfigs as ApplySslConfig saved them (worker-local; the password is dropped like IRIS never returns it). */
const sslSaved = new Map<string, Record<string, unknown>>();
let pendingTextVersion = 0;

function block(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

function versionIn(text: string): number {
  return Number(/^\s*Parameter\s+VERSION\s*=\s*(\d+)\s*;/m.exec(text)?.[1] ?? 0);
}

const DEFAULT_SNAPSHOT = JSON.stringify({
  ok: true,
  agentVersion: 1,
  takenAt: '2026-01-01T00:00:00.000Z',
  instance: { version: 'IRIS for UNIX (fake) 2025.1', versionNumber: '2025.1.0.225.1' },
  namespaces: ['USER'],
  productions: [],
  problems: [],
});

function statefulSnapshot(p: { namespace: string; production: string }): string {
  const code = Atomics.load(shared, C.prodState) || 2;
  const running = code === 1;
  const host = (name: string, kind: string, enabled = true) => ({
    name,
    className: `Fake.${kind}`,
    kind,
    enabled,
    status: !enabled ? 'Disabled' : running ? 'OK' : 'Stopped',
    queue: 0,
    errors: 0,
    lastActivity: running ? new Date().toISOString() : null,
  });
  const inDisabled = Atomics.load(shared, C.inDisabled) === 1;
  return JSON.stringify({
    ok: true,
    agentVersion: 1,
    takenAt: new Date().toISOString(),
    instance: { version: 'IRIS for UNIX (fake) 2025.1', versionNumber: '2025.1.0.225.1' },
    namespaces: [p.namespace],
    productions: [
      {
        namespace: p.namespace,
        name: p.production,
        stateCode: code,
        needsUpdate: false,
        updateReason: '',
        hosts: [host('In', 'service', !inDisabled), host('Route', 'process'), host('Out', 'operation'), host('Spare', 'operation', false)],
      },
    ],
    problems: [],
  });
}

function statefulControl(p: { namespace: string; production: string }, args: unknown[]): string {
  const [ns, production, action] = args.map(String);
  const fail = (code: string, text: string) => JSON.stringify({ ok: false, code, text });
  if (ns !== p.namespace || production !== p.production) {
    return fail('<IrisEdge>UnknownProduction', `Production '${production}' does not exist in namespace '${ns}'`);
  }
  const running = (Atomics.load(shared, C.prodState) || 2) === 1;
  if (action === 'start') {
    if (running) return fail('<Ens>ErrProductionAlreadyRunning', `ERROR <Ens>ErrProductionAlreadyRunning: Production '${production}' is already running`);
    Atomics.store(shared, C.prodState, 1);
  } else if (action === 'stop' || action === 'restart' || action === 'update') {
    if (!running) return fail('<IrisEdge>ProductionNotRunning', `Production '${production}' is not running`);
    if (action !== 'update') Atomics.store(shared, C.prodState, action === 'stop' ? 2 : 1);
  } else if (action === 'recover') {
    // RecoverProduction acts only on a troubled production; this one never is.
  } else {
    return fail('<IrisEdge>UnknownAction', `Unknown action '${action}'`);
  }
  return '{"ok":true}';
}

class FakeIris {
  dead = false;

  classMethodValue(className: string, methodName: string, ...args: unknown[]): unknown {
    if (this.dead) throw new Error('<COMMUNICATION LINK ERROR> Connection closed by server; Details: ECONNRESET');
    Atomics.add(shared, C.calls, 1);
    const now = Atomics.add(shared, C.inFlight, 1) + 1;
    for (;;) {
      const max = Atomics.load(shared, C.maxInFlight);
      if (now <= max || Atomics.compareExchange(shared, C.maxInFlight, max, now) === max) break;
    }
    try {
      return this.dispatch(className, methodName, args);
    } finally {
      Atomics.sub(shared, C.inFlight, 1);
    }
  }

  private dispatch(className: string, methodName: string, args: unknown[]): unknown {
    const key = `${className}.${methodName}`;
    if (className === 'IrisEdge.Agent' && Atomics.load(shared, C.agentVersion) === 0) {
      throw new Error('<CLASS DOES NOT EXIST> *IrisEdge.Agent');
    }
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
        return Atomics.load(shared, C.connects);
      case 'Fake.One':
        return 1n;
      case 'Fake.Huge':
        return 2n ** 60n;
      case 'Fake.Null':
        return null;
      case 'Fake.Exit':
        process.exit(3);
        return null;
      case 'Fake.LastControl':
        return lastControl;
      case 'IrisEdge.Agent.Version':
        return BigInt(Atomics.load(shared, C.agentVersion));
      case 'IrisEdge.Agent.Snapshot':
        if (data?.agent?.stateful) return statefulSnapshot(data.agent.stateful);
        return data?.agent?.snapshot ?? DEFAULT_SNAPSHOT;
      case 'IrisEdge.Agent.Control': {
        Atomics.add(shared, C.controls, 1);
        lastControl = JSON.stringify(args);
        if (data?.agent?.stateful) return statefulControl(data.agent.stateful, args);
        const action = String(args[2]) as 'start' | 'stop' | 'restart' | 'update' | 'recover';
        return data?.agent?.control?.[action] ?? '{"ok":true}';
      }
      case 'IrisEdge.Agent.EnableHost': {
        const [ns, production, hostName, enable] = args.map(String);
        const p = data?.agent?.stateful;
        if (!p || ns !== p.namespace || production !== p.production) {
          return JSON.stringify({ ok: false, code: '<IrisEdge>UnknownProduction', text: `Production '${production}' does not exist` });
        }
        if (!['In', 'Route', 'Out', 'Spare'].includes(hostName as string)) {
          return JSON.stringify({ ok: false, code: '<Ens>ErrConfigItemNotFound', text: `Config item '${hostName}' not found` });
        }
        if (hostName === 'In') Atomics.store(shared, C.inDisabled, enable === '1' ? 0 : 1);
        return '{"ok":true}';
      }
      case 'Fake.LastSslApply':
        return lastSslApply;
      case 'IrisEdge.Agent.SslConfigs':
        if (data?.agent?.sslConfigs) return data.agent.sslConfigs;
        return JSON.stringify({ ok: true, configs: [...sslSaved.values()], usedBy: [], problems: [] });
      case 'IrisEdge.Agent.ApplySslConfig': {
        lastSslApply = String(args[0]);
        const j = JSON.parse(lastSslApply) as Record<string, unknown>;
        if (j.type !== 0 && j.type !== 1) return JSON.stringify({ ok: false, code: '<IrisEdge>BadSslConfig', text: 'Type must be 0 (client) or 1 (server)' });
        const { privateKeyPassword: _pw, ...rest } = j;
        const prev = sslSaved.get(String(j.name));
        sslSaved.set(String(j.name), { description: '', enabled: true, ...prev, ...rest });
        return '{"ok":true}';
      }
      case 'IrisEdge.Agent.Databases':
        // The shape Config.Databases + SYS.Database give for a container (sizes in MB).
        return JSON.stringify({
          ok: true,
          databases: [
            { name: 'IRISSYS', directory: '/usr/irissys/mgr/', sizeMB: 180, readOnly: false, mounted: true },
            { name: 'IRISLIB', directory: '/usr/irissys/mgr/irislib/', sizeMB: 420, readOnly: true, mounted: true },
            { name: 'IRISTEMP', directory: '/usr/irissys/mgr/iristemp/', sizeMB: 11, readOnly: false, mounted: true },
            { name: 'USER', directory: '/usr/irissys/mgr/user', sizeMB: 1, readOnly: false, mounted: true },
          ],
        });
      case 'IrisEdge.Agent.Freeze':
        if (frozen) return JSON.stringify({ ok: false, code: '<Backup>AlreadyFrozen', text: 'ExternalFreeze: the system is already frozen' });
        frozen = true;
        return '{"ok":true}';
      case 'IrisEdge.Agent.Thaw':
        frozen = false;
        return '{"ok":true}';
      case '%SYSTEM.OBJ.Load': {
        Atomics.add(shared, C.loads, 1);
        if (data?.agent?.loadFails) return '0 \u0001\u0002ERROR #5012: File does not exist';
        Atomics.store(shared, C.agentVersion, versionIn(readFileSync(String(args[0]), 'utf8')));
        return 1n;
      }
      case '%Compiler.UDL.TextServices.SetTextFromString':
        Atomics.add(shared, C.textInstalls, 1);
        pendingTextVersion = versionIn(String(args[2]));
        return 1n;
      case '%SYSTEM.OBJ.Compile':
        Atomics.store(shared, C.agentVersion, pendingTextVersion);
        return 1n;
      case '%SYSTEM.Status.GetErrorText':
        return 'ERROR #5012: File does not exist';
      default:
        throw new Error(`<CLASS DOES NOT EXIST> *${className}`);
    }
  }
}

export function createConnection(info: { host: string; port: number; ns: string; user: string; pwd: string; timeout: number }) {
  if (data?.connectError) throw new Error(data.connectError);
  if (info.ns !== '%SYS') throw new Error(`fake driver: expected namespace %SYS, got ${info.ns}`);
  Atomics.add(shared, C.connects, 1);
  const iris = new FakeIris();
  return {
    createIris: () => iris,
    close: () => {
      iris.dead = true;
    },
  };
}

// The real SDK prints on load (research/iris.md §2.4); so does the fake, to prove it is harmless.
if (!isMainThread) console.log('fake driver loaded');
