import type { HostCommand, ProductionCommand, Snapshot } from '../model/production.ts';
import type { DatabaseInfo } from '../model/backup.ts';
import type { SslConfig, SslConfigInput } from '../model/ssl.ts';
import type { TransportReport } from '../model/diagnostics.ts';
import type { AgentPrivileges } from './agent/contract.ts';
import type { EventLogEntry } from '../model/event-log.ts';
import type { MessageSearch, MessageSearchResult } from '../model/message-search.ts';
import type { TakenHaCalls } from '../model/ha-outbound.ts';

/**
 * Everything the bridge asks of an IRIS instance. Implemented by the simulator (demo and tests)
 * and by the Native API client (real IRIS). Implementations throw the typed errors from
 * `iris/errors.ts` and nothing else.
 */
export interface IrisClient {
  /** "simulator" or "native": printed at start so users know what they are looking at. */
  readonly kind: 'simulator' | 'native';
  /** A human description of the target, without secrets (e.g. "iris://127.0.0.1:1972"). */
  readonly target: string;
  /** One full inventory: instance facts, every production in every interoperability namespace, their hosts. */
  snapshot(): Promise<Snapshot>;
  /**
   * Ens.Director StartProduction / StopProduction / RestartProduction. Resolves when IRIS has
   * returned from the call; rejects with IrisCommandRefusedError when IRIS says no (the message
   * is IRIS's reason), IrisUnavailableError when IRIS does not answer.
   */
  control(command: ProductionCommand): Promise<void>;
  /** Ens.Director.EnableConfigItem: enables or disables one business host. Same errors as control(). */
  setHostEnabled(command: HostCommand): Promise<void>;
  /** Security.SSLConfigs in %SYS, each with the business hosts whose SSLConfig setting names it. */
  sslConfigs(): Promise<SslConfig[]>;
  /**
   * Creates the SSL/TLS configuration or modifies the one of that name. Rejects with
   * IrisCommandRefusedError when IRIS refuses (its reason). The key password is never echoed.
   */
  applySslConfig(input: SslConfigInput): Promise<void>;
  /**
   * The newest Error and Warning entries of the Event Log (Ens.Util.Log) of one production and its
   * hosts, newest first, at most EVENT_LOG_LIMIT. UnknownProductionError for a namespace IRIS does not have.
   */
  eventLog(namespace: string, production: string): Promise<EventLogEntry[]>;
  /**
   * Message headers (Ens.MessageHeader) of one namespace, optionally of one production, host or
   * status, created within the search's UTC window, newest first, at most search.limit.
   * UnknownProductionError for a namespace IRIS does not have.
   */
  searchMessages(namespace: string, search: MessageSearch): Promise<MessageSearchResult>;
  /** Every configured database with its directory and size (Config.Databases, SYS.Database). */
  databases(): Promise<DatabaseInfo[]>;
  /**
   * What the bridge's own IRIS process may do (IrisEdge.Agent.Privileges): each of `resources`
   * with the permissions held, each interoperability namespace's databases, the escalation role,
   * IRIS's clock. The self-check reads it.
   */
  privileges(resources: string[]): Promise<AgentPrivileges>;
  /**
   * IrisEdge.Agent.DeliverHaEvent: hands one Home Assistant event (JSON, see model/ha-inbound.ts)
   * to the business service `service` of the production running in `namespace`. Rejects with
   * IrisCommandRefusedError (IRIS's code and text: no production running, no such enabled
   * service, the service refused the message), UnknownProductionError for a namespace IRIS
   * cannot use, IrisUnavailableError when IRIS does not answer.
   */
  deliverHaEvent(namespace: string, service: string, json: string): Promise<void>;
  /**
   * IrisEdge.Agent.TakeHaCalls: up to `max` calls ObjectScript wrote to the outboxes
   * (IrisEdge.HA.Home), each handed out once. IrisUnavailableError when IRIS does not answer.
   */
  takeHaCalls(max: number): Promise<TakenHaCalls>;
  /** IrisEdge.Agent.AnswerHaCall: the answer for a taken call; false when its caller withdrew it. */
  answerHaCall(namespace: string, id: number, pid: string, answer: string): Promise<boolean>;
  /** The connection's transport as far as it can tell (driver, abandoned calls); null when in-process. */
  transportReport(): TransportReport | null;
  close(): Promise<void>;
}
