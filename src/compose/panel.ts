/** The ingress panel, wired to the running instances and to what the add-on knows about ports. */
import type { PersonAccountService } from '../accounts/person-account.ts';
import type { BackupService } from '../backups/service.ts';
import { defaultIrisFilesOwner } from '../certs/iris-files.ts';
import { CertService } from '../certs/service.ts';
import type { CertStore } from '../certs/store.ts';
import { IRIS_SUPERSERVER_PORT, IRIS_WEB_PORT, type Config } from '../config/config.ts';
import { getMappedPorts } from '../ha/supervisor.ts';
import type { SelfCheckRunner } from '../iris/diagnostics.ts';
import type { Logger } from '../log/logger.ts';
import { SslConfigs } from '../monitor/ssl-configs.ts';
import type { ConnectInfo, HaFlowsSource, McpAccess, PanelApps, PanelSensors } from '../panel/context.ts';
import type { LogBuffer } from '../panel/log-buffer.ts';
import { startPanel, type RunningPanel } from '../panel/server.ts';
import type { RunningInstance } from './instance.ts';

async function connectInfo(config: Config, log: Logger): Promise<ConnectInfo> {
  const iris = config.iris;
  const serviceAccount = iris.mode === 'native' ? iris.username : 'iris_edge';
  const remoteInstances = config.remoteInstances.map((r) => r.id);
  if (!config.supervisorToken) {
    return {
      superserverPort: iris.mode === 'native' ? iris.port : null,
      webPort: iris.mode === 'native' ? iris.webPort : null,
      portalPath: '/csp/sys/UtilHome.csp',
      serviceAccount,
      remoteInstances,
    };
  }
  // Inside Home Assistant the ports people connect to are the host ports the user mapped.
  let ports: Record<string, number | null> = {};
  try {
    ports = await getMappedPorts(config.supervisorToken);
  } catch (err) {
    log.warn(`Could not read the add-on's port mapping from the Supervisor: ${(err as Error).message}`);
  }
  return {
    superserverPort: ports[`${IRIS_SUPERSERVER_PORT}/tcp`] ?? null,
    webPort: ports[`${IRIS_WEB_PORT}/tcp`] ?? null,
    portalPath: '/csp/sys/UtilHome.csp',
    serviceAccount,
    remoteInstances,
  };
}

const NO_ACCOUNT =
  'This bridge runs outside the IRIS Edge add-on with a real IRIS, so it cannot act as the owner of that IRIS (the add-on runs its privileged steps as irisowner inside its own container): log in with an account the IRIS administrator gave you.';

/**
 * The ingress panel for every monitored instance. A panel that cannot start (port taken) is an
 * error in the log, not the end of the bridge: Home Assistant keeps its entities.
 */
export async function startPanelFor(
  running: { instances: RunningInstance[]; backups: BackupService | undefined; selfCheck: SelfCheckRunner; certStore: CertStore; account?: PersonAccountService; apps?: PanelApps | undefined; sensors?: PanelSensors | undefined },
  config: Config,
  logs: LogBuffer,
  log: Logger,
  mcp?: McpAccess,
  haFlows?: HaFlowsSource,
): Promise<RunningPanel | undefined> {
  try {
    const mode = config.inAddon ? 'addon' : 'standalone';
    const irisFiles = { dir: config.irisSslDir, owner: defaultIrisFilesOwner(mode) };
    const connect = await connectInfo(config, log);
    // The local instance is the first (app.ts); a remote one's portal is where its options say.
    const portal = (id: string, n: number) => {
      if (n === 0) return { host: null, webPort: connect.webPort };
      const r = config.remoteInstances.find((x) => x.id === id);
      return r ? { host: r.host, webPort: r.web_port ?? IRIS_WEB_PORT } : undefined;
    };
    const panel = await startPanel({
      monitors: running.instances.map((i, n) => ({
        id: i.id,
        monitor: i.monitor,
        instanceName: i.instanceName,
        simulator: i.iris.kind === 'simulator',
        portal: portal(i.id, n),
        eventLog: (ns: string, p: string) => i.iris.eventLog(ns, p),
        sslConfigs: new SslConfigs(i.iris, i.monitor, irisFiles),
      })),
      mode,
      host: config.panel.host,
      port: config.panel.port,
      allowedHosts: config.panel.allowedHosts,
      connect,
      account: running.account,
      accountUnavailable: running.account ? undefined : NO_ACCOUNT,
      logs,
      messagesLogPath: config.addon.messagesLog,
      certs: new CertService({ store: running.certStore, irisClients: running.instances.map((i) => ({ id: i.id, iris: i.iris })) }),
      backups: running.backups,
      diagnostics: running.selfCheck,
      mcp,
      ...(running.apps ? { apps: running.apps } : {}),
      ...(running.sensors ? { sensors: running.sensors } : {}),
      haFlows,
      log,
    });
    return panel;
  } catch (err) {
    log.error(`The IRIS Edge panel could not start: ${(err as Error).message}`);
    return undefined;
  }
}
