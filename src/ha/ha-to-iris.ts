/**
 * Home Assistant events into an IRIS production: follows, on the bridge's one websocket to Home
 * Assistant, the state changes of the allowed entities and the allowed event types, turns each
 * into the message IrisEdge.HA.EventService takes (model/ha-inbound.ts) and queues it for IRIS
 * (delivery-queue.ts). Default deny: with both lists empty nothing is followed at all.
 *
 * Subscriptions: `state_changed` when entities are allowed, and each allowed event type by name;
 * an event pattern with `*` cannot be named, so then every event is followed and filtered here
 * (Home Assistant's websocket has no pattern subscriptions).
 */
import type { AllowList } from '../model/allow-list.ts';
import type { HaFlowEntry } from '../model/ha-flow.ts';
import { haEventToIris } from '../model/ha-inbound.ts';
import type { Logger } from '../log/logger.ts';
import { throttledWarnings } from '../log/throttle.ts';
import type { HaCore, HaEvent } from './core.ts';
import type { DeliveryQueue } from './delivery-queue.ts';

export interface HaToIrisStats {
  /** Events that passed the allow-lists and were queued (or dropped by a full queue). */
  passed: number;
  /** Events refused here: data that does not fit, or JSON over the size limit. */
  refused: number;
}

export class HaToIris {
  private passed = 0;
  private refused = 0;
  private readonly problems: (key: string, line: string) => void;

  constructor(
    private readonly core: Pick<HaCore, 'onEvent'>,
    private readonly queue: Pick<DeliveryQueue, 'push'>,
    private readonly allow: { entities: AllowList; events: AllowList },
    private readonly log: Logger,
    /** The panel's record of refusals (flow-record.ts); the queue records the rest. */
    private readonly record: (entry: Omit<HaFlowEntry, 'at' | 'target'>) => void = () => {},
  ) {
    this.problems = throttledWarnings(this.log);
  }

  /** Subscribes (once; the subscriptions last as long as the HaCore). */
  start(): void {
    const { entities, events } = this.allow;
    const handle = (e: HaEvent) => this.handle(e);
    if (events.hasWildcards) {
      this.core.onEvent(null, handle);
      return;
    }
    if (!entities.empty) this.core.onEvent('state_changed', handle);
    for (const type of events.names) if (type !== 'state_changed') this.core.onEvent(type, handle);
  }

  stats(): HaToIrisStats {
    return { passed: this.passed, refused: this.refused };
  }

  private handle(e: HaEvent): void {
    const out = haEventToIris(e, this.allow);
    switch (out.kind) {
      case 'not-allowed':
        return;
      case 'pass':
        this.passed += 1;
        this.queue.push(out.item);
        return;
      case 'oversized':
        this.refuse(e, out.kind, `${out.what} is ${Math.round(out.bytes / 1024)} KB of JSON, over the 64 KB limit`);
        return;
      default:
        this.refuse(e, out.kind, `${out.what} does not have the shape Home Assistant gives it (${out.why})`);
    }
  }

  private refuse(e: HaEvent, kind: string, why: string): void {
    this.refused += 1;
    this.report(kind, `Not sent to IRIS: ${why}`);
    const entity = (e.data as { entity_id?: unknown } | null)?.entity_id;
    const subject = e.event_type === 'state_changed' && typeof entity === 'string' ? entity : e.event_type;
    this.record({ outcome: 'refused', subject: subject.slice(0, 255), detail: why, preview: null });
  }

  private report(kind: string, line: string): void {
    this.problems(kind, line);
  }
}
