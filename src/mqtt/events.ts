/** Home Assistant event entities: production events and IRIS alerts, sent as they happen. */
import type { MqttClient } from 'mqtt';
import type { IrisAlert } from '../model/alerts.ts';
import { productionDisplayName } from '../model/production.ts';
import type { ProductionView } from '../model/view.ts';

/** Events are not retained: an event replayed after a reconnect would be a lie. */
export function publishEvent(client: MqttClient, topic: string, eventType: string, detail: string, onError: (err: unknown) => void): void {
  if (!client.connected) return;
  const payload = JSON.stringify({ event_type: eventType, detail: detail.slice(0, 255) });
  client.publishAsync(topic, payload, { qos: 1, retain: false }).catch(onError);
}

/** The productions an IRIS alert names (by class or display name): each gets it as an event. */
export function alertedProductions(a: IrisAlert, productions: readonly ProductionView[]): ProductionView[] {
  return productions.filter((p) => a.message.includes(p.name) || a.message.includes(productionDisplayName(p.name)));
}
