import type { InstanceMetrics } from './instance-health.ts';
import type { InstanceSnapshot, ProductionAction, ProductionSnapshot, ProductionState } from './production.ts';

/** A production as the bridge presents it: IRIS's facts plus the command the bridge has in flight. */
export interface ProductionView extends Omit<ProductionSnapshot, 'state'> {
  key: string;
  /** What the user sees: IRIS's state, or starting/stopping/restarting while our command runs. */
  state: ProductionState;
  /** What IRIS last reported, even while a command runs. */
  irisState: ProductionSnapshot['state'];
  commandInFlight: ProductionAction | null;
  /**
   * Until when (ISO 8601 UTC) the bridge's cooldown refuses another stop or restart; null when
   * none runs. Absent in views not made by the monitor (fixtures).
   */
  cooldownUntil?: string | null;
}

/** What every consumer (MQTT, panel, HA events) renders. Replaced, never mutated, on each change. */
export interface MonitorView {
  /** The last poll of IRIS succeeded. */
  reachable: boolean;
  /** At least one full inventory has succeeded since start: only then may anything be removed. */
  inventoried: boolean;
  instance: InstanceSnapshot | null;
  /** The last /api/monitor/metrics scrape, or null while it fails (or before the first). */
  metrics: InstanceMetrics | null;
  productions: ProductionView[];
}
