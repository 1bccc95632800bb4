/**
 * The live feed (websocket at api/feed): every page gets a full snapshot when it connects (so a
 * page that reconnects starts from fresh data) and then each change the monitors emit, pushed at
 * once. Messages (JSON):
 *   {type:"state", instances:[Instance], serverTime}  on connect (serverTime: the page's countdowns run on the bridge's clock)
 *   {type:"instance", instance: Instance}             a monitor's view changed
 *   {type:"event", instance, event: ProductionEvent}  started / stopped / troubled / refused ...
 *   {type:"alert", instance, alert: IrisAlert}
 *   {type:"log", line: LogLine}                       a new line of the bridge's log
 *   {type:"backup-job", job: JobStatus}               a backup/verify/restore step or progress
 *   {type:"backups", status: BackupStatus}            the backups changed (made, deleted, settings)
 *   {type:"apps-job", job: AppsJob}                   an apps job's output, progress and end
 *   {type:"ha-flows", flows: HaFlowsView}             the traffic with Home Assistant, at most every FLOWS_PACE_MS
 */
import type { FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { BackupStatus, JobStatus } from '../model/backup.ts';
import type { AppsJob } from '../model/apps-job.ts';
import type { LogLine } from './log-buffer.ts';
import type { FeedLimits, PanelContext, PanelInstance } from './context.ts';
import { instanceBody } from './state.ts';

/**
 * What one client may cost is bounded: 1 MiB unsent (about six snapshots at 10 x 100) plus its
 * deflate state (server.ts), and there are at most 16 of them (a browser tab each; behind ingress
 * every tab is its own connection through the Supervisor). Half-open connections would otherwise
 * hold places for good: a client that misses a ping is dropped at the next one.
 */
export const FEED_LIMITS: FeedLimits = { maxClients: 16, maxBufferedBytes: 1024 * 1024, pingIntervalMs: 25_000 };
const SNAPSHOT_REUSE_MS = 1000;
/**
 * The two-way view is tens of KB and a flood of events changes it thousands of times a second:
 * the first change goes at once, then at most one message per pace, the last one always sent.
 */
export const FLOWS_PACE_MS = 250;
/** The deflate window of the feed (server.ts says why). */
export const FEED_WINDOW_BITS = 13;

/**
 * ws refuses a handshake whose permessage-deflate offer asks for a smaller server window than
 * FEED_WINDOW_BITS; such a client should get the feed uncompressed, not none. Drops the offer.
 */
export function withoutSmallWindowOffer(headers: Record<string, string | string[] | undefined>): void {
  const offer = headers['sec-websocket-extensions'];
  if (typeof offer !== 'string') return;
  for (const m of offer.matchAll(/server_max_window_bits\s*=\s*"?(\d+)/gi)) {
    if (Number(m[1]) < FEED_WINDOW_BITS) {
      delete headers['sec-websocket-extensions'];
      return;
    }
  }
}
/** Close code for "try again later" (RFC 6455 registry: 1013). The page reconnects with backoff. */
const TRY_AGAIN_LATER = 1013;

export class LiveFeed {
  private readonly clients = new Set<WebSocket>();
  /** Clients that have answered the last ping. */
  private readonly alive = new WeakSet<WebSocket>();
  private readonly limits: FeedLimits;
  private readonly pending = new Set<PanelInstance>();
  /** What each instance's last message said: a poll that changed nothing sends nothing. */
  private readonly lastSent = new Map<string, string>();
  /**
   * The instances part of the snapshot, kept for a second or until a monitor shows a new view:
   * when every tab reconnects at once (the Supervisor restarted) the JSON is built once, not once
   * per tab. The second bounds what a change no view announced could leave out.
   */
  private snapshotInstances: { text: string; at: number } | undefined;
  private flushScheduled = false;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly pinger: NodeJS.Timeout;
  private flowsTimer: NodeJS.Timeout | undefined;
  private flowsPending = false;

  constructor(private readonly ctx: PanelContext) {
    this.limits = { ...FEED_LIMITS, ...ctx.options.feed };
    for (const inst of ctx.options.monitors) {
      const onView = () => this.schedule(inst);
      const onEvent = (event: unknown) => this.broadcast({ type: 'event', instance: inst.id, event });
      const onAlert = (alert: unknown) => this.broadcast({ type: 'alert', instance: inst.id, alert });
      inst.monitor.on('view', onView);
      inst.monitor.on('event', onEvent);
      inst.monitor.on('alert', onAlert);
      this.unsubscribe.push(() => {
        inst.monitor.off('view', onView);
        inst.monitor.off('event', onEvent);
        inst.monitor.off('alert', onAlert);
      });
    }
    const apps = ctx.options.apps;
    if (apps) {
      const onAppsJob = (job: AppsJob) => this.broadcast({ type: 'apps-job', job });
      apps.jobs.on('job', onAppsJob);
      this.unsubscribe.push(() => apps.jobs.off('job', onAppsJob));
    }
    const backups = ctx.options.backups;
    if (backups) {
      const onJob = (job: JobStatus) => this.broadcast({ type: 'backup-job', job });
      const onStatus = (status: BackupStatus) => this.broadcast({ type: 'backups', status });
      backups.on('job', onJob);
      backups.on('status', onStatus);
      this.unsubscribe.push(() => {
        backups.off('job', onJob);
        backups.off('status', onStatus);
      });
    }
    const flows = ctx.options.haFlows;
    if (flows) {
      const onFlows = () => this.paceFlows();
      flows.on('change', onFlows);
      this.unsubscribe.push(() => flows.off('change', onFlows));
    }
    const onLine = (line: LogLine) => this.broadcast({ type: 'log', line });
    ctx.options.logs.on('line', onLine);
    this.unsubscribe.push(() => ctx.options.logs.off('line', onLine));
    // Keeps idle connections open through proxies; ingress relays ping and pong frames (autoping=False
    // on both of its hops), so a browser behind it answers like one connected directly.
    this.pinger = setInterval(() => {
      for (const c of this.clients) {
        if (!this.alive.has(c)) {
          c.terminate();
          continue;
        }
        this.alive.delete(c);
        if (c.readyState === c.OPEN) c.ping();
      }
    }, this.limits.pingIntervalMs);
    this.pinger.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  /** Views coalesce within one turn of the event loop: a burst of changes is one message. */
  private schedule(inst: PanelInstance): void {
    this.snapshotInstances = undefined;
    this.pending.add(inst);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const list = [...this.pending];
      this.pending.clear();
      if (this.clients.size === 0) {
        this.lastSent.clear();
        return;
      }
      for (const i of list) {
        const text = JSON.stringify({ type: 'instance', instance: instanceBody(i) });
        if (this.lastSent.get(i.id) === text) continue;
        this.lastSent.set(i.id, text);
        for (const c of this.clients) this.send(c, text);
      }
    });
  }

  private paceFlows(): void {
    if (this.flowsTimer) {
      this.flowsPending = true;
      return;
    }
    const flows = this.ctx.options.haFlows;
    if (flows && this.size > 0) this.broadcast({ type: 'ha-flows', flows: flows.view() });
    this.flowsTimer = setTimeout(() => {
      this.flowsTimer = undefined;
      if (!this.flowsPending) return;
      this.flowsPending = false;
      this.paceFlows();
    }, FLOWS_PACE_MS);
    this.flowsTimer.unref();
  }

  private broadcast(message: unknown): void {
    if (this.clients.size === 0) return;
    const text = JSON.stringify(message);
    for (const c of this.clients) this.send(c, text);
  }

  private send(c: WebSocket, text: string): void {
    if (c.readyState !== c.OPEN) return;
    // bufferedAmount counts what waits for the socket and what waits for deflate (ws's sender queue).
    if (c.bufferedAmount > this.limits.maxBufferedBytes) {
      c.terminate();
      return;
    }
    c.send(text);
  }

  /** Refuses a cross-site page outside ingress: its Origin must name the host it connected to. */
  allowed(req: FastifyRequest): boolean {
    if (this.ctx.ingress(req).viaIngress) return true;
    const origin = req.headers.origin;
    if (!origin) return true; // not a browser (scripts, tests)
    try {
      return new URL(origin).host === req.headers.host;
    } catch {
      return false;
    }
  }

  accept(socket: WebSocket): void {
    if (this.clients.size >= this.limits.maxClients) {
      socket.close(TRY_AGAIN_LATER, `The panel serves ${this.limits.maxClients} live pages at once; close one.`);
      return;
    }
    this.clients.add(socket);
    this.alive.add(socket);
    socket.on('pong', () => this.alive.add(socket));
    socket.on('close', () => this.clients.delete(socket));
    socket.on('error', () => this.clients.delete(socket));
    // Clients send nothing; anything they do send is ignored.
    const now = performance.now();
    if (!this.snapshotInstances || now - this.snapshotInstances.at > SNAPSHOT_REUSE_MS) {
      this.snapshotInstances = { text: JSON.stringify(this.ctx.options.monitors.map(instanceBody)), at: now };
    }
    this.send(socket, `{"type":"state","instances":${this.snapshotInstances.text},"serverTime":${JSON.stringify(new Date().toISOString())}}`);
  }

  close(): void {
    clearInterval(this.pinger);
    clearTimeout(this.flowsTimer);
    for (const u of this.unsubscribe) u();
    for (const c of this.clients) c.close(1001, 'The panel is stopping');
    this.clients.clear();
  }
}
