/**
 * The IRIS side of each instance the configuration names: the Native API client (in a process the
 * bridge can kill), the simulator for `npm start` and the tests, and /api/monitor.
 */
import type { Config, RemoteInstance } from '../config/config.ts';
import { IRIS_WEB_PORT } from '../config/config.ts';
import { containerControl } from '../backups/container-control.ts';
import type { IrisClient } from '../iris/client.ts';
import type { SensorSource } from '../monitor/agent-sensors.ts';
import { MonitorApiClient } from '../iris/monitor-api/client.ts';
import type { NativeIrisClient, NativeIrisClientOptions } from '../iris/native/client.ts';
import { SIMULATOR_DRIVER } from '../iris/simulator/index.ts';
import type { Logger } from '../log/logger.ts';
import type { MetricSelector } from '../model/sensor-source.ts';
import type { PersonAccountService } from '../accounts/person-account.ts';
import { addonAccount, simulatorAccount } from './account.ts';
import { simulatedAppsRunner } from '../iris/simulator/apps-runner.ts';
import type { AppsRunner } from '../model/ipm.ts';
import { addonAppsRunner } from './apps.ts';
import type { InstancePlan } from './instance.ts';
import { startSimulatedInstance } from './simulated-instance.ts';
import { metricSelectors } from './user-sensors.ts';

type NativeTarget = { host: string; port: number; username: string; password: string; agentDir: string };

async function nativeClient(t: NativeTarget, log: Logger, extra: Pick<NativeIrisClientOptions, 'inAddon'> & Partial<NativeIrisClientOptions>): Promise<NativeIrisClient> {
  const { createNativeIrisClient } = await import('../iris/native/client.ts');
  let announced = false;
  return createNativeIrisClient({
    ...t,
    onProblems: (problems) => {
      for (const p of problems) log.warn(`IRIS namespace ${p.namespace} was skipped in the inventory: ${p.text}`);
    },
    onDriver: (driver, pid) => {
      const line = `IRIS at ${t.host}:${t.port} is reached through ${driver}, in a separate process (pid ${pid ?? '?'}) the bridge can kill`;
      if (announced) log.debug(line);
      else log.info(line);
      announced = true;
    },
    onAbandoned: (call, stats) =>
      log.warn(
        `IRIS did not answer ${call.call} within ${Math.round(call.afterMs / 1000)} s; its connection process was killed ` +
          `(${stats.abandonedRecently} unanswered calls in the last 10 minutes, ${stats.callsAbandoned} since the start).`,
      ),
    onOutput: (line) => log.debug(`IRIS connection process: ${line}`),
    ...extra,
  });
}

/** How a bridge reaches a simulated IRIS's superserver: the simulator's driver, not the SDK. */
const SIMULATOR_LINK = { kind: 'simulator', driverModule: SIMULATOR_DRIVER, inAddon: false } as const;

/**
 * The simulator for `npm start` and the tests that run the bridge as a process: a simulated IRIS
 * with its setup done, reached like a real one (superserver on loopback, the bridge's own user,
 * the Native API transport in a child process), plus its /api/monitor.
 */
async function simulatedIris(
  config: Extract<Config['iris'], { mode: 'simulator' }>,
  dirs: { stateDir: string; agentDir: string },
  sensorMetrics: ReadonlyMap<string, MetricSelector>,
  log: Logger,
): Promise<LocalIris> {
  const simulated = await startSimulatedInstance(config, dirs, log);
  const { instance, superserver, api, credentials, sensorCredentials } = simulated;
  const account = await simulatorAccount(instance, dirs.stateDir);
  const iris = await nativeClient({ host: superserver.host, port: superserver.port, ...credentials, agentDir: instance.agentDir }, log, SIMULATOR_LINK);
  const sensors = lazySensorConnection(() =>
    nativeClient({ host: superserver.host, port: superserver.port, ...sensorCredentials, agentDir: instance.agentDir }, log, SIMULATOR_LINK),
  );
  return {
    iris,
    sensors,
    health: new MonitorApiClient({ baseUrl: api.url, sensorMetrics }),
    account,
    apps: simulatedAppsRunner(instance),
    close: () => simulated.close(),
    control: {
      stop: async () => instance.stopInstance(),
      start: async () => instance.startInstance(),
      freeze: async () => instance.freeze(),
      thaw: async () => instance.thaw(),
    },
  };
}

/**
 * The local instance's IRIS side, its account for people when this bridge can manage it, the
 * sensors connection (logged in as the sensors' own user, opened when first used), and the owner's path for IPM apps where this bridge has one.
 */
export type LocalIris = Pick<InstancePlan, 'iris' | 'health' | 'close' | 'control'> & { account?: PersonAccountService; sensors?: SensorConnection; apps?: AppsRunner };

/** The sensors connection: read sensors, and close (startBridge's stop closes it). */
export type SensorConnection = SensorSource & { close(): Promise<void> };

/**
 * The sensors connection, opened at its first read: the panel may add the first SQL, global or
 * method sensor at any time, and a bridge without one never starts that connection's process.
 * An open that fails is tried again at the next read.
 */
function lazySensorConnection(open: () => Promise<SensorConnection>): SensorConnection {
  let opened: Promise<SensorConnection> | undefined;
  return {
    readSensors: async (namespace, requests, packages) => {
      opened ??= open().catch((err: unknown) => {
        opened = undefined;
        throw err;
      });
      return (await opened).readSensors(namespace, requests, packages);
    },
    close: async () => {
      if (opened) await (await opened.catch(() => undefined))?.close();
    },
  };
}

/** The local instance's metric sensors of the options by key: its scrape reads them too. */
export const sensorMetricsOf = (config: Config): Map<string, MetricSelector> => metricSelectors(config.userSensors.sensors);

/** The local IRIS the configuration names: the simulator (with its /api/monitor) or a real one. */

export async function localIris(config: Config, log: Logger): Promise<LocalIris> {
  const sensorMetrics = sensorMetricsOf(config);
  if (config.iris.mode === 'simulator') return simulatedIris(config.iris, { stateDir: config.stateDir, agentDir: config.agentDir }, sensorMetrics, log);
  // Inside Home Assistant the add-on's setup installs the agent.
  const link = config.iris.driver === 'simulator' ? SIMULATOR_LINK : { inAddon: config.inAddon };
  const iris = await nativeClient(config.iris, log, link);
  const login = config.userSensors.login;
  const { host, port, agentDir } = config.iris;
  const sensors = login ? lazySensorConnection(() => nativeClient({ host, port, ...login, agentDir }, log, link)) : undefined;
  return {
    iris,
    sensors,
    health: new MonitorApiClient({ baseUrl: `http://${config.iris.host}:${config.iris.webPort}`, sensorMetrics }),
    // Only inside the add-on are IRIS's files and its process within reach.
    control: config.inAddon ? containerControl({ stateDir: config.stateDir, iris, irisBin: config.addon.irisBin }) : undefined,
    account: await initialised(addonAccount(config)),
    apps: addonAppsRunner(config),
  };
}

async function initialised(account: PersonAccountService | undefined): Promise<PersonAccountService | undefined> {
  await account?.init();
  return account;
}

export async function remotePlan(r: RemoteInstance, config: Config, log: Logger): Promise<Omit<InstancePlan, 'topics'>> {
  return {
    id: r.id,
    health: new MonitorApiClient({ baseUrl: `http://${r.host}:${r.web_port ?? IRIS_WEB_PORT}` }),
    // A remote instance never has the add-on's setup: an administrator installs the agent there.
    iris: await nativeClient(
      { host: r.host, port: r.superserver_port, username: r.username, password: r.password, agentDir: config.agentDir },
      log.child({ instance: r.id }),
      { inAddon: false },
    ),
    entityPrefix: r.id,
    instanceName: `IRIS ${r.id}`,
  };
}
