/** One monitored IRIS instance: its monitor, its own MQTT connection (and Last Will), its bridge. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { MqttClient } from 'mqtt';
import type { Config } from '../config/config.ts';
import type { InstanceControl } from '../backups/instance-control.ts';
import { getMqttService } from '../ha/supervisor.ts';
import type { IrisClient } from '../iris/client.ts';
import type { Logger } from '../log/logger.ts';
import { Monitor, type HealthSource } from '../monitor/monitor.ts';
import { MqttBridge } from '../mqtt/bridge.ts';
import type { InstanceFeature } from '../mqtt/feature.ts';
import { connectMqtt, describeBroker } from '../mqtt/connection.ts';
import { Topics } from '../mqtt/topics.ts';
import { BRIDGE_VERSION } from '../version.ts';

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

export type Broker = { url: string; username?: string; password?: string };

/** Test and bench timings of the MQTT side. */
export interface MqttTimings {
  inventoryWindowMs?: number;
  birthJitterMs?: number;
  /** Least time between two discovery messages of one device (mqtt/pacer.ts). */
  discoveryHoldoffMs?: number;
}

export interface InstancePlan {
  id: string;
  iris: IrisClient;
  health: HealthSource | undefined;
  /** Stops what the plan started besides the IRIS client (the simulator's web server). */
  close?: () => Promise<void>;
  entityPrefix: string;
  instanceName: string;
  onTick?: () => void;
  control?: InstanceControl;
  topics: Topics;
  /** What its device shows besides the productions (the local instance: backups, certificates). */
  features?: InstanceFeature[];
  /** The devices' link to the IRIS Edge panel (DiscoveryContext.panelUrl). */
  panelUrl?: string | null;
}

export function instanceTopics(id: string, config: Config): Topics {
  return new Topics(id, config.topicPrefix, config.discoveryPrefix);
}

export async function resolveMqtt(config: Config, log: Logger): Promise<Broker> {
  if (config.mqtt.source !== 'supervisor') return config.mqtt;
  const svc = await getMqttService(config.supervisorToken ?? '');
  const url = `${svc.ssl ? 'mqtts' : 'mqtt'}://${svc.host}:${svc.port}`;
  log.info(`Using the MQTT broker Home Assistant provides at ${describeBroker(url)}`);
  return { url, username: svc.username, password: svc.password };
}

export function heartbeat(path: string | undefined): (() => void) | undefined {
  if (!path) return undefined;
  mkdirSync(dirname(path), { recursive: true });
  return () => writeFileSync(path, new Date().toISOString());
}

export async function startInstance(
  plan: InstancePlan,
  config: Config,
  broker: Broker,
  parentLog: Logger,
  options: MqttTimings,
): Promise<RunningInstance> {
  const { iris } = plan;
  const log = plan.entityPrefix ? parentLog.child({ instance: plan.id }) : parentLog;
  const { topics } = plan;
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
    discoveryHoldoffMs: options.discoveryHoldoffMs,
    hostDeviceThreshold: config.hostDeviceThreshold,
    features: plan.features,
    discovery: {
      topics,
      bridgeVersion: BRIDGE_VERSION,
      entityPrefix: plan.entityPrefix,
      instanceName: plan.instanceName,
      instanceModel: iris.kind === 'simulator' ? 'IRIS simulator' : 'InterSystems IRIS',
      panelUrl: plan.panelUrl ?? null,
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
