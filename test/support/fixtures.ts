import { Writable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { createLogger, type Logger } from '../../src/log/logger.ts';
import type { Config } from '../../src/config/config.ts';
import type { HostSnapshot, IrisProductionState, ProductionAction } from '../../src/model/production.ts';
import type { ProductionView } from '../../src/model/view.ts';
import { TRANSITIONAL } from '../../src/model/production.ts';
import type { Monitor } from '../../src/monitor/monitor.ts';
import type { DiscoveryContext } from '../../src/mqtt/discovery.ts';
import { Topics } from '../../src/mqtt/topics.ts';
import { SOURCE_AGENT_DIR } from '../../src/iris/agent/source-dir.ts';
import { AllowList } from '../../src/model/allow-list.ts';

/** A logger whose lines are kept for assertions (and shown when DEBUG_TESTS is set). */
export function captureLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(l);
      if (process.env.DEBUG_TESTS) process.stderr.write(chunk);
      cb();
    },
  });
  return { log: createLogger('debug', sink), lines };
}

export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    instanceId: 'iris',
    pollIntervalMs: 200,
    logLevel: 'debug',
    iris: { mode: 'simulator', scenario: 'demo', dataDir: '.iris-edge/test-state/simulator', writeIntervalMs: 0 },
    remoteInstances: [],
    userSensors: { sensors: [], problems: [] },
    mqtt: { source: 'default', url: 'mqtt://127.0.0.1:1883' },
    inAddon: false,
    supervisorToken: undefined,
    removalGracePolls: 2,
    agentDir: SOURCE_AGENT_DIR,
    commandCooldownMs: 0,
    hostDeviceThreshold: 20,
    exposeToAssist: false,
    toIris: { entities: new AllowList([]), events: new AllowList([]), namespace: 'USER', service: 'HomeAssistant', maxQueue: 1000, mqttServices: [] },
    fromIris: { actions: new AllowList([]), events: new AllowList([]), states: new AllowList([]) },
    homeAssistant: undefined,
    heartbeatFile: undefined,
    panel: { host: '127.0.0.1', port: 0, allowedHosts: [] },
    mcp: { host: '127.0.0.1', port: 0, writeTools: false, anyNetwork: false, tokenFile: '.iris-edge/test-state/secrets/mcp_token' },
    certDir: '.iris-edge/test-certs',
    stateDir: '.iris-edge/test-state',
    backups: { dir: '.iris-edge/test-state/backups', uploadLimitBytes: 64 * 1024 * 1024 },
    discoveryPrefix: 'homeassistant',
    topicPrefix: 'iris-edge',
    addon: { passwordFile: undefined, adminUser: undefined, adminPasswordFile: undefined, messagesLog: undefined, irisBin: undefined },
    irisSslDir: '.iris-edge/test-iris-ssl',
    apps: { namespaces: [], packages: [], registryFile: '.iris-edge/test-secrets/ipm_registry.json', workDir: '.iris-edge/test-apps' },
    ...overrides,
  };
}

/** What a wait was for, in its failure message: a function when the message needs the last state seen. */
export type WaitingFor = string | (() => string);
const timedOut = (timeoutMs: number, what: WaitingFor) => new Error(`Timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);

/**
 * Polls `probe` every `everyMs` until it returns something other than undefined or false, and
 * returns that. The one poll loop of the tests: it always has a deadline, and says what it waited
 * for when it fails, also when a probe itself never answers.
 */
export async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  what: WaitingFor,
  everyMs = 25,
): Promise<T> {
  let abandoned = false;
  const poll = async (): Promise<T> => {
    for (;;) {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
      // within() has failed the wait already; this only ends the loop.
      if (abandoned) throw timedOut(timeoutMs, what);
      await delay(everyMs);
    }
  };
  try {
    return await within(poll(), timeoutMs, what);
  } finally {
    abandoned = true;
  }
}

/** `work`, or a failure naming what it was once `timeoutMs` have passed: awaiting an event never hangs a run. */
export async function within<T>(work: Promise<T>, timeoutMs: number, what: WaitingFor): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timedOut(timeoutMs, what)), timeoutMs);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Resolves after the monitor has finished `count` more polls (it shows a view after each one,
 * and after a command starts). For tests that prove something does NOT change over several
 * polls: counting polls rather than milliseconds keeps the proof the same on a slow machine.
 */
export function polls(monitor: Monitor, count: number, timeoutMs = 10_000): Promise<void> {
  let seen = 0;
  let onView: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    onView = () => {
      if (++seen >= count) resolve();
    };
    monitor.on('view', onView);
  });
  return within(done, timeoutMs, () => `${count} polls of the monitor (${seen} seen)`).finally(() => monitor.off('view', onView));
}

/**
 * Holds the next call of `obj[method]` open: `entered` resolves once it is called, and the call
 * goes on (to the real method) only after `release()`. A test sees an operation in flight this
 * way without racing a timer against it.
 */
export function holdNextCall<K extends string, T extends Record<K, (...args: never[]) => Promise<unknown>>>(obj: T, method: K): { entered: Promise<void>; release(): void } {
  const own = Object.prototype.hasOwnProperty.call(obj, method);
  const original = obj[method];
  const restore = () => {
    if (own) obj[method] = original;
    else delete (obj as Partial<T>)[method];
  };
  let enter: () => void = () => undefined;
  let open: () => void = () => undefined;
  const entered = new Promise<void>((resolve) => (enter = resolve));
  const gate = new Promise<void>((resolve) => (open = resolve));
  obj[method] = (async (...args: never[]) => {
    restore();
    enter();
    await gate;
    return original.apply(obj, args);
  }) as T[K];
  return {
    entered,
    release: () => {
      restore();
      open();
    },
  };
}

/** The discovery context of the local instance "iris" as the tests' payload builders use it. */
export function discoveryContext(overrides: Partial<DiscoveryContext> = {}): DiscoveryContext {
  return {
    topics: new Topics('iris'),
    bridgeVersion: '0.1.0',
    entityPrefix: '',
    instanceName: 'IRIS',
    instanceModel: 'IRIS simulator',
    irisVersion: '2026.1.0.213.0',
    panelUrl: 'homeassistant://hassio/ingress/iris_edge',
    ...overrides,
  };
}

/** A production as the monitor shows it, with `cmd` in flight when given. */
export function productionView(name: string, irisState: IrisProductionState, cmd: ProductionAction | null = null, namespace = 'ORDERS'): ProductionView {
  return {
    key: `${namespace}/${name}`,
    namespace,
    name,
    irisState,
    state: cmd ? TRANSITIONAL[cmd] : irisState,
    commandInFlight: cmd,
    hosts: [],
    needsUpdate: false,
    updateReason: '',
  };
}

/** A healthy, idle, enabled business service as the monitor reports it; `over` changes what a test is about. */
export function hostSnapshot(name: string, over: Partial<HostSnapshot> = {}): HostSnapshot {
  return { name, className: 'EnsLib.File.PassthroughService', kind: 'service', enabled: true, status: 'ok', queue: 0, errors: 0, lastActivity: null, ...over };
}
