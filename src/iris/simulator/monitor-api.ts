/**
 * A simulated IRIS /api/monitor web application: a real HTTP server (node:http) on loopback, the
 * demo's metrics source and the tests' double for MonitorApiClient. Every behaviour follows
 * [REST] "Monitoring InterSystems IRIS Using REST API",
 *        docs.intersystems.com/irislatest/csp/docbook/DocBook.UI.Page.cls?KEY=GCM_rest
 * as summarised in research/iris.md §3:
 * - GET /api/monitor/metrics: Prometheus text, `name{labels} value` [REST "/metrics Endpoint"]. As
 *   in the captured IRIS for Health 2024.1 answer (research/iris.md §3.1) it has no HELP/TYPE lines
 *   and numbers are in ObjectScript canonical form, so fractions start with a dot (`.051929`).
 *   Metric names and labels from [REST "Metric Descriptions"]; per-second figures drift.
 * - Interoperability metrics (iris_interop_*) appear only once enabled for a production
 *   [REST "Interoperability Metrics": Ens.Util.Statistics.EnableSAMForNamespace()] — here
 *   enableInterop(production, namespace).
 * - GET /api/monitor/alerts: a JSON array of the alerts posted since the endpoint was last read,
 *   then empty [REST "/alerts Endpoint"]; severity is a numeric string and time ISO 8601 UTC, as in
 *   the documented example. iris_system_alerts_new is 1 while unread alerts wait.
 * - The web application is unauthenticated by default [REST "/api/monitor Service"]; anything else
 *   is 404, like an unknown path under IRIS's web server.
 * - setDown(): the web server not answering (connection refused), or answering 503 as the web
 *   server does while IRIS starts or stops.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SimulatedDatabase {
  name: string;
  directory: string;
  sizeMb: number;
  /** null: IRIS has not computed it yet today, written as NaN. */
  freeMb: number | null;
}

/**
 * Fixed values for tests. A number fixes the metric; null removes it from the answer (as when IRIS
 * excludes a metric group); an omitted key keeps the drifting default.
 */
export interface SimulatedMetricOverrides {
  systemState?: number | null;
  cpuPercent?: number | null;
  memoryUsedPercent?: number | null;
  licenseConsumed?: number | null;
  licenseAvailable?: number | null;
  licensePercentUsed?: number | null;
  licenseDaysRemaining?: number | null;
  diskPercentFull?: number | null;
  journalFreeMb?: number | null;
  wijFreeMb?: number | null;
  globalRefsPerSec?: number | null;
  globalUpdatesPerSec?: number | null;
  cacheEfficiency?: number | null;
  writeDaemonCycleTime?: number | null;
  openTransactions?: number | null;
  longestOpenTransactionSecs?: number | null;
  processCount?: number | null;
  cspSessions?: number | null;
  databases?: SimulatedDatabase[] | null;
}

export interface SimulatedInteropValues {
  queued?: number;
  errored?: number;
  messages?: number;
}

export type DownMode = 'refused' | 'unavailable';

export interface SimulatedMonitorApi {
  /** Base URL of the simulated web server, e.g. http://127.0.0.1:40123 — MonitorApiClient's baseUrl. */
  readonly url: string;
  readonly port: number;
  /** Posts a system alert; it is returned by the next read of /api/monitor/alerts, once. */
  postAlert(severity: number, message: string, time?: Date): void;
  /** Fixes (number), removes (null) or — with reset() — restores drifting metrics. */
  set(overrides: SimulatedMetricOverrides): void;
  reset(): void;
  /** Replaces the whole /metrics body (e.g. garbage); null restores the generated one. */
  setRawMetrics(body: string | null): void;
  /** Interop metrics for a production, as after EnableSAMForNamespace() in its namespace. */
  enableInterop(production: string, namespace: string, values?: SimulatedInteropValues): void;
  disableInterop(production: string): void;
  /**
   * true: the web server does not answer — 'refused' closes the listening socket (same port on
   * recovery), 'unavailable' answers 503. false: back to normal.
   */
  setDown(down: boolean, mode?: DownMode): Promise<void>;
  /** Requests received per path (successful or not), since start. */
  requests(): Record<string, number>;
  /** The /metrics body the next scrape would return (for tests and the demo). */
  metricsText(): string;
  close(): Promise<void>;
}

interface Alert {
  time: string;
  severity: string;
  message: string;
}

interface InteropState {
  namespace: string;
  values: SimulatedInteropValues;
}

const DEFAULT_DATABASES: SimulatedDatabase[] = [
  { name: 'IRISSYS', directory: '/usr/irissys/mgr/', sizeMb: 161, freeMb: 23 },
  { name: 'IRISLIB', directory: '/usr/irissys/mgr/irislib/', sizeMb: 1011, freeMb: 44 },
  { name: 'IRISTEMP', directory: '/usr/irissys/mgr/iristemp/', sizeMb: 51, freeMb: null },
  { name: 'ENSLIB', directory: '/usr/irissys/mgr/enslib/', sizeMb: 236, freeMb: 12 },
  { name: 'USER', directory: '/usr/irissys/mgr/user/', sizeMb: 31, freeMb: 9.5 },
];

/** ObjectScript canonical number: no leading zero before the point, no trailing zeros. */
export function canonicalNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  let s = String(Number(n.toFixed(6)));
  if (s.startsWith('0.')) s = s.slice(1);
  else if (s.startsWith('-0.')) s = `-${s.slice(2)}`;
  return s === '-0' ? '0' : s;
}

function label(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labels(l: Record<string, string>): string {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${label(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

class MonitorApiServer implements SimulatedMonitorApi {
  private server: Server;
  private overrides: SimulatedMetricOverrides = {};
  private raw: string | null = null;
  private readonly interop = new Map<string, InteropState>();
  private pending: Alert[] = [];
  private alertsPosted = 0;
  private down: DownMode | null = null;
  private readonly counts = new Map<string, number>();
  private readonly clock: () => number;
  private readonly started: number;
  port = 0;
  private host: string;

  constructor(host: string, clock: () => number) {
    this.host = host;
    this.clock = clock;
    this.started = clock();
    this.server = this.makeServer();
  }

  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  private makeServer(): Server {
    const s = createServer((req, res) => this.handle(req, res));
    s.keepAliveTimeout = 1000;
    return s;
  }

  async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, this.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    this.counts.set(path, (this.counts.get(path) ?? 0) + 1);
    if (this.down === 'unavailable') {
      res.writeHead(503, { 'content-type': 'text/html' }).end('<html><body>Service Unavailable</body></html>');
      return;
    }
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    if (path === '/api/monitor/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(this.metricsText());
      return;
    }
    if (path === '/api/monitor/alerts') {
      // Consume on read [REST "/alerts Endpoint"]: whoever reads first gets them, once.
      const body = JSON.stringify(this.pending);
      this.pending = [];
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(body);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/html' }).end('<html><body>Not Found</body></html>');
  }

  postAlert(severity: number, message: string, time = new Date()): void {
    this.pending.push({ time: time.toISOString(), severity: String(severity), message });
    this.alertsPosted++;
  }

  set(overrides: SimulatedMetricOverrides): void {
    this.overrides = { ...this.overrides, ...overrides };
  }

  reset(): void {
    this.overrides = {};
    this.raw = null;
  }

  setRawMetrics(body: string | null): void {
    this.raw = body;
  }

  enableInterop(production: string, namespace: string, values: SimulatedInteropValues = {}): void {
    this.interop.set(production, { namespace, values });
  }

  disableInterop(production: string): void {
    this.interop.delete(production);
  }

  async setDown(down: boolean, mode: DownMode = 'refused'): Promise<void> {
    const wasRefused = this.down === 'refused';
    this.down = down ? mode : null;
    if (down && mode === 'refused' && !wasRefused) await this.stopListening();
    if ((!down || mode !== 'refused') && wasRefused) {
      this.server = this.makeServer();
      await this.listen(this.port);
    }
  }

  private async stopListening(): Promise<void> {
    const s = this.server;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }

  requests(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  /** A slow, smooth drift: base ± amp with the given period in seconds. */
  private drift(base: number, amp: number, periodS: number, phase = 0): number {
    const t = (this.clock() - this.started) / 1000;
    return base + amp * Math.sin((2 * Math.PI * t) / periodS + phase);
  }

  private value<K extends keyof SimulatedMetricOverrides>(key: K, dflt: number): number | null {
    const v = this.overrides[key];
    if (v === undefined) return dflt;
    return v as number | null;
  }

  metricsText(): string {
    if (this.raw !== null) return this.raw;
    const lines: string[] = [];
    const put = (name: string, v: number | null, l: Record<string, string> = {}) => {
      if (v !== null) lines.push(`${name}${labels(l)} ${canonicalNumber(v)}`);
    };
    const cpu = this.value('cpuPercent', Math.round(this.drift(9, 6, 300)));
    put('iris_cpu_pct', cpu === null ? null : Math.round(cpu * 0.1), { id: 'CSPSRV' });
    put('iris_cpu_pct', 0, { id: 'GARCOL' });
    put('iris_cpu_pct', 0, { id: 'JRNDMN' });
    put('iris_cpu_pct', 0, { id: 'LICENSESRV' });
    put('iris_cpu_pct', 0, { id: 'WRTDMN' });
    put('iris_cpu_usage', cpu);
    put('iris_csp_sessions', this.value('cspSessions', 2));
    put('iris_cache_efficiency', this.value('cacheEfficiency', Math.round(this.drift(1850, 400, 600, 1) * 100) / 100));
    const dbs = this.overrides.databases === undefined ? DEFAULT_DATABASES : this.overrides.databases;
    for (const d of dbs ?? []) put('iris_db_expansion_size_mb', 0, { id: d.name, dir: d.directory });
    for (const d of dbs ?? []) put('iris_db_free_space', d.freeMb ?? Number.NaN, { id: d.name, dir: d.directory });
    for (const d of dbs ?? []) put('iris_db_latency', Math.round(this.drift(0.4, 0.3, 90) * 1e6) / 1e6, { id: d.name });
    for (const d of dbs ?? []) put('iris_db_max_size_mb', 0, { id: d.name, dir: d.directory });
    for (const d of dbs ?? []) put('iris_db_size_mb', d.sizeMb, { id: d.name, dir: d.directory });
    for (const d of dbs ?? []) put('iris_directory_space', 41_920, { id: d.name, dir: d.directory });
    const diskFull = this.value('diskPercentFull', 37);
    for (const d of dbs ?? []) put('iris_disk_percent_full', diskFull, { id: d.name, dir: d.directory });
    if ((dbs ?? []).length === 0) put('iris_disk_percent_full', diskFull, { id: 'IRISSYS', dir: '/usr/irissys/mgr/' });
    put('iris_glo_ref_per_sec', this.value('globalRefsPerSec', Math.max(0, Math.round(this.drift(420, 300, 120)))));
    put('iris_glo_update_per_sec', this.value('globalUpdatesPerSec', Math.max(0, Math.round(this.drift(35, 25, 150)))));
    put('iris_glo_seize_per_sec', 0);
    put('iris_jrn_block_per_sec', 0);
    put('iris_jrn_entry_per_sec', Math.max(0, Math.round(this.drift(12, 10, 150))));
    put('iris_jrn_free_space', this.value('wijFreeMb', 41_920), { id: 'WIJ', dir: 'default' });
    put('iris_jrn_free_space', this.value('journalFreeMb', Math.round(this.drift(41_900, 15, 3600))), { id: 'primary', dir: '/usr/irissys/mgr/journal/' });
    put('iris_jrn_free_space', 41_920, { id: 'secondary', dir: '/usr/irissys/mgr/journal/' });
    put('iris_jrn_size', 2, { id: 'WIJ' });
    put('iris_jrn_size', 1, { id: 'primary' });
    put('iris_jrn_size', 0, { id: 'secondary' });
    put('iris_license_available', this.value('licenseAvailable', 6));
    put('iris_license_consumed', this.value('licenseConsumed', 2));
    put('iris_license_percent_used', this.value('licensePercentUsed', 25));
    put('iris_license_days_remaining', this.value('licenseDaysRemaining', 214));
    put('iris_log_reads_per_sec', Math.max(0, Math.round(this.drift(380, 280, 120))));
    put('iris_page_space_percent_used', 0);
    put('iris_phys_mem_percent_used', this.value('memoryUsedPercent', Math.round(this.drift(41, 3, 900) * 100) / 100));
    put('iris_phys_reads_per_sec', 0);
    put('iris_phys_writes_per_sec', Math.max(0, Math.round(this.drift(1, 1, 60))));
    put('iris_process_count', this.value('processCount', 41));
    put('iris_smh_total_percent_full', 11);
    put('iris_system_alerts', this.alertsPosted);
    put('iris_system_alerts_log', this.alertsPosted);
    put('iris_system_alerts_new', this.pending.length > 0 ? 1 : 0);
    put('iris_system_state', this.value('systemState', 0));
    put('iris_trans_open_count', this.value('openTransactions', 0));
    put('iris_trans_open_secs', 0);
    put('iris_trans_open_secs_max', this.value('longestOpenTransactionSecs', 0));
    put('iris_wd_buffer_redirty', 0);
    put('iris_wd_buffer_write', Math.max(0, Math.round(this.drift(6, 5, 60))));
    put('iris_wd_cycle_time', this.value('writeDaemonCycleTime', Math.max(0, Math.round(this.drift(3, 2, 60)))));
    put('iris_wd_proc_in_global', 0);
    put('iris_wd_sleep', 10_006);
    put('iris_wd_temp_queue', 52);
    put('iris_wd_temp_write', 0);
    put('iris_wdwij_time', 0);
    put('iris_wd_write_time', 0);
    put('iris_wij_writes_per_sec', 0);
    // Interoperability metrics [REST "Interoperability Metrics"], only once enabled. The `id` label
    // carries the namespace; iris_interop_messages_errored has only `production` (research/iris.md §3.2).
    for (const [production, { namespace, values }] of this.interop) {
      const queued = values.queued ?? Math.max(0, Math.round(this.drift(2, 2, 45)));
      const messages = values.messages ?? Math.round((this.clock() - this.started) / 1000);
      put('iris_interop_hosts', 3, { id: namespace, status: 'OK', production });
      put('iris_interop_messages', messages, { id: namespace, host: `${production}.Service`, production });
      put('iris_interop_messages_errored', values.errored ?? 0, { production });
      put('iris_interop_queued', queued, { id: namespace, production });
    }
    return `${lines.join('\n')}\n`;
  }

  async close(): Promise<void> {
    if (this.down === 'refused') return;
    await this.stopListening();
  }
}

/** Starts the simulated /api/monitor on host (default 127.0.0.1) and port (default: a free one). */
export async function startSimulatedMonitorApi(
  opts: { port?: number; host?: string; /** ms clock driving the drift; default Date.now */ now?: () => number } = {},
): Promise<SimulatedMonitorApi> {
  const sim = new MonitorApiServer(opts.host ?? '127.0.0.1', opts.now ?? Date.now);
  await sim.listen(opts.port ?? 0);
  return sim;
}
