/** The API's shapes as the UI reads them (see api/openapi.json). */
import type { BackupStatus, JobStatus } from '../../src/model/backup.ts';
import type { InstanceMetrics } from '../../src/model/instance-health.ts';
import type { HostSnapshot } from '../../src/model/production.ts';
import type { ProductionView } from '../../src/model/view.ts';

export type Host = HostSnapshot;
export type Production = ProductionView;
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
  /** The built-in simulator answers instead of a real IRIS. */
  simulator: boolean;
  /** Where its Management Portal is (host null: the host of this page); null when unknown. */
  portal: { host: string | null; webPort: number | null } | null;
  metrics: Metrics | null;
  productions: Production[];
}

/** What the feed says about backups: a job's steps and progress, or the backups changed. */
export type BackupFeedMessage = { type: 'backup-job'; job: JobStatus } | { type: 'backups'; status: BackupStatus };
