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
 *
 * Callbacks, not a promise per message: at start a thousand host devices go through here, and
 * awaiting each one took nine promises and their closures. A caller waits only when `limit`
 * messages are queued besides those in flight, and then until half of them started.
 */

/** Sends a retained message and calls `done` once the broker acknowledged it, or with the error. */
export interface Sender {
  send(topic: string, payload: string, digest: string, done: (err?: Error) => void): void;
}

interface Message {
  topic: string;
  payload: string;
  digest: string;
}

export class PublishWindow {
  private inFlight = 0;
  /** Added, not started yet, oldest first (at most about `limit` of them: see add). */
  private readonly queue: Message[] = [];
  /** Topics with a send in flight, each with the messages of that topic waiting for it, if any. */
  private readonly busy = new Map<string, Message[] | null>();
  private parked = 0;
  private failure: { err: unknown } | undefined;
  private room: { promise: Promise<void>; resolve: () => void; reject: (err: unknown) => void } | undefined;
  private readonly idle: (() => void)[] = [];
  private scheduled = false;

  constructor(
    private readonly limit: number,
    private readonly sender: Sender,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`the publish window must be a whole number >= 1, not ${limit}`);
  }

  /** How many sends are in flight now. */
  get size(): number {
    return this.inFlight;
  }

  /**
   * Starts sending the message, or queues it until a send is acknowledged. Returns undefined when
   * the caller may add more now; a promise when `limit` messages wait: add more once it resolves.
   * Throws (or the promise rejects with) the first failure seen: nothing is sent after one.
   */
  add(topic: string, payload: string, digest: string): Promise<void> | undefined {
    this.throwIfFailed();
    this.queue.push({ topic, payload, digest });
    this.pump();
    if (this.queue.length < this.limit) return undefined;
    if (!this.room) {
      let resolve!: () => void;
      let reject!: (err: unknown) => void;
      const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
      this.room = { promise, resolve, reject };
    }
    return this.room.promise;
  }

  /** Waits for every send added so far; throws the first failure. */
  async drain(): Promise<void> {
    if (!this.isIdle()) await new Promise<void>((resolve) => this.idle.push(resolve));
    this.throwIfFailed();
  }

  private isIdle(): boolean {
    return this.inFlight === 0 && this.parked === 0 && this.queue.length === 0;
  }

  /** Starts queued messages while there is room; one whose topic is busy waits for that topic. */
  private pump(): void {
    while (this.inFlight < this.limit && this.queue.length > 0 && !this.failure) {
      const m = this.queue.shift() as Message;
      const waiting = this.busy.get(m.topic);
      if (waiting === undefined) this.start(m);
      else {
        this.parked++;
        if (waiting === null) this.busy.set(m.topic, [m]);
        else waiting.push(m);
      }
    }
    this.wake();
  }

  private start(m: Message): void {
    this.inFlight++;
    this.busy.set(m.topic, null);
    try {
      this.sender.send(m.topic, m.payload, m.digest, (err) => this.acked(m.topic, err));
    } catch (err) {
      // A sender that throws instead of calling back still frees its slot: drain must not hang.
      this.acked(m.topic, err as Error);
    }
  }

  /**
   * The next sends start in a microtask, not in the acknowledgement's callback: mqtt.js handles
   * each incoming packet in a tick of its own and flushes what was written at the next tick, so a
   * send started per PUBACK went out in a socket write of its own. Started together once the
   * PUBACKs of one read are handled, they share one.
   */
  private acked(topic: string, err: Error | undefined): void {
    this.inFlight--;
    if (err) this.fail(err);
    const waiting = this.busy.get(topic);
    this.busy.delete(topic);
    // The topic's waiting messages were added before anything still queued: they go first.
    if (waiting && waiting.length > 0) {
      this.parked -= waiting.length;
      if (!this.failure) this.queue.unshift(...waiting);
    }
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.pumpLater);
    }
  }

  private readonly pumpLater = (): void => {
    this.scheduled = false;
    this.pump();
  };

  /** Nothing queued is sent after a failure; what is in flight is still awaited. */
  private fail(err: unknown): void {
    if (this.failure) return;
    this.failure = { err };
    this.queue.length = 0;
    for (const waiting of this.busy.values()) if (waiting) this.parked -= waiting.splice(0).length;
  }

  private wake(): void {
    const room = this.room;
    if (room && (this.failure || this.queue.length <= this.limit / 2)) {
      this.room = undefined;
      if (this.failure) room.reject(this.failure.err);
      else room.resolve();
    }
    if (this.isIdle() && this.idle.length > 0) for (const resolve of this.idle.splice(0)) resolve();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.err;
  }
}
