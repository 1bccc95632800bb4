/** Retained state payloads: small JSON documents, published only when they change. */
import type { InteropMetrics } from '../model/instance-health.ts';
import type { HostSnapshot } from '../model/production.ts';
import type { MonitorView, ProductionView } from '../model/view.ts';
import { isActive, productionDisplayName, showsRunning } from '../model/production.ts';
import { NO_PRODUCTION } from './discovery.ts';

/**
 * Queue depths as published: exact below 10, then two significant digits (10, 15, 20 … 95, 100,
 * 110 …). A busy interface's queue moves every second; the recorder should not store each step.
 */
export function roundQueue(n: number): number {
  if (n < 10) return n;
  if (n < 100) return Math.round(n / 5) * 5;
  const magnitude = 10 ** (Math.floor(Math.log10(n)) - 1);
  return Math.round(n / magnitude) * magnitude;
}

export function instanceState(view: MonitorView, bridgeVersion: string): string {
  return JSON.stringify({
    reachable: view.reachable,
    iris_version: view.instance?.versionNumber ?? 'None',
    bridge_version: bridgeVersion,
  });
}

export function productionState(p: ProductionView, interop?: InteropMetrics): string {
  return JSON.stringify({
    // "None" is what an MQTT sensor reads as unknown: Home Assistant's own state, not an option.
    state: p.state === 'unknown' ? 'None' : p.state,
    // The switch follows what IRIS reports, even while a command is in flight.
    running: showsRunning(p.irisState),
    troubled: p.irisState === 'troubled',
    command: p.commandInFlight,
    queue: roundQueue(p.hosts.reduce((n, h) => n + h.queue, 0)),
    errors: p.hosts.reduce((n, h) => n + h.errors, 0),
    // Ens.Director.ProductionNeedsUpdate: saved changes that Apply configuration puts in effect.
    config_pending: p.needsUpdate,
    config_reason: p.needsUpdate ? (p.updateReason || 'The production was changed since it started.').slice(0, 255) : null,
    // From iris_interop_messages, when the namespace publishes interoperability metrics.
    ...(interop ? { messages: interop.messages ?? 'None' } : {}),
  });
}

export function hostState(h: HostSnapshot): string {
  return JSON.stringify({
    status: h.status,
    queue: roundQueue(h.queue),
    errors: h.errors,
    // "None" is what MQTT sensors read as unknown.
    last_activity: h.lastActivity ?? 'None',
    enabled: h.enabled,
  });
}

/** The select of a namespace: the production IRIS runs there, or "None". */
export function namespaceState(namespace: string, productions: ProductionView[]): string {
  const active = productions.find((p) => p.namespace === namespace && isActive(p.irisState));
  return JSON.stringify({ option: active ? productionDisplayName(active.name) : NO_PRODUCTION });
}
