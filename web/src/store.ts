/** The live state: a snapshot on (re)connect, then one instance at a time from the feed. */
import type { LogLine } from './api.ts';
import type { HaFlowsView } from '../../src/model/ha-flow.ts';
import type { BackupFeedMessage, Instance } from './types.ts';
import type { AppsJob } from '../../src/model/apps-job.ts';

type Listener = () => void;

class Store {
  instances = new Map<string, Instance>();
  connected = false;
  /** Set once the first snapshot has arrived. */
  loaded = false;
  /** The bridge's clock minus this browser's (from the snapshot): countdowns use the bridge's time. */
  skewMs = 0;
  private listeners = new Set<Listener>();
  private logListeners = new Set<(l: LogLine) => void>();
  private backupListeners = new Set<(m: BackupFeedMessage) => void>();
  private appsListeners = new Set<(job: AppsJob) => void>();
  private flowsListeners = new Set<(f: HaFlowsView) => void>();
  private ws: WebSocket | undefined;
  private retry = 500;

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  onLog(l: (line: LogLine) => void): () => void {
    this.logListeners.add(l);
    return () => this.logListeners.delete(l);
  }
  /** Backup jobs report progress several times a second: only the Backups page listens. */
  onBackup(l: (m: BackupFeedMessage) => void): () => void {
    this.backupListeners.add(l);
    return () => this.backupListeners.delete(l);
  }
  /** IPM's output of an apps job, line by line: only the Apps page listens. */
  onAppsJob(l: (job: AppsJob) => void): () => void {
    this.appsListeners.add(l);
    return () => this.appsListeners.delete(l);
  }

  /** The traffic with Home Assistant: only its page listens. */
  onHaFlows(l: (f: HaFlowsView) => void): () => void {
    this.flowsListeners.add(l);
    return () => this.flowsListeners.delete(l);
  }
  notify(): void {
    for (const l of this.listeners) l();
  }

  /** Same place as the page, whatever prefix ingress put in front of it. */
  connect(): void {
    const url = new URL('api/feed', location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.hash = '';
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.onopen = () => {
      this.retry = 500;
    };
    ws.onmessage = (e) => {
      const m = JSON.parse(String(e.data)) as { type: string; instances?: Instance[]; instance?: Instance | string; line?: LogLine; serverTime?: string; flows?: HaFlowsView };
      if (m.type === 'state' && m.instances) {
        const server = Date.parse(m.serverTime ?? '');
        this.skewMs = Number.isFinite(server) ? server - Date.now() : 0;
        this.instances = new Map(m.instances.map((i) => [i.id, i]));
        this.connected = true;
        this.loaded = true;
        this.notify();
      } else if (m.type === 'instance' && m.instance && typeof m.instance === 'object') {
        this.instances.set(m.instance.id, m.instance);
        this.notify();
      } else if (m.type === 'log' && m.line) {
        for (const l of this.logListeners) l(m.line);
      } else if (m.type === 'apps-job') {
        for (const l of this.appsListeners) l((m as unknown as { job: AppsJob }).job);
      } else if (m.type === 'ha-flows' && m.flows) {
        for (const l of this.flowsListeners) l(m.flows);
      } else if (m.type === 'backup-job' || m.type === 'backups') {
        for (const l of this.backupListeners) l(m as BackupFeedMessage);
      }
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      const was = this.connected;
      this.connected = false;
      if (was) this.notify();
      setTimeout(() => this.connect(), this.retry);
      this.retry = Math.min(this.retry * 2, 10_000);
    };
  }

  /** Now, on the bridge's clock. */
  now(): number {
    return Date.now() + this.skewMs;
  }

  /** Applies a command's answer at once (the feed brings the same view moments later). */
  applyProduction(instanceId: string, p: Instance['productions'][number]): void {
    const inst = this.instances.get(instanceId);
    if (!inst) return;
    this.instances.set(instanceId, { ...inst, productions: inst.productions.map((x) => (x.key === p.key ? p : x)) });
    this.notify();
  }
}

export const store = new Store();
