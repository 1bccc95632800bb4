/**
 * A simulated IRIS with its setup done, listening as a real one does: its superserver and its
 * /api/monitor on loopback. The bridge's simulator mode runs it in its own process; `npm run
 * simulator` runs it alone, for a bridge in another process (simulator-main.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/config.ts';
import { recoverInterruptedRestore } from '../backups/restore.ts';
import { readArchiveManifest } from '../ipm/package-archive.ts';
import { SimulatedDatabases } from '../iris/simulator/databases.ts';
import { DEMO_LEVEL, homeDemoScenario, startHomeDemoLogic } from '../iris/simulator/home-demo.ts';
import { demoScenario, scaleScenario, SimulatedIris, startSuperserver, type RunningSuperserver } from '../iris/simulator/index.ts';
import { startSimulatedMonitorApi, type SimulatedMonitorApi } from '../iris/simulator/monitor-api.ts';
import type { Logger } from '../log/logger.ts';
import { registrySource } from './apps.ts';

type Credentials = { username: string; password: string };

export interface SimulatedInstance {
  readonly instance: SimulatedIris;
  readonly superserver: RunningSuperserver;
  readonly api: SimulatedMonitorApi;
  /** The bridge's own user, as the add-on's setup creates it, with a password made now. */
  readonly credentials: Credentials;
  /** The sensors' user, likewise. */
  readonly sensorCredentials: Credentials;
  close(): Promise<void>;
}

export async function startSimulatedInstance(
  config: Extract<Config['iris'], { mode: 'simulator' }>,
  dirs: { stateDir: string; agentDir: string },
  log: Logger,
  ports: { superserver?: number; web?: number } = {},
): Promise<SimulatedInstance> {
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
  const api = await startSimulatedMonitorApi({ port: ports.web });
  const superserver = await startSuperserver(instance, ports.superserver).catch(async (err: unknown) => {
    await api.close();
    instance.close();
    throw err;
  });
  return {
    instance,
    superserver,
    api,
    credentials,
    sensorCredentials,
    close: async () => {
      await superserver.close();
      await api.close();
      instance.close();
    },
  };
}
