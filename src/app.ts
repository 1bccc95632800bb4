import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { MqttClient } from 'mqtt';
import type { Config, RemoteInstance } from './config/config.ts';
import { containerControl } from './backups/container-control.ts';
import type { InstanceControl } from './backups/instance-control.ts';
import { BackupService, recoverInterruptedRestore, type BackupStatus } from './backups/service.ts';
import { certificateExpiries } from './certs/expiry.ts';
import { CertExpiryWatcher } from './certs/expiry-watcher.ts';
import { irisCertFiles, isLocalIris } from './certs/iris-inventory.ts';
import { CertStore } from './certs/store.ts';
import { AssistExposure } from './ha/assist.ts';
import { BackupNotices } from './ha/backup-notices.ts';
import { CertificateNotices } from './ha/cert-notices.ts';
import { HaCore } from './ha/core.ts';
import { HaReactions } from './ha/ha-bridge.ts';
import { createAddonBackup, getMqttService } from './ha/supervisor.ts';
import type { IrisClient } from './iris/client.ts';
import { SelfCheckRunner } from './iris/diagnostics.ts';
import { loadBridgeRole } from './iris/privileges.ts';
import { MonitorApiClient } from './iris/monitor-api/client.ts';
import { SimulatedDatabases } from './iris/simulator/databases.ts';
import { demoScenario, scaleScenario, SimulatedIris, SIMULATOR_DRIVER, startSuperserver } from './iris/simulator/index.ts';
import type { NativeIrisClientOptions } from './iris/native/client.ts';
import { startSimulatedMonitorApi } from './iris/simulator/monitor-api.ts';
import type { Logger } from './log/logger.ts';
import { Monitor, type HealthSource } from './monitor/monitor.ts';
import { MqttBridge } from './mqtt/bridge.ts';
import { connectMqtt, describeBroker } from './mqtt/connection.ts';
import { Topics } from './mqtt/topics.ts';
import { BRIDGE_VERSION } from './version.ts';

/** One monitored IRIS instance with its own MQTT connection (and so its own Last Will). */
export interface RunningInstance {
  id: string;
  instanceName: string;
  topics: Topics;
  iris: IrisClient;
  monitor: Monitor;
  mqtt: MqttClient;
  bridge: MqttBridge;
  stop(): Promise<void>;
}

/** The local (or simulated) instance first, then the remote ones from the options. */
export interface RunningBridge extends RunningInstance {
  instances: RunningInstance[];
  /** IRIS Edge backups of the local instance; absent when its files are out of reach. */
  backups: BackupService | undefined;
  /** The self-check of every instance: run once after the start, again when the panel asks. */
  selfCheck: SelfCheckRunner;
}

export interface StartOptions {
  /** An IRIS client to use instead of the one the configuration names (tests, benches). */
  iris?: IrisClient;
  /** Its /api/monitor, when `iris` is given (tests); none when omitted. */
  health?: HealthSource;
  /** Stops and starts `iris` (tests): with it, the local instance gets IRIS Edge backups. */
  control?: InstanceControl;
  /** Clients for the remote instances of the configuration (tests), instead of the Native API. */
  remoteIris?: (r: RemoteInstance) => Pick<InstancePlan, 'iris' | 'health'>;
  inventoryWindowMs?: number;
  birthJitterMs?: number;
}

type NativeTarget = { host: string; port: number; username: string; password: string; agentDir: string };

async function nativeClient(t: NativeTarget, log: Logger, extra: Pick<NativeIrisClientOptions, 'inAddon'> & Partial<NativeIrisClientOptions>): Promise<IrisClient> {
  const { createNativeIrisClient } = await import('./iris/native/client.ts');
  let announced = false;
  return createNativeIrisClient({
    ...t,
    onProblems: (problems) => {
      for (const p of problems) log.warn(`IRIS namespace ${p.namespace} was skipped in the inventory: ${p.text}`);
    },
    onDriver: (driver, pid) => {
      const line = `IRIS at ${t.host}:${t.port} is reached through ${driver}, in a separate process (pid ${pid ?? '?'}) the bridge can kill`;
      if (announced) log.debug(line);
      else log.info(line);
      announced = true;
    },
    onAbandoned: (call, stats) =>
      log.warn(
        `IRIS did not answer ${call.call} within ${Math.round(call.afterMs / 1000)} s; its connection process was killed ` +
          `(${stats.abandonedRecently} unanswered calls in the last 10 minutes, ${stats.callsAbandoned} since the start).`,
      ),
    onOutput: (line) => log.debug(`IRIS connection process: ${line}`),
    ...extra,
  });
}

/**
 * The simulator for `npm start` and the tests that run the bridge as a process: a simulated IRIS
 * with its setup done, reached like a real one (superserver on loopback, the bridge's own user,
 * the Native API transport in a child process), plus its /api/monitor.
 */
async function simulatedIris(
  config: Extract<Config['iris'], { mode: 'simulator' }>,
  dirs: { stateDir: string; agentDir: string },
  log: Logger,
): Promise<Pick<InstancePlan, 'iris' | 'health' | 'close' | 'control'>> {
  const api = await startSimulatedMonitorApi();
  const [productions, hosts] = config.scenario.split('x').map(Number);
  const seeds = config.scenario === 'demo' ? undefined : scaleScenario(productions ?? 1, hosts ?? 1);
  // As in the add-on, where the iris service does this: no IRIS starts on half-restored files.
  await recoverInterruptedRestore(dirs.stateDir, log);
  const namespaces = [...new Set((seeds ?? demoScenario()).map((p) => p.namespace))];
  const data = new SimulatedDatabases(config.dataDir, { namespaces, writeIntervalMs: config.writeIntervalMs });
  // The demo lives (queues move, an error now and then); bench scenarios stay still.
  const instance = new SimulatedIris({ activity: !seeds, productions: seeds, databases: data, agentDir: dirs.agentDir });
  const credentials = { username: 'iris_edge', password: randomBytes(16).toString('hex') };
  instance.runSetup(credentials);
  const superserver = await startSuperserver(instance);
  const iris = await nativeClient(
    { host: superserver.host, port: superserver.port, ...credentials, agentDir: instance.agentDir },
    log,
    { kind: 'simulator', driverModule: SIMULATOR_DRIVER, inAddon: false },
  );
  return {
    iris,
    health: new MonitorApiClient({ baseUrl: api.url }),
    close: async () => {
      await superserver.close();
      await api.close();
      instance.close();
    },
    control: {
      stop: async () => instance.stopInstance(),
      start: async () => instance.startInstance(),
      freeze: async () => instance.freeze(),
      thaw: async () => instance.thaw(),
    },
  };
}

/** The local IRIS the configuration names: the simulator (with its /api/monitor) or a real one. */
async function localIris(config: Config, log: Logger): Promise<Pick<InstancePlan, 'iris' | 'health' | 'close' | 'control'>> {
  if (config.iris.mode === 'simulator') return simulatedIris(config.iris, { stateDir: config.stateDir, agentDir: config.agentDir }, log);
  // Inside Home Assistant the add-on's setup installs the agent.
  const iris = await nativeClient(config.iris, log, { inAddon: Boolean(config.supervisorToken) });
  return {
    iris,
    health: new MonitorApiClient({ baseUrl: `http://${config.iris.host}:${config.iris.webPort}` }),
    // Only inside the add-on are IRIS's files and its process within reach.
    control: config.supervisorToken ? containerControl({ stateDir: config.stateDir, iris, irisBin: process.env.IRIS_EDGE_IRIS_BIN }) : undefined,
  };
}

async function resolveMqtt(config: Config, log: Logger): Promise<{ url: string; username?: string; password?: string }> {
  if (config.mqtt.source !== 'supervisor') return config.mqtt;
  const svc = await getMqttService(config.supervisorToken ?? '');
  const url = `${svc.ssl ? 'mqtts' : 'mqtt'}://${svc.host}:${svc.port}`;
  log.info(`Using the MQTT broker Home Assistant provides at ${describeBroker(url)}`);
  return { url, username: svc.username, password: svc.password };
}

function heartbeat(path: string | undefined): (() => void) | undefined {
  if (!path) return undefined;
  mkdirSync(dirname(path), { recursive: true });
  return () => writeFileSync(path, new Date().toISOString());
}

interface InstancePlan {
  id: string;
  iris: IrisClient;
  health: HealthSource | undefined;
  /** Stops what the plan started besides the IRIS client (the simulator's web server). */
  close?: () => Promise<void>;
  entityPrefix: string;
  instanceName: string;
  onTick?: () => void;
  control?: InstanceControl;
  backupNow?: () => void;
  backupStatus?: BackupStatus;
}

async function startInstance(
  plan: InstancePlan,
  config: Config,
  broker: { url: string; username?: string; password?: string },
  parentLog: Logger,
  options: StartOptions,
): Promise<RunningInstance> {
  const { iris } = plan;
  const log = plan.entityPrefix ? parentLog.child({ instance: plan.id }) : parentLog;
  const topics = new Topics(plan.id, config.topicPrefix, config.discoveryPrefix);
  const monitor = new Monitor(
    iris,
    {
      pollIntervalMs: config.pollIntervalMs,
      removalGracePolls: config.removalGracePolls,
      health: plan.health,
      commandCooldownMs: config.commandCooldownMs,
      onTick: plan.onTick,
    },
    log,
  );

  monitor.on('reachability', (up, err) => {
    if (up) log.info(`IRIS answers at ${iris.target}`);
    else log.error(`IRIS does not answer at ${iris.target}: ${err?.message ?? 'unknown error'}. Its entities are unavailable until it does.`);
  });
  const mqtt = connectMqtt({ ...broker, instanceId: plan.id, will: { topic: topics.bridgeAvailability, payload: 'offline' } }, log);
  const bridge = new MqttBridge({
    client: mqtt,
    monitor,
    log,
    inventoryWindowMs: options.inventoryWindowMs,
    birthJitterMs: options.birthJitterMs,
    hostDeviceThreshold: config.hostDeviceThreshold,
    backupNow: plan.backupNow,
    backups: plan.backupStatus,
    discovery: {
      topics,
      bridgeVersion: BRIDGE_VERSION,
      entityPrefix: plan.entityPrefix,
      instanceName: plan.instanceName,
      instanceModel: iris.kind === 'simulator' ? 'IRIS simulator' : 'InterSystems IRIS',
      useDefaultEntityId: true,
    },
  });
  await monitor.start();
  await bridge.start();
  return {
    id: plan.id,
    instanceName: plan.instanceName,
    topics,
    iris,
    monitor,
    mqtt,
    bridge,
    async stop() {
      monitor.stop();
      await bridge.stop();
      await mqtt.endAsync();
      await iris.close();
      await plan.close?.();
    },
  };
}

async function remotePlan(r: RemoteInstance, config: Config, log: Logger): Promise<InstancePlan> {
  return {
    id: r.id,
    health: new MonitorApiClient({ baseUrl: `http://${r.host}:${r.web_port ?? 52773}` }),
    // A remote instance never has the add-on's setup: an administrator installs the agent there.
    iris: await nativeClient(
      { host: r.host, port: r.superserver_port, username: r.username, password: r.password, agentDir: config.agentDir },
      log.child({ instance: r.id }),
      { inAddon: false },
    ),
    entityPrefix: r.id,
    instanceName: `IRIS ${r.id}`,
  };
}

function backupServiceFor(plan: InstancePlan, config: Config, log: Logger): BackupService | undefined {
  if (!plan.control) return undefined;
  const token = config.supervisorToken;
  return new BackupService({
    dir: config.backups.dir,
    stateDir: config.stateDir,
    instanceId: plan.id,
    iris: plan.iris,
    control: plan.control,
    bridgeVersion: BRIDGE_VERSION,
    uploadLimitBytes: config.backups.uploadLimitBytes,
    log,
    homeAssistantBackup: token ? (name) => createAddonBackup(token, name) : undefined,
  });
}

/** The composition root minus process concerns: config -> IRIS -> monitor -> MQTT, per instance. */
export async function startBridge(config: Config, log: Logger, options: StartOptions = {}): Promise<RunningBridge> {
  const broker = await resolveMqtt(config, log);
  log.info(`Connecting to the MQTT broker at ${describeBroker(broker.url)}`);
  const plans: InstancePlan[] = [
    {
      id: config.instanceId,
      ...(options.iris ? { iris: options.iris, health: options.health, control: options.control } : await localIris(config, log)),
      entityPrefix: '',
      instanceName: config.instanceId === 'iris' ? 'IRIS' : `IRIS ${config.instanceId}`,
      onTick: heartbeat(config.heartbeatFile),
    },
  ];
  for (const r of config.remoteInstances) {
    plans.push(options.remoteIris ? { id: r.id, entityPrefix: r.id, instanceName: `IRIS ${r.id}`, ...options.remoteIris(r) } : await remotePlan(r, config, log));
  }
  // Backups start first: their entities are then part of the instance's first discovery message
  // (Home Assistant drops components added by a second device message while the first is pending).
  const backups = backupServiceFor(plans[0] as InstancePlan, config, log);
  if (backups) {
    await backups.start();
    const local = plans[0] as InstancePlan;
    local.backupStatus = await backups.status();
    local.backupNow = () => {
      backups.startBackup('manual').catch((err: unknown) => log.warn(`Backup now: ${(err as Error).message}`));
    };
  }
  // Instances start side by side: one that does not answer must not hold up the others.
  const instances = await Promise.all(plans.map((p) => startInstance(p, config, broker, log, options)));

  // Home Assistant Core (when reachable): events for automations, notifications, Assist.
  const ha = config.homeAssistant ? HaCore.start(config.homeAssistant, log) : undefined;
  ha?.on('ready', () => {
    for (const inst of instances) inst.bridge.setUseDefaultEntityId(ha.atLeast('2025.10'));
  });
  const reactions = ha
    ? instances.map((inst) => {
        const assist = new AssistExposure(ha, inst.topics, config.exposeToAssist, log);
        const r = new HaReactions({ core: ha, monitor: inst.monitor, ids: inst.topics, log, assist });
        inst.monitor.on('alert', (a) => r.onAlert(a));
        r.start();
        return r;
      })
    : [];

  const primary = instances[0] as RunningInstance;

  // The self-check runs beside the first polls, never in their way; its summary goes to the log.
  const selfCheck = new SelfCheckRunner(
    instances.map((i, n) => ({ id: i.id, iris: i.iris, local: n === 0 })),
    { bridgeVersion: BRIDGE_VERSION, role: loadBridgeRole(config.agentDir), inAddon: Boolean(config.supervisorToken) },
    log,
  );
  selfCheck.run().catch((err: unknown) => log.warn(`The self-check could not run: ${(err as Error).message}`));

  // Certificate expiry: sensors on the local instance's device, events and notifications in HA.
  const store = new CertStore(config.certDir);
  // A remote instance's files cannot be read from here: asking it every minute would be wasted.
  const readableIris = instances.filter((i) => isLocalIris(i.iris)).map((i) => ({ id: i.id, iris: i.iris }));
  const certWatch = new CertExpiryWatcher(async () => certificateExpiries(await store.list(), await irisCertFiles(readableIris)), log);
  const notices = ha ? new CertificateNotices(ha, log) : undefined;
  certWatch.on('change', (list) => {
    primary.bridge.setCertificates(list);
    void notices?.onChange(list, (id) => certWatch.isWarned(id));
  });
  certWatch.on('warning', (w) => {
    log.warn(`The stored certificate "${w.name}" ${w.threshold === 0 ? 'has expired' : `expires in ${w.daysLeft} days`} (${w.notAfter}).`);
    void notices?.onWarning(w);
  });
  certWatch.start();

  if (backups) {
    const backupNotices = ha ? new BackupNotices(ha, log) : undefined;
    backups.on('status', (s) => {
      primary.bridge.setBackups(s);
      if (s.last?.result === 'ok') void backupNotices?.onBackupOk();
    });
    backups.on('failed', (f) => void backupNotices?.onFailed(f));
    backups.on('thawed', (m) => void backupNotices?.onThawed(m));
  }

  return {
    ...primary,
    instances,
    backups,
    selfCheck,
    async stop() {
      backups?.stop();
      certWatch.stop();
      for (const r of reactions) r.stop();
      ha?.close();
      await Promise.all(instances.map((i) => i.stop()));
    },
  };
}
