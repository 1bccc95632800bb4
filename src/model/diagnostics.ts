/**
 * The bridge's self-check of one IRIS instance, as plain data: the log, the panel's Diagnostics
 * page and the downloadable diagnostics file show it. Nothing here is secret.
 */

export type CheckStatus = 'ok' | 'warning' | 'failed' | 'skipped';

export interface DiagnosticCheck {
  /** Stable id, e.g. "resource:%Ens_ProductionRun" or "namespace:ORDERS". */
  id: string;
  title: string;
  status: CheckStatus;
  /** What was found, in words a user can act on. */
  detail: string;
  /** The IRIS call (or calls) the check is about. */
  calls?: string[];
  /** What an administrator does to fix it. */
  fix?: string;
}

export interface TransportReport {
  transport: 'child-process' | 'in-process';
  /** The driver the connection process loaded, e.g. "@intersystems/intersystems-iris-native 2.0.3". */
  driver: string | null;
  processesStarted: number;
  callsAbandoned: number;
  abandonedRecently: number;
  lastAbandoned: { call: string; at: string; afterMs: number } | null;
  holdUntil: string | null;
}

export interface Diagnostics {
  instanceId: string;
  target: string;
  kind: 'native' | 'simulator';
  /** When the checks ran (ISO 8601 UTC). */
  at: string;
  bridgeVersion: string;
  transport: TransportReport | null;
  checks: DiagnosticCheck[];
}
