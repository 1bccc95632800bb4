import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { AllowList } from '../model/allow-list.ts';
import { SOURCE_AGENT_DIR } from '../iris/agent/source-dir.ts';
import { BACKUP_UPLOAD_LIMIT_BYTES } from '../model/backup.ts';
import { readSensorDefinitions, readSensorPackages, type SensorProblem } from '../model/sensor-definition.ts';
import { ConfigError } from './errors.ts';
import { rawConfigSchema, type Config, type MqttTarget, type RawConfig } from './config.ts';

/** Where each raw key may come from outside the add-on: environment variable and CLI flag. */
const ENV: Record<string, keyof RawConfig> = {
  POLL_INTERVAL: 'poll_interval',
  LOG_LEVEL: 'log_level',
  MQTT_URL: 'mqtt_url',
  MQTT_USERNAME: 'mqtt_username',
  MQTT_PASSWORD: 'mqtt_password',
  INSTANCE_ID: 'instance_id',
  IRIS_EDGE_SIMULATOR: 'simulator',
  IRIS_EDGE_SIMULATOR_SCENARIO: 'simulator_scenario',
  IRIS_HOST: 'iris_host',
  IRIS_PORT: 'iris_port',
  IRIS_WEB_PORT: 'iris_web_port',
  IRIS_USER: 'iris_user',
  IRIS_PASSWORD: 'iris_password',
  IRIS_EDGE_IRIS_DRIVER: 'iris_driver',
  IRIS_EDGE_AGENT_DIR: 'iris_agent_dir',
  REMOVAL_GRACE_POLLS: 'removal_grace_polls',
  IRIS_EDGE_HEARTBEAT_FILE: 'heartbeat_file',
  PANEL_HOST: 'panel_host',
  PANEL_PORT: 'panel_port',
  PANEL_ALLOWED_HOSTS: 'panel_allowed_hosts',
  IRIS_EDGE_CERT_DIR: 'cert_dir',
  IRIS_EDGE_STATE_DIR: 'state_dir',
  IRIS_EDGE_BACKUP_DIR: 'backup_dir',
  IRIS_EDGE_BACKUP_UPLOAD_LIMIT_MB: 'backup_upload_limit_mb',
  IRIS_EDGE_SIMULATOR_DATA_DIR: 'simulator_data_dir',
  IRIS_EDGE_SIMULATOR_WRITE_MS: 'simulator_write_ms',
  COMMAND_COOLDOWN: 'command_cooldown',
  HOST_DEVICE_THRESHOLD: 'host_device_threshold',
  EXPOSE_TO_ASSIST: 'expose_to_assist',
  HA_URL: 'ha_url',
  HA_TOKEN: 'ha_token',
  MCP_PORT: 'mcp_port',
  MCP_HOST: 'mcp_host',
  MCP_WRITE_TOOLS: 'mcp_write_tools',
  MCP_ANY_NETWORK: 'mcp_any_network',
};

/** Environment values are text; the option's own type in rawConfigSchema says how to read it. */
const WHOLE_NUMBER = z.string().trim().regex(/^-?\d+$/).pipe(z.coerce.number<string>().int());
const TRUE_OR_FALSE = z.stringbool({ truthy: ['1', 'true', 'yes', 'on'], falsy: ['0', 'false', 'no', 'off'] });

function optionType(key: keyof RawConfig): string {
  let schema: z.ZodType = rawConfigSchema.shape[key];
  while (schema instanceof z.ZodDefault || schema instanceof z.ZodOptional) schema = schema.unwrap() as z.ZodType;
  return schema.def.type;
}

export interface ConfigSources {
  env: NodeJS.ProcessEnv;
  argv: string[];
  readFile?: (path: string) => string;
}

function coerce(key: keyof RawConfig, value: string, origin: string): unknown {
  const type = optionType(key);
  if (type === 'number') {
    const n = WHOLE_NUMBER.safeParse(value);
    if (!n.success) throw new ConfigError(`${origin}: "${value}" is not a whole number.`);
    return n.data;
  }
  if (type === 'boolean') {
    const b = TRUE_OR_FALSE.safeParse(value);
    if (!b.success) throw new ConfigError(`${origin}: "${value}" is not true or false.`);
    return b.data;
  }
  return value;
}

function fromOptionsFile(path: string, read: (p: string) => string): Partial<RawConfig> {
  let text: string;
  try {
    text = read(path);
  } catch (err) {
    throw new ConfigError(`Cannot read the add-on options at ${path}: ${(err as Error).message}`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new Error('not a JSON object');
    }
    return parsed as Partial<RawConfig>;
  } catch (err) {
    throw new ConfigError(`The add-on options at ${path} are not valid JSON: ${(err as Error).message}`);
  }
}

function fromEnv(env: NodeJS.ProcessEnv): Partial<RawConfig> {
  const out: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(ENV)) {
    const v = env[name];
    if (v !== undefined && v !== '') out[key] = coerce(key, v, `environment variable ${name}`);
  }
  if (env.IRIS_PASSWORD_FILE && out.iris_password === undefined) {
    try {
      out.iris_password = readFileSync(env.IRIS_PASSWORD_FILE, 'utf8').trim();
    } catch (err) {
      throw new ConfigError(
        `environment variable IRIS_PASSWORD_FILE: cannot read ${env.IRIS_PASSWORD_FILE} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`,
      );
    }
  }
  return out as Partial<RawConfig>;
}

function fromArgv(argv: string[]): Partial<RawConfig> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        simulator: { type: 'boolean' },
        'mqtt-url': { type: 'string' },
        'poll-interval': { type: 'string' },
        'log-level': { type: 'string' },
        'instance-id': { type: 'string' },
        'iris-host': { type: 'string' },
        'iris-port': { type: 'string' },
        'iris-user': { type: 'string' },
      },
    });
  } catch (err) {
    throw new ConfigError(`Command line: ${(err as Error).message}`);
  }
  const out: Record<string, unknown> = {};
  for (const [flag, value] of Object.entries(parsed.values)) {
    const key = flag.replaceAll('-', '_') as keyof RawConfig;
    out[key] = typeof value === 'string' ? coerce(key, value, `--${flag}`) : value;
  }
  return out as Partial<RawConfig>;
}

function describeIssue(issue: z.core.$ZodIssue, raw: Record<string, unknown>): string {
  const path = issue.path.map(String).join('.');
  const got = issue.path.reduce<unknown>(
    (v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k as string] : undefined),
    raw,
  );
  const shown = /password/.test(path) ? '[redacted]' : JSON.stringify(got);
  let allowed = issue.message;
  if (issue.code === 'invalid_value' && 'values' in issue) allowed = `one of ${issue.values.join(', ')}`;
  if (issue.code === 'too_small' && 'minimum' in issue) allowed = `at least ${String(issue.minimum)}`;
  if (issue.code === 'too_big' && 'maximum' in issue) allowed = `at most ${String(issue.maximum)}`;
  if (issue.code === 'unrecognized_keys') return `unknown option(s) ${issue.keys.join(', ')}`;
  return `option "${path || '(root)'}" is ${shown === undefined ? 'missing' : shown}; allowed: ${allowed}`;
}

/**
 * Merges options.json (inside Home Assistant), environment and command line, in rising order of
 * precedence, and validates the result. Throws ConfigError naming every bad option.
 */
/**
 * The sensors' own IRIS login from IRIS_SENSORS_USER and IRIS_SENSORS_PASSWORD_FILE. An unreadable
 * file costs the SQL, global and method sensors, never the bridge: it is a problem, not an error.
 */
function sensorsLogin(env: NodeJS.ProcessEnv, read: (p: string) => string): { value?: { username: string; password: string }; problem?: SensorProblem } {
  const username = env.IRIS_SENSORS_USER;
  const file = env.IRIS_SENSORS_PASSWORD_FILE;
  if (!username || !file) return {};
  try {
    const password = read(file).split('\n')[0]?.trim() ?? '';
    if (password === '') throw new Error('it is empty');
    return { value: { username, password } };
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return { problem: { sensor: '(all)', field: 'IRIS_SENSORS_PASSWORD_FILE', message: `cannot read ${file} (${why}), so SQL, global and method sensors are not read` } };
  }
}

export function loadConfig(sources: ConfigSources): Config {
  const read = sources.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const supervisorToken = sources.env.SUPERVISOR_TOKEN || undefined;
  const inAddon = supervisorToken !== undefined;
  const optionsPath = sources.env.IRIS_EDGE_OPTIONS_FILE || (inAddon ? '/data/options.json' : undefined);
  const fromOptions = optionsPath ? fromOptionsFile(optionsPath, read) : {};
  const fromEnvironment = fromEnv(sources.env);
  const fromCli = fromArgv(sources.argv);
  const merged: Record<string, unknown> = { ...fromOptions, ...fromEnvironment, ...fromCli };

  const result = rawConfigSchema.strict().safeParse(merged);
  if (!result.success) {
    const lines = result.error.issues.map((i) => '  - ' + describeIssue(i, merged));
    throw new ConfigError(`The configuration is not valid:\n${lines.join('\n')}`);
  }
  const raw = result.data;
  if (!supervisorToken && Boolean(raw.ha_url) !== Boolean(raw.ha_token)) {
    throw new ConfigError('Set both HA_URL and HA_TOKEN (a long-lived access token) to connect to Home Assistant, or neither.');
  }
  const ids = [raw.instance_id, ...raw.instances.map((i) => i.id)];
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup) throw new ConfigError(`option "instances": the id "${dup}" is used twice (the local instance is "${raw.instance_id}"); every instance needs its own id.`);

  const stateDir = raw.state_dir ?? (inAddon ? '/data/iris-edge' : '.iris-edge');
  // In the add-on: the bridge's own directory under /data (it survives updates and is in Home
  // Assistant's backups of the add-on); bridge/run sets it explicitly too.
  const certDir = raw.cert_dir ?? (inAddon ? '/data/iris-edge/certs' : '.iris-edge/certs');
  const agentDir = raw.iris_agent_dir ?? (inAddon ? '/usr/share/iris-edge/agent' : SOURCE_AGENT_DIR);
  let iris: Config['iris'];
  if (raw.simulator || !raw.iris_host) {
    iris = {
      mode: 'simulator',
      scenario: raw.simulator_scenario,
      dataDir: raw.simulator_data_dir ?? `${stateDir}/simulator`,
      writeIntervalMs: raw.simulator_write_ms,
    };
  } else {
    if (!raw.iris_user) throw new ConfigError('IRIS_HOST is set but IRIS_USER is not: name the IRIS user the bridge logs in as.');
    if (!raw.iris_password) {
      throw new ConfigError('IRIS_HOST is set but neither IRIS_PASSWORD nor IRIS_PASSWORD_FILE gives a password.');
    }
    if (raw.iris_driver === 'simulator' && inAddon) {
      throw new ConfigError('IRIS_EDGE_IRIS_DRIVER=simulator is for a bridge outside Home Assistant: the add-on runs a real IRIS.');
    }
    iris = {
      mode: 'native',
      host: raw.iris_host,
      port: raw.iris_port,
      webPort: raw.iris_web_port,
      username: raw.iris_user,
      password: raw.iris_password,
      agentDir,
      driver: raw.iris_driver,
    };
  }

  const origin = (key: keyof RawConfig): 'options' | 'environment' =>
    key in fromOptions && !(key in fromEnvironment) && !(key in fromCli) ? 'options' : 'environment';
  let mqtt: MqttTarget;
  if (raw.mqtt_url) {
    mqtt = { source: origin('mqtt_url'), url: raw.mqtt_url, username: raw.mqtt_username, password: raw.mqtt_password };
  } else if (supervisorToken) {
    mqtt = { source: 'supervisor' };
  } else {
    mqtt = { source: 'default', url: 'mqtt://127.0.0.1:1883', username: raw.mqtt_username, password: raw.mqtt_password };
  }

  const allowed = readSensorPackages(raw.sensor_packages);
  const defined = readSensorDefinitions(raw.sensors, { pollIntervalS: raw.poll_interval, packages: allowed.packages });
  const login = sensorsLogin(sources.env, read);
  const userSensors = {
    sensors: defined.sensors,
    problems: [...allowed.problems, ...defined.problems, ...(login.problem ? [login.problem] : [])],
    packages: allowed.packages,
    login: login.value,
  };

  return {
    instanceId: raw.instance_id,
    pollIntervalMs: raw.poll_interval * 1000,
    logLevel: raw.log_level,
    iris,
    remoteInstances: raw.instances,
    userSensors,
    mqtt,
    inAddon,
    supervisorToken,
    removalGracePolls: raw.removal_grace_polls,
    commandCooldownMs: raw.command_cooldown * 1000,
    hostDeviceThreshold: raw.host_device_threshold,
    exposeToAssist: raw.expose_to_assist,
    toIris: {
      entities: new AllowList(raw.to_iris_entities),
      events: new AllowList(raw.to_iris_events),
      namespace: raw.to_iris_namespace.toUpperCase(),
      service: raw.to_iris_service,
      maxQueue: raw.to_iris_queue,
      mqttServices: [...new Set(raw.to_iris_mqtt_services)],
    },
    fromIris: { actions: new AllowList(raw.from_iris_actions), events: new AllowList(raw.from_iris_events), states: new AllowList(raw.from_iris_states) },
    homeAssistant: supervisorToken
      ? { url: 'http://supervisor/core', token: supervisorToken }
      : raw.ha_url && raw.ha_token
        ? { url: raw.ha_url, token: raw.ha_token }
        : undefined,
    heartbeatFile: raw.heartbeat_file,
    panel: {
      host: raw.panel_host,
      port: raw.panel_port,
      allowedHosts: (raw.panel_allowed_hosts ?? '').split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== ''),
    },
    mcp: { host: raw.mcp_host, port: raw.mcp_port, writeTools: raw.mcp_write_tools, anyNetwork: raw.mcp_any_network, tokenFile: inAddon ? '/data/secrets/mcp_token' : join(stateDir, 'secrets', 'mcp_token') },
    certDir,
    stateDir,
    agentDir,
    // /backup: Samba and the file editor show it, it survives uninstalling the add-on, and it is
    // not inside /data, so Home Assistant's backups of the add-on do not carry every archive.
    backups: {
      dir: raw.backup_dir ?? (inAddon ? '/backup/iris-edge' : '.iris-edge/backups'),
      uploadLimitBytes: raw.backup_upload_limit_mb === undefined ? BACKUP_UPLOAD_LIMIT_BYTES : raw.backup_upload_limit_mb * 1_000_000,
    },
    discoveryPrefix: 'homeassistant',
    topicPrefix: 'iris-edge',
    addon: {
      passwordFile: inAddon ? (sources.env.IRIS_PASSWORD_FILE ?? '/data/secrets/iris_edge_password') : undefined,
      // The names rootfs/usr/share/iris-edge/setup/functions.sh gives them.
      adminUser: inAddon && iris.mode === 'native' ? (sources.env.IRIS_EDGE_ADMIN_USER ?? 'ha_admin') : undefined,
      adminPasswordFile: inAddon && iris.mode === 'native' ? (sources.env.IRIS_EDGE_ADMIN_PASSWORD_FILE ?? '/data/secrets/iris_admin_password') : undefined,
      // ISC_DATA_DIRECTORY in the add-on is /data/iris; only a real IRIS writes a messages.log.
      messagesLog: inAddon && iris.mode === 'native' ? '/data/iris/mgr/messages.log' : undefined,
      irisBin: inAddon ? sources.env.IRIS_EDGE_IRIS_BIN : undefined,
    },
    irisSslDir: inAddon ? '/data/iris-edge/ssl' : join(certDir, '..', 'iris-ssl'),
    apps: {
      namespaces: raw.ipm_namespaces,
      packages: raw.ipm_packages,
      registryFile: inAddon ? '/data/secrets/ipm_registry.json' : join(stateDir, 'secrets', 'ipm_registry.json'),
      workDir: join(stateDir, 'apps'),
      // /share is the add-on's folder the user reaches (Samba, File editor): config.yaml maps it.
      offlineFolder: inAddon ? '/share/iris-edge/packages' : join(stateDir, 'packages'),
    },
  };
}
