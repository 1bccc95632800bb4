/**
 * The simulated IRIS as the bridge's local instance (`npm start` with no IRIS configured, and the
 * tests that run the bridge as a process). compose/iris.ts imports this file only in that mode.
 */
import type { Config } from '../config/config.ts';
import { MonitorApiClient } from '../iris/monitor-api/client.ts';
import { simulatedAppsRunner } from '../iris/simulator/apps-runner.ts';
import type { Logger } from '../log/logger.ts';
import type { MetricSelector } from '../model/sensor-source.ts';
import { lazySensorConnection, nativeClient, SIMULATOR_LINK, type LocalIris } from './iris-connection.ts';
import { startSimulatedInstance } from './simulated-instance.ts';
import { simulatorAccount } from './simulator-account.ts';

/**
 * The simulator for `npm start` and the tests that run the bridge as a process: a simulated IRIS
 * with its setup done, reached like a real one (superserver on loopback, the bridge's own user,
 * the Native API transport in a child process), plus its /api/monitor.
 */
export async function simulatedIris(
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
