/**
 * Home Assistant events, and data automations publish over MQTT, into the local instance's
 * production, when the options allow any. One queue per business service, so a service that is
 * missing holds up only what is meant for it; events and MQTT data for the same service share its
 * queue and keep their order. Delivery goes through the bridge's own IRIS connection
 * (IrisEdge.Agent.DeliverHaEvent): no port, no listener and no licence unit of its own.
 */
import type { MqttClient } from 'mqtt';
import type { Config } from '../config/config.ts';
import { DeliveryQueue, type DeliveryStats } from '../ha/delivery-queue.ts';
import type { HaCore } from '../ha/core.ts';
import { HaToIris, type HaToIrisStats } from '../ha/ha-to-iris.ts';
import type { IrisClient } from '../iris/client.ts';
import type { Logger } from '../log/logger.ts';
import { MqttToIris } from '../mqtt/to-iris.ts';

/** The most JSON one service's queue holds, whatever its length: 256 events of the 64 KB maximum. */
const QUEUE_BYTES = 16 * 1024 * 1024;

export interface RunningHaToIris {
  /** Summed over the services' queues; `waiting` is the first reason found. */
  stats(): DeliveryStats & HaToIrisStats;
  stop(): void;
}

export async function startHaToIris(
  ha: HaCore | undefined,
  mqtt: { client: MqttClient; base: string },
  iris: IrisClient,
  config: Config,
  log: Logger,
): Promise<RunningHaToIris | undefined> {
  const { entities, events, namespace, service, maxQueue, mqttServices } = config.toIris;
  const haEvents = ha !== undefined && !(entities.empty && events.empty);
  if (!haEvents && mqttServices.length === 0) return undefined;
  const queues = new Map<string, DeliveryQueue>();
  const queueFor = (name: string): DeliveryQueue => {
    let q = queues.get(name);
    if (!q) {
      q = new DeliveryQueue((json) => iris.deliverHaEvent(namespace, name, json), log, { maxItems: maxQueue, maxBytes: QUEUE_BYTES, target: `${name} in ${namespace}` });
      queues.set(name, q);
    }
    return q;
  };
  const list = (l: readonly string[]) => (l.length === 0 ? 'none' : l.join(', '));
  let forwarder: HaToIris | undefined;
  if (ha && haEvents) {
    forwarder = new HaToIris(ha, queueFor(service), { entities, events }, log);
    forwarder.start();
    log.info(`Home Assistant events go to ${service} in ${namespace}: state changes of ${list(entities.patterns)}; events ${list(events.patterns)}`);
  }
  let intake: MqttToIris | undefined;
  if (mqttServices.length > 0) {
    for (const s of mqttServices) queueFor(s);
    intake = new MqttToIris(mqtt.client, mqtt.base, new Set(mqttServices), (s, json) => void queueFor(s).push(json), log);
    await intake.start();
    log.info(`MQTT messages on ${mqtt.base}/to_iris/<service> go to ${list(mqttServices)} in ${namespace}`);
  }
  return {
    stats: () => {
      const all = [...queues.values()].map((q) => q.stats());
      const sum = (k: 'queued' | 'queuedBytes' | 'delivered' | 'dropped' | 'failed') => all.reduce((n, s) => n + s[k], 0);
      return {
        queued: sum('queued'),
        queuedBytes: sum('queuedBytes'),
        delivered: sum('delivered'),
        dropped: sum('dropped'),
        failed: sum('failed'),
        waiting: all.find((s) => s.waiting !== null)?.waiting ?? null,
        ...(forwarder?.stats() ?? { passed: 0, refused: 0 }),
      };
    },
    stop: () => {
      intake?.stop();
      for (const q of queues.values()) q.stop();
    },
  };
}
