/**
 * IrisClient for a real IRIS: the Native API transport (worker thread, deadlines) + the agent
 * installer + the agent JSON contract. Connects to %SYS, where IrisEdge.Agent lives.
 */
import type { IrisClient } from '../client.ts';
import {
  IrisCommandRefusedError,
  IrisContractError,
  IrisError,
  IrisUnavailableError,
  UnknownProductionError,
} from '../errors.ts';
import type { HostCommand, ProductionCommand, Snapshot } from '../../model/production.ts';
import {
  AgentFailedError,
  UNKNOWN_PRODUCTION_CODES,
  type AgentProblem,
  controlResultFromAgent,
  parseAgentJson,
  snapshotFromAgent,
  sslConfigsFromAgent,
  databasesFromAgent,
  applySslConfigJson,
} from '../agent/contract.ts';
import type { SslConfig, SslConfigInput } from '../../model/ssl.ts';
import type { DatabaseInfo } from '../../model/backup.ts';
import { AGENT_CLASS, ensureAgent, type AgentInstallResult, type NativeArg } from '../agent/installer.ts';
import { IrisServerError, NativeTransport, type NativeTransportOptions } from './transport.ts';

export interface NativeIrisClientOptions {
  host: string;
  port: number;
  username: string;
  password: string;
  /** Directory holding IrisEdge.Agent.cls (IRIS_EDGE_AGENT_DIR; /usr/share/iris-edge/agent in the add-on). */
  agentDir: string;
  /** Deadline of one ordinary call, ms (default 15000). */
  callTimeoutMs?: number;
  /** createConnection timeout, seconds (default 5). */
  connectTimeoutSeconds?: number;
  /** Deadline of each installer call (Load/Compile can be slow), ms (default 120000). */
  installTimeoutMs?: number;
  /** Test seam: a substitute driver module (file URL) and its data. */
  driverModule?: string;
  driverData?: unknown;
  /** Lines printed by the SDK inside the worker. */
  onOutput?: NativeTransportOptions['onOutput'];
  /** Told once per (re)installation of the agent. */
  onAgentInstalled?: (result: AgentInstallResult) => void;
  /**
   * Told when a snapshot skipped something IRIS could not read (a namespace whose database is
   * not mounted, a privilege missing for the error counts...). The model has no place for it.
   */
  onProblems?: (problems: AgentProblem[]) => void;
}

export class NativeIrisClient implements IrisClient {
  readonly kind = 'native' as const;
  readonly target: string;
  private readonly transport: NativeTransport;
  private readonly opts: NativeIrisClientOptions;
  private agentReady: Promise<void> | null = null;

  constructor(opts: NativeIrisClientOptions) {
    this.opts = opts;
    this.transport = new NativeTransport({
      host: opts.host,
      port: opts.port,
      namespace: '%SYS',
      username: opts.username,
      password: opts.password,
      callTimeoutMs: opts.callTimeoutMs ?? 15000,
      connectTimeoutSeconds: opts.connectTimeoutSeconds ?? 5,
      driverModule: opts.driverModule,
      driverData: opts.driverData,
      onOutput: opts.onOutput,
    });
    this.target = this.transport.target;
  }

  async snapshot(): Promise<Snapshot> {
    const raw = await this.agentCall('Snapshot', [], undefined, (e) =>
      new IrisUnavailableError(`IRIS refused the inventory (IrisEdge.Agent.Snapshot): ${e.message}`, { cause: e }),
    );
    try {
      return snapshotFromAgent(parseAgentJson('Snapshot', raw), this.opts.onProblems);
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

  async freeze(): Promise<void> {
    // ExternalFreeze waits for the write daemon to finish its cycle: allow it more than a poll.
    await this.agentCommand('Freeze', [], 'freeze database writes (Backup.General.ExternalFreeze)', 120000);
  }

  async thaw(): Promise<void> {
    await this.agentCommand('Thaw', [], 'thaw database writes (Backup.General.ExternalThaw)', 120000);
  }

  /** An agent method answering {"ok":true} or {"ok":false,"code","text"}: refusals become typed errors. */
  private async agentCommand(method: string, args: NativeArg[], what: string, deadline: number | undefined): Promise<void> {
    const raw = await this.agentCall(method, args, deadline, (e) => new IrisCommandRefusedError(`IRIS refused to ${what}: ${e.message}`, e.irisCode));
    const result = controlResultFromAgent(parseAgentJson(method, raw));
    if (result.ok) return;
    if (UNKNOWN_PRODUCTION_CODES.includes(result.code)) throw new UnknownProductionError(result.text);
    throw new IrisCommandRefusedError(result.text || `IRIS refused to ${what} (${result.code})`, result.code || undefined);
  }

  async close(): Promise<void> {
    await this.transport.close();
  }

  /** Install/upgrade the agent once; retried on the next call after a failure. */
  private ensureAgent(): Promise<void> {
    if (!this.agentReady) {
      const installTimeoutMs = this.opts.installTimeoutMs ?? 120000;
      const calls = {
        classMethodValue: (className: string, methodName: string, ...args: NativeArg[]) =>
          this.transport.call(className, methodName, args, { timeoutMs: installTimeoutMs }),
      };
      this.agentReady = ensureAgent(calls, this.opts.agentDir).then(
        (result) => {
          if (result.action !== 'current') this.opts.onAgentInstalled?.(result);
        },
        (err: unknown) => {
          this.agentReady = null;
          throw asIrisError(err, 'installing the IrisEdge agent');
        },
      );
    }
    return this.agentReady;
  }

  private async agentCall(
    method: string,
    args: NativeArg[],
    timeoutMs: number | undefined,
    onServerError: (e: IrisServerError) => IrisError,
  ): Promise<unknown> {
    await this.ensureAgent();
    try {
      return await this.transport.call(AGENT_CLASS, method, args, timeoutMs === undefined ? {} : { timeoutMs });
    } catch (err) {
      if (err instanceof IrisServerError) {
        // The agent vanished (IRIS reinstalled, IRISSYS restored...): reinstall on the next call.
        if (err.kind === 'class-missing' || err.kind === 'method-missing') this.agentReady = null;
        throw onServerError(err);
      }
      throw asIrisError(err, `IrisEdge.Agent.${method}`);
    }
  }
}

/** Only the typed errors of iris/errors.ts leave this client. */
function asIrisError(err: unknown, what: string): IrisError {
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

export function createNativeIrisClient(opts: NativeIrisClientOptions): NativeIrisClient {
  return new NativeIrisClient(opts);
}
