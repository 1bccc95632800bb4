/**
 * The MCP server for AI assistants, wired to the running instances, certificates and backups, and
 * what the panel's AI assistants page needs of it. A server that cannot start (port taken) is an
 * error in the log, not the end of the bridge.
 */
import type { BackupService } from '../backups/service.ts';
import type { Config } from '../config/config.ts';
import { announceService } from '../ha/supervisor.ts';
import type { Logger } from '../log/logger.ts';
import { CallLog } from '../mcp/call-log.ts';
import { startMcpServer, REQUESTS_PER_MINUTE, type RunningMcpServer } from '../mcp/server.ts';
import type { SqlAnswer } from '../mcp/sensor-tools.ts';
import type { McpSources } from '../mcp/tools.ts';
import type { SensorSource } from '../monitor/agent-sensors.ts';
import type { UserSensorFeature } from '../mqtt/user-sensors.ts';
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
function endpointHost(config: Config, addonSlug: string | null): string {
  if (config.supervisorToken) return addonSlug ? addonSlug.replaceAll('_', '-') : UNKNOWN_HOST;
  const h = config.mcp.host;
  return !h || h === '0.0.0.0' || h === '::' ? '127.0.0.1' : h.includes(':') ? `[${h}]` : h;
}

const UNKNOWN_HOST = '<add-on host name>';

/**
 * Tells Home Assistant where the server is, token included (Supervisor discovery, service "mcp"):
 * the Model Context Protocol integration's async_step_hassio reads `url` from it, offers the entry
 * under Discovered, and updates the URL of the entry it made when a new token is announced
 * (_abort_if_unique_id_configured with the discovery's uuid). Outside the add-on, or without the
 * add-on's host name, there is nothing to announce. A refusal costs only the shortcut: logged.
 */
export function announcer(supervisorToken: string | undefined, endpoint: string | undefined, log: Logger, fetchImpl: typeof fetch = fetch): (token: string) => Promise<void> {
  if (!supervisorToken || !endpoint) return async () => {};
  return async (token) => {
    try {
      await announceService(supervisorToken, 'mcp', { url: `${endpoint}${token}` }, fetchImpl);
      log.info('Home Assistant was offered the MCP server: Settings → Devices & services → Discovered shows it.');
    } catch (err) {
      log.warn(`Home Assistant could not be offered the MCP server (add it by its URL instead): ${(err as Error).message}`);
    }
  };
}

/** The local instance's user sensors as the MCP tools see them (user_sensors, query_sql). */
export interface McpSensors {
  feature: UserSensorFeature | undefined;
  connection: SensorSource | undefined;
}

export function sensorSources(sensors: McpSensors, packages: readonly string[]): Pick<McpSources, 'userSensors' | 'sensorSql'> {
  const { feature, connection } = sensors;
  return {
    ...(feature
      ? {
          userSensors: () =>
            feature.readings().map(({ sensor: s, value, attributes }) => ({
              name: s.name,
              source: s.source.kind,
              namespace: s.namespace ?? null,
              unit: s.typing.unit ?? null,
              deviceClass: s.typing.deviceClass ?? null,
              production: s.production?.name ?? null,
              value: value ?? null,
              ...(attributes ? { attributes } : {}),
            })),
        }
      : {}),
    ...(connection
      ? {
          sensorSql: async (namespace: string, query: string): Promise<SqlAnswer> => {
            const [r] = await connection.readSensors(namespace, [{ key: 'query', kind: 'sql', query, attributes: true }], packages);
            if (!r || 'deferred' in r) return { ok: false, reason: 'IRIS did not get to the query within its time budget; try again.' };
            return r.ok ? { ok: true, firstColumn: r.value, row: r.attributes ?? {}, ms: r.ms } : { ok: false, reason: r.text };
          },
        }
      : {}),
  };
}

export async function startMcpFor(
  running: { instances: RunningInstance[]; backups: BackupService | undefined },
  certificates: () => Promise<CertExpiry[]>,
  config: Config,
  log: Logger,
  /** This add-on's slug (null outside the add-on, or when the Supervisor did not tell it). */
  addonSlug: string | null,
  sensors: McpSensors = { feature: undefined, connection: undefined },
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
        ...sensorSources(sensors, config.userSensors.packages ?? []),
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
    const host = endpointHost(config, addonSlug);
    const endpoint = `http://${host}:${server.port}${MCP_PATH}/`;
    const announce = announcer(config.supervisorToken, host === UNKNOWN_HOST ? undefined : endpoint, log);
    await announce(token.current);
    const access: McpAccess = {
      endpoint,
      writeTools: config.mcp.writeTools,
      anyNetwork: config.mcp.anyNetwork,
      token: () => token.current,
      rotate: async () => {
        const next = await token.rotate();
        await announce(next);
        return next;
      },
      calls: () => calls.list(),
    };
    return { server, access };
  } catch (err) {
    log.error(`The MCP server for AI assistants could not start: ${(err as Error).message}`);
    return undefined;
  }
}
