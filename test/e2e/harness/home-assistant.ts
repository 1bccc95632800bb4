/**
 * A real Home Assistant Core for end-to-end tests.
 *
 * Runs `hass --skip-pip` from the cached Debian sid chroot built by prepare.sh (run that first), on
 * a fresh config dir inside the chroot, with an offline-created admin user and long-lived token,
 * an MQTT config entry pointed at the test's broker, and a websocket connection. The chroot shares
 * the host's network, so HA, mosquitto and the bridge talk over 127.0.0.1.
 *
 *   const ha = await startHomeAssistant({ mqttPort: broker.port, artifactDir });
 *   ...
 *   await ha.stop();   // always (copies home-assistant.log into artifactDir)
 */
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import {
  callService as haCallService,
  createConnection,
  createLongLivedTokenAuth,
  type Connection,
  type HassEntity,
} from 'home-assistant-js-websocket';
import { freePort } from '../../support/mosquitto.ts';

const HERE = dirname(fileURLToPath(import.meta.url));

/** Where an e2e test file keeps Home Assistant's log and its own (IRIS_EDGE_ARTIFACTS or .artifacts). */
export function artifactDirFor(test: string): string {
  return join(process.env.IRIS_EDGE_ARTIFACTS ?? join(HERE, '../../../.artifacts'), 'e2e', test);
}

/**
 * The end of an e2e file, in the order that keeps the evidence: the bridge stops, Home
 * Assistant's problems are read, HA and the broker stop, the bridge's log is left beside HA's,
 * and only then is the problem list asserted empty.
 */
export async function endRun(run: {
  stopBridge: () => Promise<void>;
  ha: HomeAssistant | undefined;
  broker: { close(): Promise<void> } | undefined;
  artifactDir: string;
  bridgeLog: string[];
}): Promise<void> {
  await run.stopBridge();
  const problems = (await run.ha?.problems()) ?? [];
  await run.ha?.stop();
  await run.broker?.close();
  mkdirSync(run.artifactDir, { recursive: true });
  writeFileSync(join(run.artifactDir, 'bridge.log'), run.bridgeLog.join('\n') + '\n');
  assert.deepEqual(problems, [], 'Home Assistant logged warnings or kept placeholder devices');
}

export interface StartOptions {
  /** Port of the broker on 127.0.0.1 that HA's MQTT integration connects to. */
  mqttPort: number;
  /** Where stop() leaves home-assistant.log (created if missing). */
  artifactDir: string;
  /** HTTP port on 127.0.0.1; a free one if omitted. */
  port?: number;
  /** Also configure `frontend` and `onboarding` (for a person to log in). */
  frontend?: boolean;
  /** Also load `automation` (and with it `blueprint`) from an empty automations.yaml, which the
   *  automation editor's REST API (`/api/config/automation/config/<id>`) writes to. */
  automations?: boolean;
  /** More configuration.yaml, appended as given (e.g. `input_boolean:` helpers a test toggles). */
  extraYaml?: string;
}

export interface EntityRegistryEntry {
  entity_id: string;
  unique_id: string;
  platform: string;
  device_id: string | null;
  name: string | null;
  original_name: string | null;
  has_entity_name: boolean;
  entity_category: string | null;
  disabled_by: string | null;
  hidden_by: string | null;
  [key: string]: unknown;
}

export interface DeviceRegistryEntry {
  id: string;
  name: string | null;
  name_by_user: string | null;
  identifiers: [string, string][];
  via_device_id: string | null;
  manufacturer: string | null;
  model: string | null;
  sw_version: string | null;
  [key: string]: unknown;
}

export interface ConversationResult {
  response: {
    response_type: 'action_done' | 'query_answer' | 'error';
    speech?: { plain?: { speech?: string } };
    data?: { targets?: unknown[]; success?: { id: string; name: string; type: string }[]; failed?: unknown[]; code?: string };
    language?: string;
  };
  conversation_id: string | null;
  [key: string]: unknown;
}

export interface HomeAssistant {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  /** Long-lived access token of the admin user. */
  readonly token: string;
  /** The admin (owner) login, for a person using the frontend. */
  readonly username: string;
  readonly password: string;
  /** HA's version as reported by the websocket. */
  readonly version: string;
  /** Live websocket connection (replaced by restart()). */
  readonly connection: Connection;
  /** Config dir as seen on the host (inside the chroot). */
  readonly configDir: string;
  states(): Promise<HassEntity[]>;
  state(entityId: string): Promise<HassEntity | undefined>;
  entityRegistry(): Promise<EntityRegistryEntry[]>;
  deviceRegistry(): Promise<DeviceRegistryEntry[]>;
  callService(domain: string, service: string, data?: Record<string, unknown>): Promise<unknown>;
  /** One call of the REST API as the admin; an answer other than 2xx is an error with its body. */
  api<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** POST /api/conversation/process (really executes what it understands). */
  converse(text: string, language?: string): Promise<ConversationResult>;
  /** Polls `predicate` (every 250 ms) until it returns a truthy value, which is returned. */
  waitFor<T>(predicate: () => T | Promise<T>, timeoutMs: number, what: string): Promise<NonNullable<T>>;
  /** home-assistant.log of this instance, all runs (restart() keeps the earlier ones). */
  logText(): string;
  /** What no test may leave behind: logProblemsIn(logText()) and registryProblemsIn(the device
   *  and entity registries). Call it before stop(); assert `deepEqual(await ha.problems(), [])`. */
  problems(): Promise<string[]>;
  /** Stops HA cleanly and starts it again on the same config and port; resolves after the new
   *  birth message, with a new websocket connection. */
  restart(): Promise<void>;
  /** SIGTERM (SIGKILL after a bound), log to artifactDir, config dir removed. Idempotent. */
  stop(): Promise<void>;
}

/** The chroot built by prepare.sh (or IRIS_EDGE_HA_ROOT). */
export function haRoot(): string {
  if (process.env.IRIS_EDGE_HA_ROOT) return process.env.IRIS_EDGE_HA_ROOT;
  try {
    return execFileSync('bash', [join(HERE, 'prepare.sh'), '--root'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? String(err);
    throw new Error(`Home Assistant is not prepared: ${stderr.trim()}\nRun: bash test/e2e/harness/prepare.sh (as root)`);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * WARNING-or-worse log entries that are noise of the harness's own Home Assistant, not of anything
 * a test does: every other WARNING, ERROR or CRITICAL entry, from any logger, is a problem. Match a
 * logger exactly and the message from its start, so that an entry is excused only for the reason
 * given here.
 */
const KNOWN_NOISE: { logger: string; message: RegExp }[] = [
  // hass runs with --skip-pip on purpose: prepare.sh installed every requirement offline.
  { logger: 'homeassistant.bootstrap', message: /^Skipping pip installation of required modules\. This may cause issues$/ },
  // The ffmpeg integration is always set up (a dependency of the default stage) and probes for the
  // binary, which the chroot does not ship: the bridge uses no camera or audio stream.
  { logger: 'haffmpeg.core', message: /^FFmpeg fails \[Errno 2\] No such file or directory: 'ffmpeg'$/ },
  { logger: 'haffmpeg.tools', message: /^Error starting FFmpeg\.$/ },
];

const LEVELS = 'DEBUG|INFO|WARNING|ERROR|CRITICAL';
/** HA's LOG_FORMAT: "%(asctime)s %(levelname)s (%(threadName)s) [%(name)s] %(message)s". */
const ENTRY_HEAD = new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)?(?:Z|[+-]\\d\\d:?\\d\\d)? (${LEVELS}) `);
/** Thread names may hold parentheses: Python names an unnamed thread "Thread-3 (target)". */
const THREAD_AND_LOGGER = /^\(((?:[^()]|\([^()]*\))*)\) \[([^\]]+)\] /;

export interface LogEntry {
  level: string;
  /** "" when the line after the level is not "(thread) [logger] " (the entry still counts). */
  logger: string;
  /** The entry's first line without timestamp, level, thread and logger. */
  message: string;
  /** All of its lines (a traceback stays with the line that started it). */
  text: string;
}

/** Splits an HA log into entries. Every line that starts with a timestamp and a level starts one. */
export function logEntries(text: string): LogEntry[] {
  const out: LogEntry[] = [];
  for (const line of text.split('\n')) {
    const head = ENTRY_HEAD.exec(line);
    if (head) {
      const rest = line.slice(head[0].length);
      const tl = THREAD_AND_LOGGER.exec(rest);
      out.push({ level: head[1]!, logger: tl ? tl[2]! : '', message: tl ? rest.slice(tl[0].length) : rest, text: line });
    } else if (out.length > 0 && line !== '') out[out.length - 1]!.text += '\n' + line;
  }
  return out;
}

/** The entries problems() reports from a log text: WARNING or worse, less KNOWN_NOISE. */
export function logProblemsIn(text: string): string[] {
  return logEntries(text)
    .filter((e) => e.level === 'WARNING' || e.level === 'ERROR' || e.level === 'CRITICAL')
    .filter((e) => !KNOWN_NOISE.some((n) => n.logger === e.logger && n.message.test(e.message)))
    .map((e) => e.text);
}

/**
 * What HA does silently with MQTT discovery, read from its registries: a `via_device` nobody
 * announced becomes a placeholder device with no entities (mqtt/entity.py
 * ensure_via_device_exists, logged at DEBUG), and an entity id that is taken is given a "_2"
 * suffix instead of the id the payload asked for.
 */
export function registryProblemsIn(devices: DeviceRegistryEntry[], entities: EntityRegistryEntry[]): string[] {
  const used = new Set(entities.map((e) => e.device_id));
  const ids = new Set(entities.map((e) => e.entity_id));
  const mqttIds = (d: DeviceRegistryEntry) => d.identifiers.filter(([domain]) => domain === 'mqtt').map(([, id]) => id);
  return [
    ...devices
      .filter((d) => mqttIds(d).length > 0 && !used.has(d.id))
      .map((d) => `MQTT device ${mqttIds(d).join(', ')} has no entities: a via_device placeholder nobody announced, or every entity of it was dropped`),
    ...entities
      .filter((e) => e.platform === 'mqtt')
      .flatMap((e) => {
        const taken = /^(.+)_\d+$/.exec(e.entity_id)?.[1];
        return taken && ids.has(taken) ? [`${e.entity_id} (unique id ${e.unique_id}) was given a suffix: ${taken} is taken`] : [];
      }),
  ];
}

function configurationYaml(port: number, frontend: boolean, automations: boolean, extraYaml: string): string {
  return `# Written by test/e2e/harness/home-assistant.ts. No default_config on purpose.
homeassistant:
  name: IRIS Edge e2e
  time_zone: UTC
  unit_system: metric
  currency: EUR
  country: DE
  language: en
  latitude: 0
  longitude: 0
  elevation: 0
http:
  server_host: 127.0.0.1
  server_port: ${port}
api:
config:
websocket_api:
conversation:
intent:
${frontend ? 'frontend:\nonboarding:\n' : ''}${automations ? 'automation: !include automations.yaml\n' : ''}logger:
  default: warning
  logs:
    homeassistant.components.mqtt: debug
    homeassistant.bootstrap: info
    homeassistant.setup: info
${extraYaml}`;
}

/** Runs `argv` inside the chroot in a private mount namespace (the /dev, /proc, /sys mounts vanish
 *  with the process). The command is exec'ed, so the returned pid IS that process. */
function chrootArgs(root: string, argv: string[]): string[] {
  const script = [
    'set -e',
    'r=$1; shift',
    'mount --rbind /dev "$r/dev"',
    'mount -t proc proc "$r/proc"',
    'mount --rbind /sys "$r/sys"',
    'exec chroot "$r" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TZ=UTC PATH=/opt/ha/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"',
  ].join('\n');
  return ['--mount', '--propagation', 'private', '--', '/bin/bash', '-c', script, 'bash', root, ...argv];
}

class HomeAssistantImpl implements HomeAssistant {
  readonly url: string;
  private proc: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private conn: Connection | undefined;
  private broker: mqtt.MqttClient | undefined;
  births = 0;
  private earlierLogs = '';
  private stopped = false;
  private readonly onExit = () => this.killNow();
  version = '';
  token = '';

  constructor(
    readonly root: string,
    readonly configDir: string,
    readonly port: number,
    readonly mqttPort: number,
    readonly artifactDir: string,
    readonly username: string,
    readonly password: string,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  get connection(): Connection {
    if (!this.conn) throw new Error('Home Assistant websocket is not connected');
    return this.conn;
  }

  /** The config dir as HA sees it inside the chroot. */
  private get innerConfigDir(): string {
    return '/' + this.configDir.slice(this.root.length).replace(/^\/+/, '');
  }

  private get logPath(): string {
    return join(this.configDir, 'home-assistant.log');
  }

  async createAuth(): Promise<void> {
    const script = join(this.configDir, 'create-auth.py');
    copyFileSync(join(HERE, 'create-auth.py'), script);
    let out: string;
    try {
      out = execFileSync(
        'unshare',
        chrootArgs(this.root, ['/opt/ha/bin/python', join(this.innerConfigDir, 'create-auth.py'), this.innerConfigDir, this.username, this.password]),
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 },
      );
    } catch (err) {
      throw new Error(`creating the Home Assistant user and token failed:\n${(err as { stderr?: string }).stderr ?? String(err)}`);
    } finally {
      rmSync(script, { force: true });
    }
    const parsed = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { token?: string };
    if (!parsed.token) throw new Error(`create-auth.py printed no token: ${out}`);
    this.token = parsed.token;
  }

  async connectBroker(): Promise<void> {
    const client = mqtt.connect(`mqtt://127.0.0.1:${this.mqttPort}`, {
      clientId: `iris-edge-harness-${randomBytes(4).toString('hex')}`,
      reconnectPeriod: 500,
    });
    client.on('message', (topic, payload) => {
      if (topic === 'homeassistant/status' && payload.toString() === 'online') this.births++;
    });
    client.on('connect', () => client.subscribe('homeassistant/status', { qos: 1 }));
    client.on('error', () => {
      /* reconnects; waitForBirth() reports the timeout */
    });
    this.broker = client;
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`harness could not connect to the broker on port ${this.mqttPort}`)), 10_000);
      client.once('connect', () => {
        clearTimeout(t);
        resolve();
      });
    });
    // Make sure the subscription is in place before anything can publish a birth.
    await client.subscribeAsync('homeassistant/status', { qos: 1 });
  }

  async startProcess(): Promise<void> {
    const outPath = join(this.configDir, 'hass.stdout.log');
    const fd = openSync(outPath, 'a');
    const proc = spawn(
      'unshare',
      chrootArgs(this.root, ['/opt/ha/bin/hass', '-c', this.innerConfigDir, '--skip-pip', '--log-no-color']),
      { detached: true, stdio: ['ignore', fd, fd] },
    );
    closeSync(fd);
    this.proc = proc;
    this.exited = new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) resolve();
      else proc.once('exit', () => resolve());
    });
    process.once('exit', this.onExit);
    const deadline = Date.now() + 180_000;
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw this.failure(`hass exited (code ${proc.exitCode}, signal ${proc.signalCode}) before its API answered`);
      }
      try {
        const res = await fetch(`${this.url}/api/config`, { headers: { Authorization: `Bearer ${this.token}` }, signal: AbortSignal.timeout(5000) });
        if (res.status === 200) {
          const cfg = (await res.json()) as { state?: string; version?: string };
          this.version = cfg.version ?? '';
          if (cfg.state === undefined || cfg.state === 'RUNNING') return;
        } else if (res.status === 401 || res.status === 403) {
          throw this.failure(`HA rejected the harness token (HTTP ${res.status})`);
        }
      } catch (err) {
        if (err instanceof HarnessError) throw err;
      }
      if (Date.now() > deadline) throw this.failure('HA did not reach RUNNING within 180 s');
      await sleep(250);
    }
  }

  failure(message: string): HarnessError {
    const tail = (text: string, n: number) => text.split('\n').slice(-n).join('\n');
    const read = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8') : '(missing)');
    return new HarnessError(
      `${message}\n--- home-assistant.log (tail) ---\n${tail(read(this.logPath), 60)}\n--- hass stdout/stderr (tail) ---\n${tail(read(join(this.configDir, 'hass.stdout.log')), 30)}`,
    );
  }

  async connectWebsocket(): Promise<void> {
    const auth = createLongLivedTokenAuth(this.url, this.token);
    this.conn = await createConnection({ auth, setupRetry: 10 });
    this.version = this.conn.haVersion;
  }

  async api<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${this.token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} -> HTTP ${res.status}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async createMqttEntry(): Promise<void> {
    try {
      await this.mqttConfigFlow();
    } catch (err) {
      if (err instanceof HarnessError) throw err;
      throw this.failure(`creating the MQTT config entry failed: ${(err as Error).message}`);
    }
  }

  private async mqttConfigFlow(): Promise<void> {
    type Flow = { flow_id: string; type: string; step_id?: string; errors?: unknown; menu_options?: string[]; reason?: string };
    let flow = await this.api<Flow>('POST', '/api/config/config_entries/flow', { handler: 'mqtt', show_advanced_options: false });
    if (flow.type === 'menu') {
      flow = await this.api<Flow>('POST', `/api/config/config_entries/flow/${flow.flow_id}`, { next_step_id: 'broker' });
    }
    if (flow.type !== 'form') throw this.failure(`MQTT config flow: unexpected first step ${JSON.stringify(flow)}`);
    // HA 2026.x puts TLS, transport and client id in a required "other_settings" section; older
    // releases have flat optional keys instead (then only broker and port are sent).
    const schema = (flow as { data_schema?: { name: string }[] }).data_schema ?? [];
    const input: Record<string, unknown> = { broker: '127.0.0.1', port: this.mqttPort };
    if (schema.some((f) => f.name === 'other_settings')) {
      input.other_settings = { set_client_cert: false, set_ca_cert: 'off', transport: 'tcp' };
    }
    const done = await this.api<Flow>('POST', `/api/config/config_entries/flow/${flow.flow_id}`, input);
    if (done.type !== 'create_entry') throw this.failure(`MQTT config flow did not create the entry: ${JSON.stringify(done)}`);
  }

  async waitForBirth(after: number, timeoutMs = 60_000): Promise<void> {
    await this.waitFor(() => this.births > after, timeoutMs, 'HA birth message homeassistant/status = online').catch((err: Error) => {
      throw this.failure(err.message);
    });
  }

  async start(): Promise<void> {
    const before = this.births;
    await this.startProcess();
    await this.connectWebsocket();
    return this.waitForBirth(before);
  }

  states(): Promise<HassEntity[]> {
    return this.api<HassEntity[]>('GET', '/api/states');
  }

  async state(entityId: string): Promise<HassEntity | undefined> {
    return (await this.states()).find((s) => s.entity_id === entityId);
  }

  entityRegistry(): Promise<EntityRegistryEntry[]> {
    return this.connection.sendMessagePromise<EntityRegistryEntry[]>({ type: 'config/entity_registry/list' });
  }

  deviceRegistry(): Promise<DeviceRegistryEntry[]> {
    return this.connection.sendMessagePromise<DeviceRegistryEntry[]>({ type: 'config/device_registry/list' });
  }

  callService(domain: string, service: string, data?: Record<string, unknown>): Promise<unknown> {
    return haCallService(this.connection, domain, service, data);
  }

  converse(text: string, language = 'en'): Promise<ConversationResult> {
    return this.api<ConversationResult>('POST', '/api/conversation/process', { text, language });
  }

  async waitFor<T>(predicate: () => T | Promise<T>, timeoutMs: number, what: string): Promise<NonNullable<T>> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    for (;;) {
      try {
        const v = await predicate();
        if (v) return v as NonNullable<T>;
        lastError = undefined;
      } catch (err) {
        lastError = err;
      }
      if (Date.now() > deadline) {
        const why = lastError ? ` (last error: ${lastError instanceof Error ? lastError.message : String(lastError)})` : '';
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
      }
      await sleep(250);
    }
  }

  private currentLog(): string {
    return existsSync(this.logPath) ? readFileSync(this.logPath, 'utf8') : '';
  }

  logText(): string {
    return this.earlierLogs + this.currentLog();
  }

  async problems(): Promise<string[]> {
    // Never throws: an after() hook calls it before stop(), which must run whatever happens.
    const registries = await Promise.all([this.deviceRegistry(), this.entityRegistry()]).then(
      ([devices, entities]) => registryProblemsIn(devices, entities),
      (err: Error) => [`the registries could not be read: ${err.message}`],
    );
    return [...logProblemsIn(this.logText()), ...registries];
  }

  /** Stops the hass process: SIGTERM to its process group, SIGKILL after `boundMs`. */
  private async stopProcess(boundMs = 30_000): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.pid === undefined) return;
    if (proc.exitCode === null && proc.signalCode === null) {
      try {
        process.kill(-proc.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      let timer: NodeJS.Timeout | undefined;
      const killed = await Promise.race([
        this.exited.then(() => false),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), boundMs))),
      ]);
      clearTimeout(timer);
      if (killed) {
        try {
          process.kill(-proc.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
        await this.exited;
      }
    }
    process.removeListener('exit', this.onExit);
    this.proc = undefined;
  }

  /** Last resort when the test process exits without stop(): no HA may outlive it. */
  private killNow(): void {
    const pid = this.proc?.pid;
    if (pid !== undefined) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    try {
      rmSync(this.configDir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      /* best effort */
    }
  }

  async restart(): Promise<void> {
    this.conn?.close();
    this.conn = undefined;
    await this.stopProcess();
    // HA rotates home-assistant.log to .log.1 when it starts; keep this run's text.
    this.earlierLogs += this.currentLog();
    await this.start();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    try {
      this.conn?.close();
    } catch {
      /* closing anyway */
    }
    this.conn = undefined;
    await this.stopProcess();
    await this.broker?.endAsync(true).catch(() => undefined);
    try {
      mkdirSync(this.artifactDir, { recursive: true });
      writeFileSync(join(this.artifactDir, 'home-assistant.log'), this.logText());
      const out = join(this.configDir, 'hass.stdout.log');
      if (existsSync(out)) copyFileSync(out, join(this.artifactDir, 'hass.stdout.log'));
    } finally {
      rmSync(this.configDir, { recursive: true, force: true });
    }
  }
}

export class HarnessError extends Error {
  override name = 'HarnessError';
}

export async function startHomeAssistant(opts: StartOptions): Promise<HomeAssistant> {
  const root = haRoot();
  const port = opts.port ?? (await freePort());
  const tmp = join(root, 'tmp');
  mkdirSync(tmp, { recursive: true });
  const configDir = mkdtempSync(join(tmp, 'ha-'));
  writeFileSync(join(configDir, 'configuration.yaml'), configurationYaml(port, opts.frontend ?? false, opts.automations ?? false, opts.extraYaml ?? ''));
  if (opts.automations) writeFileSync(join(configDir, 'automations.yaml'), '[]\n');
  const ha = new HomeAssistantImpl(root, configDir, port, opts.mqttPort, opts.artifactDir, 'iris', randomBytes(9).toString('base64url'));
  try {
    await ha.createAuth();
    await ha.connectBroker();
    const before = ha.births;
    await ha.startProcess();
    await ha.createMqttEntry();
    await ha.connectWebsocket();
    await ha.waitForBirth(before);
  } catch (err) {
    await ha.stop().catch(() => undefined);
    throw err;
  }
  return ha;
}
