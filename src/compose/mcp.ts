/**
 * The MCP server for AI assistants, wired to the running instances, certificates and backups, and
 * what the panel's AI assistants page needs of it. A server that cannot start (port taken) is an
 * error in the log, not the end of the bridge.
 */
import type { BackupService } from '../backups/service.ts';
import type { Config } from '../config/config.ts';
import { getAddonSlug } from '../ha/supervisor.ts';
import type { Logger } from '../log/logger.ts';
import { CallLog } from '../mcp/call-log.ts';
import { startMcpServer, REQUESTS_PER_MINUTE, type RunningMcpServer } from '../mcp/server.ts';
import { McpToken } from '../mcp/token.ts';
import type { CertExpiry } from '../model/certificate.ts';
import { MCP_PATH } from '../model/mcp.ts';
import type { MessageSearch } from '../model/message-search.ts';
import { RefusalLog } from '../monitor/refusals.ts';
import { AttemptLimiter } from '../panel/attempts.ts';
import type { McpAccess } from '../panel/context.ts';
import { BRIDGE_VERSION } from '../version.ts';
import type { RunningInstance } from './instance.ts';

export interface StartedMcp {
  server: RunningMcpServer;
  access: McpAccess;
}

/**
 * The host name Home Assistant Core reaches the add-on by: the Supervisor names an add-on's
 * container after its slug with "-" for every "_" (supervisor's add-on model, the hostname property).
 */
async function endpointHost(config: Config, log: Logger): Promise<string> {
  if (config.supervisorToken) {
    try {
      return (await getAddonSlug(config.supervisorToken)).replaceAll('_', '-');
    } catch (err) {
      log.warn(`The MCP URL names no host: ${(err as Error).message}`);
      return '<add-on host name>';
    }
  }
  const h = config.mcp.host;
  return !h || h === '0.0.0.0' || h === '::' ? '127.0.0.1' : h.includes(':') ? `[${h}]` : h;
}

export async function startMcpFor(
  running: { instances: RunningInstance[]; backups: BackupService | undefined },
  certificates: () => Promise<CertExpiry[]>,
  config: Config,
  log: Logger,
): Promise<StartedMcp | undefined> {
  try {
    const token = new McpToken(config.mcp.tokenFile);
    await token.init();
    const calls = new CallLog();
    const refusals = new RefusalLog(log);
    const server = await startMcpServer({
      sources: {
        instances: running.instances.map((i) => ({
          id: i.id,
          name: i.instanceName,
          monitor: i.monitor,
          eventLog: (ns: string, p: string) => i.iris.eventLog(ns, p),
          searchMessages: (ns: string, search: MessageSearch) => i.iris.searchMessages(ns, search),
        })),
        certificates,
        backups: running.backups,
        writeTools: config.mcp.writeTools,
      },
      token,
      calls,
      host: config.mcp.host ?? (config.inAddon ? '0.0.0.0' : '127.0.0.1'),
      port: config.mcp.port,
      anyNetwork: config.mcp.anyNetwork,
      budget: () => new AttemptLimiter(REQUESTS_PER_MINUTE, 60_000),
      refused: (production, action, err) => refusals.report({ path: 'mcp', production, action }, err),
      log,
      serverVersion: BRIDGE_VERSION,
    });
    const endpoint = `http://${await endpointHost(config, log)}:${server.port}${MCP_PATH}/`;
    const access: McpAccess = {
      endpoint,
      writeTools: config.mcp.writeTools,
      anyNetwork: config.mcp.anyNetwork,
      token: () => token.current,
      rotate: () => token.rotate(),
      calls: () => calls.list(),
    };
    return { server, access };
  } catch (err) {
    log.error(`The MCP server for AI assistants could not start: ${(err as Error).message}`);
    return undefined;
  }
}
