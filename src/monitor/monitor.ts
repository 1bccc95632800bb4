import { EventEmitter } from 'node:events';
import type { IrisClient } from '../iris/client.ts';
import { UnknownProductionError } from '../iris/errors.ts';
import type { Logger } from '../log/logger.ts';
import {
  productionKey,
  type ProductionAction,
  type ProductionSnapshot,
  type Snapshot,
} from '../model/production.ts';
import { CommandInProgressError } from './errors.ts';
import { TRANSITIONAL, type MonitorView, type ProductionView } from './view.ts';

export interface MonitorOptions {
  pollIntervalMs: number;
  removalGracePolls: number;
  /** Called after every poll, successful or not: the container HEALTHCHECK watches it. */
  onTick?: () => void;
}

export type CommandResult = { outcome: 'done' } | { outcome: 'nothing-to-do'; reason: string };

interface Events {
  view: [MonitorView];
  /** Productions gone from IRIS for longer than the grace period. */
  removed: [ProductionView[]];
  reachability: [boolean, Error | undefined];
}

/**
 * Polls IRIS, keeps the current view, runs commands one production at a time. Knows nothing of
 * MQTT or Home Assistant: consumers subscribe to its events.
 */
export class Monitor extends EventEmitter<Events> {
  private known = new Map<string, { snap: ProductionSnapshot; missing: number }>();
  private inFlight = new Map<string, ProductionAction>();
  private instance: Snapshot['instance'] | null = null;
  private reachable = false;
  private inventoried = false;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private again = false;
  private stopped = true;

  constructor(
    private readonly iris: IrisClient,
    private readonly options: MonitorOptions,
    private readonly log: Logger,
  ) {
    super();
  }

  /** Starts polling; resolves after the first poll, whatever its outcome. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.poll();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  get view(): MonitorView {
    const productions: ProductionView[] = [...this.known.entries()].map(([key, { snap }]) => {
      const cmd = this.inFlight.get(key) ?? null;
      return { ...snap, key, state: cmd ? TRANSITIONAL[cmd] : snap.state, irisState: snap.state, commandInFlight: cmd };
    });
    productions.sort((a, b) => a.key.localeCompare(b.key));
    return { reachable: this.reachable, inventoried: this.inventoried, instance: this.instance, productions };
  }

  /** Polls now (coalescing with a poll already running) and reschedules the next one. */
  poll(): Promise<void> {
    if (this.ticking) {
      this.again = true;
      return this.ticking;
    }
    this.ticking = (async () => {
      do {
        this.again = false;
        await this.tick();
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.ticking = undefined;
      this.schedule();
    });
    return this.ticking;
  }

  private schedule(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.poll(), this.options.pollIntervalMs);
  }

  private async tick(): Promise<void> {
    let snapshot: Snapshot;
    try {
      snapshot = await this.iris.snapshot();
    } catch (err) {
      this.setReachable(false, err as Error);
      this.options.onTick?.();
      this.emit('view', this.view);
      return;
    }
    this.instance = snapshot.instance;
    const seen = new Set<string>();
    for (const p of snapshot.productions) {
      const key = productionKey(p);
      seen.add(key);
      this.known.set(key, { snap: p, missing: 0 });
    }
    const removed: ProductionView[] = [];
    const before = this.view.productions;
    for (const [key, entry] of this.known) {
      if (seen.has(key)) continue;
      entry.missing += 1;
      if (entry.missing >= this.options.removalGracePolls && !this.inFlight.has(key)) {
        const v = before.find((x) => x.key === key);
        if (v) removed.push(v);
        this.known.delete(key);
      }
    }
    this.inventoried = true;
    this.setReachable(true, undefined);
    this.options.onTick?.();
    if (removed.length > 0) {
      this.log.info(`Removed from IRIS: ${removed.map((r) => r.key).join(', ')}`);
      this.emit('removed', removed);
    }
    this.emit('view', this.view);
  }

  private setReachable(reachable: boolean, err: Error | undefined): void {
    if (reachable === this.reachable && this.inventoried) return;
    const changed = reachable !== this.reachable;
    this.reachable = reachable;
    if (changed) this.emit('reachability', reachable, err);
  }

  /**
   * Runs a production command. One command per production at a time: a second one is refused
   * with CommandInProgressError. The result is whatever IRIS reports afterwards (re-polled at once).
   */
  async execute(namespace: string, production: string, action: ProductionAction): Promise<CommandResult> {
    const key = productionKey({ namespace, name: production });
    const entry = this.known.get(key);
    if (!entry) throw new UnknownProductionError(`There is no production ${production} in namespace ${namespace}.`);
    const running = this.inFlight.get(key);
    if (running) throw new CommandInProgressError(key, running);
    const state = entry.snap.state;
    if (action === 'start' && state === 'running') return { outcome: 'nothing-to-do', reason: 'it is already running' };
    if (action === 'stop' && state === 'stopped') return { outcome: 'nothing-to-do', reason: 'it is already stopped' };

    this.inFlight.set(key, action);
    this.emit('view', this.view);
    try {
      await this.iris.control({ namespace, production, action });
      return { outcome: 'done' };
    } finally {
      this.inFlight.delete(key);
      // The published state must be what IRIS reports now, never our guess.
      await this.poll();
    }
  }
}
