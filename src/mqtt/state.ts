/** Retained state payloads: small JSON documents, published only when they change. */
import type { MonitorView, ProductionView } from '../monitor/view.ts';

export function instanceState(view: MonitorView, bridgeVersion: string): string {
  return JSON.stringify({
    reachable: view.reachable,
    iris_version: view.instance?.versionNumber ?? 'None',
    bridge_version: bridgeVersion,
  });
}

export function productionState(p: ProductionView): string {
  return JSON.stringify({
    state: p.state,
    // The switch follows what IRIS reports, even while a command is in flight.
    running: p.irisState === 'running' || p.irisState === 'troubled',
    troubled: p.irisState === 'troubled',
    command: p.commandInFlight,
  });
}
