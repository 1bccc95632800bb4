/**
 * The record of the two-way traffic the panel shows: the last HA_FLOW_KEPT outcomes each way,
 * newest first, and counters since the bridge started. Recording is O(1) and bounded whatever
 * flows; 'change' tells the live feed (which paces its messages itself).
 */
import { EventEmitter } from 'node:events';
import { clip, HA_FLOW_DETAIL_CHARS, HA_FLOW_KEPT, HA_FLOW_OUTCOMES, type HaFlowCounters, type HaFlowDirection, type HaFlowEntry } from '../model/ha-flow.ts';

export type FlowSink = (entry: Omit<HaFlowEntry, 'at'>) => void;

interface Side {
  recent: HaFlowEntry[];
  counters: HaFlowCounters;
}

const zero = (): HaFlowCounters => Object.fromEntries(HA_FLOW_OUTCOMES.map((o) => [o, 0])) as HaFlowCounters;

export class HaFlowRecord extends EventEmitter<{ change: [] }> {
  private readonly sides: Record<HaFlowDirection, Side> = { 'to-iris': { recent: [], counters: zero() }, 'from-iris': { recent: [], counters: zero() } };

  constructor(
    private readonly kept = HA_FLOW_KEPT,
    private readonly now: () => Date = () => new Date(),
  ) {
    super();
  }

  /** What one direction's code records into. */
  sink(direction: HaFlowDirection): FlowSink {
    return (entry) => this.add(direction, entry);
  }

  add(direction: HaFlowDirection, entry: Omit<HaFlowEntry, 'at'>): void {
    const side = this.sides[direction];
    side.counters[entry.outcome] += 1;
    side.recent.unshift({ at: this.now().toISOString(), ...entry, detail: entry.detail === null ? null : clip(entry.detail, HA_FLOW_DETAIL_CHARS) });
    if (side.recent.length > this.kept) side.recent.pop();
    this.emit('change');
  }

  /** Something the view shows besides the record changed (a queue grew). */
  touch(): void {
    this.emit('change');
  }

  /** Newest first. */
  recent(direction: HaFlowDirection): HaFlowEntry[] {
    return [...this.sides[direction].recent];
  }

  counters(direction: HaFlowDirection): HaFlowCounters {
    return { ...this.sides[direction].counters };
  }
}
