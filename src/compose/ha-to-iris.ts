/**
 * Home Assistant events into the local instance's production, when the options allow any: the
 * queue delivers through the bridge's own IRIS connection (IrisEdge.Agent.DeliverHaEvent), so
 * the feature needs no port, no listener and no licence unit of its own.
 */
import type { Config } from '../config/config.ts';
import { DeliveryQueue, type DeliveryStats } from '../ha/delivery-queue.ts';
import type { HaCore } from '../ha/core.ts';
import { HaToIris, type HaToIrisStats } from '../ha/ha-to-iris.ts';
import type { IrisClient } from '../iris/client.ts';
import type { Logger } from '../log/logger.ts';

/** The most JSON the queue holds, whatever its length: 256 events of the 64 KB maximum. */
const QUEUE_BYTES = 16 * 1024 * 1024;

export interface RunningHaToIris {
  stats(): DeliveryStats & HaToIrisStats;
  stop(): void;
}

export function startHaToIris(ha: HaCore, iris: IrisClient, config: Config, log: Logger): RunningHaToIris | undefined {
  const { entities, events, namespace, service, maxQueue } = config.toIris;
  if (entities.empty && events.empty) return undefined;
  const target = `${service} in ${namespace}`;
  const queue = new DeliveryQueue((json) => iris.deliverHaEvent(namespace, service, json), log, { maxItems: maxQueue, maxBytes: QUEUE_BYTES, target });
  const forwarder = new HaToIris(ha, queue, { entities, events }, log);
  forwarder.start();
  const list = (l: readonly string[]) => (l.length === 0 ? 'none' : l.join(', '));
  log.info(`Home Assistant events go to ${target}: state changes of ${list(entities.patterns)}; events ${list(events.patterns)}`);
  return {
    stats: () => ({ ...queue.stats(), ...forwarder.stats() }),
    stop: () => queue.stop(),
  };
}
