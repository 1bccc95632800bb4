import { EventEmitter } from 'node:events';
import type { MetricSelector } from '../model/sensor-source.ts';
import type { IrisClient } from '../iris/client.ts';
import type { IrisAlert } from '../model/alerts.ts';
import type { InstanceMetrics } from '../model/instance-health.ts';
import { IrisCommandRefusedError, UnknownProductionError } from '../model/errors.ts';
import type { Logger } from '../log/logger.ts';
import { Throttle } from '../log/throttle.ts';
import {
  isActive,
  productionKey,
  TRANSITIONAL,
  type ProductionAction,
  type ProductionSnapshot,
  type Snapshot,
} from '../model/production.ts';
import { CommandCooldownError, CommandGuardError, CommandInProgressError } from './errors.ts';
import { productionEvents, type ProductionEvent } from './events.ts';
import type { MonitorView, ProductionView } from '../model/view.ts';
import { byText } from '../model/text-order.ts';

/** IRIS's /api/monitor: one metrics scrape and one alerts read per tick. */
export interface HealthSource {
  scrapeMetrics(): Promise<InstanceMetrics>;
  readAlerts(): Promise<IrisAlert[]>;
  /** The user's metric sensors the next scrapes read (MonitorApiClient). */
  setSensorMetrics?(selectors: ReadonlyMap<string, MetricSelector>): void;
  /** One scrape for one metric sensor: its number, or undefined when IRIS writes none. */
  readSensorMetric?(selector: MetricSelector): Promise<number | undefined>;
}

export interface MonitorOptions {
  pollIntervalMs: number;
  removalGracePolls: number;
  /** Minimum time between two stop/restart commands for one production (0: no guard). */
  commandCooldownMs?: number;
  health?: HealthSource;
  /** Called after every poll, successful or not: the container HEALTHCHECK watches it. */
  onTick?: () => void;
}

export type CommandResult = { outcome: 'done' } | { outcome: 'nothing-to-do'; reason: string };

export interface CommandOptions {
  /**
   * Runs a stop or restart although the cooldown would refuse it: a deliberate operator action
   * (the panel's confirm dialog), never an MQTT or Assist command. One command at a time still holds.
   */
  overrideCooldown?: boolean;
}

interface Events {
  view: [MonitorView];
  /** Productions gone from IRIS for longer than the grace period. */
  removed: [ProductionView[]];
  reachability: [boolean, Error | undefined];
  /** Something a person would want to know about a production (HA event entity, logbook). */
  event: [ProductionEvent];
  /** An IRIS alert (consumed from /api/monitor/alerts: the bridge is its only reader). */
  alert: [IrisAlert];
}

/**
 * Polls IRIS, keeps the current view, runs commands one production at a time. Knows nothing of
 * MQTT or Home Assistant: consumers subscribe to its events.
 */
export class Monitor extends EventEmitter<Events> {
  private known = new Map<string, { snap: ProductionSnapshot; missing: number }>();
  private inFlight = new Map<string, ProductionAction | 'enable-host'>();
  /** When the last stop/restart of each production was accepted (the cooldown's clock). */
  private lastDisruptive = new Map<string, number>();
  private instance: Snapshot['instance'] | null = null;
  private metrics: InstanceMetrics | null = null;
  private healthError: string | undefined;
  private reachable = false;
  private lastView: MonitorView | null = null;
  private inventoried = false;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  private readonly refusals = new Throttle((label, n) => {
    const [key, namespace, production] = label.split('|') as [string, string, string];
    this.emit('event', { key, namespace, production, type: 'refused', detail: `${n} more command(s) were refused in the last 10 s.` });
  });

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

  /** Emits the current view; the last one emitted is what the next one's changes are taken from. */
  private publishView(): MonitorView {
    const view = this.view;
    this.lastView = view;
    this.emit('view', view);
    return view;
  }

  get view(): MonitorView {
    const productions: ProductionView[] = [...this.known.entries()].map(([key, { snap }]) => {
      const cmd = this.inFlight.get(key) ?? null;
      const action = cmd === 'enable-host' ? null : cmd;
      return { ...snap, key, state: action ? TRANSITIONAL[action] : snap.state, irisState: snap.state, commandInFlight: action, cooldownUntil: this.cooldownUntil(key) };
    });
    productions.sort((a, b) => byText(a.key, b.key));
    return { reachable: this.reachable, inventoried: this.inventoried, instance: this.instance, metrics: this.metrics, productions };
  }

  /** When the cooldown of `key` ends (ISO), or null when it does not run. */
  private cooldownUntil(key: string): string | null {
    if (this.cooldownLeftMs(key) === 0) return null;
    // A fixed instant, so that a view that changes nothing else stays the same.
    return new Date((this.lastDisruptive.get(key) ?? 0) + (this.options.commandCooldownMs ?? 0)).toISOString();
  }

  /** How long the cooldown still refuses a stop or restart of `key` (0: it does not). */
  cooldownLeftMs(key: string): number {
    const cooldown = this.options.commandCooldownMs ?? 0;
    const last = this.lastDisruptive.get(key);
    if (last === undefined || cooldown <= 0) return 0;
    return Math.max(0, cooldown - (Date.now() - last));
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
    const [snap, alerts] = await Promise.allSettled([this.iris.snapshot(), this.readHealth()]);
    const newAlerts = alerts.status === 'fulfilled' ? alerts.value : [];
    try {
      if (snap.status === 'rejected') throw snap.reason;
      snapshot = snap.value;
    } catch (err) {
      this.setReachable(false, err as Error);
      this.options.onTick?.();
      this.publishView();
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
    const prev = this.lastView;
    const next = this.publishView();
    for (const e of productionEvents(prev, next)) this.emit('event', e);
    for (const a of newAlerts) this.emit('alert', a);
  }

  /** Metrics into the view; new alerts returned. Failures are logged once per outage. */
  private async readHealth(): Promise<IrisAlert[]> {
    const health = this.options.health;
    if (!health) return [];
    try {
      this.metrics = await health.scrapeMetrics();
      const alerts = await health.readAlerts();
      if (this.healthError) this.log.info('IRIS health metrics are back');
      this.healthError = undefined;
      return alerts;
    } catch (err) {
      this.metrics = null;
      const message = (err as Error).message;
      if (this.healthError !== message) this.log.warn(`IRIS health metrics are unavailable: ${message}`);
      this.healthError = message;
      return [];
    }
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
  async execute(namespace: string, production: string, action: ProductionAction, options: CommandOptions = {}): Promise<CommandResult> {
    const { key, entry } = this.guard(namespace, production, action, options.overrideCooldown === true);
    const state = entry.snap.state;
    const nothing = (reason: string): CommandResult => {
      // A button that did nothing says why (the production's event entity, the log).
      if (action === 'update' || action === 'recover') this.refused(entry.snap, key, `Nothing to ${action}: ${reason}.`);
      return { outcome: 'nothing-to-do', reason };
    };
    if (action === 'start' && state === 'running') return nothing('it is already running');
    if (action === 'stop' && state === 'stopped') return nothing('it is already stopped');
    // RecoverProduction acts only on a troubled production ([EGMG] "Recovering a Production").
    if (action === 'recover' && state !== 'troubled') return nothing(`it is ${state}, not troubled; RecoverProduction only acts on a troubled production`);
    if (action === 'update' && !entry.snap.needsUpdate) return nothing('IRIS reports that it does not need an update');
    if (action === 'stop' || action === 'restart') this.lastDisruptive.set(key, Date.now());
    return this.run(key, action, () => this.iris.control({ namespace, production, action }));
  }

  /**
   * Makes `production` the production of its namespace, or none with null. IRIS runs at most one
   * production per namespace, so the active one (running, troubled or suspended) is stopped first
   * and the target is started only after that stop succeeded; each step has execute()'s guards.
   */
  async switchNamespace(namespace: string, production: string | null): Promise<CommandResult> {
    const inNs = this.view.productions.filter((p) => p.namespace === namespace);
    if (production !== null && !inNs.some((p) => p.name === production)) {
      throw new UnknownProductionError(`There is no production ${production} in namespace ${namespace}.`);
    }
    const active = inNs.find((p) => isActive(p.irisState));
    if (active?.name === production || (!active && production === null)) {
      return { outcome: 'nothing-to-do', reason: `${production ?? 'no production'} is already the one of ${namespace}` };
    }
    if (active) await this.execute(namespace, active.name, 'stop');
    return production === null ? { outcome: 'done' } : this.execute(namespace, production, 'start');
  }

  /** Ens.Director.EnableConfigItem for one host; one command per production at a time, as for execute(). */
  async setHostEnabled(namespace: string, production: string, host: string, enable: boolean): Promise<CommandResult> {
    const { key, entry } = this.guard(namespace, production, 'enable-host');
    const h = entry.snap.hosts.find((x) => x.name === host);
    if (!h) throw new UnknownProductionError(`There is no business host ${host} in ${production}.`);
    if (h.enabled === enable) return { outcome: 'nothing-to-do', reason: `${host} is already ${enable ? 'enabled' : 'disabled'}` };
    return this.run(key, 'enable-host', () => this.iris.setHostEnabled({ namespace, production, host, enable }));
  }

  private guard(namespace: string, production: string, action: ProductionAction | 'enable-host', overrideCooldown = false) {
    const key = productionKey({ namespace, name: production });
    const entry = this.known.get(key);
    if (!entry) throw new UnknownProductionError(`There is no production ${production} in namespace ${namespace}.`);
    try {
      const running = this.inFlight.get(key);
      if (running) throw new CommandInProgressError(key, running);
      const left = this.cooldownLeftMs(key);
      if ((action === 'stop' || action === 'restart') && left > 0 && !overrideCooldown) throw new CommandCooldownError(key, Math.ceil(left / 1000));
    } catch (err) {
      if (err instanceof CommandGuardError) this.refused(entry.snap, key, err.message);
      throw err;
    }
    return { key, entry };
  }

  private refused(p: ProductionSnapshot, key: string, detail: string): void {
    // A flood of commands refused for the same reason is one event and a summary, not one each.
    const reason = detail.replace(/\d+/g, '#');
    if (this.refusals.allow(`${key}|${reason}`, `${key}|${p.namespace}|${p.name}`)) this.emit('event', { key, namespace: p.namespace, production: p.name, type: 'refused', detail });
  }

  private async run(key: string, what: ProductionAction | 'enable-host', call: () => Promise<void>): Promise<CommandResult> {
    const entry = this.known.get(key);
    this.inFlight.set(key, what);
    this.publishView();
    try {
      await call();
      return { outcome: 'done' };
    } catch (err) {
      if (entry && err instanceof IrisCommandRefusedError) this.refused(entry.snap, key, err.message);
      throw err;
    } finally {
      this.inFlight.delete(key);
      // The published state must be what IRIS reports now, never our guess.
      await this.poll();
    }
  }
}
