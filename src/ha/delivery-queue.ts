/**
 * The bounded, in-order queue of Home Assistant events on their way into IRIS. One delivery runs
 * at a time, oldest first. While IRIS cannot take the oldest (IRIS down, the production stopped,
 * the service missing or disabled, a privilege missing) it stays at the head and is tried again
 * with backoff, so what waits arrives in order once IRIS takes it. An event IRIS answered with a
 * refusal of that event itself (its service's OnProcessInput failed) is counted as failed and
 * not tried again: the next one would be stuck behind it forever.
 *
 * Bounds: `maxItems` events and `maxBytes` of JSON. When full, arriving events are dropped (the
 * queued ones keep their order), counted, and the start and end of each spell of drops are logged
 * once. Pushing is O(1) and does no I/O, so a flood of state changes costs the event loop nothing
 * beyond the queue's bound.
 */
import { IrisCommandRefusedError, IrisContractError, IrisUnavailableError, UnknownProductionError } from '../model/errors.ts';
import type { ForIris } from '../model/ha-inbound.ts';
import type { Logger } from '../log/logger.ts';
import { throttledWarnings } from '../log/throttle.ts';

/** IRIS codes that say the production cannot take events now, not that this event is wrong. */
const WAIT_CODES: readonly string[] = [
  '<Ens>ErrProductionNotRunning',
  '<Ens>ErrBusinessDispatchNameNotRegistered',
  '<PROTECT>',
  '<IrisEdge>UnknownNamespace',
];

export interface DeliveryQueueOptions {
  maxItems: number;
  maxBytes: number;
  /** Delays between attempts while IRIS cannot take the head (the last one repeats). */
  retryDelaysMs?: number[];
  /** Where the events go, for the log ("USER/HomeAssistant"). */
  target: string;
}

export interface DeliveryStats {
  queued: number;
  queuedBytes: number;
  delivered: number;
  dropped: number;
  failed: number;
  /** Why the head waits, or null while deliveries go through. */
  waiting: string | null;
}

/** Whether an error of a delivery means "try this event again later". */
export function isWaitError(err: unknown): boolean {
  if (err instanceof IrisUnavailableError || err instanceof UnknownProductionError) return true;
  if (err instanceof IrisCommandRefusedError) return err.irisCode !== undefined && WAIT_CODES.includes(err.irisCode);
  return false;
}

export class DeliveryQueue {
  private readonly items: ForIris[] = [];
  private bytes = 0;
  private delivered = 0;
  private dropped = 0;
  private droppedInSpell = 0;
  private failed = 0;
  private waiting: string | null = null;
  private attempt = 0;
  private running = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly retryDelaysMs: number[];
  private readonly failures: (key: string, line: string) => void;

  constructor(
    private readonly deliver: (item: ForIris) => Promise<void>,
    private readonly log: Logger,
    private readonly opts: DeliveryQueueOptions,
  ) {
    this.retryDelaysMs = opts.retryDelaysMs ?? [1000, 2000, 5000, 10_000];
    this.failures = throttledWarnings(this.log);
  }

  /** Queues one event's message; false when the queue is full and it was dropped. */
  push(item: ForIris): boolean {
    if (this.stopped) return false;
    if (this.items.length >= this.opts.maxItems || this.bytes + item.bytes > this.opts.maxBytes) {
      this.dropped += 1;
      this.droppedInSpell += 1;
      if (this.droppedInSpell === 1) {
        this.log.warn(
          `The queue of Home Assistant events for ${this.opts.target} is full (${this.items.length} events, ${Math.round(this.bytes / 1024)} KB): newer events are dropped until IRIS takes the waiting ones`,
        );
      }
      return false;
    }
    this.items.push(item);
    this.bytes += item.bytes;
    if (!this.running && !this.timer) void this.pump();
    return true;
  }

  stats(): DeliveryStats {
    return { queued: this.items.length, queuedBytes: this.bytes, delivered: this.delivered, dropped: this.dropped, failed: this.failed, waiting: this.waiting };
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async pump(): Promise<void> {
    this.running = true;
    try {
      while (!this.stopped && this.items.length > 0) {
        const head = this.items[0] as ForIris;
        try {
          await this.deliver(head);
          this.delivered += 1;
        } catch (err) {
          if (isWaitError(err)) {
            this.wait(err as Error);
            return;
          }
          this.failed += 1;
          const text = err instanceof IrisCommandRefusedError || err instanceof IrisContractError ? err.message : String(err);
          const code = err instanceof IrisCommandRefusedError ? (err.irisCode ?? '') : 'other';
          const line = `IRIS refused a Home Assistant event for ${this.opts.target}: ${text}`;
          this.failures(code, line);
        }
        this.items.shift();
        this.bytes -= head.bytes;
        if (this.waiting !== null) this.log.info(`IRIS takes Home Assistant events into ${this.opts.target} again`);
        this.waiting = null;
        this.attempt = 0;
        if (this.items.length === 0 && this.droppedInSpell > 0) {
          this.log.warn(`${this.droppedInSpell} Home Assistant events for ${this.opts.target} were dropped while the queue was full`);
          this.droppedInSpell = 0;
        }
      }
    } finally {
      this.running = false;
    }
  }

  private wait(err: Error): void {
    if (this.waiting === null) {
      this.log.warn(`Home Assistant events for ${this.opts.target} wait in the queue: ${err.message}`);
    }
    this.waiting = err.message;
    const delay = this.retryDelaysMs[Math.min(this.attempt, this.retryDelaysMs.length - 1)] ?? 10_000;
    this.attempt += 1;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.pump();
    }, delay);
    this.timer.unref();
  }
}
