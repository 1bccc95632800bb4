/**
 * Home Assistant's side of IRIS changes, over the Core websocket (MQTT carries the entities):
 *
 * - `iris_edge_production_state_changed` on every change of what IRIS reports for a production,
 * - a persistent notification while a production is troubled or after it stopped without a
 *   command from the bridge, dismissed when it recovers or runs again,
 * - `iris_edge_alert` for IRIS alerts, plus a notification for severe and fatal ones,
 * - `iris_edge_reachability_changed` when IRIS stops or starts answering,
 * - Assist exposure of new productions (through AssistExposure).
 *
 * Nothing is queued while HA is away: events are dropped (one debug line per outage), and the
 * notifications that should be open (or gone) are re-applied when HA is back.
 */
import type { Logger } from '../log/logger.ts';
import type { IrisAlert } from '../model/alerts.ts';
import type { MonitorView } from '../model/view.ts';
import { productionDisplayName } from '../model/production.ts';
import type { DeviceIds } from '../model/ids.ts';
import type { AssistExposure } from './assist.ts';
import { HaUnavailableError, type HaCore } from './core.ts';
import { productionTransitions, reachabilityChange, type ProductionTransition } from '../model/diff.ts';

export const EVENT_PRODUCTION_STATE = 'iris_edge_production_state_changed';
export const EVENT_ALERT = 'iris_edge_alert';
export const EVENT_REACHABILITY = 'iris_edge_reachability_changed';

/** What HaReactions needs of a Monitor. */
export interface ViewSource {
  readonly view: MonitorView;
  on(event: 'view', listener: (view: MonitorView) => void): unknown;
  off(event: 'view', listener: (view: MonitorView) => void): unknown;
}

export interface HaReactionsOptions {
  core: HaCore;
  monitor: ViewSource;
  ids: DeviceIds;
  log: Logger;
  /** Applies Assist exposure to new productions and again after HA reconnects. */
  assist?: AssistExposure;
}

type Note = { title: string; message: string };

export class HaReactions {
  private readonly core: HaCore;
  private readonly monitor: ViewSource;
  private readonly ids: DeviceIds;
  private readonly log: Logger;
  private readonly assist: AssistExposure | undefined;
  private prev: MonitorView | null = null;
  /** Notifications that should be open in HA, by id. */
  private open = new Map<string, Note>();
  /** Notifications that should be gone but whose dismissal HA has not confirmed. */
  private unconfirmedDismissals = new Set<string>();
  private dropped = 0;
  private started = false;
  private readonly onView = (view: MonitorView) => this.handleView(view);
  private readonly onReady = () => this.resync();
  /** Settles when everything started so far has finished (for tests and orderly shutdown). */
  private work: Promise<void> = Promise.resolve();

  constructor(options: HaReactionsOptions) {
    this.core = options.core;
    this.monitor = options.monitor;
    this.ids = options.ids;
    this.log = options.log;
    this.assist = options.assist;
  }

  /** Takes the monitor's current view as the starting point and follows its changes. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.monitor.on('view', this.onView);
    this.core.on('ready', this.onReady);
    this.handleView(this.monitor.view);
  }

  stop(): void {
    this.started = false;
    this.monitor.off('view', this.onView);
    this.core.off('ready', this.onReady);
  }

  /** Resolves when the HA calls started so far have settled. */
  idle(): Promise<void> {
    return this.work;
  }

  get instance(): string {
    return this.ids.instanceId;
  }

  notificationId(p: { namespace: string; name: string }): string {
    return this.ids.productionDeviceId(p);
  }

  get alertNotificationId(): string {
    return `${this.ids.nodeId}_alert`;
  }

  private handleView(view: MonitorView): void {
    const prev = this.prev;
    this.prev = view;
    const before = prev?.productions ?? [];
    if (prev) {
      for (const t of productionTransitions(prev, view)) this.handleTransition(t);
      for (const p of before) if (!view.productions.some((n) => n.key === p.key)) this.close(this.notificationId(p));
      const reachable = reachabilityChange(prev, view);
      if (reachable !== null) this.fire(EVENT_REACHABILITY, { instance: this.instance, reachable });
    }
    // New to us (the starting view, the first inventory after a start with IRIS down, a new
    // production): no transition, but a troubled one needs its notification, and a running one
    // may have one left over from an earlier run of the bridge.
    const added = view.productions.filter((p) => !before.some((o) => o.key === p.key));
    for (const p of added) {
      if (p.irisState === 'troubled') this.openNote(this.notificationId(p), this.troubledNote(p));
      else if (p.irisState === 'running') this.close(this.notificationId(p));
    }
    if (this.assist && added.length > 0 && this.core.connected) this.track(this.assist.sync(view.productions));
  }

  private handleTransition(t: ProductionTransition): void {
    this.fire(EVENT_PRODUCTION_STATE, {
      instance: this.instance,
      namespace: t.namespace,
      production: t.name,
      name: productionDisplayName(t.name),
      from: t.from,
      to: t.to,
      commanded: t.commanded,
    });
    const id = this.notificationId(t);
    if (t.troubled) this.openNote(id, this.troubledNote(t));
    else if (t.stoppedUnexpectedly) this.openNote(id, this.stoppedNote(t));
    else if (t.recovered || t.to === 'running') this.close(id);
  }

  private troubledNote(p: { namespace: string; name: string }): Note {
    return {
      title: `${productionDisplayName(p.name)} is troubled`,
      message: `IRIS reports the production ${p.name} in namespace ${p.namespace} (instance ${this.instance}) as troubled. Check its event log and queues in the Management Portal.`,
    };
  }

  private stoppedNote(t: ProductionTransition): Note {
    return {
      title: `${productionDisplayName(t.name)} stopped`,
      message: `The production ${t.name} in namespace ${t.namespace} (instance ${this.instance}) stopped (it was ${t.from}), and not by a command from Home Assistant.`,
    };
  }

  /** IRIS raised an alert: an event always, a notification for severe (2) and fatal (3) ones. */
  onAlert(alert: IrisAlert): void {
    this.fire(EVENT_ALERT, { instance: this.instance, ...alert });
    if (alert.severity >= 2) {
      this.attempt(`notification ${this.alertNotificationId}`, () =>
        this.core.notify(this.alertNotificationId, `IRIS ${alert.severityWord} alert (${this.instance})`, `${alert.time}: ${alert.message}`),
      );
    }
  }

  private openNote(id: string, note: Note): void {
    this.open.set(id, note);
    this.unconfirmedDismissals.delete(id);
    this.attempt(`notification ${id}`, () => this.core.notify(id, note.title, note.message));
  }

  private close(id: string): void {
    this.open.delete(id);
    this.unconfirmedDismissals.add(id);
    this.attempt(`dismissal of ${id}`, async () => {
      await this.core.dismiss(id);
      if (!this.open.has(id)) this.unconfirmedDismissals.delete(id);
    });
  }

  private fire(eventType: string, data: object): void {
    this.attempt(`event ${eventType}`, () => this.core.fireEvent(eventType, data));
  }

  /** HA (re)connected: apply the notifications as they should be now, and Assist exposure. */
  private resync(): void {
    if (!this.core.connected) return;
    if (this.dropped > 0) this.log.debug(`${this.dropped} Home Assistant call(s) were dropped while it was not connected`);
    this.dropped = 0;
    for (const [id, note] of this.open) this.attempt(`notification ${id}`, () => this.core.notify(id, note.title, note.message));
    for (const id of [...this.unconfirmedDismissals]) {
      this.attempt(`dismissal of ${id}`, async () => {
        await this.core.dismiss(id);
        if (!this.open.has(id)) this.unconfirmedDismissals.delete(id);
      });
    }
    if (this.assist && this.prev) {
      this.assist.reset();
      this.track(this.assist.sync(this.prev.productions));
    }
  }

  /** Runs one HA call now, or drops it when HA is not connected. Never throws, never queues. */
  private attempt(what: string, call: () => Promise<void>): void {
    if (!this.core.connected) {
      if (this.dropped++ === 0) this.log.debug(`Home Assistant is not connected: dropping ${what} and what follows until it is back`);
      return;
    }
    this.track(
      call().catch((err: unknown) => {
        if (err instanceof HaUnavailableError) {
          if (this.dropped++ === 0) this.log.debug(`Home Assistant became unavailable: dropped ${what}`);
        } else {
          this.log.warn(`Home Assistant refused the ${what}: ${(err as Error).message}`);
        }
      }),
    );
  }

  private track(p: Promise<unknown>): void {
    const next = this.work.then(
      () => p,
      () => p,
    );
    this.work = next.then(
      () => undefined,
      () => undefined,
    );
  }
}
