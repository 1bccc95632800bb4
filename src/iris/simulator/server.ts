/**
 * A simulated IRIS instance: the demo backend and the tests' double. The bridge reaches it the way
 * it reaches a real IRIS — a Native API login as its own user, then class method calls of
 * IrisEdge.Agent — and the instance enforces IRIS's security model on every call (security.ts,
 * with the privileges of src/iris/privileges.ts), keeps local time and UTC apart (clock.ts), and
 * can hang a call, refuse a login or stop answering. What only the instance's owner may do
 * (the setup, freeze and thaw, stop and start) are methods here, outside any session.
 *
 * [LIC] %SYSTEM.License: a Community Edition instance permits 8 licence units (GetUserLimit = 8,
 *       measured by public code on Community); each open process here consumes one.
 * [GSA] "iris stop": productions shut down, buffers are written, the instance stops answering.
 */
import { loadBridgeRole, type BridgeRoleSpec } from '../privileges.ts';
import { SOURCE_AGENT_DIR } from '../agent/source-dir.ts';
import { shippedAgentVersion } from '../agent/version.ts';
import type { NativeArg } from '../native/protocol.ts';
import { SimulatedAgent, type AgentInstance } from './agent.ts';
import { systemClock, type SimClock } from './clock.ts';
import type { SimulatedDatabases } from './databases.ts';
import { SimulatedEventLog } from './event-log.ts';
import { SimulatedHaEventServices } from './ha-event-service.ts';
import { SimulatedHaOutbox } from './ha-outbox.ts';
import { SimulatedHaOperations } from './ha-operation.ts';
import { SimulatedInterop } from './interop.ts';
import { SimulatedMessageHeaders } from './message-headers.ts';
import { SimulatedUserData } from './user-data.ts';
import { SimulatedIpm, type SimulatedIpmOptions } from './ipm.ts';
import { SimulatedNamespaces } from './namespaces.ts';
import { demoScenario, type ProductionSeed } from './scenarios.ts';
import { ObjectScriptError, SimProcess, SimulatedSecurity } from './security.ts';
import { DEMO_SSL_SETTINGS, demoSslConfigs, SimulatedSslConfigs, type SimSslConfig } from './ssl.ts';
import type { SessionFactory, SimSession } from './superserver.ts';

export const SIM_VERSION = 'IRIS for UNIX (Ubuntu Server LTS for x86-64 Containers) 2026.1 (Build 213U) (simulated)';
export const SIM_VERSION_NUMBER = '2026.1.0.213.0';
const LICENSE_UNITS = 8;

export interface SimulatedIrisOptions {
  productions?: ProductionSeed[];
  /** Random queue and error activity for the demo. Off in tests, which set states explicitly. */
  activity?: boolean;
  /** How long StartProduction / StopProduction take, in ms. */
  transitionMs?: number;
  /** Seed for the activity's pseudo-random numbers, so a demo run is reproducible. */
  seed?: number;
  sslConfigs?: SimSslConfig[];
  /** Host settings SSLConfig=<name>: "namespace/production/host" -> config name. */
  sslSettings?: Record<string, string>;
  /** A data directory with database files (backups); without one, Databases lists nothing. */
  databases?: SimulatedDatabases;
  clock?: SimClock;
  /** Where bridge-role.json and IrisEdge.Agent.cls come from (default: the repository's). */
  agentDir?: string;
  /** IPM in the image, and how the simulated IPM reaches a registry. */
  ipm?: SimulatedIpmOptions;
}

export interface BridgeCredentials {
  username: string;
  password: string;
}

export class SimulatedIris implements SessionFactory, AgentInstance {
  readonly security = new SimulatedSecurity();
  readonly interop: SimulatedInterop;
  readonly eventLog: SimulatedEventLog;
  readonly messages: SimulatedMessageHeaders;
  /** IrisEdge.HA.EventService hosts and what they received. */
  readonly haEvents: SimulatedHaEventServices;
  /** ^IrisEdge.HA.Outbox of each namespace: IrisEdge.HA.Home's calls to Home Assistant. */
  readonly haOutbox: SimulatedHaOutbox;
  /** IrisEdge.HA.Operation hosts: requests sent to them become IrisEdge.HA.Home calls. */
  readonly haOperations: SimulatedHaOperations;
  readonly ssl: SimulatedSslConfigs;
  /** The user's own tables, globals and class methods, for user-defined sensors. */
  readonly userData = new SimulatedUserData();
  readonly databases: SimulatedDatabases | undefined;
  readonly clock: SimClock;
  readonly version = SIM_VERSION;
  readonly versionNumber = SIM_VERSION_NUMBER;
  readonly agentDir: string;
  /** Namespaces created (and deleted) after the install, each with its own database. */
  readonly createdNamespaces: SimulatedNamespaces;
  readonly ipm: SimulatedIpm;
  /** IrisEdge.Agent as compiled in %SYS; null until the setup installs it. */
  agent: SimulatedAgent | null = null;
  private reachable = true;
  private readonly hangs: Array<{ method: string; released: Promise<void> }> = [];
  /** IRIS processes alive: open sessions plus abandoned ones whose call still runs. */
  private processes = 0;
  private readonly licenseExpires: string;
  private activityTimer: NodeJS.Timeout | undefined;

  constructor(options: SimulatedIrisOptions = {}) {
    this.clock = options.clock ?? systemClock();
    this.agentDir = options.agentDir ?? SOURCE_AGENT_DIR;
    this.interop = new SimulatedInterop(options.productions ?? demoScenario(), () => this.clock.now(), options.transitionMs ?? 200);
    this.eventLog = new SimulatedEventLog(() => this.clock.now());
    this.messages = new SimulatedMessageHeaders(() => this.clock.now());
    this.haEvents = new SimulatedHaEventServices(this.interop, () => this.clock.now());
    this.haOutbox = new SimulatedHaOutbox(() => this.clock.now());
    this.haOperations = new SimulatedHaOperations(this.interop, this.haOutbox);
    this.ssl = new SimulatedSslConfigs(options.sslConfigs ?? demoSslConfigs(), options.sslSettings ?? DEMO_SSL_SETTINGS);
    this.databases = options.databases;
    this.createdNamespaces = new SimulatedNamespaces(this.security, () => this.interop.namespaces(), () => this.databases?.dir ?? '/usr/irissys');
    this.ipm = new SimulatedIpm(this.security, (ns) => this.namespaces().find((n) => n.name === ns), options.ipm);
    for (const ns of this.interop.namespaces()) this.security.addResource(`%DB_${ns}`);
    // A Community licence runs for about a year from the build (iris.md §6.6).
    this.licenseExpires = new Date(this.clock.now().getTime() + 300 * 86_400_000).toISOString().slice(0, 10);
    if (options.activity) {
      let s = options.seed ?? 42;
      const rand = () => {
        s = (s * 1103515245 + 12345) & 0x7fffffff;
        return s / 0x7fffffff;
      };
      this.activityTimer = setInterval(() => this.stepActivity(rand), 1000);
      this.activityTimer.unref();
    }
  }

  // ---- The privileged setup (IrisEdge.Setup.Install, run as irisowner) -----------------------

  /**
   * What IrisEdge.Setup.Install does: the escalation role and the bridge's role exactly as
   * bridge-role.json declares them (plus READ/WRITE on each interoperability namespace's database),
   * the bridge's user with only that role, and the agent class at the VERSION of the shipped file.
   */
  runSetup(bridge: BridgeCredentials, spec: BridgeRoleSpec = loadBridgeRole(this.agentDir), sensors?: BridgeCredentials): void {
    const list = (entries: BridgeRoleSpec['resources']) =>
      entries
        .filter((e) => !e.ifExists || this.security.resourceExists(e.name))
        .map((e) => `${e.name}:${e.permission}`)
        .join(',');
    this.security.setRole(spec.escalation.role, list(spec.escalation.resources));
    const namespaceDbs = this.namespaces().filter((n) => n.interop).map((n) => `%DB_${n.database}:${spec.namespaceDatabases.permission}`);
    this.security.setRole(spec.role, [list(spec.resources), ...namespaceDbs].filter((x) => x !== '').join(','));
    this.security.setUser(bridge.username, bridge.password, [spec.role]);
    // The sensors' own user: its role holds no data; an administrator grants what sensors read,
    // and the setup creates the role once and then leaves those grants alone (IrisEdge.Setup).
    if (!this.security.roleExists(spec.sensors.role)) this.security.setRole(spec.sensors.role, list(spec.sensors.resources));
    if (sensors) this.security.setUser(sensors.username, sensors.password, [spec.sensors.role]);
    this.installAgent();
  }

  /**
   * A namespace with its own database, created as `proc` (the owner unless a test names another).
   * An interoperability namespace is then granted to the bridge's role, as the setup grants every
   * interoperability namespace at each start (runSetup).
   */
  createNamespace(name: string, interop: boolean, proc: SimProcess = this.ownerProcess()): string {
    const ns = this.createdNamespaces.create(proc, name, interop);
    const spec = loadBridgeRole(this.agentDir);
    if (interop && this.security.roleExists(spec.role)) {
      for (const p of spec.namespaceDatabases.permission) this.security.grant(spec.role, `%DB_${ns.database}`, p as 'R' | 'W');
    }
    return ns.name;
  }

  /** Deletes a namespace created here, its database and what IPM kept in it, as `proc`. */
  deleteNamespace(name: string, proc: SimProcess = this.ownerProcess()): void {
    const ns = this.createdNamespaces.delete(proc, name);
    this.ipm.dropNamespace(ns.name);
    this.security.revoke(loadBridgeRole(this.agentDir).role, `%DB_${ns.database}`);
  }

  /** $SYSTEM.OBJ.Load of the shipped IrisEdge.Agent.cls into %SYS (or another version, for tests). */
  installAgent(version = shippedAgentVersion(this.agentDir)): void {
    this.agent = new SimulatedAgent(this, version);
  }

  /** The class was deleted (or IRISSYS restored from before the install). */
  removeAgent(): void {
    this.agent = null;
  }

  // ---- AgentInstance ---------------------------------------------------------------------------

  namespaces(): Array<{ name: string; database: string; directory: string; interop: boolean }> {
    const dataDir = this.databases?.dir ?? '/usr/irissys';
    return [
      { name: '%SYS', database: 'IRISSYS', directory: `${dataDir}/mgr/`, interop: false },
      ...this.interop.namespaces().map((ns) => ({ name: ns, database: ns, directory: `${dataDir}/mgr/${ns.toLowerCase()}/`, interop: true })),
      ...this.createdNamespaces.list().filter((n) => !this.interop.namespaces().includes(n.name)),
    ];
  }

  license(): { consumed: number; available: number; limit: number; expiresOn: string } {
    const consumed = Math.min(this.processes, LICENSE_UNITS);
    return { consumed, available: LICENSE_UNITS - consumed, limit: LICENSE_UNITS, expiresOn: this.licenseExpires };
  }

  // ---- Sessions ---------------------------------------------------------------------------------

  connect(username: string, password: string, namespace: string): SimSession {
    if (!this.reachable) throw new Error('<COMMUNICATION LINK ERROR> Failed to connect to server; Details: Error code: 111 ECONNREFUSED');
    const proc = this.security.login(username, password);
    if (namespace !== '%SYS') {
      const ns = this.namespaces().find((n) => n.name === namespace);
      if (!ns) throw new Error(`<NAMESPACE> *${namespace}`);
      if (!this.security.holds(proc, `%DB_${ns.database}`, 'R')) throw new Error('Access Denied');
      proc.namespace = namespace;
    }
    if (this.processes >= LICENSE_UNITS) throw new Error('<LICENSE LIMIT EXCEEDED> Access Denied');
    this.processes += 1;
    return this.session(proc);
  }

  private session(proc: SimProcess): SimSession {
    let open = true;
    let running = 0;
    let ended = false;
    const end = () => {
      if (ended || open || running > 0) return;
      ended = true;
      this.processes -= 1;
    };
    return {
      call: async (className: string, methodName: string, args: NativeArg[]) => {
        if (!this.reachable) throw new Error('<COMMUNICATION LINK ERROR> Connection closed by server; Details: ECONNRESET');
        running += 1;
        try {
          const hang = this.hangs.find((h) => h.method === '*' || h.method === methodName);
          if (hang) await hang.released;
          return await this.dispatch(proc, className, methodName, args);
        } finally {
          running -= 1;
          // A killed client's process ends once its call returns ([LIC]: its licence unit with it).
          end();
        }
      },
      disconnect: () => {
        open = false;
        end();
      },
    };
  }

  private async dispatch(proc: SimProcess, className: string, methodName: string, args: NativeArg[]): Promise<unknown> {
    try {
      if (className === 'IrisEdge.Agent') {
        if (!this.agent) throw new ObjectScriptError('<CLASS DOES NOT EXIST>', '*IrisEdge.Agent');
        return await this.agent.invoke(proc, methodName, args);
      }
      if (className === '%SYSTEM.Security' && methodName === 'Check') {
        const held = this.security.check(proc, String(args[0]));
        if (args[1] === undefined || args[1] === null) return held;
        const wanted = String(args[1]).toUpperCase().split(',');
        return wanted.every((w) => held.split(',').includes(w)) ? 1n : 0n;
      }
      if (className === '%SYSTEM.Version' && methodName === 'GetNumber') return this.versionNumber;
      throw new ObjectScriptError('<CLASS DOES NOT EXIST>', `*${className}`);
    } catch (err) {
      // What the SDK throws: the ObjectScript error's text.
      if (err instanceof ObjectScriptError) throw new Error(err.message);
      throw err;
    }
  }

  // ---- Faults ------------------------------------------------------------------------------------

  /** IRIS stops answering (instance down, network cut): logins and calls fail as the SDK reports it. */
  setReachable(reachable: boolean): void {
    this.reachable = reachable;
  }

  /**
   * Calls of IrisEdge.Agent.<method> ('*': every call) block inside IRIS until the returned
   * function is called, as a call stuck on a lock does. The caller's deadline decides.
   */
  hang(method: string): () => void {
    let release = () => {};
    const entry = { method, released: new Promise<void>((r) => (release = r)) };
    this.hangs.push(entry);
    return () => {
      this.hangs.splice(this.hangs.indexOf(entry), 1);
      release();
    };
  }

  /** IRIS processes alive (open sessions and abandoned calls still running). */
  get processCount(): number {
    return this.processes;
  }

  // ---- The instance's owner ---------------------------------------------------------------------

  /**
   * A process of the instance's owner: irisowner through OS authentication (`iris session IRIS
   * -U %SYS` needs no password; iris.md §6), a user holding %All in the IRIS image.
   */
  ownerProcess(): SimProcess {
    return new SimProcess('irisowner', ['%All'], '%SYS');
  }

  /**
   * IrisEdge.Setup.EnsureAdminUser: the account for people, holding %All, created when missing;
   * its password is set again only when `reset` (a newly generated password file).
   */
  ensureAdminUser(account: BridgeCredentials, reset: boolean, proc: SimProcess = this.ownerProcess()): void {
    this.security.enforce(proc, 'Security.Users.Exists', 'IRISSYS', '/usr/irissys/mgr/');
    if (!this.security.userExists(account.username)) this.security.createUser(proc, account.username, account.password, ['%All']);
    else if (reset) this.security.modifyPassword(proc, account.username, account.password);
  }

  /** IrisEdge.Setup.SetAccountPassword, as the owner unless a test names another process. */
  setAccountPassword(username: string, password: string, proc: SimProcess = this.ownerProcess()): void {
    this.security.modifyPassword(proc, username, password);
  }

  /** [GSA] "iris stop IRIS quietly". */
  stopInstance(): void {
    this.interop.stopAll();
    this.databases?.stop();
    this.reachable = false;
  }

  startInstance(): void {
    this.databases?.start();
    this.interop.startAutoStart();
    this.reachable = true;
  }

  freeze(): void {
    this.dataDir().freeze();
  }

  thaw(): void {
    this.dataDir().thaw();
  }

  private dataDir(): SimulatedDatabases {
    if (!this.databases) throw new Error('This simulated IRIS has no data directory, so it has no database files to freeze.');
    return this.databases;
  }

  close(): void {
    if (this.activityTimer) clearInterval(this.activityTimer);
    this.databases?.close();
  }

  /** What IRIS's Event Log gets when a message to host `h` fails ([LOG] in event-log.ts). */
  logFailure(namespace: string, h: { name: string; className: string }, text?: string): void {
    this.eventLog.log(namespace, {
      type: 'Error',
      configName: h.name,
      text: text ?? `ERROR <Ens>ErrGeneral: Simulated failure: ${h.name} could not deliver a message.`,
      sourceClass: h.className,
      sourceMethod: 'OnMessage',
    });
  }

  /** Demo life: queues rise and drain, an occasional error, as on a quiet interface engine. */
  private stepActivity(rand: () => number): void {
    const now = this.clock.now();
    this.messages.step(this.interop.all());
    for (const p of this.interop.all()) {
      if (p.state !== 'running') continue;
      for (const h of p.hosts) {
        if (!h.runEnabled) continue;
        const r = rand();
        if (r < 0.3) h.queue = Math.max(0, h.queue + Math.round(rand() * 6 - 3));
        if (r > 0.995) {
          h.errors += 1;
          h.status = 'error';
          this.logFailure(p.namespace, h);
          this.messages.failed(p, h);
        } else if (h.status === 'error' && r < 0.2) {
          h.status = 'ok';
        }
        if (r < 0.5) h.lastActivity = now;
      }
    }
  }
}
