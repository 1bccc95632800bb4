/**
 * What IRIS says about its databases, for backups. Filled from Config.Databases and SYS.Database
 * in %SYS (the agent) or by the simulator; read by `backups/`.
 */
export interface DatabaseInfo {
  /** Config.Databases name, upper case (e.g. "IRISSYS", "USER"). */
  name: string;
  /** Absolute directory holding IRIS.DAT, with a trailing slash as IRIS writes it. */
  directory: string;
  /** Size of IRIS.DAT in bytes (SYS.Database Size is in MB; the agent multiplies). */
  sizeBytes: number;
  /** Mounted read-only (IRISLIB, ENSLIB: code that comes with the image). */
  readOnly: boolean;
  mounted: boolean;
}

/** Bytes done, rate and time left of a long operation, for the panel's progress bar. */
export interface Progress {
  phase: string;
  bytesDone: number;
  bytesTotal: number;
  /** Bytes per second over the phase so far; 0 until there is something to measure. */
  rate: number;
  /** Seconds left at that rate, or null while unknown. */
  etaSeconds: number | null;
}

/** What a restore would replace: the confirmation the panel shows before it starts. */
export interface RestorePlan {
  id: string;
  createdAt: string;
  irisVersion: string;
  /** Databases whose IRIS.DAT is replaced. */
  replace: { name: string; directory: string; currentBytes: number; backupBytes: number }[];
  /** Databases in the backup that cannot be restored here, and why. */
  skip: { name: string; reason: string }[];
}

export type JobKind = 'backup' | 'verify' | 'restore';
export type StepState = 'running' | 'done' | 'failed' | 'skipped';
export interface JobStep {
  text: string;
  state: StepState;
  detail?: string;
}
/** The one long operation (backup, verify, restore) that runs at a time, as the panel follows it. */
export interface JobStatus {
  id: string;
  kind: JobKind;
  /** The backup the job works on (verify, restore) or made (backup). */
  backupId: string | null;
  state: 'running' | 'ok' | 'failed';
  startedAt: string;
  endedAt: string | null;
  progress: Progress | null;
  steps: JobStep[];
  error: string | null;
}

export interface BackupStatus {
  last: { at: string; result: 'ok' | 'failed'; id: string; error: string | null } | null;
  nextRun: string | null;
  totalBytes: number;
  count: number;
}

/**
 * The largest backup archive an upload may be, in bytes: 16 GB (written by formatBytes). The
 * server refuses a larger body as it streams in, the Backups page checks the file before sending
 * and states the limit, DOCS.md states it (test/unit/upload-limit.test.ts holds them to this).
 * The Supervisor's own 16 MiB cap on ingress bodies does not apply: config.yaml sets ingress_stream.
 */
export const BACKUP_UPLOAD_LIMIT_BYTES = 16_000_000_000;
