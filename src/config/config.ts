import { z } from 'zod';
import { LOG_LEVELS } from '../log/logger.ts';
import { MCP_PORT } from '../model/mcp.ts';
import { allowPatternProblem, type AllowList } from '../model/allow-list.ts';
import { isVersion } from '../model/ipm.ts';
import type { SensorProblem, UserSensor } from '../model/sensor-definition.ts';

/**
 * The one validated configuration of the bridge. Every source (add-on options.json, environment,
 * command line) is merged into `RawConfig` first and checked here, so a bad value is reported the
 * same way wherever it came from.
 */

const INSTANCE_ID = /^[a-z][a-z0-9_]{0,30}$/;

/** IRIS's superserver and private web server (/api/monitor) in the containers; the defaults elsewhere. */
export const IRIS_SUPERSERVER_PORT = 1972;
export const IRIS_WEB_PORT = 52773;

export const remoteInstanceSchema = z.object({
  id: z.string().regex(INSTANCE_ID, 'lower-case letters, digits and _, starting with a letter, at most 31 characters'),
  host: z.string().min(1, 'a host name or address'),
  superserver_port: z.number().int().min(1).max(65535),
  web_port: z.number().int().min(1).max(65535).optional(),
  username: z.string().min(1, 'an IRIS user name'),
  password: z.string().min(1, 'the password of that user'),
});
export type RemoteInstance = z.infer<typeof remoteInstanceSchema>;

/** Apps (issue 16): names as IRIS and the IPM registry take them, checked again where they are used. */
const IPM_NAMESPACE = /^[A-Za-z%][A-Za-z0-9_-]{0,63}$/;
export const ipmPackageSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'a package name: letters, digits, dots, dashes and underscores'),
  version: z.string().refine(isVersion, 'a version such as 1.2.3 (semantic versioning, without +build)').optional(),
  namespace: z.string().regex(IPM_NAMESPACE, 'a namespace name: a letter or % first, then letters, digits, - or _'),
});
export type IpmPackageOption = z.infer<typeof ipmPackageSchema>;
/** An allow-list entry (model/allow-list.ts), with its own message when it is not one. */
const allowPattern = z.string().refine((p) => allowPatternProblem(p) === null, { error: (i) => allowPatternProblem(String(i.input)) ?? '' });

/** Field names are the add-on option names, so messages name what the user sees in the UI. */
export const rawConfigSchema = z.object({
  poll_interval: z.number().int().min(2).max(3600).default(10),
  log_level: z.enum(LOG_LEVELS).default('info'),
  memory_profile: z.enum(['auto', 'small', 'medium', 'large']).default('auto'),
  command_cooldown: z.number().int().min(0).max(3600).default(30),
  host_device_threshold: z.number().int().min(0).max(1000).default(20),
  expose_to_assist: z.boolean().default(true),
  /** The MCP server's control_production tool (start, stop, restart, update, recover). */
  mcp_write_tools: z.boolean().default(false),
  /** The MCP server answers peers outside Home Assistant's network too. */
  mcp_any_network: z.boolean().default(false),
  ha_url: z.string().regex(/^https?:\/\/[^\s]+$/, 'an URL like http://homeassistant.local:8123').optional(),
  ha_token: z.string().min(1).optional(),
  instances: z.array(remoteInstanceSchema).default([]),
  /** User-defined sensors; each item is checked on its own (model/sensor-definition.ts), so one bad item costs only itself. */
  sensors: z.array(z.unknown()).default([]),
  /** Packages whose classes method sensors may call. */
  sensor_packages: z.array(z.string()).default([]),
  /** Home Assistant to IRIS: the allowed entities (state changes) and event types, default none. */
  to_iris_entities: z.array(allowPattern).default([]),
  to_iris_events: z.array(allowPattern).default([]),
  /** The namespace of the production, and the name of its IrisEdge.HA.EventService item. */
  to_iris_namespace: z.string().regex(/^%?[A-Za-z0-9_-]{1,64}$/, 'a namespace name such as USER').default('USER'),
  to_iris_service: z.string().min(1).max(128).regex(/^[^,;|]+$/, 'a business service name (no commas)').default('HomeAssistant'),
  /** Business services that automations may send data to over MQTT (iris-edge/<instance>/to_iris/<service>). */
  to_iris_mqtt_services: z.array(z.string().regex(/^[^,;|/+#]{1,128}$/, 'a business service name (no , ; | / + #)')).default([]),
  /** IRIS to Home Assistant: the actions (domain.action), event types and entities IRIS may call, fire and read; default none. */
  from_iris_actions: z.array(allowPattern).default([]),
  from_iris_events: z.array(allowPattern).default([]),
  from_iris_states: z.array(allowPattern).default([]),
  /** Events kept while IRIS cannot take them. */
  to_iris_queue: z.number().int().min(10).max(100_000).default(1000),
  mqtt_url: z
    .string()
    .regex(/^mqtts?:\/\/[^\s/]+/, 'an URL like mqtt://host:1883 or mqtts://host:8883')
    .optional(),
  mqtt_username: z.string().optional(),
  mqtt_password: z.string().optional(),
  instance_id: z.string().regex(INSTANCE_ID, 'lower-case letters, digits and _, starting with a letter').default('iris'),
  simulator: z.boolean().default(false),
  /** The simulator's productions: the demo, the demo with the HOME production's round trip with Home Assistant (home), or N productions x M hosts ("10x100") for benches. */
  simulator_scenario: z.string().regex(/^(demo|home|\d{1,3}x\d{1,4})$/, 'demo, home, or productions x hosts such as 10x100').default('demo'),
  iris_host: z.string().min(1).optional(),
  iris_port: z.number().int().min(1).max(65535).default(IRIS_SUPERSERVER_PORT),
  iris_web_port: z.number().int().min(1).max(65535).default(IRIS_WEB_PORT),
  iris_user: z.string().min(1).optional(),
  iris_password: z.string().optional(),
  /**
   * What IRIS_HOST is reached through: the IRIS Native SDK (a real IRIS), or the simulator's driver
   * (a simulator that `npm run simulator` started in a process of its own).
   */
  iris_driver: z.enum(['sdk', 'simulator']).default('sdk'),
  /** IrisEdge.Agent.cls and bridge-role.json: the image's copy in the add-on, the repository's elsewhere. */
  iris_agent_dir: z.string().min(1).optional(),
  removal_grace_polls: z.number().int().min(1).max(1000).default(3),
  heartbeat_file: z.string().optional(),
  panel_host: z.string().min(1).optional(),
  /** Host names the panel answers to besides loopback and its own address (outside the add-on). */
  panel_allowed_hosts: z.string().regex(/^[A-Za-z0-9.,:\[\] -]*$/, 'host names separated by commas, e.g. ha-dev.local,192.168.1.20').optional(),
  cert_dir: z.string().min(1).optional(),
  /** The bridge's own durable state (backup settings, freeze marker, restore journal). */
  state_dir: z.string().min(1).optional(),
  backup_dir: z.string().min(1).optional(),
  /** A lower (or higher) upload limit in MB of 1,000,000 bytes, for tests; unset: BACKUP_UPLOAD_LIMIT_BYTES. */
  backup_upload_limit_mb: z.number().int().min(1).max(1_000_000).optional(),
  simulator_data_dir: z.string().min(1).optional(),
  /** How often the simulated write daemon changes a database block; 0 = never. */
  simulator_write_ms: z.number().int().min(0).max(60000).default(250),
  panel_port: z.number().int().min(0).max(65535).default(8099),
  /** The MCP server's port; 0 picks a free one (tests). */
  mcp_port: z.number().int().min(0).max(65535).default(MCP_PORT),
  mcp_host: z.string().min(1).optional(),
  ipm_namespaces: z.array(z.string().regex(IPM_NAMESPACE, 'a namespace name: a letter or % first, then letters, digits, - or _')).max(50).default([]),
  ipm_packages: z.array(ipmPackageSchema).max(200).default([]),
});
export type RawConfig = z.input<typeof rawConfigSchema>;

export type IrisTarget =
  | { mode: 'simulator'; scenario: string; dataDir: string; writeIntervalMs: number }
  | {
      mode: 'native';
      host: string;
      port: number;
      webPort: number;
      username: string;
      password: string;
      agentDir: string;
      driver: 'sdk' | 'simulator';
    };

export type MqttTarget =
  | { source: 'supervisor' }
  | { source: 'options' | 'environment' | 'default'; url: string; username?: string; password?: string };

export interface Config {
  instanceId: string;
  pollIntervalMs: number;
  logLevel: z.infer<typeof rawConfigSchema>['log_level'];
  iris: IrisTarget;
  remoteInstances: RemoteInstance[];
  /** The local instance's user-defined sensors that hold, and a problem for each one that does not. */
  userSensors: {
    sensors: UserSensor[];
    problems: SensorProblem[];
    /** The allowed packages of method sensors (the agent checks them again); none when absent. */
    packages?: string[];
    /**
     * The IRIS user that reads SQL, global and method sensors (IRIS_SENSORS_USER and
     * IRIS_SENSORS_PASSWORD_FILE; the add-on's setup creates it with only the role IrisEdgeSensors).
     * Absent: those sensors are not read (the simulator makes its own).
     */
    login?: { username: string; password: string };
  };
  mqtt: MqttTarget;
  /** Running as the Home Assistant add-on (the Supervisor gave us its token). */
  inAddon: boolean;
  /** Set inside Home Assistant: the Supervisor API token. */
  supervisorToken: string | undefined;
  /** Successful inventories a production must be missing from before its entities are removed. */
  removalGracePolls: number;
  /** Minimum time between two stop/restart commands for one production. */
  commandCooldownMs: number;
  /** Productions with more hosts than this get one device per host. */
  hostDeviceThreshold: number;
  exposeToAssist: boolean;
  /** Home Assistant events into a production's IrisEdge.HA.EventService (allow-lists, default deny). */
  toIris: { entities: AllowList; events: AllowList; namespace: string; service: string; maxQueue: number; mqttServices: string[] };
  /** What IRIS may do in Home Assistant through IrisEdge.HA.Home (allow-lists, default deny). */
  fromIris: { actions: AllowList; events: AllowList; states: AllowList };
  /** How to reach Home Assistant Core's websocket API, when it can be reached at all. */
  homeAssistant: { url: string; token: string } | undefined;
  heartbeatFile: string | undefined;
  /** The panel's listen address; undefined: all interfaces in the add-on, else 127.0.0.1. */
  panel: { host: string | undefined; port: number; allowedHosts: string[] };
  /** The MCP server for AI assistants; host undefined: all interfaces in the add-on, else 127.0.0.1. */
  mcp: { host: string | undefined; port: number; writeTools: boolean; anyNetwork: boolean; tokenFile: string };
  /** Where the certificate manager keeps certificates and keys (0700; keys 0600). */
  certDir: string;
  /** The bridge's durable state directory (0700). */
  stateDir: string;
  /** Where IrisEdge.Agent.cls (whose VERSION the bridge needs) and bridge-role.json are. */
  agentDir: string;
  /** IRIS Edge backups of the local instance. */
  backups: { dir: string; uploadLimitBytes: number };
  discoveryPrefix: string;
  topicPrefix: string;
  /** Files of the IRIS beside the bridge, known only in the add-on. */
  addon: {
    /** The bridge's generated IRIS password, written by init-iris. */
    passwordFile: string | undefined;
    /** The IRIS account for people that the setup creates (%All), and its stored password. */
    adminUser: string | undefined;
    adminPasswordFile: string | undefined;
    /** IRIS's messages.log (the panel's Logs page). */
    messagesLog: string | undefined;
    /** The `iris` command that stops, starts, freezes and thaws the instance as its owner. */
    irisBin: string | undefined;
  };
  /** Where PEM files for IRIS SSL/TLS configurations are written (IRIS must be able to read them). */
  irisSslDir: string;
  /** Apps (issue 16): namespaces and IPM packages made true at start. */
  apps: {
    namespaces: string[];
    packages: IpmPackageOption[];
    /** The registry's address and credentials (0600, in a 0700 folder). */
    registryFile: string;
    /** Short-lived files for IRIS: IPM's installer, the registry's credentials (0700). */
    workDir: string;
    /** The offline folder of package archives (/share/iris-edge/packages in the add-on). */
    offlineFolder?: string | undefined;
  };
}
