/**
 * From parsed /api/monitor/metrics samples to the instance figures the bridge publishes. Pure.
 *
 * Metric names follow "Monitoring InterSystems IRIS Using REST API" (docs.intersystems.com,
 * KEY=GCM_rest, "Metric Descriptions" and "Interoperability Metrics") as summarised in
 * research/iris.md §3.2. Every field is null when IRIS did not report the metric (a metric group
 * excluded with ExcludeMetrics, interop statistics not enabled, an older release) or reported it as
 * NaN/Inf (iris_db_free_space is NaN until its daily update): null means "unknown", never 0.
 */
import type { DatabaseMetrics, InstanceMetrics, InteropMetrics, SystemStateWord } from '../../model/instance-health.ts';
import type { MetricSelector } from '../../model/sensor-source.ts';
import type { PromSample } from './prometheus.ts';


/** Labels compare case-insensitively for the `id` values IRIS writes ("WIJ", "primary"). */
function sameId(a: string | undefined, b: string): boolean {
  return a !== undefined && a.toLowerCase() === b.toLowerCase();
}

function finite(v: number | undefined): number | null {
  return v !== undefined && Number.isFinite(v) ? v : null;
}

/**
 * System Monitor health state -> word, as %SYSTEM.Monitor.State() documents it: -1 hung, 0 OK
 * (GREEN), 1 warning (YELLOW), 2 alert (RED) ("System Monitor Health State",
 * KEY=GCM_healthmon_sysmon_sysstatus). No other value is documented, so any other reads unknown.
 */
export function systemStateWord(code: number | null): SystemStateWord | null {
  switch (code) {
    case 0:
      return 'ok';
    case 1:
      return 'warning';
    case 2:
      return 'alert';
    case -1:
      return 'hung';
    default:
      return null;
  }
}

/** Midnight UTC of the day `days` days after now's UTC day, as ISO 8601 with "Z". */
export function licenseExpiryFrom(days: number | null, now: Date): string | null {
  if (days === null || !Number.isFinite(days)) return null;
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const t = midnight + Math.floor(days) * 86_400_000;
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

class SampleIndex {
  private readonly byName = new Map<string, PromSample[]>();
  constructor(samples: readonly PromSample[]) {
    for (const s of samples) {
      const list = this.byName.get(s.name);
      if (list) list.push(s);
      else this.byName.set(s.name, [s]);
    }
  }
  all(name: string): PromSample[] {
    return this.byName.get(name) ?? [];
  }
  /** The first finite value of an unlabelled-or-any series. */
  one(name: string): number | null {
    for (const s of this.all(name)) {
      const v = finite(s.value);
      if (v !== null) return v;
    }
    return null;
  }
  withId(name: string, id: string): number | null {
    for (const s of this.all(name)) if (sameId(s.labels.id, id)) return finite(s.value);
    return null;
  }
  max(name: string): number | null {
    let best: number | null = null;
    for (const s of this.all(name)) {
      const v = finite(s.value);
      if (v !== null && (best === null || v > best)) best = v;
    }
    return best;
  }
}

function databases(ix: SampleIndex): DatabaseMetrics[] {
  const out = new Map<string, DatabaseMetrics>();
  for (const s of ix.all('iris_db_size_mb')) {
    const name = s.labels.id;
    if (!name || out.has(name)) continue;
    out.set(name, { name, directory: s.labels.dir ?? null, sizeMb: finite(s.value), freeMb: null });
  }
  for (const s of ix.all('iris_db_free_space')) {
    const db = s.labels.id ? out.get(s.labels.id) : undefined;
    if (db) db.freeMb = finite(s.value);
  }
  return [...out.values()];
}

/**
 * Groups the interop series by production. Not every interop metric carries the `id` label
 * (research/iris.md §3.2: iris_interop_messages_errored has only `production`), so a series without
 * one joins the production's entry from any namespace, and a later `id` fills the namespace in.
 */
function interop(ix: SampleIndex): InteropMetrics[] {
  const out: InteropMetrics[] = [];
  const entryFor = (s: PromSample): InteropMetrics | null => {
    const production = s.labels.production;
    if (!production) return null;
    const namespace = s.labels.id ?? null;
    let entry = out.find((e) => e.production === production && (namespace === null || e.namespace === null || e.namespace === namespace));
    if (!entry) {
      entry = { production, namespace, queued: null, errored: null, messages: null };
      out.push(entry);
    } else if (entry.namespace === null && namespace !== null) entry.namespace = namespace;
    return entry;
  };
  // iris_interop_hosts first: a production with no traffic yet still gets its entry.
  for (const s of ix.all('iris_interop_hosts')) entryFor(s);
  const add = (metric: string, field: 'queued' | 'errored' | 'messages') => {
    for (const s of ix.all(metric)) {
      const entry = entryFor(s);
      const v = finite(s.value);
      if (entry && v !== null) entry[field] = (entry[field] ?? 0) + v;
    }
  };
  add('iris_interop_queued', 'queued');
  add('iris_interop_messages_errored', 'errored');
  add('iris_interop_messages', 'messages');
  return out;
}

/**
 * The value of each selector: the first line of its name that carries every label it names (other
 * labels may be there too, as IRIS adds `dir` beside `id`). Label values compare exactly: they are
 * the user's own words, unlike the ids IRIS writes that the built-in figures match loosely.
 */
export function selectSensorMetrics(samples: readonly PromSample[], selectors: ReadonlyMap<string, MetricSelector>): Record<string, number> {
  const out: Record<string, number> = {};
  if (selectors.size === 0) return out;
  const ix = new SampleIndex(samples);
  for (const [key, sel] of selectors) {
    const hit = ix.all(sel.name).find((s) => Object.entries(sel.labels).every(([k, v]) => s.labels[k] === v));
    const v = finite(hit?.value);
    if (v !== null) out[key] = v;
  }
  return out;
}

export function toInstanceMetrics(samples: readonly PromSample[], now: Date, sensors: ReadonlyMap<string, MetricSelector> = new Map()): InstanceMetrics {
  const ix = new SampleIndex(samples);
  const systemState = ix.one('iris_system_state');
  const licenseDaysRemaining = ix.one('iris_license_days_remaining');
  return {
    systemState,
    systemStateWord: systemStateWord(systemState),
    cpuPercent: ix.one('iris_cpu_usage'),
    memoryUsedPercent: ix.one('iris_phys_mem_percent_used'),
    licenseConsumed: ix.one('iris_license_consumed'),
    licenseAvailable: ix.one('iris_license_available'),
    licensePercentUsed: ix.one('iris_license_percent_used'),
    licenseDaysRemaining,
    licenseExpiry: licenseExpiryFrom(licenseDaysRemaining, now),
    databases: databases(ix),
    diskPercentFull: ix.max('iris_disk_percent_full'),
    journalFreeMb: ix.withId('iris_jrn_free_space', 'primary'),
    wijFreeMb: ix.withId('iris_jrn_free_space', 'WIJ'),
    globalRefsPerSec: ix.one('iris_glo_ref_per_sec'),
    globalUpdatesPerSec: ix.one('iris_glo_update_per_sec'),
    cacheEfficiency: ix.one('iris_cache_efficiency'),
    writeDaemonCycleTime: ix.max('iris_wd_cycle_time'),
    openTransactions: ix.one('iris_trans_open_count'),
    longestOpenTransactionSecs: ix.one('iris_trans_open_secs_max'),
    processCount: ix.one('iris_process_count'),
    cspSessions: ix.one('iris_csp_sessions'),
    interop: interop(ix),
    ...(sensors.size > 0 ? { sensorValues: selectSensorMetrics(samples, sensors) } : {}),
  };
}
