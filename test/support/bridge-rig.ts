/**
 * The MQTT side of the bridge alone over a real mosquitto: a Monitor on a simulated IRIS, the
 * MqttBridge on its own connection, and an Observer watching what Home Assistant would receive.
 * For tests of the bridge's topics and payloads that need no panel, no HA and no app wiring.
 */
import type { MqttClient } from 'mqtt';
import { IrisSimulator } from '../../src/iris/simulator/index.ts';
import type { Logger } from '../../src/log/logger.ts';
import { Monitor } from '../../src/monitor/monitor.ts';
import { MqttBridge } from '../../src/mqtt/bridge.ts';
import { connectMqtt } from '../../src/mqtt/connection.ts';
import type { InstanceFeature } from '../../src/mqtt/feature.ts';
import { Topics } from '../../src/mqtt/topics.ts';
import { captureLogger } from './fixtures.ts';
import type { Mosquitto } from './mosquitto.ts';
import { Observer } from './observer.ts';

export interface BridgeRigOptions {
  sim?: IrisSimulator;
  /** Long by default: the test polls when it wants a change seen. */
  pollIntervalMs?: number;
  discoveryHoldoffMs?: number;
  features?: InstanceFeature[];
}

export interface BridgeRig {
  topics: Topics;
  sim: IrisSimulator;
  monitor: Monitor;
  bridge: MqttBridge;
  /** The bridge's own connection (commands arrive on it). */
  client: MqttClient;
  observer: Observer;
  log: Logger;
  lines: string[];
  stop(): Promise<void>;
}

export async function startBridgeRig(broker: Mosquitto, options: BridgeRigOptions = {}): Promise<BridgeRig> {
  const topics = new Topics('iris');
  const { log, lines } = captureLogger();
  const sim = options.sim ?? new IrisSimulator({ transitionMs: 10 });
  const monitor = new Monitor(sim, { pollIntervalMs: options.pollIntervalMs ?? 3_600_000, removalGracePolls: 2 }, log);
  const observer = await Observer.connect(broker.url);
  const client = connectMqtt({ url: broker.url, instanceId: topics.instanceId, will: { topic: topics.bridgeAvailability, payload: 'offline' } }, log);
  const bridge = new MqttBridge({
    client,
    monitor,
    log,
    hostDeviceThreshold: 20,
    inventoryWindowMs: 200,
    ...(options.discoveryHoldoffMs !== undefined ? { discoveryHoldoffMs: options.discoveryHoldoffMs } : {}),
    ...(options.features ? { features: options.features } : {}),
    discovery: { topics, bridgeVersion: 'test', entityPrefix: '', instanceName: 'IRIS', instanceModel: 'IRIS simulator', panelUrl: null },
  });
  await monitor.start();
  await bridge.start();
  return {
    topics,
    sim,
    monitor,
    bridge,
    client,
    observer,
    log,
    lines,
    async stop() {
      monitor.stop();
      await bridge.stop();
      await client.endAsync();
      await observer.close();
    },
  };
}
