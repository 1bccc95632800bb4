/**
 * What the panel is started with and what every route gets. Route files import this file and
 * server.ts imports the route files, never the other way round.
 */
import type { FastifyRequest } from 'fastify';
import type { BackupService } from '../backups/service.ts';
import type { CertService } from '../certs/service.ts';
import type { AppsJobs } from '../ipm/apps-jobs.ts';
import type { AppsService } from '../ipm/apps-service.ts';
import type { RegistrySettings } from '../ipm/registry-settings.ts';
import type { FolderView } from '../ipm/offline-folder.ts';
import type { PackageCatalog } from '../ipm/apps-service.ts';
import type { Logger } from '../log/logger.ts';
import type { Diagnostics } from '../model/diagnostics.ts';
import type { EventLogEntry } from '../model/event-log.ts';
import type { HaFlowsView } from '../model/ha-flow.ts';
import type { McpCallRecord } from '../model/mcp.ts';
import type { Monitor } from '../monitor/monitor.ts';
import type { SslConfigs } from '../monitor/ssl-configs.ts';
import type { UserSensorSet } from '../sensors/sensor-set.ts';
import type { SensorReaders } from '../sensors/sensor-test.ts';
import type { IngressContext } from './guard.ts';
import type { LogBuffer } from './log-buffer.ts';

export interface ConnectInfo {
  /** Host ports the user mapped in the add-on's Network section; null = not mapped (off). */
  superserverPort: number | null;
  webPort: number | null;
  /** '/csp/sys/UtilHome.csp' */
  portalPath: string;
  /** The IRIS user the bridge itself logs in as: a service account, never offered to people. */
  serviceAccount: string;
  /** The remote instances (option `instances`): IRIS Edge holds no account for people there. */
  remoteInstances?: string[];
}

/**
 * The local instance's IRIS account for people (a full administrator): its stored password, shown
 * only on request, and changed through the IRIS owner (src/accounts/person-account.ts).
 */
export interface PersonAccount {
  readonly username: string;
  readPassword(): Promise<string>;
  /** Rejects with an AccountError; nothing changes unless IRIS accepted the password. */
  setPassword(password: string): Promise<void>;
}

export interface PanelInstance {
  id: string;
  monitor: Monitor;
  instanceName: string;
  /** The built-in simulator stands in for IRIS here: the panel says so on every page. */
  simulator?: boolean;
  /**
   * Where this instance's Management Portal is: host null means the host the browser reached the
   * panel at (the add-on's own IRIS, as on the Connect page); webPort null means not reachable
   * (the add-on's web port is not mapped). Absent: unknown, the panel links nothing.
   */
  portal?: { host: string | null; webPort: number | null };
  /** The newest Event Log errors and warnings of a production (IrisClient.eventLog); without it that route answers 503. */
  eventLog?: (namespace: string, production: string) => Promise<EventLogEntry[]>;
  /** The instance's IRIS SSL/TLS configurations (/api/ssl-configs); without them those routes answer 503. */
  sslConfigs?: SslConfigs;
}

/** The MCP server for AI assistants, as the panel's AI assistants page shows it (compose/mcp.ts). */
export interface McpAccess {
  /** The URL without the token, e.g. "http://local-iris-edge:8098/mcp/". */
  readonly endpoint: string;
  /** The option mcp_write_tools. */
  readonly writeTools: boolean;
  /** The option mcp_any_network. */
  readonly anyNetwork: boolean;
  token(): string;
  /** A new token; the old one stops working at once. */
  rotate(): Promise<string>;
  calls(): McpCallRecord[];
}

/** Apps (IPM) of the local instance, through the IRIS owner's path. */
export interface PanelApps {
  service: AppsService;
  settings: RegistrySettings;
  jobs: AppsJobs;
  registry: () => Promise<{ client: PackageCatalog & { scan?: () => Promise<FolderView> } }>;
}

/** The user sensors of the local instance: the options' and the panel's, and how Test reads one. */
export interface PanelSensors {
  set: UserSensorSet;
  readers: SensorReaders;
}

/** The two-way traffic with Home Assistant (compose/ha-flows.ts); 'change' when the view may differ. */
export interface HaFlowsSource {
  view(): HaFlowsView;
  on(event: 'change', listener: () => void): void;
  off(event: 'change', listener: () => void): void;
}

/** What the bridge keeps of its self-checks (SelfCheckRunner). */
export interface DiagnosticsSource {
  readonly results: Diagnostics[];
  run(): Promise<Diagnostics[]>;
}

export interface PanelOptions {
  monitors: PanelInstance[];
  mode: 'addon' | 'standalone';
  /** Default: all interfaces in the add-on (the Supervisor connects over the hassio network), else 127.0.0.1. */
  host?: string;
  /** Default 8099 (the add-on's ingress_port); 0 picks a free port (tests). */
  port?: number;
  connect: ConnectInfo;
  /** The account for people; without it the Connect page says why (`accountUnavailable`). */
  account?: PersonAccount;
  /** Why there is no account for people here (outside the add-on, no IRIS owner to act as). */
  accountUnavailable?: string;
  logs: LogBuffer;
  /** IRIS's messages.log, when the bridge runs beside IRIS (the add-on). */
  messagesLogPath?: string;
  log: Logger;
  /** Peers treated like the Supervisor (tests simulate ingress from 127.0.0.1). */
  trustedPeers?: string[];
  /** Outside the add-on: host names the panel answers to besides loopback and its own address. */
  allowedHosts?: string[];
  /** A built panel (dist/web); default: the one beside the code, else bundled from web/ now. */
  assetsDir?: string;
  /**
   * The certificate manager (its store, Home Assistant's /ssl, IRIS's files); without it the
   * certificate routes answer 503. The panel initialises its store and stops its workers when it closes.
   */
  certs?: CertService;
  /** IRIS Edge backups of the local instance; without it the backup routes answer 503. */
  backups?: BackupService;
  /** Apps (IPM) in the local instance; without them the apps routes answer 503. */
  apps?: PanelApps;
  /** The bridge's self-checks (latest results, run on demand); without it the diagnostics routes answer 503. */
  diagnostics?: DiagnosticsSource;
  /** The user sensors; without them the sensors routes answer 503. */
  sensors?: PanelSensors;
  /** The MCP server; without it the AI assistants routes answer 503. */
  mcp?: McpAccess;
  /** The two-way traffic with Home Assistant; without it its route answers 503. */
  haFlows?: HaFlowsSource;
  /** The live feed's bounds (feed.ts has the defaults; tests shorten them). */
  feed?: Partial<FeedLimits>;
}

export interface FeedLimits {
  /** Open feeds at once; one more is closed with 1013 (try again later). */
  maxClients: number;
  /** Unsent bytes a client may hold before it is dropped (it reconnects and gets a snapshot). */
  maxBufferedBytes: number;
  /** Ping period; a client that has not answered the previous ping by the next one is dropped. */
  pingIntervalMs: number;
}

export interface PanelContext {
  options: PanelOptions;
  ingress(req: FastifyRequest): IngressContext;
  /** Who asked, for the log line of what they did. */
  who(req: FastifyRequest): string;
}
