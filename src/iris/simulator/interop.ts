/**
 * Interoperability in the simulated instance: productions, their business hosts and Ens.Director.
 * Every behaviour follows the InterSystems documentation cited beside it:
 *
 * [EGMG]  "Managing Productions", docs.intersystems.com/irislatest/csp/docbook/DocBook.UI.Page.cls?KEY=EGMG
 * [DIR]   Ens.Director class reference; measured behaviour of public code on 2026.1 where noted
 * [STATS] Ens.Util.Statistics class reference (EnumerateHostStatus query)
 * [CFG]   Ens.Config.Production: the production CLASS (XData ProductionDefinition) is the source of
 *         truth; the Ens_Config tables are loaded from it when the class compiles (LoadFromClass),
 *         so a change made only in the tables is undone by the next compile; SaveToClass() writes
 *         the tables back into the class and compiles it (community report reproduced by
 *         InterSystems; public code on 2025/2026).
 * [UTC]   Ens.MessageHeader.TimeCreated is UTC (Ens.DataType.UTC); EnumerateHostStatus reports
 *         LastActivity as LOCAL time (the contract suite checks it against a real IRIS).
 *
 * Failures are %Status errors (StatusError) with IRIS's codes, e.g. <Ens>ErrProductionNotQuiescent.
 */
import { productionKey, type HostKind, type HostStatus, type IrisProductionState } from '../../model/production.ts';
import { localTimestamp } from './clock.ts';
import type { ProductionSeed } from './scenarios.ts';
import { StatusError } from './security.ts';

export interface SimHost {
  name: string;
  className: string;
  kind: HostKind;
  /** Enabled in the configuration tables (Ens_Config.Item). */
  enabled: boolean;
  /** Enabled as the running production applied it (UpdateProduction brings it in line). */
  runEnabled: boolean;
  status: HostStatus;
  queue: number;
  errors: number;
  lastActivity: Date | null;
  /** A message in flight: the host is not quiescent, so a non-forced stop is refused. */
  busy: boolean;
}

export interface SimProduction {
  namespace: string;
  name: string;
  state: IrisProductionState;
  hosts: SimHost[];
  /** Enabled per item as the production class's XData says (what a compile loads). */
  classEnabled: Map<string, boolean>;
  needsUpdate: boolean;
  updateReason: string;
  autoStart: boolean;
  /** ^Ens.Runtime("StartTime") of the current run. */
  startedAt: Date | null;
}

/** $$$eProductionState* codes (EnsConstants.inc). */
const STATE_CODE: Record<IrisProductionState, number> = {
  running: 1,
  stopped: 2,
  suspended: 3,
  troubled: 4,
  network_stopped: 5,
  unknown: 0,
};

const ens = (code: string, text: string) => new StatusError(`<Ens>${code}`, `ERROR <Ens>${code}: ${text}`);

export class SimulatedInterop {
  private readonly productions = new Map<string, SimProduction>();

  constructor(
    seeds: ProductionSeed[],
    private readonly now: () => Date,
    private readonly transitionMs: number,
  ) {
    for (const seed of seeds) this.add(seed);
  }

  namespaces(): string[] {
    return [...new Set([...this.productions.values()].map((p) => p.namespace))].sort();
  }

  all(): SimProduction[] {
    return [...this.productions.values()];
  }

  find(namespace: string, name: string): SimProduction | undefined {
    return this.productions.get(productionKey({ namespace, name }));
  }

  add(seed: ProductionSeed): void {
    const now = this.now();
    this.productions.set(productionKey(seed), {
      namespace: seed.namespace,
      name: seed.name,
      state: seed.running ? 'running' : 'stopped',
      autoStart: seed.autoStart ?? seed.running,
      needsUpdate: false,
      updateReason: '',
      startedAt: seed.running ? now : null,
      classEnabled: new Map(seed.hosts.map((h) => [h.name, h.enabled ?? true])),
      hosts: seed.hosts.map((h) => {
        const enabled = h.enabled ?? true;
        return {
          name: h.name,
          className: h.className,
          kind: h.kind,
          enabled,
          runEnabled: enabled,
          status: (!enabled ? 'disabled' : seed.running ? 'ok' : 'stopped') as HostStatus,
          queue: 0,
          errors: 0,
          lastActivity: seed.running && enabled ? now : null,
          busy: false,
        };
      }),
    });
  }

  remove(namespace: string, name: string): void {
    this.productions.delete(productionKey({ namespace, name }));
  }

  // ---- Reads ---------------------------------------------------------------------------------

  /** The production the namespace's runtime holds (running, troubled or suspended), if any. */
  private current(namespace: string): SimProduction | undefined {
    return this.all().find((p) => p.namespace === namespace && p.state !== 'stopped');
  }

  /** [DIR] GetProductionStatus: with nothing running, name "" and state 2 (measured on 2026.1). */
  productionStatus(namespace: string): { name: string; state: number } {
    const p = this.current(namespace);
    return p ? { name: p.name, state: STATE_CODE[p.state] } : { name: '', state: 2 };
  }

  productionNeedsUpdate(namespace: string): { needs: boolean; reason: string } {
    const p = this.current(namespace);
    return p?.state === 'running' && p.needsUpdate ? { needs: true, reason: p.updateReason } : { needs: false, reason: '' };
  }

  /** ^Ens.Runtime("StartTime"): the current run's start, UTC ODBC text, "" when nothing runs. */
  runtimeStartTime(namespace: string): string {
    const p = this.current(namespace);
    return p?.startedAt ? p.startedAt.toISOString().replace('T', ' ').replace('Z', '') : '';
  }

  /**
   * [STATS] EnumerateHostStatus rows of the running production: Name, Type, Status, Queue
   * ("" for an empty queue), LastActivity as a LOCAL %TimeStamp ([UTC]). No rows when no
   * production runs; enabled hosts only.
   */
  enumerateHostStatus(namespace: string, timeZone: string): Array<{ Name: string; Type: string; Status: string; Queue: string; LastActivity: string }> {
    const p = this.current(namespace);
    if (!p || (p.state !== 'running' && p.state !== 'troubled')) return [];
    const word: Record<HostStatus, string> = {
      ok: 'OK',
      error: 'Error',
      inactive: 'Inactive',
      retry: 'Retry',
      stopped: 'Stopped',
      disabled: 'Disabled',
      unconfigured: 'Unconfigured',
    };
    return p.hosts
      .filter((h) => h.runEnabled)
      .map((h) => ({
        Name: h.name,
        Type: h.kind === 'process' ? 'Actor' : h.kind === 'service' ? 'BusinessService' : 'BusinessOperation',
        Status: word[h.status],
        Queue: h.queue === 0 ? '' : String(h.queue),
        LastActivity: h.lastActivity ? localTimestamp(h.lastActivity, timeZone) : '',
      }));
  }

  /** Ens.Queue.GetCount(name): messages wait in a queue whether or not the production runs. */
  queueCount(namespace: string, host: string): number {
    return this.all().find((p) => p.namespace === namespace && p.hosts.some((h) => h.name === host))?.hosts.find((h) => h.name === host)?.queue ?? 0;
  }

  /** Ens.MessageHeader: errored messages per target host created since `since` (UTC ODBC text). */
  errorCounts(namespace: string, since: string): Map<string, number> {
    const out = new Map<string, number>();
    const p = this.current(namespace);
    if (!p?.startedAt || since === '') return out;
    for (const h of p.hosts) if (h.errors > 0) out.set(h.name, h.errors);
    return out;
  }

  /** SELECT Name FROM Ens_Config.Production. */
  productionNames(namespace: string): string[] {
    return this.all()
      .filter((p) => p.namespace === namespace)
      .map((p) => p.name);
  }

  /** SELECT Production, Name, ClassName, Enabled FROM Ens_Config.Item. */
  items(namespace: string): Array<{ Production: string; Name: string; ClassName: string; Enabled: number }> {
    return this.all()
      .filter((p) => p.namespace === namespace)
      .flatMap((p) => p.hosts.map((h) => ({ Production: p.name, Name: h.name, ClassName: h.className, Enabled: h.enabled ? 1 : 0 })));
  }

  // ---- Ens.Director ---------------------------------------------------------------------------

  async startProduction(namespace: string, name: string): Promise<void> {
    const p = this.find(namespace, name);
    if (!p) throw ens('ErrProductionNotFound', `Production '${name}' not found`);
    // [EGMG] "Only one production can run in a namespace at a time"; [DIR] StartProduction returns
    // <Ens>ErrProductionAlreadyRunning when one is running.
    const running = this.all().find((o) => o.namespace === namespace && (o.state === 'running' || o.state === 'troubled'));
    if (running && running !== p) throw ens('ErrProductionAlreadyRunning', `Production '${running.name}' is already running in namespace ${namespace}`);
    if (p.state === 'running') throw ens('ErrProductionAlreadyRunning', `Production '${p.name}' is already running`);
    // [EGMG] "Recovering a Production": a troubled production must be recovered before it starts.
    if (p.state === 'troubled') throw ens('ErrProductionNotShutdownCleanly', `Production '${p.name}' was not shut down cleanly; recover it first`);
    await this.delay();
    p.state = 'running';
    p.needsUpdate = false;
    p.updateReason = '';
    const now = this.now();
    p.startedAt = now;
    for (const h of p.hosts) {
      h.runEnabled = h.enabled;
      h.errors = 0;
      h.status = h.enabled ? 'ok' : 'disabled';
      if (h.enabled) h.lastActivity = now;
    }
  }

  /**
   * [DIR] StopProduction(pTimeout, pForce): if a business host is still processing when the
   * timeout expires and pForce is 0, the stop fails with <Ens>ErrProductionNotQuiescent and the
   * production keeps running. With nothing running it is a no-op (measured by public code).
   */
  async stopProduction(namespace: string, force: boolean): Promise<void> {
    const p = this.current(namespace);
    if (!p) return;
    const busy = p.hosts.filter((h) => h.busy);
    await this.delay();
    if (busy.length > 0 && !force) {
      throw ens('ErrProductionNotQuiescent', `Production '${p.name}' did not become quiescent; busy: ${busy.map((h) => h.name).join(', ')}`);
    }
    p.state = 'stopped';
    p.startedAt = null;
    for (const h of p.hosts) {
      h.busy = false;
      // [STATS] no status rows for a stopped production; the agent reports its hosts as stopped
      // (or disabled when not enabled in the configuration).
      h.status = h.enabled ? 'stopped' : 'disabled';
    }
  }

  /** [DIR] RestartProduction(pTimeout, pForce): StopProduction then StartProduction of the same production. */
  async restartProduction(namespace: string, force: boolean): Promise<void> {
    const p = this.current(namespace);
    if (!p) return;
    await this.stopProduction(namespace, force);
    await this.startProduction(namespace, p.name);
  }

  /**
   * [DIR] UpdateProduction(pTimeout, pForce): applies the saved configuration to the running
   * production, restarting only the changed items; a changed item still busy at the timeout
   * fails the update with <Ens>ErrJobNotStopped unless forced.
   */
  async updateProduction(namespace: string, force: boolean): Promise<void> {
    const p = this.current(namespace);
    if (!p || p.state !== 'running') return;
    const changed = p.hosts.filter((h) => h.enabled !== h.runEnabled || p.needsUpdate);
    await this.delay();
    const busy = changed.find((h) => h.busy);
    if (busy && !force) throw ens('ErrJobNotStopped', `Job for config item '${busy.name}' did not stop within the timeout`);
    const now = this.now();
    for (const h of p.hosts) {
      if (h.enabled === h.runEnabled) continue;
      h.runEnabled = h.enabled;
      h.busy = false;
      h.status = h.enabled ? 'ok' : 'disabled';
      if (h.enabled) h.lastActivity = now;
    }
    p.needsUpdate = false;
    p.updateReason = '';
  }

  /**
   * [EGMG] "Recovering a Production" / [DIR] RecoverProduction(): cleans up a troubled
   * production's runtime state; the production is then Suspended (messages in its private
   * queues are discarded) and can be started again. On any other state it changes nothing.
   */
  async recoverProduction(namespace: string): Promise<void> {
    const p = this.current(namespace);
    await this.delay();
    if (p?.state !== 'troubled') return;
    p.state = 'suspended';
    for (const h of p.hosts) {
      h.busy = false;
      h.status = h.enabled ? 'stopped' : 'disabled';
    }
  }

  // ---- Ens.Config.Production ------------------------------------------------------------------

  /**
   * [CFG] prod.SaveToClass(item) after item.Enabled was set: the class's XData takes the
   * configuration, the class compiles, and a running production then needs an update.
   */
  saveToClass(namespace: string, name: string, host: string, enabled: boolean): void {
    const p = this.find(namespace, name);
    const h = p?.hosts.find((x) => x.name === host);
    if (!p || !h) throw ens('ErrConfigItemNotFound', `Config item '${host}' not found in production '${name}'`);
    h.enabled = enabled;
    p.classEnabled.set(host, enabled);
    if (p.state === 'running' && h.runEnabled !== enabled) {
      p.needsUpdate = true;
      p.updateReason = `Config item '${host}' has been ${enabled ? 'enabled' : 'disabled'}`;
    }
    if (p.state !== 'running') h.status = enabled ? (p.state === 'troubled' ? 'error' : 'stopped') : 'disabled';
  }

  /** [CFG] a compile of the production class: the configuration tables are reloaded from the XData. */
  compileClass(namespace: string, name: string): void {
    const p = this.find(namespace, name);
    if (!p) return;
    for (const h of p.hosts) {
      const fromClass = p.classEnabled.get(h.name) ?? h.enabled;
      if (fromClass === h.enabled) continue;
      h.enabled = fromClass;
      if (p.state === 'running' && h.runEnabled !== fromClass) {
        p.needsUpdate = true;
        p.updateReason = `Config item '${h.name}' has been ${fromClass ? 'enabled' : 'disabled'}`;
      }
    }
  }

  // ---- The instance itself --------------------------------------------------------------------

  /** "iris stop": productions shut down. */
  stopAll(): void {
    for (const p of this.all()) this.setRunState(p, false);
  }

  /** [EGMG] "Setting a Production to Start Automatically": each namespace's auto-start production starts. */
  startAutoStart(): void {
    for (const p of this.all()) this.setRunState(p, p.autoStart);
  }

  private setRunState(p: SimProduction, running: boolean): void {
    p.state = running ? 'running' : 'stopped';
    p.startedAt = running ? this.now() : null;
    for (const h of p.hosts) {
      h.runEnabled = h.enabled;
      if (h.enabled) h.status = running ? 'ok' : 'stopped';
    }
  }

  private delay(): Promise<void> {
    return new Promise((r) => setTimeout(r, this.transitionMs));
  }
}
