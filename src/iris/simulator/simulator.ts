/**
 * The simulator as an IrisClient, for tests and benches: the bridge's own agent client talking to
 * a SimulatedIris in-process, as the bridge's IRIS user that the simulated setup created. So a
 * test of the bridge on the simulator runs the agent contract, the privilege checks and the
 * error mapping of a real IRIS. The instance is `.iris`; the methods below are the controls tests
 * use to make IRIS do something (a production turns troubled, a host gets busy, IRIS goes away).
 */
import { randomBytes } from 'node:crypto';
import { AgentIrisClient, type AgentIrisClientOptions } from '../agent/client.ts';
import { shippedAgentVersion } from '../agent/version.ts';
import type { IrisProductionState, ProductionCommand } from '../../model/production.ts';
import { UnknownProductionError } from '../../model/errors.ts';
import type { ProductionSeed } from './scenarios.ts';
import { SimulatedIris, type BridgeCredentials, type SimulatedIrisOptions } from './server.ts';
import { InProcessTransport } from './transport.ts';
import type { HomeCallResult } from './ha-outbox.ts';
import type { HaOperationRequest, HaOperationResult } from './ha-operation.ts';
import type { SimulatedDatabases } from './databases.ts';

export { demoSslConfigs, DEMO_SSL_SETTINGS, type SimSslConfig } from './ssl.ts';

export const SIMULATOR_TARGET = 'the built-in IRIS simulator (no real IRIS)';

export interface SimulatorOptions extends SimulatedIrisOptions {
  /** false: the setup has not run (no roles, no bridge user, no agent). Default: it has. */
  setup?: boolean;
  /** An instance that already runs, and the bridge user its setup made (see reopen()). */
  instance?: { iris: SimulatedIris; credentials: BridgeCredentials };
  onProblems?: AgentIrisClientOptions['onProblems'];
  /** Deadline of one ordinary call, ms. */
  callTimeoutMs?: number;
}

export class IrisSimulator extends AgentIrisClient {
  /** The simulated instance behind the client. */
  readonly iris: SimulatedIris;
  /** The bridge's IRIS user, as the simulated setup created it. */
  readonly credentials: BridgeCredentials;
  /** The sensors' own IRIS user (role IrisEdgeSensors), as the simulated setup created it. */
  readonly sensorCredentials: BridgeCredentials;
  /** Calls made to control(), for tests that must prove nothing reached IRIS. */
  readonly controlCalls: ProductionCommand[] = [];

  constructor(options: SimulatorOptions = {}) {
    const iris = options.instance?.iris ?? new SimulatedIris(options);
    const credentials = options.instance?.credentials ?? { username: 'iris_edge', password: randomBytes(12).toString('hex') };
    const sensorCredentials = { username: 'iris_edge_sensors', password: randomBytes(12).toString('hex') };
    if (!options.instance && options.setup !== false) iris.runSetup(credentials, undefined, sensorCredentials);
    super({
      kind: 'simulator',
      target: SIMULATOR_TARGET,
      transport: new InProcessTransport(iris, credentials, SIMULATOR_TARGET, options.callTimeoutMs),
      requiredAgentVersion: shippedAgentVersion(iris.agentDir),
      inAddon: false,
      callTimeoutMs: options.callTimeoutMs,
      onProblems: options.onProblems,
    });
    this.iris = iris;
    this.credentials = credentials;
    this.sensorCredentials = sensorCredentials;
  }

  /** A client on the sensors connection: logged in as the sensors user, not the bridge's. */
  sensorClient(): AgentIrisClient {
    return new AgentIrisClient({
      kind: 'simulator',
      target: SIMULATOR_TARGET,
      transport: new InProcessTransport(this.iris, this.sensorCredentials, SIMULATOR_TARGET),
      requiredAgentVersion: shippedAgentVersion(this.iris.agentDir),
      inAddon: false,
    });
  }

  override async control(command: ProductionCommand): Promise<void> {
    this.controlCalls.push({ ...command });
    await super.control(command);
  }

  /** A new client of the same instance: the bridge restarted, IRIS did not. */
  reopen(): IrisSimulator {
    return new IrisSimulator({ instance: { iris: this.iris, credentials: this.credentials } });
  }

  override async close(): Promise<void> {
    await super.close();
    this.iris.close();
  }

  get data(): SimulatedDatabases | undefined {
    return this.iris.databases;
  }

  /** Names of the SSL/TLS configurations IRIS saved, for tests that must prove nothing reached IRIS. */
  get sslApplyCalls(): readonly string[] {
    return this.iris.ssl.saved;
  }

  /**
   * What the add-on does as the instance's owner (InstanceControl of the backups): stop and start
   * IRIS, freeze and thaw its writes. Outside any IRIS session, as in the add-on.
   */
  get owner(): { stop(): Promise<void>; start(): Promise<void>; freeze(): Promise<void>; thaw(): Promise<void> } {
    return {
      stop: async () => this.iris.stopInstance(),
      start: async () => this.iris.startInstance(),
      freeze: async () => this.iris.freeze(),
      thaw: async () => this.iris.thaw(),
    };
  }

  // ---- Controls for the demo and for tests --------------------------------------------------

  setReachable(reachable: boolean): void {
    this.iris.setReachable(reachable);
  }

  stopInstance(): void {
    this.iris.stopInstance();
  }

  startInstance(): void {
    this.iris.startInstance();
  }

  /**
   * The production's jobs died without a clean shutdown. [EGMG] "Production States": Troubled means
   * the production is marked running but its jobs are not; it needs RecoverProduction.
   */
  makeTroubled(namespace: string, name: string): void {
    const p = this.production(namespace, name);
    p.state = 'troubled';
    for (const h of p.hosts) if (h.enabled) h.status = 'error';
  }

  /**
   * The production's class was compiled after it started. [DIR] ProductionNeedsUpdate returns 1
   * with a human-readable reason until UpdateProduction applies the change.
   */
  markNeedsUpdate(namespace: string, name: string, reason: string): void {
    const p = this.production(namespace, name);
    p.needsUpdate = true;
    p.updateReason = reason;
  }

  /** A message to a host failed: its error count rises and it shows Error until it succeeds again. */
  failMessage(namespace: string, name: string, host: string, count = 1, text?: string): void {
    const p = this.production(namespace, name);
    const h = this.host(namespace, name, host);
    h.errors += count;
    h.status = 'error';
    for (let i = 0; i < count; i++) {
      this.iris.logFailure(namespace, h, text);
      this.iris.messages.failed(p, h);
    }
  }

  /**
   * Message sessions run through a running production (service, process, each operation); a
   * message to an operation in error fails. Returns the headers written (0 when it is not running).
   */
  sendMessages(namespace: string, name: string, sessions = 1): number {
    const p = this.production(namespace, name);
    let written = 0;
    for (let i = 0; i < sessions; i++) written += this.iris.messages.session(p);
    return written;
  }

  /** A host logs a warning in the Event Log (a retry, a slow reply) without a failed message. */
  logWarning(namespace: string, name: string, host: string, text: string): void {
    const h = this.host(namespace, name, host);
    this.iris.eventLog.log(namespace, { type: 'Warning', configName: h.name, text, sourceClass: h.className, sourceMethod: 'OnMessage', session: false });
  }

  /** A host has a message in flight, so the production is not quiescent. */
  setBusy(namespace: string, name: string, host: string, busy: boolean): void {
    this.host(namespace, name, host).busy = busy;
  }

  setQueue(namespace: string, name: string, host: string, queue: number): void {
    this.host(namespace, name, host).queue = queue;
  }

  addProduction(seed: ProductionSeed): void {
    this.iris.interop.add(seed);
    this.iris.security.addResource(`%DB_${seed.namespace}`);
  }

  /** The production class was deleted from the namespace. */
  removeProduction(namespace: string, name: string): void {
    this.iris.interop.remove(namespace, name);
  }

  stateOf(namespace: string, name: string): IrisProductionState {
    return this.production(namespace, name).state;
  }

  /** Security.SSLConfigs.Delete(name). */
  deleteSslConfig(name: string): boolean {
    return this.iris.ssl.delete(name);
  }

  /** A host's adapter setting SSLConfig names a configuration ("" removes it). */
  setHostSslConfig(namespace: string, production: string, host: string, config: string): void {
    this.iris.ssl.setHostSetting(namespace, production, host, config);
  }

  /** The stored key password of a configuration (tests prove it reached "IRIS" and nowhere else). */
  sslPasswordOf(name: string): string | undefined {
    return this.iris.ssl.passwordOf(name);
  }

  /**
   * What IrisEdge.HA.Home does in a process of namespace `namespace` (a production's code): the
   * call waits in the outbox for the bridge's answer or its deadline, and resolves to the %Status.
   */
  callHomeAssistant(namespace: string, request: Record<string, unknown>, timeoutSeconds = 10): Promise<HomeCallResult> {
    return this.iris.haOutbox.request(namespace, request, timeoutSeconds);
  }

  /** A production component's SendRequestSync of `request` to the IrisEdge.HA.Operation host `target`. */
  sendToHaOperation(namespace: string, target: string, request: HaOperationRequest): Promise<HaOperationResult> {
    return this.iris.haOperations.send(namespace, target, request);
  }

  private production(namespace: string, name: string) {
    const p = this.iris.interop.find(namespace, name);
    if (!p) throw new UnknownProductionError(`There is no production ${name} in namespace ${namespace}.`);
    return p;
  }

  private host(namespace: string, name: string, host: string) {
    const h = this.production(namespace, name).hosts.find((x) => x.name === host);
    if (!h) throw new UnknownProductionError(`No host ${host} in ${name}`);
    return h;
  }
}
