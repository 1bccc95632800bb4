/**
 * The IRIS side of each instance the configuration names: a real IRIS through the Native API
 * client (iris-connection.ts) with its /api/monitor, or, for `npm start` and the tests, the
 * simulator (simulated-iris.ts), loaded only then: a bridge beside a real IRIS carries none of
 * it.
 */
import type { Config, RemoteInstance } from '../config/config.ts';
import { IRIS_WEB_PORT } from '../config/config.ts';
import { containerControl } from '../backups/container-control.ts';
import { MonitorApiClient } from '../iris/monitor-api/client.ts';
import type { Logger } from '../log/logger.ts';
import type { MetricSelector } from '../model/sensor-source.ts';
import type { PersonAccountService } from '../accounts/person-account.ts';
import { addonAccount } from './account.ts';
import { addonAppsRunner } from './apps.ts';
import { lazySensorConnection, nativeClient, SIMULATOR_LINK, type LocalIris } from './iris-connection.ts';
import type { InstancePlan } from './instance.ts';
import { metricSelectors } from './user-sensors.ts';

export type { LocalIris, SensorConnection } from './iris-connection.ts';

/** The local instance's metric sensors of the options by key: its scrape reads them too. */
export const sensorMetricsOf = (config: Config): Map<string, MetricSelector> => metricSelectors(config.userSensors.sensors);

/** The local IRIS the configuration names: the simulator (with its /api/monitor) or a real one. */
export async function localIris(config: Config, log: Logger): Promise<LocalIris> {
  const sensorMetrics = sensorMetricsOf(config);
  if (config.iris.mode === 'simulator') {
    const { simulatedIris } = await import('./simulated-iris.ts');
    return simulatedIris(config.iris, { stateDir: config.stateDir, agentDir: config.agentDir }, sensorMetrics, log);
  }
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
