/**
 * Data from automations into IRIS over MQTT: a JSON object published (never retained) to
 * `iris-edge/<instance>/to_iris/<service>` goes to that business service of the production, as
 * an IrisEdge.HA.Event of kind "event" and type `mqtt` whose Data is the object. Only services
 * the options list may be named (default none); anything else is ignored with one warning per
 * kind and topic per minute, and nothing reaches IRIS.
 */
import type { IPublishPacket, MqttClient } from 'mqtt';
import type { Logger } from '../log/logger.ts';
import { shownTopic, throttledWarnings } from '../log/throttle.ts';
import type { HaFlowEntry } from '../model/ha-flow.ts';
import { eventMessage, forIris, MAX_HA_EVENT_BYTES, type ForIris } from '../model/ha-inbound.ts';
import { TO_IRIS_SEGMENT } from './topics.ts';

export const MQTT_EVENT_TYPE = 'mqtt';

/**
 * The MQTT 5 subscription identifier of `<base>/to_iris/+` on the bridge's connection (no other
 * subscription of it has one). A topic there can also match one of the bridge's command wildcards
 * (`to_iris/select` is `<ns>/select`'s), and the broker then sends a copy per subscription
 * (mosquitto does); only the copy of this subscription is data for IRIS.
 */
export const TO_IRIS_SUBSCRIPTION_ID = 1;

/** Whether a message came through the to_iris subscription (its identifier, or one of them). */
function viaToIris(packet: IPublishPacket): boolean {
  const id = packet.properties?.subscriptionIdentifier;
  return Array.isArray(id) ? id.includes(TO_IRIS_SUBSCRIPTION_ID) : id === TO_IRIS_SUBSCRIPTION_ID;
}

export type MqttToIrisOutcome =
  | { kind: 'pass'; service: string; item: ForIris }
  | { kind: 'ignored'; why: string };

/** The topic under which automations publish for IRIS. */
export function toIrisTopicBase(instanceBase: string): string {
  return `${instanceBase}/${TO_IRIS_SEGMENT}`;
}

/** What one message on `topic` becomes (pure: the topic base, the allowed services and the time are given). */
export function mqttToIris(base: string, topic: string, payload: Buffer, retained: boolean, services: ReadonlySet<string>, now: Date): MqttToIrisOutcome {
  const service = topic.slice(base.length + 1);
  if (!topic.startsWith(`${base}/`) || service === '' || service.includes('/')) return { kind: 'ignored', why: 'not a to_iris topic' };
  if (!services.has(service)) return { kind: 'ignored', why: `the business service "${service}" is not in the option to_iris_mqtt_services` };
  if (retained) return { kind: 'ignored', why: 'it is retained: data for IRIS is sent once, never retained (clear it with an empty retained message)' };
  if (payload.length > MAX_HA_EVENT_BYTES) return { kind: 'ignored', why: `it is ${payload.length} bytes, over the ${MAX_HA_EVENT_BYTES / 1024} KB limit` };
  let data: unknown;
  try {
    data = JSON.parse(payload.toString('utf8'));
  } catch {
    return { kind: 'ignored', why: 'it is not JSON' };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return { kind: 'ignored', why: 'it is not a JSON object' };
  const item = forIris(eventMessage(MQTT_EVENT_TYPE, data as Record<string, unknown>, now.toISOString(), ''));
  if (item.bytes > MAX_HA_EVENT_BYTES) return { kind: 'ignored', why: `it is over the ${MAX_HA_EVENT_BYTES / 1024} KB limit` };
  return { kind: 'pass', service, item };
}

export class MqttToIris {
  private readonly base: string;
  private readonly warnings: (key: string, line: string) => void;

  constructor(
    private readonly client: MqttClient,
    instanceBase: string,
    private readonly services: ReadonlySet<string>,
    private readonly deliver: (service: string, item: ForIris) => void,
    private readonly log: Logger,
    /** The panel's record of what was ignored (flow-record.ts); the queues record the rest. */
    private readonly record: (entry: Omit<HaFlowEntry, 'at'>) => void = () => {},
  ) {
    this.base = toIrisTopicBase(instanceBase);
    this.warnings = throttledWarnings(this.log);
  }

  async start(): Promise<void> {
    this.client.on('message', this.onMessage);
    // mqtt.js subscribes again after a reconnect (its resubscribe option, on by default).
    await this.client.subscribeAsync(`${this.base}/+`, { qos: 1, rap: true, properties: { subscriptionIdentifier: TO_IRIS_SUBSCRIPTION_ID } });
  }

  stop(): void {
    this.client.off('message', this.onMessage);
  }

  private readonly onMessage = (topic: string, payload: Buffer, packet: IPublishPacket): void => {
    if (!viaToIris(packet)) return;
    const out = mqttToIris(this.base, topic, payload, packet.retain, this.services, new Date());
    if (out.kind === 'pass') {
      this.deliver(out.service, out.item);
      return;
    }
    this.record({ outcome: 'refused', subject: MQTT_EVENT_TYPE, target: shownTopic(topic), detail: out.why, preview: null });
    const line = `Ignored a message on ${shownTopic(topic)} for IRIS: ${out.why}`;
    this.warnings(`${out.why}|${topic}`, line);
  };
}
