/**
 * Home Assistant events, and data automations publish over MQTT, into the local instance's
 * production, when the options allow any. One queue per business service, so a service that is
 * missing holds up only what is meant for it; events and MQTT data for the same service share its
 * queue and keep their order. Delivery goes through the bridge's own IRIS connection
 * (IrisEdge.Agent.DeliverHaEvent): no port, no listener and no licence unit of its own.
 */
import type { MqttClient } from 'mqtt';
import type { Config } from '../config/config.ts';
import { DeliveryQueue, isWaitError, type DeliveryStats } from '../ha/delivery-queue.ts';
import type { FlowSink, HaFlowRecord } from '../ha/flow-record.ts';
import type { HaCore } from '../ha/core.ts';
import { HaToIris, type HaToIrisStats } from '../ha/ha-to-iris.ts';
import type { IrisClient } from '../iris/client.ts';
import type { Logger } from '../log/logger.ts';
import type { ForIris } from '../model/ha-inbound.ts';
import { MqttToIris, toIrisTopicBase } from '../mqtt/to-iris.ts';

/** The most JSON one service's queue holds, whatever its length: 256 events of the 64 KB maximum. */
const QUEUE_BYTES = 16 * 1024 * 1024;

export interface RunningHaToIris {
  /** Summed over the services' queues; `waiting` is the first reason found. */
  stats(): DeliveryStats & HaToIrisStats;
  /** Each business service's queue, for the panel. */
  queues(): ServiceQueue[];
  stop(): void;
}

export interface ServiceQueue extends DeliveryStats {
  service: string;
  namespace: string;
}

/**
 * The queue's deliveries, recorded for the panel: taken, or refused by IRIS. An error that makes
 * the queue wait is no outcome yet: the event is tried again.
 */
function recorded(deliver: (json: string) => Promise<void>, target: string, record: FlowSink): (item: ForIris) => Promise<void> {
  return async (item) => {
    try {
      await deliver(item.json);
      record({ outcome: 'delivered', target, ...item.shown });
    } catch (err) {
      if (!isWaitError(err)) record({ outcome: 'failed', target, ...item.shown, detail: (err as Error).message });
      throw err;
    }
  };
}

export async function startHaToIris(
  ha: HaCore | undefined,
  mqtt: { client: MqttClient; base: string },
  iris: IrisClient,
  config: Config,
  log: Logger,
  /** The panel's record of outcomes and queue depths. */
  flows?: HaFlowRecord,
): Promise<RunningHaToIris | undefined> {
  const record: FlowSink = flows ? flows.sink('to-iris') : () => {};
  const { entities, events, namespace, service, maxQueue, mqttServices } = config.toIris;
  const haEvents = ha !== undefined && !(entities.empty && events.empty);
  if (!haEvents && mqttServices.length === 0) return undefined;
  const queues = new Map<string, DeliveryQueue>();
  const queueFor = (name: string): DeliveryQueue => {
    let q = queues.get(name);
    if (!q) {
      const target = `${name} in ${namespace}`;
      q = new DeliveryQueue(recorded((json) => iris.deliverHaEvent(namespace, name, json), target, record), log, { maxItems: maxQueue, maxBytes: QUEUE_BYTES, target });
      queues.set(name, q);
    }
    return q;
  };
  const pushTo = (name: string, item: ForIris): boolean => {
    const taken = queueFor(name).push(item);
    if (taken) flows?.touch();
    else record({ outcome: 'dropped', target: `${name} in ${namespace}`, ...item.shown, detail: 'The queue was full' });
    return taken;
  };
  const list = (l: readonly string[]) => (l.length === 0 ? 'none' : l.join(', '));
  let forwarder: HaToIris | undefined;
  if (ha && haEvents) {
    const target = `${service} in ${namespace}`;
    forwarder = new HaToIris(ha, { push: (item) => pushTo(service, item) }, { entities, events }, log, (e) => record({ ...e, target }));
    forwarder.start();
    log.info(`Home Assistant events go to ${service} in ${namespace}: state changes of ${list(entities.patterns)}; events ${list(events.patterns)}`);
  }
  let intake: MqttToIris | undefined;
  if (mqttServices.length > 0) {
    for (const s of mqttServices) queueFor(s);
    intake = new MqttToIris(mqtt.client, mqtt.base, new Set(mqttServices), (s, item) => void pushTo(s, item), log, record);
    await intake.start();
    log.info(`MQTT messages on ${toIrisTopicBase(mqtt.base)}/<service> go to ${list(mqttServices)} in ${namespace}`);
  }
  return {
    queues: () => [...queues].map(([name, q]) => ({ service: name, namespace, ...q.stats() })),
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
