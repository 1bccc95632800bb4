/** The API's shapes as the UI reads them (see api/openapi.json). */
import type { BackupStatus, JobStatus } from '../../src/backups/service.ts';
import type { InstanceMetrics } from '../../src/model/instance-health.ts';

export interface Host {
  name: string;
  className: string;
  kind: 'service' | 'process' | 'operation';
  enabled: boolean;
  status: string;
  queue: number;
  errors: number;
  lastActivity: string | null;
}
export interface Production {
  key: string;
  namespace: string;
  name: string;
  state: string;
  irisState: string;
  commandInFlight: string | null;
  needsUpdate: boolean;
  updateReason: string;
  hosts: Host[];
}
/** The figures the overview shows, as the server's InstanceMetrics has them. */
export type Metrics = Pick<
  InstanceMetrics,
  | 'systemStateWord'
  | 'cpuPercent'
  | 'memoryUsedPercent'
  | 'licenseConsumed'
  | 'licenseAvailable'
  | 'licensePercentUsed'
  | 'licenseDaysRemaining'
  | 'licenseExpiry'
  | 'diskPercentFull'
>;
export interface Instance {
  id: string;
  name: string;
  reachable: boolean;
  inventoried: boolean;
  version: string | null;
  versionNumber: string | null;
  metrics: Metrics | null;
  productions: Production[];
}

/** What the feed says about backups: a job's steps and progress, or the backups changed. */
export type BackupFeedMessage = { type: 'backup-job'; job: JobStatus } | { type: 'backups'; status: BackupStatus };
