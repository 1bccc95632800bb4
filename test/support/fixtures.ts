import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/log/logger.ts';
import type { Config } from '../../src/config/config.ts';
import type { IrisProductionState, ProductionAction } from '../../src/model/production.ts';
import type { ProductionView } from '../../src/model/view.ts';
import { TRANSITIONAL } from '../../src/model/production.ts';
import type { DiscoveryContext } from '../../src/mqtt/discovery.ts';
import { Topics } from '../../src/mqtt/topics.ts';
import { SOURCE_AGENT_DIR } from '../../src/iris/agent/source-dir.ts';

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
    mqtt: { source: 'default', url: 'mqtt://127.0.0.1:1883' },
    inAddon: false,
    supervisorToken: undefined,
    removalGracePolls: 2,
    agentDir: SOURCE_AGENT_DIR,
    commandCooldownMs: 0,
    hostDeviceThreshold: 20,
    exposeToAssist: false,
    homeAssistant: undefined,
    heartbeatFile: undefined,
    panel: { host: '127.0.0.1', port: 0, allowedHosts: [] },
    certDir: '.iris-edge/test-certs',
    stateDir: '.iris-edge/test-state',
    backups: { dir: '.iris-edge/test-state/backups', uploadLimitBytes: 64 * 1024 * 1024 },
    discoveryPrefix: 'homeassistant',
    topicPrefix: 'iris-edge',
    addon: { passwordFile: undefined, messagesLog: undefined, irisBin: undefined },
    irisSslDir: '.iris-edge/test-iris-ssl',
    ...overrides,
  };
}

export async function waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
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
    useDefaultEntityId: true,
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
