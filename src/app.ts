import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { MqttClient } from 'mqtt';
import type { Config, RemoteInstance } from './config/config.ts';
import { getMqttService } from './ha/supervisor.ts';
import type { IrisClient } from './iris/client.ts';
import { IrisSimulator } from './iris/simulator/index.ts';
import type { Logger } from './log/logger.ts';
import { Monitor } from './monitor/monitor.ts';
import { MqttBridge } from './mqtt/bridge.ts';
import { connectMqtt, describeBroker } from './mqtt/connection.ts';
import { Topics } from './mqtt/topics.ts';
import { BRIDGE_VERSION } from './version.ts';

/** One monitored IRIS instance with its own MQTT connection (and so its own Last Will). */
export interface RunningInstance {
  id: string;
  iris: IrisClient;
  monitor: Monitor;
  mqtt: MqttClient;
  bridge: MqttBridge;
  stop(): Promise<void>;
}

/** The local (or simulated) instance first, then the remote ones from the options. */
export interface RunningBridge extends RunningInstance {
  instances: RunningInstance[];
}

export interface StartOptions {
  /** An IRIS client to use instead of the one the configuration names (tests, benches). */
  iris?: IrisClient;
  inventoryWindowMs?: number;
  birthJitterMs?: number;
}

type NativeTarget = { host: string; port: number; username: string; password: string; agentDir: string };

async function nativeClient(t: NativeTarget, log: Logger): Promise<IrisClient> {
  // Loaded only when a real IRIS is configured: the native addon exists only on the IRIS image.
  const { createNativeIrisClient } = await import('./iris/native/client.ts');
  return createNativeIrisClient({
    ...t,
    onAgentInstalled: (r) => {
      if (r.action !== 'current') log.info(`IrisEdge.Agent ${r.action} in IRIS (version ${r.from ?? 'none'} -> ${r.to})`);
    },
    onProblems: (problems) => {
      for (const p of problems) log.warn(`IRIS namespace ${p.namespace} was skipped in the inventory: ${p.text}`);
    },
  });
}

/** Builds the IRIS client the configuration names for the local instance. */
export async function createIrisClient(config: Config, log: Logger): Promise<IrisClient> {
  if (config.iris.mode === 'simulator') return new IrisSimulator({ activity: true });
  return nativeClient(config.iris, log);
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
  entityPrefix: string;
  instanceName: string;
  onTick?: () => void;
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
    { pollIntervalMs: config.pollIntervalMs, removalGracePolls: config.removalGracePolls, onTick: plan.onTick },
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
    iris,
    monitor,
    mqtt,
    bridge,
    async stop() {
      monitor.stop();
      await bridge.stop();
      await mqtt.endAsync();
      await iris.close();
    },
  };
}

async function remotePlan(r: RemoteInstance, config: Config, log: Logger): Promise<InstancePlan> {
  const agentDir = config.iris.mode === 'native' ? config.iris.agentDir : '/usr/share/iris-edge/agent';
  return {
    id: r.id,
    iris: await nativeClient(
      { host: r.host, port: r.superserver_port, username: r.username, password: r.password, agentDir },
      log.child({ instance: r.id }),
    ),
    entityPrefix: r.id,
    instanceName: `IRIS ${r.id}`,
  };
}

/** The composition root minus process concerns: config -> IRIS -> monitor -> MQTT, per instance. */
export async function startBridge(config: Config, log: Logger, options: StartOptions = {}): Promise<RunningBridge> {
  const broker = await resolveMqtt(config, log);
  log.info(`Connecting to the MQTT broker at ${describeBroker(broker.url)}`);
  const plans: InstancePlan[] = [
    {
      id: config.instanceId,
      iris: options.iris ?? (await createIrisClient(config, log)),
      entityPrefix: '',
      instanceName: config.instanceId === 'iris' ? 'IRIS' : `IRIS ${config.instanceId}`,
      onTick: heartbeat(config.heartbeatFile),
    },
  ];
  for (const r of config.remoteInstances) {
    plans.push(await remotePlan(r, config, log));
  }
  // Instances start side by side: one that does not answer must not hold up the others.
  const instances = await Promise.all(plans.map((p) => startInstance(p, config, broker, log, options)));
  const primary = instances[0] as RunningInstance;
  return {
    ...primary,
    instances,
    async stop() {
      await Promise.all(instances.map((i) => i.stop()));
    },
  };
}
