/**
 * The IRIS side of each instance the configuration names: the Native API client (in a process the
 * bridge can kill), the simulator for `npm start` and the tests, and /api/monitor.
 */
import { randomBytes } from 'node:crypto';
import type { Config, RemoteInstance } from '../config/config.ts';
import { IRIS_WEB_PORT } from '../config/config.ts';
import { containerControl } from '../backups/container-control.ts';
import { recoverInterruptedRestore } from '../backups/restore.ts';
import type { IrisClient } from '../iris/client.ts';
import type { SensorSource } from '../monitor/agent-sensors.ts';
import { MonitorApiClient } from '../iris/monitor-api/client.ts';
import type { NativeIrisClient, NativeIrisClientOptions } from '../iris/native/client.ts';
import { SimulatedDatabases } from '../iris/simulator/databases.ts';
import { demoScenario, scaleScenario, SimulatedIris, SIMULATOR_DRIVER, startSuperserver } from '../iris/simulator/index.ts';
import { DEMO_LEVEL, homeDemoScenario, startHomeDemoLogic } from '../iris/simulator/home-demo.ts';
import { startSimulatedMonitorApi } from '../iris/simulator/monitor-api.ts';
import type { Logger } from '../log/logger.ts';
import type { MetricSelector } from '../model/sensor-source.ts';
import type { PersonAccountService } from '../accounts/person-account.ts';
import { addonAccount, simulatorAccount } from './account.ts';
import { simulatedAppsRunner } from '../iris/simulator/apps-runner.ts';
import type { AppsRunner } from '../model/ipm.ts';
import { addonAppsRunner, registrySource } from './apps.ts';
import { readArchiveManifest } from '../ipm/package-archive.ts';
import type { InstancePlan } from './instance.ts';
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
  const api = await startSimulatedMonitorApi();
  const [productions, hosts] = config.scenario.split('x').map(Number);
  const home = config.scenario === 'home';
  const seeds = config.scenario === 'demo' ? undefined : home ? homeDemoScenario() : scaleScenario(productions ?? 1, hosts ?? 1);
  // As in the add-on, where the iris service does this: no IRIS starts on half-restored files.
  await recoverInterruptedRestore(dirs.stateDir, log);
  const namespaces = [...new Set((seeds ?? demoScenario()).map((p) => p.namespace))];
  const data = new SimulatedDatabases(config.dataDir, { namespaces, writeIntervalMs: config.writeIntervalMs });
  // The demo lives (queues move, an error now and then); bench scenarios stay still.
  const instance = new SimulatedIris({ activity: !seeds || home, productions: seeds, databases: data, agentDir: dirs.agentDir, ipm: { sourceFor: registrySource, readArchive: (path) => readArchiveManifest(path) } });
  if (home) startHomeDemoLogic(instance, (r) => r.ok || log.warn(`The simulated HOME production could not set ${DEMO_LEVEL}: ${r.text}`));
  const credentials = { username: 'iris_edge', password: randomBytes(16).toString('hex') };
  const sensorCredentials = { username: 'iris_edge_sensors', password: randomBytes(16).toString('hex') };
  instance.runSetup(credentials, undefined, sensorCredentials);
  const account = await simulatorAccount(instance, dirs.stateDir);
  const superserver = await startSuperserver(instance);
  const iris = await nativeClient(
    { host: superserver.host, port: superserver.port, ...credentials, agentDir: instance.agentDir },
    log,
    { kind: 'simulator', driverModule: SIMULATOR_DRIVER, inAddon: false },
  );
  const sensors = lazySensorConnection(() =>
    nativeClient({ host: superserver.host, port: superserver.port, ...sensorCredentials, agentDir: instance.agentDir }, log, { kind: 'simulator', driverModule: SIMULATOR_DRIVER, inAddon: false }),
  );
  return {
    iris,
    sensors,
    health: new MonitorApiClient({ baseUrl: api.url, sensorMetrics }),
    account,
    apps: simulatedAppsRunner(instance),
    close: async () => {
      await superserver.close();
      await api.close();
      instance.close();
    },
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
  const iris = await nativeClient(config.iris, log, { inAddon: config.inAddon });
  const login = config.userSensors.login;
  const { host, port, agentDir } = config.iris;
  const sensors = login ? lazySensorConnection(() => nativeClient({ host, port, ...login, agentDir }, log, { inAddon: config.inAddon })) : undefined;
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
