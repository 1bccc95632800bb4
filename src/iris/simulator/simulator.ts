/**
 * A simulated IRIS: the demo backend and the tests' double. It implements the same IrisClient
 * surface as the Native API client, and every behaviour it models follows the InterSystems
 * documentation cited beside it:
 *
 * [EGMG]  "Managing Productions", docs.intersystems.com/irislatest/csp/docbook/DocBook.UI.Page.cls?KEY=EGMG
 * [DIR]   Ens.Director class reference, docs.intersystems.com/irislatest/csp/documatic/%25CSP.Documatic.cls?CLASSNAME=Ens.Director
 * [STATS] Ens.Util.Statistics class reference (EnumerateHostStatus query)
 * [MON]   "Monitoring a Production", docs.intersystems.com/irislatest/csp/docbook/DocBook.UI.Page.cls?KEY=EMONITOR
 * [SSL]   Security.SSLConfigs class reference (%SYS) and "About Configurations" (TLS guide, KEY=GCAS_ssl);
 *         summarised in research iris.md §4
 * Databases, freeze and thaw: see ./databases.ts.
 */
import type { IrisClient } from '../client.ts';
import { IrisCommandRefusedError, IrisUnavailableError, UnknownProductionError } from '../errors.ts';
import {
  productionKey,
  type HostCommand,
  type HostSnapshot,
  type HostStatus,
  type IrisProductionState,
  type ProductionCommand,
  type ProductionSnapshot,
  type Snapshot,
} from '../../model/production.ts';
import { demoScenario, type ProductionSeed } from './scenarios.ts';
import type { DatabaseInfo } from '../../model/backup.ts';
import type { SimulatedDatabases } from './databases.ts';
import { sslInputProblem, type SslConfig, type SslConfigInput, type SslConfigUser } from '../../model/ssl.ts';

export interface SimulatorOptions {
  productions?: ProductionSeed[];
  /** Random queue and error activity for the demo. Off in tests, which set states explicitly. */
  activity?: boolean;
  /** How long StartProduction / StopProduction take, in ms. */
  transitionMs?: number;
  /** Seed for the activity's pseudo-random numbers, so a demo run is reproducible. */
  seed?: number;
  /** SSL/TLS configurations (default: two examples, one used by HL7.Out.Lab in Orders.Production). */
  sslConfigs?: SimSslConfig[];
  /** Host settings SSLConfig=<name>: "namespace/production/host" -> config name. */
  sslSettings?: Record<string, string>;
  /** A data directory with database files (backups); without one, databases() refuses. */
  databases?: SimulatedDatabases;
}

/** A simulated Security.SSLConfigs object (the password is kept only to prove it never leaves). */
export interface SimSslConfig extends Omit<SslConfig, 'usedBy'> {
  privateKeyPassword?: string;
}

export function demoSslConfigs(): SimSslConfig[] {
  return [
    {
      name: 'LabTLS',
      description: 'Client TLS to the lab system',
      type: 'client',
      enabled: true,
      caFile: '/usr/irissys/mgr/lab-ca.pem',
      certificateFile: '',
      privateKeyFile: '',
      verifyPeer: 1,
      tlsMinVersion: 16,
      tlsMaxVersion: 32,
    },
    {
      name: 'ISC.FeatureTracker.SSLConfig',
      description: '',
      type: 'client',
      enabled: true,
      caFile: '',
      certificateFile: '',
      privateKeyFile: '',
      verifyPeer: 0,
      tlsMinVersion: 16,
      tlsMaxVersion: 32,
    },
  ];
}

export const DEMO_SSL_SETTINGS: Record<string, string> = { 'ORDERS/Orders.Production/HL7.Out.Lab': 'LabTLS' };

interface SimHost extends HostSnapshot {
  /** A message in flight: the host is not quiescent, so a non-forced stop is refused. */
  busy: boolean;
}

interface SimProduction {
  namespace: string;
  name: string;
  state: IrisProductionState;
  hosts: SimHost[];
  needsUpdate: boolean;
  updateReason: string;
  autoStart: boolean;
}

const VERSION = 'IRIS for UNIX (Ubuntu Server LTS for x86-64 Containers) 2026.1 (Build 213U) (simulated)';
const VERSION_NUMBER = '2026.1.0.213.0';

export class IrisSimulator implements IrisClient {
  readonly kind = 'simulator' as const;
  readonly target = 'the built-in IRIS simulator (no real IRIS)';
  private readonly productions = new Map<string, SimProduction>();
  private reachable = true;
  private readonly transitionMs: number;
  private activityTimer: NodeJS.Timeout | undefined;
  private rand: () => number;
  /** Calls made to control(), for tests that must prove nothing reached IRIS. */
  readonly controlCalls: ProductionCommand[] = [];
  private readonly ssl = new Map<string, SimSslConfig>();
  private readonly sslSettings: Map<string, string>;
  /** Calls made to applySslConfig(), for tests that must prove nothing reached IRIS. */
  readonly sslApplyCalls: string[] = [];
  readonly data: SimulatedDatabases | undefined;

  constructor(options: SimulatorOptions = {}) {
    this.transitionMs = options.transitionMs ?? 200;
    this.data = options.databases;
    let s = options.seed ?? 42;
    this.rand = () => {
      s = (s * 1103515245 + 12345) & 0x7fffffff;
      return s / 0x7fffffff;
    };
    for (const seed of options.productions ?? demoScenario()) this.addProduction(seed);
    for (const c of options.sslConfigs ?? demoSslConfigs()) this.ssl.set(c.name, { ...c });
    this.sslSettings = new Map(Object.entries(options.sslSettings ?? DEMO_SSL_SETTINGS));
    if (options.activity) {
      this.activityTimer = setInterval(() => this.stepActivity(), 1000);
      this.activityTimer.unref();
    }
  }

  // ---- IrisClient ---------------------------------------------------------------------------

  async snapshot(): Promise<Snapshot> {
    this.assertReachable();
    return {
      instance: { version: VERSION, versionNumber: VERSION_NUMBER },
      productions: [...this.productions.values()].map((p) => this.toSnapshot(p)),
      takenAt: new Date().toISOString(),
    };
  }

  async control(command: ProductionCommand): Promise<void> {
    this.assertReachable();
    this.controlCalls.push({ ...command });
    const p = this.get(command.namespace, command.production);
    switch (command.action) {
      case 'start':
        return this.start(p);
      case 'stop':
        return this.stop(p, command.force ?? false);
      case 'restart':
        // [DIR] RestartProduction: stops the running production and starts it again, with the
        // same timeout/force semantics as StopProduction.
        this.refuseUnlessRunning(p);
        await this.stop(p, command.force ?? false);
        return this.start(p);
      case 'update':
        return this.update(p, command.force ?? false);
      case 'recover':
        return this.recover(p);
    }
  }

  async setHostEnabled(command: HostCommand): Promise<void> {
    this.assertReachable();
    const p = this.get(command.namespace, command.production);
    const h = p.hosts.find((x) => x.name === command.host);
    // [DIR] EnableConfigItem: "<Ens>ErrConfigItemNotFound" names the item and the production.
    if (!h) {
      throw new IrisCommandRefusedError(
        `ERROR <Ens>ErrConfigItemNotFound: Config item '${command.host}' not found in production '${p.name}'`,
        '<Ens>ErrConfigItemNotFound',
      );
    }
    await this.delay();
    this.assertReachable();
    h.enabled = command.enable;
    // [DIR] EnableConfigItem(pConfigItemName, pEnable, pDoUpdate=1): with pDoUpdate the running
    // production is updated at once, so the host starts or stops; a stopped production only
    // changes its definition.
    if (p.state === 'running') {
      h.status = command.enable ? 'ok' : 'disabled';
      h.busy = false;
      if (command.enable) h.lastActivity = new Date().toISOString();
    } else {
      h.status = command.enable ? 'stopped' : 'disabled';
    }
  }

  async sslConfigs(): Promise<SslConfig[]> {
    this.assertReachable();
    // [SSL] Security.SSLConfigs lives in %SYS; the List query returns every configuration. The
    // hosts that use one are found through Ens_Config.Item settings Name="SSLConfig" (§4.3).
    return [...this.ssl.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map(({ privateKeyPassword: _pw, ...c }) => ({ ...c, usedBy: this.usersOf(c.name) }));
  }

  async applySslConfig(input: SslConfigInput): Promise<void> {
    this.assertReachable();
    // [SSL] Name is the IdKey (required); Type 0 client / 1 server; VerifyPeer client 0|1,
    // server 0|1|3; TLSMin/MaxVersion bitmask values 2..32. The simulator refuses what the
    // bridge's own checks refuse (sslInputProblem) with IRIS-style %Status text; whether IRIS
    // checks that the files exist at %Save is not documented, so it is not modelled.
    const problem = sslInputProblem(input);
    if (problem) throw new IrisCommandRefusedError(`ERROR #5001: ${problem}`, '5001');
    this.sslApplyCalls.push(input.name);
    const existing = this.ssl.get(input.name);
    // Security.SSLConfigs.Exists(name) -> %OpenId and modify, else %New; Enabled defaults to 1.
    this.ssl.set(input.name, {
      name: input.name,
      description: input.description ?? existing?.description ?? '',
      type: input.type,
      enabled: existing?.enabled ?? true,
      caFile: input.caFile,
      certificateFile: input.certificateFile,
      privateKeyFile: input.privateKeyFile,
      verifyPeer: input.verifyPeer,
      tlsMinVersion: input.tlsMinVersion,
      tlsMaxVersion: input.tlsMaxVersion,
      ...(input.privateKeyPassword ? { privateKeyPassword: input.privateKeyPassword } : {}),
    });
  }

  /** Security.SSLConfigs.Delete(name), for tests. */
  deleteSslConfig(name: string): boolean {
    return this.ssl.delete(name);
  }

  /** A host's adapter setting SSLConfig names a configuration ("" removes it). */
  setHostSslConfig(namespace: string, production: string, host: string, config: string): void {
    const key = `${namespace}/${production}/${host}`;
    if (config) this.sslSettings.set(key, config);
    else this.sslSettings.delete(key);
  }

  /** The stored key password of a configuration (tests prove it reached "IRIS" and nowhere else). */
  sslPasswordOf(name: string): string | undefined {
    return this.ssl.get(name)?.privateKeyPassword;
  }

  private usersOf(name: string): SslConfigUser[] {
    const out: SslConfigUser[] = [];
    for (const [key, cfg] of this.sslSettings) {
      if (cfg !== name) continue;
      const [namespace, production, host] = key.split('/') as [string, string, string];
      if (!this.productions.get(productionKey({ namespace, name: production }))?.hosts.some((h) => h.name === host)) continue;
      out.push({ namespace, production, host });
    }
    return out;
  }

  async databases(): Promise<DatabaseInfo[]> {
    this.assertReachable();
    return this.dataDir().list();
  }

  async freeze(): Promise<void> {
    this.assertReachable();
    this.dataDir().freeze();
  }

  async thaw(): Promise<void> {
    this.assertReachable();
    this.dataDir().thaw();
  }

  async close(): Promise<void> {
    if (this.activityTimer) clearInterval(this.activityTimer);
    this.data?.close();
  }

  private dataDir(): SimulatedDatabases {
    if (!this.data) throw new IrisCommandRefusedError('This simulated IRIS has no data directory, so it has no database files to back up.', undefined);
    return this.data;
  }

  // ---- The instance itself (what `iris stop` / `iris start` do) -----------------------------

  /** [GSA] "iris stop IRIS quietly": productions shut down, buffers are written, IRIS stops answering. */
  stopInstance(): void {
    for (const p of this.productions.values()) this.setRunState(p, false);
    this.data?.stop();
    this.reachable = false;
  }

  /**
   * [EGMG] "Setting a Production to Start Automatically" (Ens.Director.SetAutoStart): when the
   * instance starts, each namespace's auto-start production starts and no other.
   */
  startInstance(): void {
    this.data?.start();
    for (const p of this.productions.values()) this.setRunState(p, p.autoStart);
    this.reachable = true;
  }

  private setRunState(p: SimProduction, running: boolean): void {
    p.state = running ? 'running' : 'stopped';
    for (const h of p.hosts) if (h.enabled) h.status = running ? 'ok' : 'stopped';
  }

  // ---- Behaviours ---------------------------------------------------------------------------

  private async start(p: SimProduction): Promise<void> {
    // [EGMG] "Only one production can run in a namespace at a time"; [DIR] StartProduction returns
    // <Ens>ErrProductionAlreadyRunning when one is running.
    const running = [...this.productions.values()].find(
      (o) => o.namespace === p.namespace && (o.state === 'running' || o.state === 'troubled'),
    );
    if (running && running !== p) {
      throw new IrisCommandRefusedError(
        `ERROR <Ens>ErrProductionAlreadyRunning: Production '${running.name}' is already running in namespace ${p.namespace}`,
        '<Ens>ErrProductionAlreadyRunning',
      );
    }
    if (p.state === 'running') {
      throw new IrisCommandRefusedError(
        `ERROR <Ens>ErrProductionAlreadyRunning: Production '${p.name}' is already running`,
        '<Ens>ErrProductionAlreadyRunning',
      );
    }
    // [EGMG] "Recovering a Production": a troubled production must be recovered before it starts.
    if (p.state === 'troubled') {
      throw new IrisCommandRefusedError(
        `ERROR <Ens>ErrProductionNotShutdownCleanly: Production '${p.name}' was not shut down cleanly; recover it first`,
        '<Ens>ErrProductionNotShutdownCleanly',
      );
    }
    await this.delay();
    this.assertReachable();
    p.state = 'running';
    p.needsUpdate = false;
    p.updateReason = '';
    const now = new Date().toISOString();
    for (const h of p.hosts) {
      h.status = h.enabled ? 'ok' : 'disabled';
      if (h.enabled) h.lastActivity = now;
    }
  }

  private async stop(p: SimProduction, force: boolean): Promise<void> {
    this.refuseUnlessRunning(p);
    // [DIR] StopProduction(pTimeout, pForce): if a business host is still processing when the
    // timeout expires and pForce is 0, the stop fails with <Ens>ErrProductionNotQuiescent and the
    // production keeps running.
    const busy = p.hosts.filter((h) => h.busy);
    if (busy.length > 0 && !force) {
      await this.delay();
      throw new IrisCommandRefusedError(
        `ERROR <Ens>ErrProductionNotQuiescent: Production '${p.name}' did not become quiescent; busy: ${busy.map((h) => h.name).join(', ')}`,
        '<Ens>ErrProductionNotQuiescent',
      );
    }
    await this.delay();
    this.assertReachable();
    p.state = 'stopped';
    for (const h of p.hosts) {
      h.busy = false;
      // [STATS] EnumerateHostStatus returns no rows for a stopped production; the agent reports
      // such hosts as stopped (or disabled when not enabled in the production definition).
      h.status = h.enabled ? 'stopped' : 'disabled';
    }
  }

  private async update(p: SimProduction, force: boolean): Promise<void> {
    // [DIR] UpdateProduction(pTimeout, pForce): applies the saved configuration to the running
    // production, restarting only the changed items; a changed item still busy at the timeout
    // fails the update with <Ens>ErrJobNotStopped unless forced.
    if (p.state !== 'running') {
      throw new IrisCommandRefusedError(`ERROR <Ens>ErrProductionNotRunning: Production '${p.name}' is not running`, '<Ens>ErrProductionNotRunning');
    }
    const busy = p.hosts.find((h) => h.busy);
    await this.delay();
    if (busy && !force) {
      throw new IrisCommandRefusedError(
        `ERROR <Ens>ErrJobNotStopped: Job for config item '${busy.name}' did not stop within the timeout`,
        '<Ens>ErrJobNotStopped',
      );
    }
    this.assertReachable();
    p.needsUpdate = false;
    p.updateReason = '';
  }

  private async recover(p: SimProduction): Promise<void> {
    // [EGMG] "Recovering a Production" / [DIR] RecoverProduction(): cleans up a troubled
    // production's runtime state; the production is then Suspended (messages in its private
    // queues are discarded) and can be started again. On any other state it changes nothing.
    await this.delay();
    this.assertReachable();
    if (p.state !== 'troubled') return;
    p.state = 'suspended';
    for (const h of p.hosts) {
      h.busy = false;
      h.status = h.enabled ? 'stopped' : 'disabled';
    }
  }

  private refuseUnlessRunning(p: SimProduction): void {
    // A troubled production still counts as running for Stop/Restart: [EGMG] advises stopping it
    // (with force if needed) or recovering it.
    if (p.state !== 'running' && p.state !== 'troubled' && p.state !== 'suspended') {
      throw new IrisCommandRefusedError(
        `ERROR <Ens>ErrProductionNotRunning: Production '${p.name}' is not running`,
        '<Ens>ErrProductionNotRunning',
      );
    }
  }

  // ---- Controls for the demo and for tests --------------------------------------------------

  /** IRIS stops answering (instance down, network cut): every call fails as the transport would. */
  setReachable(reachable: boolean): void {
    this.reachable = reachable;
  }

  /**
   * The production's jobs died without a clean shutdown. [EGMG] "Production States": Troubled means
   * the production is marked running but its jobs are not; it needs RecoverProduction.
   */
  makeTroubled(namespace: string, name: string): void {
    const p = this.get(namespace, name);
    p.state = 'troubled';
    for (const h of p.hosts) if (h.enabled) h.status = 'error';
  }

  /**
   * The production's class was compiled after it started. [DIR] ProductionNeedsUpdate returns 1
   * with a human-readable reason until UpdateProduction applies the change.
   */
  markNeedsUpdate(namespace: string, name: string, reason: string): void {
    const p = this.get(namespace, name);
    p.needsUpdate = true;
    p.updateReason = reason;
  }

  /** A message to a host failed: its error count rises and it shows Error until it succeeds again. */
  failMessage(namespace: string, name: string, host: string, count = 1): void {
    const h = this.get(namespace, name).hosts.find((x) => x.name === host);
    if (!h) throw new UnknownProductionError(`No host ${host} in ${name}`);
    h.errors += count;
    h.status = 'error';
  }

  /** A host has a message in flight, so the production is not quiescent. */
  setBusy(namespace: string, name: string, host: string, busy: boolean): void {
    const h = this.get(namespace, name).hosts.find((x) => x.name === host);
    if (!h) throw new UnknownProductionError(`No host ${host} in ${name}`);
    h.busy = busy;
  }

  setQueue(namespace: string, name: string, host: string, queue: number): void {
    const h = this.get(namespace, name).hosts.find((x) => x.name === host);
    if (!h) throw new UnknownProductionError(`No host ${host} in ${name}`);
    h.queue = queue;
  }

  addProduction(seed: ProductionSeed): void {
    const now = new Date().toISOString();
    this.productions.set(productionKey(seed), {
      namespace: seed.namespace,
      name: seed.name,
      state: seed.running ? 'running' : 'stopped',
      autoStart: seed.autoStart ?? seed.running,
      needsUpdate: false,
      updateReason: '',
      hosts: seed.hosts.map((h) => {
        const enabled = h.enabled ?? true;
        return {
          name: h.name,
          className: h.className,
          kind: h.kind,
          enabled,
          status: (!enabled ? 'disabled' : seed.running ? 'ok' : 'stopped') as HostStatus,
          queue: 0,
          errors: 0,
          lastActivity: seed.running && enabled ? now : null,
          busy: false,
        };
      }),
    });
  }

  /** The production class was deleted from the namespace. */
  removeProduction(namespace: string, name: string): void {
    this.productions.delete(productionKey({ namespace, name }));
  }

  stateOf(namespace: string, name: string): IrisProductionState {
    return this.get(namespace, name).state;
  }

  // ---- Internals ----------------------------------------------------------------------------

  private get(namespace: string, name: string): SimProduction {
    const p = this.productions.get(productionKey({ namespace, name }));
    if (!p) throw new UnknownProductionError(`There is no production ${name} in namespace ${namespace}.`);
    return p;
  }

  private assertReachable(): void {
    if (!this.reachable) {
      throw new IrisUnavailableError('IRIS does not answer (simulated outage): <COMMUNICATION LINK ERROR>');
    }
  }

  private delay(): Promise<void> {
    return new Promise((r) => setTimeout(r, this.transitionMs));
  }

  private toSnapshot(p: SimProduction): ProductionSnapshot {
    return {
      namespace: p.namespace,
      name: p.name,
      state: p.state,
      needsUpdate: p.needsUpdate,
      updateReason: p.updateReason,
      hosts: p.hosts.map(({ busy: _busy, ...h }) => ({ ...h })),
    };
  }

  /** Demo life: queues rise and drain, an occasional error, as on a quiet interface engine. */
  private stepActivity(): void {
    const now = new Date().toISOString();
    for (const p of this.productions.values()) {
      if (p.state !== 'running') continue;
      for (const h of p.hosts) {
        if (!h.enabled) continue;
        const r = this.rand();
        if (r < 0.3) h.queue = Math.max(0, h.queue + Math.round(this.rand() * 6 - 3));
        if (r > 0.995) {
          h.errors += 1;
          h.status = 'error';
        } else if (h.status === 'error' && r < 0.2) {
          h.status = 'ok';
        }
        if (r < 0.5) h.lastActivity = now;
      }
    }
  }
}
