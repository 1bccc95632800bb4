import { hash } from 'node:crypto';
import type { IClientPublishOptions, MqttClient } from 'mqtt';
import type { Sender } from './window.ts';

/**
 * What the publisher keeps of a payload: its SHA-1 (base64, 28 characters) instead of the payload.
 * Every retained message of 5,000 hosts kept whole was a quarter of the bridge's heap (2.6 KB a
 * host); a digest is about 50 bytes. Two different payloads of one topic with the same SHA-1 would
 * skip one publish; by accident that has a chance of 2^-160 a change, and on purpose it would take
 * someone who writes IRIS's host names and queue counts crafting a SHA-1 collision, to hold one
 * state back until its next change. A host device's discovery message is kept by the SHA-1 of
 * what it is written from instead (HostDiscoveryJson.digest), which is cheaper to compute.
 */
const digest = (payload: string): string => hash('sha1', payload, 'base64');

/** The digest of a topic that must be sent again: never equal to a SHA-1's. */
const UNSENT = '';

/** mqtt.js copies its options: one object serves every publish. */
const RETAINED_QOS1: IClientPublishOptions = { qos: 1, retain: true };

/**
 * Publishes retained messages only when their payload changes. It keeps a digest of each topic's
 * payload, not the payload, so what the broker lost (a restart without persistence, Home
 * Assistant asking for states again) is sent again by the caller building its messages anew in
 * `resend`. Changes made while the broker is away are remembered as sent and go out with that
 * rebuild, only the latest of each topic.
 */
export class RetainedPublisher implements Sender {
  private readonly digests = new Map<string, string>();
  private readonly pendingClears = new Set<string>();
  private sends = 0;
  /** Counts the times a topic stopped being current (cleared, or marked to be sent again). */
  private lapses = 0;

  constructor(private readonly client: MqttClient) {}

  /**
   * Returns true when the message is new (sent now, or with the rebuild after a reconnect), false
   * when unchanged. `d` is the payload's digest when the caller has it (changedDigest).
   */
  async publish(topic: string, payload: string, force = false, d = digest(payload)): Promise<boolean> {
    if (!force && this.holds(topic, d)) return false;
    await new Promise<void>((resolve, reject) => this.send(topic, payload, d, (err) => (err ? reject(err) : resolve())));
    return true;
  }

  /**
   * Sends the message whatever the topic had (a publish window's sender): `d` is its digest, from
   * changedDigest or a caller's own (see HostDiscoveryJson.digest); `done` runs once the broker
   * acknowledged it, at once while the broker is away (the message then goes with the rebuild).
   */
  send(topic: string, payload: string, d: string, done: (err?: Error) => void): void {
    this.digests.set(topic, d);
    this.pendingClears.delete(topic);
    this.sends++;
    if (this.client.connected) this.client.publish(topic, payload, RETAINED_QOS1, done);
    else done();
  }

  /** An empty retained payload deletes the retained message (and, for discovery, the entities). */
  async clear(topic: string): Promise<void> {
    this.digests.delete(topic);
    this.lapses++;
    if (this.client.connected) await this.client.publishAsync(topic, '', RETAINED_QOS1);
    else this.pendingClears.add(topic);
  }

  /**
   * The payload's digest when `publish` would send it (it differs from what the topic last had, or
   * the topic is unsent), else null; handed to publish, the payload is hashed once, not twice.
   */
  changedDigest(topic: string, payload: string): string | null {
    const d = digest(payload);
    return this.holds(topic, d) ? null : d;
  }

  /** The topic's last message had digest `d`: sending one of that digest again would change nothing. */
  holds(topic: string, d: string): boolean {
    return this.digests.get(topic) === d;
  }

  /** The topic holds a message of ours (published, not cleared), even one still to be sent again. */
  has(topic: string): boolean {
    return this.digests.has(topic);
  }

  /**
   * Changes whenever a topic may have stopped being `current`: what was current at one value of it
   * still is while it stays the same.
   */
  get currency(): number {
    return this.lapses;
  }

  /** The broker has the topic's last payload: nothing needs building for it unless its inputs changed. */
  current(topic: string): boolean {
    const d = this.digests.get(topic);
    return d !== undefined && d !== UNSENT;
  }

  /**
   * The broker lost what it had (or Home Assistant asks for it again): sends the pending clears,
   * marks every topic `filter` accepts as unsent, so that its next `publish` sends it even
   * unchanged, and runs `rebuild`, which publishes those messages anew. Returns how many messages
   * went out while it ran.
   */
  async resend(filter: (topic: string) => boolean, rebuild: () => Promise<void>): Promise<number> {
    for (const topic of [...this.pendingClears]) {
      await this.client.publishAsync(topic, '', RETAINED_QOS1);
      this.pendingClears.delete(topic);
    }
    for (const topic of this.digests.keys()) if (filter(topic)) this.digests.set(topic, UNSENT);
    this.lapses++;
    const before = this.sends;
    await rebuild();
    return this.sends - before;
  }
}
