/**
 * The plain-data model every room shares. IRIS facts arrive here from `iris/`; `mqtt/`, `ha/` and
 * `panel/` read them. Nothing in this file knows how the data was obtained.
 */

/** Production states as Home Assistant sees them (enum sensor options). */
export const PRODUCTION_STATES = [
  'running',
  'stopped',
  'suspended',
  'troubled',
  'network_stopped',
  'unknown',
  // Transitional: shown only while a command issued by the bridge is in flight.
  'starting',
  'stopping',
  'restarting',
  'updating',
  'recovering',
] as const;
export type ProductionState = (typeof PRODUCTION_STATES)[number];

/** Shown only while a command issued by the bridge is in flight. */
export const TRANSITIONAL_STATES = ['starting', 'stopping', 'restarting', 'updating', 'recovering'] as const;
export type TransitionalState = (typeof TRANSITIONAL_STATES)[number];

/** States IRIS itself reports (Ens.Director.GetProductionStatus); transitional ones are ours. */
export type IrisProductionState = Exclude<ProductionState, TransitionalState>;
export const IRIS_PRODUCTION_STATES = PRODUCTION_STATES.filter(
  (s): s is IrisProductionState => !(TRANSITIONAL_STATES as readonly string[]).includes(s),
);

/**
 * The production holds its namespace: IRIS runs at most one production per namespace, and one that
 * is running, troubled or suspended must be stopped before another can start there.
 */
export function isActive(state: IrisProductionState): boolean {
  return state === 'running' || state === 'troubled' || state === 'suspended';
}

/**
 * Its jobs run: what the on/off switch shows. A troubled production still runs (its jobs stopped
 * without a clean shutdown, IRIS has not stopped it); a suspended one does not process messages.
 */
export function showsRunning(state: IrisProductionState): boolean {
  return state === 'running' || state === 'troubled';
}

/**
 * Ens.Director state codes ($$$eProductionState* in EnsConstants.inc). Ens.Config.Production's
 * ProductionStateToText has no branch for 5 and 6, so the mapping is ours. Negative codes are the
 * same states seen on a mirror backup member.
 */
export function productionStateFromCode(code: number): IrisProductionState {
  switch (Math.abs(code)) {
    case 1:
      return 'running';
    case 2:
      return 'stopped';
    case 3:
      return 'suspended';
    case 4:
      return 'troubled';
    case 5:
      return 'network_stopped';
    default:
      return 'unknown';
  }
}

/** Per-host status words of Ens.Util.Statistics:EnumerateHostStatus, lower-cased. */
export const HOST_STATUSES = ['ok', 'error', 'inactive', 'retry', 'stopped', 'disabled', 'unconfigured'] as const;
export type HostStatus = (typeof HOST_STATUSES)[number];

export type HostKind = 'service' | 'process' | 'operation';

export interface HostSnapshot {
  /** Config item name, unique within its production (e.g. "HL7.In.File"). */
  name: string;
  className: string;
  kind: HostKind;
  enabled: boolean;
  status: HostStatus;
  queue: number;
  errors: number;
  /** ISO-8601 with timezone, or null when the host never ran. */
  lastActivity: string | null;
}

export interface ProductionSnapshot {
  namespace: string;
  /** The production class name, e.g. "Orders.Production". Unique within a namespace. */
  name: string;
  state: IrisProductionState;
  hosts: HostSnapshot[];
  /** Ens.Director.ProductionNeedsUpdate, with its human-readable reason. */
  needsUpdate: boolean;
  updateReason: string;
}

/** %SYSTEM.License as the agent reads it: licence units and the key's expiry. */
export interface LicenseSnapshot {
  unitsConsumed: number;
  unitsAvailable: number;
  unitsLimit: number;
  /** The key's expiry as ISO 8601 UTC midnight, or null when the key names none. */
  expires: string | null;
}

export interface InstanceSnapshot {
  /** $SYSTEM.Version.GetVersion(), e.g. "IRIS for UNIX (Ubuntu Server LTS for x86-64 Containers) 2025.1 ..." */
  version: string;
  /** Short version number, e.g. "2025.1.0.225.1". */
  versionNumber: string;
  /** Absent when IRIS refused %SYSTEM.License (the snapshot says why in its problems). */
  license?: LicenseSnapshot;
}

export interface Snapshot {
  instance: InstanceSnapshot;
  productions: ProductionSnapshot[];
  /** When the snapshot was taken (ISO-8601 UTC). */
  takenAt: string;
}

/** The key that identifies a production across snapshots: "<NAMESPACE>/<ProductionClass>". */
export function productionKey(p: { namespace: string; name: string }): string {
  return `${p.namespace}/${p.name}`;
}

/** Ens.Director StartProduction, StopProduction, RestartProduction, UpdateProduction, RecoverProduction. */
export const PRODUCTION_ACTIONS = ['start', 'stop', 'restart', 'update', 'recover'] as const;
export type ProductionAction = (typeof PRODUCTION_ACTIONS)[number];

/**
 * The one name of UpdateProduction wherever a user meets it: the Home Assistant button, the
 * panel's action, the docs. "Update" would read as a new version.
 */
export const APPLY_CONFIGURATION = 'Apply configuration';

/** Actions that interrupt the production's work: the panel asks for confirmation first. */
export const CONFIRMED_ACTIONS: readonly ProductionAction[] = ['stop', 'restart'];

/** What a production shows while the bridge's command runs. */
export const TRANSITIONAL: Record<ProductionAction, TransitionalState> = {
  start: 'starting',
  stop: 'stopping',
  restart: 'restarting',
  update: 'updating',
  recover: 'recovering',
};

/** How people name a production: its class name with the dots as spaces ("Orders Production"). */
export function productionDisplayName(name: string): string {
  return name.split('.').filter(Boolean).join(' ');
}

/** Ens.Director.EnableConfigItem for one business host of a production. */
export interface HostCommand {
  namespace: string;
  production: string;
  host: string;
  enable: boolean;
}

export interface ProductionCommand {
  namespace: string;
  production: string;
  action: ProductionAction;
  /** StopProduction/RestartProduction pTimeout, seconds. */
  timeoutSeconds?: number;
  /** StopProduction/RestartProduction pForce. Never set from MQTT; only with confirmation. */
  force?: boolean;
}
