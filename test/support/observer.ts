/** A plain MQTT client that watches what the bridge publishes, as Home Assistant would. */
import mqtt, { type MqttClient } from 'mqtt';
import type { Topics } from '../../src/mqtt/topics.ts';
import { waitFor, within } from './fixtures.ts';

export interface Seen {
  topic: string;
  payload: string;
  retain: boolean;
  at: number;
}

export class Observer {
  readonly messages: Seen[] = [];
  /** The observer's own topic for flush(); what arrives there is not among `messages`. */
  private readonly flushTopic = `iris-edge-test/flush/${Math.random().toString(16).slice(2)}`;
  private flushed = 0;
  private sentinels = 0;
  private readonly flushWaiters = new Map<string, () => void>();

  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      if (topic === this.flushTopic) {
        this.flushWaiters.get(payload.toString())?.();
        return;
      }
      this.messages.push({ topic, payload: payload.toString(), retain: packet.retain, at: Date.now() });
    });
  }

  static async connect(url: string, topics: string[] = ['iris-edge/#', 'homeassistant/#']): Promise<Observer> {
    const client = await mqtt.connectAsync(url, { clientId: `observer_${Math.random().toString(16).slice(2)}`, reconnectPeriod: 200 });
    const o = new Observer(client);
    if (topics.length > 0) await client.subscribeAsync(topics, { qos: 1 });
    return o;
  }

  /** The newest payload seen on a topic (retained replays included). */
  latest(topic: string): string | undefined {
    for (let i = this.messages.length - 1; i >= 0; i--) if (this.messages[i]?.topic === topic) return this.messages[i]?.payload;
    return undefined;
  }

  /** Current retained view: topic -> payload, with empty payloads removing the topic. */
  retained(prefix = ''): Map<string, string> {
    const m = new Map<string, string>();
    for (const s of this.messages) {
      if (!s.topic.startsWith(prefix)) continue;
      if (s.payload === '') m.delete(s.topic);
      else m.set(s.topic, s.payload);
    }
    return m;
  }

  count(topic: string, since = 0): number {
    return this.messages.filter((s) => s.topic === topic && s.at >= since).length;
  }

  async waitFor(topic: string, predicate: (payload: string) => boolean, timeoutMs = 5000, since = 0): Promise<Seen> {
    return waitFor(
      () => this.messages.find((s) => s.at >= since && s.topic === topic && predicate(s.payload)),
      timeoutMs,
      `a message on ${topic}`,
    );
  }

  /**
   * Resolves once every message the broker accepted before this call has reached `messages`: a
   * message of our own goes through the broker behind them (mosquitto forwards in the order it
   * accepts). After the bridge's settled(), this makes "nothing more was published" a condition
   * rather than a pause.
   */
  async flush(timeoutMs = 5000): Promise<void> {
    if (this.flushed === 0) await this.client.subscribeAsync(this.flushTopic, { qos: 1 });
    const mark = String(++this.flushed);
    const back = new Promise<void>((resolve) => this.flushWaiters.set(mark, resolve));
    try {
      await this.client.publishAsync(this.flushTopic, mark, { qos: 1 });
      await within(back, timeoutMs, 'our own message to come back through the broker');
    } finally {
      this.flushWaiters.delete(mark);
    }
  }

  /**
   * Resolves once the bridge has handled every command published here before: it handles them
   * in order, and warns about a STOP for a production IRIS does not have. A topic of its own
   * each time, because the bridge warns once per kind of bad input and topic. Returns the warning.
   */
  async handled(topics: Topics, log: string[], timeoutMs = 5000): Promise<string> {
    const topic = topics.productionSet({ namespace: 'SENTINEL', name: `Sentinel${++this.sentinels}` });
    await this.publish(topic, 'STOP');
    return waitFor(() => log.find((l) => l.includes(topic) && l.includes('there is no such production')), timeoutMs, `the warning about the STOP on ${topic}`);
  }

  async publish(topic: string, payload: string | Buffer, retain = false): Promise<void> {
    await this.client.publishAsync(topic, payload, { qos: 1, retain });
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

export const stateIs = (state: string) => (payload: string) => {
  try {
    return (JSON.parse(payload) as { state?: string }).state === state;
  } catch {
    return false;
  }
};
