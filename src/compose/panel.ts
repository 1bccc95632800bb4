/** The ingress panel, wired to the running instances and to what the add-on knows about ports. */
import { readFile } from 'node:fs/promises';
import type { BackupService } from '../backups/service.ts';
import { defaultIrisFilesOwner } from '../certs/iris-files.ts';
import { CertService } from '../certs/service.ts';
import type { CertStore } from '../certs/store.ts';
import { IRIS_SUPERSERVER_PORT, IRIS_WEB_PORT, type Config } from '../config/config.ts';
import { getMappedPorts } from '../ha/supervisor.ts';
import type { SelfCheckRunner } from '../iris/diagnostics.ts';
import type { Logger } from '../log/logger.ts';
import { SslConfigs } from '../monitor/ssl-configs.ts';
import type { ConnectInfo } from '../panel/context.ts';
import type { LogBuffer } from '../panel/log-buffer.ts';
import { startPanel, type RunningPanel } from '../panel/server.ts';
import type { RunningInstance } from './instance.ts';

async function connectInfo(config: Config, log: Logger): Promise<ConnectInfo> {
  const iris = config.iris;
  const username = iris.mode === 'native' ? iris.username : 'none (simulator)';
  const readPassword = async () => {
    if (iris.mode !== 'native') return 'none: the simulator has no password';
    if (config.addon.passwordFile) return (await readFile(config.addon.passwordFile, 'utf8')).trim();
    return iris.password;
  };
  if (!config.supervisorToken) {
    return {
      superserverPort: iris.mode === 'native' ? iris.port : null,
      webPort: iris.mode === 'native' ? iris.webPort : null,
      portalPath: '/csp/sys/UtilHome.csp',
      username,
      readPassword,
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
    username,
    readPassword,
  };
}

/**
 * The ingress panel for every monitored instance. A panel that cannot start (port taken) is an
 * error in the log, not the end of the bridge: Home Assistant keeps its entities.
 */
export async function startPanelFor(
  running: { instances: RunningInstance[]; backups: BackupService | undefined; selfCheck: SelfCheckRunner; certStore: CertStore },
  config: Config,
  logs: LogBuffer,
  log: Logger,
): Promise<RunningPanel | undefined> {
  try {
    const mode = config.inAddon ? 'addon' : 'standalone';
    const irisFiles = { dir: config.irisSslDir, owner: defaultIrisFilesOwner(mode) };
    const panel = await startPanel({
      monitors: running.instances.map((i) => ({ id: i.id, monitor: i.monitor, instanceName: i.instanceName, sslConfigs: new SslConfigs(i.iris, i.monitor, irisFiles) })),
      mode,
      host: config.panel.host,
      port: config.panel.port,
      allowedHosts: config.panel.allowedHosts,
      connect: await connectInfo(config, log),
      logs,
      messagesLogPath: config.addon.messagesLog,
      certs: new CertService({ store: running.certStore, irisClients: running.instances.map((i) => ({ id: i.id, iris: i.iris })) }),
      backups: running.backups,
      diagnostics: running.selfCheck,
      backupUploadLimitBytes: config.backups.uploadLimitBytes,
      log,
    });
    return panel;
  } catch (err) {
    log.error(`The IRIS Edge panel could not start: ${(err as Error).message}`);
    return undefined;
  }
}
