/**
 * An IRIS instance's health as the bridge publishes it: the figures of /api/monitor/metrics
 * (iris/monitor-api/metrics.ts fills them in). Every field is null when IRIS did not report the
 * metric or reported NaN/Inf: null means "unknown", never 0.
 */
export type SystemStateWord = 'ok' | 'warning' | 'alert' | 'hung';
export const SYSTEM_STATE_WORDS: readonly SystemStateWord[] = ['ok', 'warning', 'alert', 'hung'];

export interface DatabaseMetrics {
  /** The database name (the `id` label), e.g. "USER". */
  name: string;
  /** The database directory (the `dir` label), or null when IRIS gave none. */
  directory: string | null;
  sizeMb: number | null;
  /** iris_db_free_space: free space inside the database; IRIS refreshes it about once a day. */
  freeMb: number | null;
}

export interface InteropMetrics {
  production: string;
  /** The `id` label of the interop metrics, taken as the namespace [UNVERIFIED]. */
  namespace: string | null;
  /** Sum of iris_interop_queued over the production's series. */
  queued: number | null;
  /** Sum of iris_interop_messages_errored over the production's series. */
  errored: number | null;
  /** Sum of iris_interop_messages over the production's hosts. */
  messages: number | null;
}

export interface InstanceMetrics {
  /** iris_system_state: the System Monitor health state code as IRIS reported it. */
  systemState: number | null;
  systemStateWord: SystemStateWord | null;
  /** iris_cpu_usage: CPU use of the whole host, percent. */
  cpuPercent: number | null;
  /** iris_phys_mem_percent_used */
  memoryUsedPercent: number | null;
  /** iris_license_consumed / iris_license_available / iris_license_percent_used (licence units). */
  licenseConsumed: number | null;
  licenseAvailable: number | null;
  licensePercentUsed: number | null;
  /** iris_license_days_remaining */
  licenseDaysRemaining: number | null;
  /**
   * When the licence expires, as an ISO 8601 date-time in UTC ("...Z"): midnight UTC starting the day
   * `licenseDaysRemaining` days after `now`'s UTC day. Day-granular on purpose, so that the value is
   * the same on every scrape of a day and the state is published on change only.
   */
  licenseExpiry: string | null;
  /** iris_db_size_mb{id,dir} joined with iris_db_free_space{id}, in the order IRIS listed them. */
  databases: DatabaseMetrics[];
  /** The fullest volume holding a database: max of iris_disk_percent_full{id,dir}. */
  diskPercentFull: number | null;
  /** iris_jrn_free_space{id="primary"}: free space on the primary journal directory's volume, MB. */
  journalFreeMb: number | null;
  /** iris_jrn_free_space{id="WIJ"}: free space on the write image journal's volume, MB. */
  wijFreeMb: number | null;
  /** iris_glo_ref_per_sec / iris_glo_update_per_sec (computed by IRIS between scrapes). */
  globalRefsPerSec: number | null;
  globalUpdatesPerSec: number | null;
  /** iris_cache_efficiency: global references per physical read+write (a ratio, not a percent). */
  cacheEfficiency: number | null;
  /**
   * iris_wd_cycle_time: duration of the most recent write daemon cycle, in MILLISECONDS
   * [UNVERIFIED for the metric; SYS.History.WriteDaemon.CycleTime, which it reports, is in ms].
   * With several write daemons, the largest.
   */
  writeDaemonCycleTime: number | null;
  /** iris_trans_open_count / iris_trans_open_secs_max */
  openTransactions: number | null;
  longestOpenTransactionSecs: number | null;
  /** iris_process_count / iris_csp_sessions */
  processCount: number | null;
  cspSessions: number | null;
  /** One entry per production with iris_interop_* series; empty when interop stats are not enabled. */
  interop: InteropMetrics[];
  /**
   * The values of the user's metric sensors (model/sensor-definition.ts) from this same scrape, by
   * sensor key; a sensor whose line IRIS did not write, or wrote as NaN/Inf, has no entry.
   */
  sensorValues?: Readonly<Record<string, number>>;
}

/** The figures while the scrape fails: everything unknown rather than stale. */
export function unknownMetrics(): InstanceMetrics {
  return {
    systemState: null,
    systemStateWord: null,
    cpuPercent: null,
    memoryUsedPercent: null,
    licenseConsumed: null,
    licenseAvailable: null,
    licensePercentUsed: null,
    licenseDaysRemaining: null,
    licenseExpiry: null,
    databases: [],
    diskPercentFull: null,
    journalFreeMb: null,
    wijFreeMb: null,
    globalRefsPerSec: null,
    globalUpdatesPerSec: null,
    cacheEfficiency: null,
    writeDaemonCycleTime: null,
    openTransactions: null,
    longestOpenTransactionSecs: null,
    processCount: null,
    cspSessions: null,
    interop: [],
  };
}
