/**
 * IrisClient over the IrisEdge agent: every IRIS call of the bridge is one agent class method,
 * sent through a transport (the Native SDK in a child process, or the simulator), checked against
 * the agent's JSON contract and turned into the model and the typed errors of iris/errors.ts.
 * The same code serves a real IRIS and the simulator, so the simulator tests this path too.
 */
import type { IrisClient } from '../client.ts';
import {
  IrisCommandRefusedError,
  IrisContractError,
  IrisError,
  IrisUnavailableError,
  UnknownProductionError,
} from '../../model/errors.ts';
import type { HostCommand, ProductionCommand, Snapshot } from '../../model/production.ts';
import type { SslConfig, SslConfigInput } from '../../model/ssl.ts';
import type { DatabaseInfo } from '../../model/backup.ts';
import type { TransportReport } from '../../model/diagnostics.ts';
import type { NativeArg, NativeCalls } from '../native/protocol.ts';
import { IrisServerError } from '../native/transport.ts';
import {
  AgentFailedError,
  UNKNOWN_PRODUCTION_CODES,
  type AgentProblem,
  applySslConfigJson,
  controlResultFromAgent,
  databasesFromAgent,
  parseAgentJson,
  privilegesFromAgent,
  type AgentPrivileges,
  sslConfigsFromAgent,
} from './contract.ts';
import { SnapshotReader } from './snapshot-reader.ts';
import { AGENT_CLASS, agentVersionProblem, isMissingClassError } from './version.ts';
import { eventLogFromAgent } from './event-log.ts';
import { SENSOR_CALL_BUDGET_MS, SENSOR_LIMIT_MS, sensorReadingsFromAgent, type SensorReading, type SensorRequest } from './sensors.ts';
import { answerDeliveredFromAgent, takenHaCallsFromAgent } from './ha-calls.ts';
import type { TakenHaCalls } from '../../model/ha-outbound.ts';
import { EVENT_LOG_LIMIT, type EventLogEntry } from '../../model/event-log.ts';
import { messageSearchFromAgent, searchFilterJson } from './message-search.ts';
import type { MessageSearch, MessageSearchResult } from '../../model/message-search.ts';

/** A transport the client owns (it closes it). */
export interface AgentTransport extends NativeCalls {
  close(): Promise<void>;
  /** What the self-check shows of the transport; absent for the in-process simulator. */
  stats?(): TransportReport;
}

export interface AgentIrisClientOptions {
  kind: IrisClient['kind'];
  /** A human description of the target, without secrets. */
  target: string;
  transport: AgentTransport;
  /** The agent VERSION this bridge was built with (shippedAgentVersion()). */
  requiredAgentVersion: number;
  /** Inside the add-on the setup installs the agent; elsewhere an administrator does. */
  inAddon: boolean;
  /** Deadline of one ordinary call, ms (default: the transport's). */
  callTimeoutMs?: number;
  /**
   * Told when a snapshot skipped something IRIS could not read (a namespace whose database is
   * not mounted, a privilege missing for the error counts...). The model has no place for it.
   */
  onProblems?: (problems: AgentProblem[]) => void;
}

export class AgentIrisClient implements IrisClient {
  readonly kind: IrisClient['kind'];
  readonly target: string;
  protected readonly transport: AgentTransport;
  private readonly opts: AgentIrisClientOptions;
  /** Each snapshot is read against the last one: repeated host rows are not checked again. */
  private readonly snapshots = new SnapshotReader();
  /** Resolved once the installed agent is known to be recent enough; reset when it vanishes. */
  private agentChecked: Promise<void> | null = null;

  constructor(opts: AgentIrisClientOptions) {
    this.opts = opts;
    this.kind = opts.kind;
    this.target = opts.target;
    this.transport = opts.transport;
  }

  async snapshot(): Promise<Snapshot> {
    const raw = await this.agentCall('Snapshot', [], undefined, (e) =>
      new IrisUnavailableError(`IRIS refused the inventory (IrisEdge.Agent.Snapshot): ${e.message}`, { cause: e }),
    );
    try {
      return this.snapshots.read(parseAgentJson('Snapshot', raw), this.opts.onProblems);
    } catch (err) {
      if (err instanceof AgentFailedError) {
        throw new IrisUnavailableError(`IRIS could not take the inventory: ${err.failure.text || err.failure.code}`, { cause: err });
      }
      throw err;
    }
  }

  async control(command: ProductionCommand): Promise<void> {
    const timeoutSeconds = command.timeoutSeconds ?? 10;
    // StopProduction waits up to timeoutSeconds, RestartProduction stops then starts.
    const deadline = Math.max(this.opts.callTimeoutMs ?? 15000, (2 * timeoutSeconds + 30) * 1000);
    await this.agentCommand(
      'Control',
      [command.namespace, command.production, command.action, timeoutSeconds, command.force ? 1 : 0],
      `${command.action} ${command.namespace}/${command.production}`,
      deadline,
    );
  }

  async setHostEnabled(command: HostCommand): Promise<void> {
    await this.agentCommand(
      'EnableHost',
      [command.namespace, command.production, command.host, command.enable ? 1 : 0],
      `${command.enable ? 'enable' : 'disable'} ${command.host} in ${command.namespace}/${command.production}`,
      undefined,
    );
  }

  async sslConfigs(): Promise<SslConfig[]> {
    const raw = await this.agentCall('SslConfigs', [], undefined, (e) =>
      new IrisUnavailableError(`IRIS refused to list SSL/TLS configurations (IrisEdge.Agent.SslConfigs): ${e.message}`, { cause: e }),
    );
    try {
      return sslConfigsFromAgent(parseAgentJson('SslConfigs', raw), this.opts.onProblems);
    } catch (err) {
      if (err instanceof AgentFailedError) {
        throw new IrisCommandRefusedError(`IRIS could not list SSL/TLS configurations: ${err.failure.text || err.failure.code}`, err.failure.code || undefined);
      }
      throw err;
    }
  }

  async applySslConfig(input: SslConfigInput): Promise<void> {
    // The JSON carries the key password: it is one argument of one call and is never logged.
    await this.agentCommand('ApplySslConfig', [applySslConfigJson(input)], `save the SSL/TLS configuration ${input.name}`, undefined);
  }

  async databases(): Promise<DatabaseInfo[]> {
    const raw = await this.agentCall('Databases', [], undefined, (e) =>
      new IrisUnavailableError(`IRIS refused to list its databases (IrisEdge.Agent.Databases): ${e.message}`, { cause: e }),
    );
    try {
      return databasesFromAgent(parseAgentJson('Databases', raw));
    } catch (err) {
      if (err instanceof AgentFailedError) {
        throw new IrisCommandRefusedError(`IRIS could not list its databases: ${err.failure.text || err.failure.code}`, err.failure.code || undefined);
      }
      throw err;
    }
  }

  async eventLog(namespace: string, production: string): Promise<EventLogEntry[]> {
    return this.namespaceRead('EventLog', [namespace, production, EVENT_LOG_LIMIT], namespace, `read the Event Log of ${production}`, eventLogFromAgent);
  }

  async searchMessages(namespace: string, search: MessageSearch): Promise<MessageSearchResult> {
    const scope = search.production ? `${namespace}/${search.production}` : namespace;
    return this.namespaceRead('SearchMessages', [namespace, searchFilterJson(search)], namespace, `search the messages of ${scope}`, messageSearchFromAgent);
  }

  /** A read inside one namespace: a namespace IRIS lacks is UnknownProductionError; any other failure is IRIS saying no. */
  private async namespaceRead<T>(method: string, args: NativeArg[], namespace: string, what: string, parse: (value: unknown) => T): Promise<T> {
    const raw = await this.agentCall(method, args, undefined, (e) =>
      new IrisUnavailableError(`IRIS refused to ${what} (IrisEdge.Agent.${method}): ${e.message}`, { cause: e }),
    );
    try {
      return parse(parseAgentJson(method, raw));
    } catch (err) {
      if (err instanceof AgentFailedError) {
        const f = err.failure;
        // <NAMESPACE>: IRIS has no such namespace; anything else (<PROTECT>, SQL, a bad filter) is IRIS saying no.
        if (f.code.includes('<NAMESPACE>')) throw new UnknownProductionError(`IRIS has no namespace ${namespace}.`);
        throw new IrisCommandRefusedError(`IRIS could not ${what}: ${f.text || f.code}`, f.code || undefined);
      }
      throw err;
    }
  }

  /**
   * The user-defined sensors of one namespace, in one agent call (IrisEdge.Agent.ReadSensors).
   * Called only on the sensors connection, whose IRIS user holds the role IrisEdgeSensors and
   * nothing of the bridge's. Rejects only when the call as a whole fails (namespace unknown or
   * unreadable, IRIS unavailable); a sensor's own failure is its reading.
   */
  async readSensors(namespace: string, requests: SensorRequest[], packages: readonly string[]): Promise<SensorReading[]> {
    const raw = await this.agentCall('ReadSensors', [namespace, JSON.stringify({ packages, sensors: requests }), SENSOR_CALL_BUDGET_MS, SENSOR_LIMIT_MS], undefined, (e) =>
      new IrisUnavailableError(`IRIS refused to read the sensors of namespace ${namespace} (IrisEdge.Agent.ReadSensors): ${e.message}`, { cause: e }),
    );
    try {
      return sensorReadingsFromAgent(parseAgentJson('ReadSensors', raw), requests);
    } catch (err) {
      if (err instanceof AgentFailedError) {
        const f = err.failure;
        throw new IrisCommandRefusedError(`IRIS could not read the sensors of namespace ${namespace}: ${f.text || f.code}`, f.code || undefined);
      }
      throw err;
    }
  }

  async privileges(resources: string[]): Promise<AgentPrivileges> {
    const raw = await this.agentCall('Privileges', [JSON.stringify(resources)], undefined, (e) =>
      new IrisUnavailableError(`IRIS refused the self-check (IrisEdge.Agent.Privileges): ${e.message}`, { cause: e }),
    );
    return privilegesFromAgent(parseAgentJson('Privileges', raw));
  }

  async deliverHaEvent(namespace: string, service: string, json: string): Promise<void> {
    await this.agentCommand('DeliverHaEvent', [namespace, service, json], `take a Home Assistant event into ${service} in ${namespace}`, undefined);
  }

  async takeHaCalls(max: number): Promise<TakenHaCalls> {
    const raw = await this.agentCall('TakeHaCalls', [max], undefined, (e) =>
      new IrisUnavailableError(`IRIS refused to hand over the calls to Home Assistant (IrisEdge.Agent.TakeHaCalls): ${e.message}`, { cause: e }),
    );
    try {
      return takenHaCallsFromAgent(parseAgentJson('TakeHaCalls', raw));
    } catch (err) {
      if (err instanceof AgentFailedError) throw new IrisUnavailableError(`IRIS could not hand over the calls to Home Assistant: ${err.failure.text || err.failure.code}`, { cause: err });
      throw err;
    }
  }

  async answerHaCall(namespace: string, id: number, pid: string, answer: string): Promise<boolean> {
    const raw = await this.agentCall('AnswerHaCall', [namespace, id, pid, answer], undefined, (e) =>
      new IrisCommandRefusedError(`IRIS refused Home Assistant's answer to call ${id} in ${namespace}: ${e.message}`, e.irisCode),
    );
    try {
      return answerDeliveredFromAgent(parseAgentJson('AnswerHaCall', raw));
    } catch (err) {
      if (err instanceof AgentFailedError) throw new IrisCommandRefusedError(`IRIS could not take Home Assistant's answer to call ${id} in ${namespace}: ${err.failure.text || err.failure.code}`, err.failure.code || undefined);
      throw err;
    }
  }

  transportReport(): TransportReport | null {
    return this.transport.stats?.() ?? null;
  }

  async close(): Promise<void> {
    await this.transport.close();
  }

  /** An agent method answering {"ok":true} or {"ok":false,"code","text"}: refusals become typed errors. */
  private async agentCommand(method: string, args: NativeArg[], what: string, deadline: number | undefined): Promise<void> {
    const raw = await this.agentCall(method, args, deadline, (e) => new IrisCommandRefusedError(`IRIS refused to ${what}: ${e.message}`, e.irisCode));
    const result = controlResultFromAgent(parseAgentJson(method, raw));
    if (result.ok) return;
    if (UNKNOWN_PRODUCTION_CODES.includes(result.code)) throw new UnknownProductionError(result.text);
    throw new IrisCommandRefusedError(result.text || `IRIS refused to ${what} (${result.code})`, result.code || undefined);
  }

  /** Asks the agent's version once per connection life; a missing or old agent is a clear error. */
  private checkAgent(): Promise<void> {
    if (!this.agentChecked) {
      this.agentChecked = (async () => {
        let installed: number | null;
        try {
          const v = await this.transport.call(AGENT_CLASS, 'Version', [], {});
          installed = typeof v === 'number' ? v : Number(v);
          if (!Number.isInteger(installed)) throw new IrisContractError(`${AGENT_CLASS}.Version() returned ${String(v)}`);
        } catch (err) {
          if (!isMissingClassError(err)) throw err;
          installed = null;
        }
        const problem = agentVersionProblem(installed, this.opts.requiredAgentVersion, this.target, this.opts.inAddon);
        if (problem) throw problem;
      })().catch((err: unknown) => {
        this.agentChecked = null;
        throw asIrisError(err, `${AGENT_CLASS}.Version`);
      });
    }
    return this.agentChecked;
  }

  protected async agentCall(
    method: string,
    args: NativeArg[],
    timeoutMs: number | undefined,
    onServerError: (e: IrisServerError) => IrisError,
  ): Promise<unknown> {
    await this.checkAgent();
    try {
      return await this.transport.call(AGENT_CLASS, method, args, timeoutMs === undefined ? {} : { timeoutMs });
    } catch (err) {
      if (err instanceof IrisServerError) {
        // The agent vanished (IRIS reinstalled, IRISSYS restored...): check again on the next call.
        if (err.kind === 'class-missing' || err.kind === 'method-missing') this.agentChecked = null;
        throw onServerError(err);
      }
      throw asIrisError(err, `${AGENT_CLASS}.${method}`);
    }
  }
}

/** Only the typed errors of iris/errors.ts leave this client. */
export function asIrisError(err: unknown, what: string): IrisError {
  if (err instanceof IrisServerError) return new IrisUnavailableError(`${what}: ${err.message}`, { cause: err });
  if (
    err instanceof IrisUnavailableError ||
    err instanceof IrisCommandRefusedError ||
    err instanceof IrisContractError ||
    err instanceof UnknownProductionError
  ) {
    return err;
  }
  return new IrisUnavailableError(`${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}
