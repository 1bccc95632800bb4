/**
 * The /api/monitor HTTP client: ONE request per scrape. The bridge calls scrapeMetrics() once per
 * poll tick and feeds every instance sensor from the result (DESIGN.md §4, §11) — IRIS computes its
 * *_per_sec figures between scrapes and one scrape costs it tens of thousands of global references
 * (research/iris.md §3.2), so never scrape per sensor.
 *
 * Endpoints (docs.intersystems.com KEY=GCM_rest "Monitoring InterSystems IRIS Using REST API"):
 * GET /api/monitor/metrics (Prometheus text) and GET /api/monitor/alerts (JSON, consumed on read:
 * see alerts.ts — the bridge must be the only reader). The web application is enabled with
 * unauthenticated access by default; the private web server listens on 52773 in the containers.
 */
import { IrisContractError, IrisUnavailableError } from '../../model/errors.ts';
import type { IrisAlert } from '../../model/alerts.ts';
import { parseAlerts } from './alerts.ts';
import type { InstanceMetrics } from '../../model/instance-health.ts';
import type { MetricSelector } from '../../model/sensor-source.ts';
import { selectSensorMetrics, toInstanceMetrics } from './metrics.ts';
import { getText, keptAlive, NoAnswerError, type TextAnswer } from './http-get.ts';
import { parsePrometheus } from './prometheus.ts';

/**
 * Far more than an instance's metrics (3.5 KB from the simulator, more per database and
 * production): a guard against an endless answer, not a budget.
 */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

/** The IRIS web server did not answer, or answered with an HTTP error. */
export class MonitorApiUnavailableError extends IrisUnavailableError {
  constructor(
    message: string,
    readonly url: string,
    /** The HTTP status when the server answered; undefined when it did not answer at all. */
    readonly status: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface MonitorApiClientOptions {
  /** The IRIS web server, e.g. http://127.0.0.1:52773 (a trailing slash is fine). */
  baseUrl: string;
  /** Per request; default 10 s. */
  timeoutMs?: number;
  /** Clock for licenseExpiry; default () => new Date(). */
  now?: () => Date;
  /** The user's metric sensors, read from the same scrape (no request of their own). */
  sensorMetrics?: ReadonlyMap<string, MetricSelector>;
}

export interface ScrapeInfo {
  samples: number;
  skippedLines: number;
  skippedExamples: string[];
}

export class MonitorApiClient {
  private readonly base: string;
  private readonly timeoutMs: number;
  /**
   * Kept-alive connections, for as long as the web server keeps them open (Node lets one go a
   * second before the server's stated timeout): a poll's second request needs no new one.
   */
  private readonly agent = keptAlive();
  private readonly now: () => Date;
  private sensorMetrics: ReadonlyMap<string, MetricSelector>;
  /** What the last successful scrape parsed, for a log line when IRIS wrote lines we skipped. */
  lastScrape: ScrapeInfo | null = null;

  constructor(opts: MonitorApiClientOptions) {
    this.base = opts.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.now = opts.now ?? (() => new Date());
    this.sensorMetrics = opts.sensorMetrics ?? new Map();
  }

  get metricsUrl(): string {
    return `${this.base}/api/monitor/metrics`;
  }
  get alertsUrl(): string {
    return `${this.base}/api/monitor/alerts`;
  }

  /** One GET of /api/monitor/metrics, parsed and mapped. */
  async scrapeMetrics(): Promise<InstanceMetrics> {
    const body = await this.get(this.metricsUrl, '/api/monitor/metrics');
    const parsed = parsePrometheus(body);
    if (parsed.samples.length === 0) {
      const head = body.trim().slice(0, 80).replace(/\s+/g, ' ');
      throw new IrisContractError(
        `the IRIS web server at ${this.base} answered /api/monitor/metrics without any metric ` +
          `(${parsed.skipped} unreadable line(s)${head ? `, starting "${head}"` : ', empty body'}); ` +
          'is the URL pointing at IRIS, and not at a proxy or login page?',
      );
    }
    this.lastScrape = { samples: parsed.samples.length, skippedLines: parsed.skipped, skippedExamples: parsed.skippedExamples };
    return toInstanceMetrics(parsed.samples, this.now(), this.sensorMetrics);
  }

  /** The metric sensors the next scrapes read (the panel changed the list). */
  setSensorMetrics(selectors: ReadonlyMap<string, MetricSelector>): void {
    this.sensorMetrics = selectors;
  }

  /** One scrape for one selector (the panel's Test of a metric sensor): its number, or undefined when IRIS writes none. */
  async readSensorMetric(selector: MetricSelector): Promise<number | undefined> {
    const parsed = parsePrometheus(await this.get(this.metricsUrl, '/api/monitor/metrics'));
    return selectSensorMetrics(parsed.samples, new Map([['x', selector]])).x;
  }

  /**
   * One GET of /api/monitor/alerts. CONSUMES the alerts: IRIS returns each alert once, to whoever
   * reads first. Call it from one place only, and publish what it returns before reading again.
   */
  async readAlerts(): Promise<IrisAlert[]> {
    const body = await this.get(this.alertsUrl, '/api/monitor/alerts');
    return parseAlerts(body, `${this.base}/api/monitor/alerts`);
  }

  private async get(url: string, path: string): Promise<string> {
    let answer;
    try {
      answer = await getText(url, { agent: this.agent, timeoutMs: this.timeoutMs, maxBytes: MAX_ANSWER_BYTES, headers: { accept: 'text/plain, application/json' } });
    } catch (e) {
      if (!(e instanceof NoAnswerError)) throw e;
      if (e.kind === 'too-large') {
        throw new IrisContractError(`the IRIS web server at ${this.base} answered ${path} with ${e.message}; is the URL pointing at IRIS, and not at a proxy or another server?`);
      }
      if (e.kind === 'broken') throw new MonitorApiUnavailableError(`the IRIS web server at ${this.base} broke off its answer to ${path}: ${e.message}`, url, undefined, { cause: e });
      throw new MonitorApiUnavailableError(
        `the IRIS web server at ${this.base} did not answer ${path}: ${e.message}; is IRIS running, and is its web server ` +
          '(port 52773 in the container) reachable from the bridge?',
        url,
        undefined,
        { cause: e },
      );
    }
    if (answer.status < 200 || answer.status > 299) {
      throw new MonitorApiUnavailableError(httpErrorMessage(this.base, path, answer), url, answer.status);
    }
    return answer.text;
  }
}

function httpErrorMessage(base: string, path: string, { status, statusText, location }: TextAnswer): string {
  const head = `the IRIS web server at ${base} answered ${path} with HTTP ${status}${statusText ? ` ${statusText}` : ''}`;
  if (status >= 300 && status < 400) return `${head}, to ${location ?? 'nowhere'}; is the URL pointing at IRIS, and not at a proxy or login page?`;
  if (status === 401 || status === 403) {
    return `${head}; the /api/monitor web application requires a login here: allow Unauthenticated access for it ` +
      '(System Administration > Security > Applications > Web Applications > /api/monitor), as IRIS does by default';
  }
  if (status === 404) return `${head}; is the /api/monitor web application enabled (System Administration > Security > Applications > Web Applications)?`;
  if (status === 503) return `${head}; IRIS is starting, stopping or its web server is overloaded; is the /api/monitor web application enabled?`;
  return `${head}; see install-dir/mgr/SystemMonitor.log in IRIS; is the /api/monitor web application enabled?`;
}
