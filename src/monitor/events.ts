import type { HostSnapshot, ProductionSnapshot } from '../model/production.ts';

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

const isUp = (s: ProductionSnapshot['state']) => s === 'running' || s === 'troubled';

function erroredHosts(before: HostSnapshot[], after: HostSnapshot[]): string[] {
  const old = new Map(before.map((h) => [h.name, h.errors]));
  return after.filter((h) => h.errors > (old.get(h.name) ?? 0)).map((h) => h.name);
}

/** What happened to a production between two inventories, as events a person cares about. */
export function productionEvents(key: string, before: ProductionSnapshot, after: ProductionSnapshot): ProductionEvent[] {
  const base = { key, namespace: after.namespace, production: after.name };
  const out: ProductionEvent[] = [];
  const from = before.state;
  const to = after.state;
  if (from !== to) {
    if (to === 'troubled') out.push({ ...base, type: 'troubled', detail: `${after.name} is troubled: its jobs stopped without a clean shutdown.` });
    else if (from === 'troubled') out.push({ ...base, type: 'recovered', detail: `${after.name} is no longer troubled (now ${to}).` });
    if (to === 'running' && from !== 'troubled') out.push({ ...base, type: 'started', detail: `${after.name} started.` });
    if (isUp(from) && !isUp(to) && from !== 'troubled') out.push({ ...base, type: 'stopped', detail: `${after.name} stopped (now ${to}).` });
  }
  const failed = erroredHosts(before.hosts, after.hosts);
  if (failed.length > 0) out.push({ ...base, type: 'error', detail: `New errors in ${failed.join(', ')}.` });
  return out;
}
