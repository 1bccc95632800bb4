import type { MqttClient } from 'mqtt';

/**
 * Publishes retained messages only when their payload changes, and remembers what it published so
 * that everything can be sent again after a reconnect: the broker may have restarted without
 * persistence, and while it was away nothing could be sent at all. Changes made while the broker
 * is away are kept, not queued one by one, so the reconnect sends only the latest of each topic.
 */
export class RetainedPublisher {
  private readonly published = new Map<string, string>();
  private readonly pendingClears = new Set<string>();

  constructor(private readonly client: MqttClient) {}

  /** Returns true when the message is new (sent now, or on reconnect), false when unchanged. */
  async publish(topic: string, payload: string, force = false): Promise<boolean> {
    if (!force && this.published.get(topic) === payload) return false;
    this.published.set(topic, payload);
    this.pendingClears.delete(topic);
    if (this.client.connected) await this.client.publishAsync(topic, payload, { qos: 1, retain: true });
    return true;
  }

  /** An empty retained payload deletes the retained message (and, for discovery, the entities). */
  async clear(topic: string): Promise<void> {
    this.published.delete(topic);
    if (this.client.connected) await this.client.publishAsync(topic, '', { qos: 1, retain: true });
    else this.pendingClears.add(topic);
  }

  /** True when `publish` would send `payload` (it differs from what the topic last had). */
  changed(topic: string, payload: string): boolean {
    return this.published.get(topic) !== payload;
  }

  has(topic: string): boolean {
    return this.published.has(topic);
  }

  /** Sends pending clears and every remembered message again, in first-published order. */
  async republish(filter: (topic: string) => boolean = () => true): Promise<number> {
    for (const topic of [...this.pendingClears]) {
      await this.client.publishAsync(topic, '', { qos: 1, retain: true });
      this.pendingClears.delete(topic);
    }
    let n = 0;
    for (const [topic, payload] of [...this.published]) {
      if (!filter(topic)) continue;
      await this.client.publishAsync(topic, payload, { qos: 1, retain: true });
      n++;
    }
    return n;
  }
}
