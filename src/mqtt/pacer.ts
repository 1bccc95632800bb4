/**
 * Keeps a device's discovery messages apart, so that Home Assistant has finished with one before
 * the next arrives.
 *
 * Why: Home Assistant 2026.11 (components/mqtt/discovery.py, async_discovery_message_received)
 * splits a device message into its components and walks them in order; a component whose previous
 * config is still being set up ("discovery_pending_discovered", cleared only when its entity has
 * been added) is queued, and the walk then `return`s: every component after it in that message is
 * dropped, new ones included. The queued config is all that is processed later. So a second device
 * message sent while the first is still being set up (about 110 ms apart at start, when the
 * certificate list arrived) loses the components only it carried, until something sends the
 * device again. The retained copy on the broker is right; only the live delivery is lost.
 *
 * The pacer sends a topic's first message at once and holds later ones until `holdoffMs` after the
 * previous; changes in between are coalesced and only the latest payload is sent.
 */
export class DiscoveryPacer {
  private readonly lastSent = new Map<string, number>();
  private readonly waiting = new Map<string, { payload: string; timer: NodeJS.Timeout }>();

  constructor(
    private readonly holdoffMs: number,
    /** Called with a held payload when its hold-off ends. */
    private readonly due: (topic: string, payload: string) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * True when `topic` may be sent now (the caller sends `payload`); otherwise `payload` is held,
   * replacing any payload already held for the topic, and handed to `due` when the hold-off ends.
   */
  admit(topic: string, payload: string): boolean {
    const held = this.waiting.get(topic);
    if (held) {
      held.payload = payload;
      return false;
    }
    const last = this.lastSent.get(topic);
    const now = this.now();
    const wait = last === undefined ? 0 : last + this.holdoffMs - now;
    if (wait <= 0) {
      this.lastSent.set(topic, now);
      return true;
    }
    const entry = {
      payload,
      timer: setTimeout(() => {
        this.waiting.delete(topic);
        this.lastSent.set(topic, this.now());
        this.due(topic, entry.payload);
      }, Math.ceil(wait)),
    };
    this.waiting.set(topic, entry);
    return false;
  }

  /**
   * Home Assistant (re)started and is reading every retained discovery message now: each topic
   * counts as just sent, so that a change does not reach it while it sets the retained one up.
   */
  receivedAll(): void {
    const now = this.now();
    for (const topic of this.lastSent.keys()) this.lastSent.set(topic, now);
    const held = [...this.waiting];
    this.waiting.clear();
    for (const [topic, h] of held) {
      clearTimeout(h.timer);
      this.admit(topic, h.payload);
    }
  }

  /** The topic was cleared: nothing held for it is sent, and its next message goes out at once. */
  forget(topic: string): void {
    const held = this.waiting.get(topic);
    if (held) clearTimeout(held.timer);
    this.waiting.delete(topic);
    this.lastSent.delete(topic);
  }

  /** Hands over everything held, now (the bridge stops: the broker keeps the latest for later). */
  drain(): [topic: string, payload: string][] {
    const out: [string, string][] = [];
    for (const [topic, held] of this.waiting) {
      clearTimeout(held.timer);
      out.push([topic, held.payload]);
    }
    this.waiting.clear();
    return out;
  }

  /** A payload is held for `topic`. */
  holding(topic: string): boolean {
    return this.waiting.has(topic);
  }

  /** How many payloads are held. */
  get held(): number {
    return this.waiting.size;
  }
}
