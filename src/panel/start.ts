import { readFile } from 'node:fs/promises';
import type { RunningBridge } from '../app.ts';
import { defaultIrisFilesOwner, defaultIrisSslDir } from '../certs/iris-files.ts';
import { CertService } from '../certs/service.ts';
import { CertStore } from '../certs/store.ts';
import type { Config } from '../config/config.ts';
import { getMappedPorts } from '../ha/supervisor.ts';
import type { Logger } from '../log/logger.ts';
import { SslConfigs } from '../monitor/ssl-configs.ts';
import type { ConnectInfo } from './context.ts';
import type { LogBuffer } from './log-buffer.ts';
import { startPanel, type RunningPanel } from './server.ts';

/** Where the add-on's init-iris keeps the bridge's generated IRIS password. */
const PASSWORD_FILE = '/data/secrets/iris_edge_password';
/** IRIS's durable data directory in the add-on (ISC_DATA_DIRECTORY). */
const MESSAGES_LOG = '/data/iris/mgr/messages.log';

async function connectInfo(config: Config, log: Logger): Promise<ConnectInfo> {
  const iris = config.iris;
  const username = iris.mode === 'native' ? iris.username : 'none (simulator)';
  const readPassword = async () => {
    if (iris.mode !== 'native') return 'none: the simulator has no password';
    if (config.supervisorToken) return (await readFile(process.env.IRIS_PASSWORD_FILE ?? PASSWORD_FILE, 'utf8')).trim();
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
    superserverPort: ports['1972/tcp'] ?? null,
    webPort: ports['52773/tcp'] ?? null,
    portalPath: '/csp/sys/UtilHome.csp',
    username,
    readPassword,
  };
}

/**
 * The ingress panel for every monitored instance. A panel that cannot start (port taken) is an
 * error in the log, not the end of the bridge: Home Assistant keeps its entities.
 */
export async function startPanelFor(running: RunningBridge, config: Config, logs: LogBuffer, log: Logger): Promise<RunningPanel | undefined> {
  try {
    const mode = config.supervisorToken ? 'addon' : 'standalone';
    const irisFiles = { dir: defaultIrisSslDir(mode, config.certDir), owner: defaultIrisFilesOwner(mode) };
    const panel = await startPanel({
      monitors: running.instances.map((i) => ({ id: i.id, monitor: i.monitor, instanceName: i.instanceName, sslConfigs: new SslConfigs(i.iris, i.monitor, irisFiles) })),
      mode,
      host: config.panel.host,
      port: config.panel.port,
      allowedHosts: config.panel.allowedHosts,
      connect: await connectInfo(config, log),
      logs,
      messagesLogPath: config.supervisorToken && config.iris.mode === 'native' ? MESSAGES_LOG : undefined,
      certs: new CertService({ store: new CertStore(config.certDir), irisClients: running.instances.map((i) => ({ id: i.id, iris: i.iris })) }),
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
