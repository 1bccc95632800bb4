/**
 * A bounded number of QoS 1 publishes in flight, instead of one awaited at a time: with a
 * thousand hosts, waiting for each PUBACK before sending the next made discovery take several
 * times what the broker needs. Every acknowledgement is still awaited (by `drain`), and the first
 * failure is surfaced there and refuses what comes after it.
 *
 * Ordering: sends start in the order they are added (one client, one connection, so the broker
 * receives them in that order), and a send for a topic that still has one in flight waits for it,
 * so that a retained message is never overtaken by an older one for the same topic, even when a
 * send is held back (the publisher keeps it for the reconnect) or retried.
 */
export class PublishWindow {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly lastOfTopic = new Map<string, Promise<void>>();
  private failure: { err: unknown } | undefined;
  /** Adds waiting for a free slot, woken one per finished send (not a race over every send). */
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`the publish window must be a whole number >= 1, not ${limit}`);
  }

  /** How many sends are in flight now. */
  get size(): number {
    return this.inFlight.size;
  }

  /**
   * Starts `send` once fewer than `limit` sends are in flight and the topic's previous send has
   * settled. Resolves when it has started, not when it is acknowledged; rejects with the first
   * failure seen so far, so that nothing is sent after a failure.
   */
  async add(topic: string, send: () => Promise<unknown>): Promise<void> {
    while (this.inFlight.size >= this.limit && !this.failure) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.throwIfFailed();
    const before = this.lastOfTopic.get(topic);
    const run: Promise<void> = (before ? before.then(send) : send()).then(
      () => undefined,
      (err: unknown) => {
        this.failure ??= { err };
      },
    );
    const done = run.finally(() => {
      this.inFlight.delete(done);
      if (this.lastOfTopic.get(topic) === done) this.lastOfTopic.delete(topic);
      // After a failure every waiting add must wake to see it; otherwise the next one in line.
      if (this.failure) for (const wake of this.waiting.splice(0)) wake();
      else this.waiting.shift()?.();
    });
    this.inFlight.add(done);
    this.lastOfTopic.set(topic, done);
  }

  /** Waits for every send added so far; throws the first failure. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.err;
  }
}
