/**
 * What changed between two monitor views: the one set of rules behind the events on MQTT, Home
 * Assistant's events and notifications, and the panel. Pure: no I/O, no clock, so every rule here
 * is unit-tested on plain data.
 */
import { isActive, type IrisProductionState } from './production.ts';
import type { MonitorView, ProductionView } from './view.ts';

export interface ProductionTransition {
  key: string;
  namespace: string;
  /** The production class, e.g. "Orders.Production". */
  name: string;
  /** What IRIS reported before and now (never a transitional state of ours). */
  from: IrisProductionState;
  to: IrisProductionState;
  /** The bridge had a command in flight for this production in either view: we caused it. */
  commanded: boolean;
  /** It turned troubled. */
  troubled: boolean;
  /** It stopped (from running, suspended or troubled) and nobody asked the bridge to. */
  stoppedUnexpectedly: boolean;
  /** It left troubled for running or suspended, or was stopped on purpose. */
  recovered: boolean;
}

/**
 * One transition per production whose IRIS state differs between `prev` and `next`. Productions
 * that are new in `next` (or the whole first view) have no "from" and yield nothing; removed ones
 * yield nothing either.
 */
export function productionTransitions(prev: MonitorView | null, next: MonitorView): ProductionTransition[] {
  const out: ProductionTransition[] = [];
  for (const [old, p] of kept(prev, next)) {
    if (old.irisState === p.irisState) continue;
    const from = old.irisState;
    const to = p.irisState;
    const commanded = old.commandInFlight !== null || p.commandInFlight !== null;
    out.push({
      key: p.key,
      namespace: p.namespace,
      name: p.name,
      from,
      to,
      commanded,
      troubled: to === 'troubled',
      stoppedUnexpectedly: to === 'stopped' && !commanded && isActive(from),
      recovered: from === 'troubled' && (to === 'running' || to === 'suspended' || (to === 'stopped' && commanded)),
    });
  }
  return out;
}

/**
 * true / false when IRIS became reachable / unreachable between the views; null when unchanged
 * or for the first view (nothing changed yet: the Reachable binary sensor shows the start state).
 */
export function reachabilityChange(prev: MonitorView | null, next: MonitorView): boolean | null {
  if (!prev) return null;
  return prev.reachable === next.reachable ? null : next.reachable;
}

/** Business hosts of a production whose error count rose between the views. */
export interface HostErrors {
  key: string;
  namespace: string;
  name: string;
  hosts: string[];
}

/** Productions present in both views whose hosts reported new errors (a new host counts from 0). */
export function newHostErrors(prev: MonitorView | null, next: MonitorView): HostErrors[] {
  const out: HostErrors[] = [];
  for (const [old, p] of kept(prev, next)) {
    // The same hosts array: none of its hosts changed (a snapshot keeps what repeats).
    if (old.hosts === p.hosts) continue;
    const errorsBefore = new Map(old.hosts.map((h) => [h.name, h.errors]));
    const hosts = p.hosts.filter((h) => h.errors > (errorsBefore.get(h.name) ?? 0)).map((h) => h.name);
    if (hosts.length > 0) out.push({ key: p.key, namespace: p.namespace, name: p.name, hosts });
  }
  return out;
}

/** The productions of `next` that `prev` had too, each with what it was then, in `next`'s order. */
function kept(prev: MonitorView | null, next: MonitorView): [before: ProductionView, now: ProductionView][] {
  if (!prev) return [];
  const before = new Map(prev.productions.map((p) => [p.key, p]));
  return next.productions.flatMap((p) => {
    const old = before.get(p.key);
    return old ? [[old, p] as [ProductionView, ProductionView]] : [];
  });
}
