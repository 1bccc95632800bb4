import { newHostErrors, productionTransitions, type ProductionTransition } from '../model/diff.ts';
import { showsRunning } from '../model/production.ts';
import type { MonitorView } from '../model/view.ts';

/** Event types of a production's Home Assistant event entity. */
export const PRODUCTION_EVENT_TYPES = ['started', 'stopped', 'troubled', 'recovered', 'error', 'alert', 'refused'] as const;
export type ProductionEventType = (typeof PRODUCTION_EVENT_TYPES)[number];

export interface ProductionEvent {
  key: string;
  namespace: string;
  production: string;
  type: ProductionEventType;
  /** A sentence for people (logbook, notifications). */
  detail: string;
}

/**
 * What happened to the productions between two views, as events a person cares about: the
 * transitions and new host errors of model/diff.ts, in the order of the productions.
 */
export function productionEvents(prev: MonitorView | null, next: MonitorView): ProductionEvent[] {
  const transitions = new Map(productionTransitions(prev, next).map((t) => [t.key, t]));
  const errors = new Map(newHostErrors(prev, next).map((e) => [e.key, e]));
  const out: ProductionEvent[] = [];
  for (const { key } of next.productions) {
    const t = transitions.get(key);
    if (t) out.push(...transitionEvents(t));
    const e = errors.get(key);
    if (e) out.push({ key, namespace: e.namespace, production: e.name, type: 'error', detail: `New errors in ${e.hosts.join(', ')}.` });
  }
  return out;
}

function transitionEvents(t: ProductionTransition): ProductionEvent[] {
  const base = { key: t.key, namespace: t.namespace, production: t.name };
  const { from, to, name } = t;
  const out: ProductionEvent[] = [];
  if (to === 'troubled') out.push({ ...base, type: 'troubled', detail: `${name} is troubled: its jobs stopped without a clean shutdown.` });
  else if (from === 'troubled') out.push({ ...base, type: 'recovered', detail: `${name} is no longer troubled (now ${to}).` });
  if (to === 'running' && from !== 'troubled') out.push({ ...base, type: 'started', detail: `${name} started.` });
  if (showsRunning(from) && !showsRunning(to) && from !== 'troubled') out.push({ ...base, type: 'stopped', detail: `${name} stopped (now ${to}).` });
  return out;
}
