/**
 * The IrisClient for a real IRIS: the agent client over the Native SDK, which runs in a child
 * process the bridge can kill. It connects to %SYS, where IrisEdge.Agent lives.
 */
import { AgentIrisClient, type AgentIrisClientOptions } from '../agent/client.ts';
import { shippedAgentVersion } from '../agent/version.ts';
import { NativeTransport, type NativeTransportOptions } from './transport.ts';

export interface NativeIrisClientOptions
  extends Pick<NativeTransportOptions, 'host' | 'port' | 'username' | 'password' | 'driverModule' | 'driverData' | 'onOutput' | 'onAbandoned' | 'onDriver' | 'maxAbandoned' | 'abandonedWindowMs'> {
  /** Directory holding IrisEdge.Agent.cls, whose VERSION the installed agent must have. */
  agentDir: string;
  /** Inside the add-on (the setup installs the agent) or not (an administrator does). */
  inAddon?: boolean;
  /** Deadline of one ordinary call, ms (default 15000). */
  callTimeoutMs?: number;
  /** createConnection timeout, seconds (default 5). */
  connectTimeoutSeconds?: number;
  onProblems?: AgentIrisClientOptions['onProblems'];
  /** "native" for a real IRIS; the simulator's superserver is reached the same way. */
  kind?: AgentIrisClientOptions['kind'];
}

/** The agent client with its transport reachable for diagnostics (driver, abandoned calls). */
export class NativeIrisClient extends AgentIrisClient {
  constructor(
    opts: AgentIrisClientOptions,
    readonly nativeTransport: NativeTransport,
  ) {
    super(opts);
  }
}

export function createNativeIrisClient(opts: NativeIrisClientOptions): NativeIrisClient {
  const transport = new NativeTransport({
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
    onAbandoned: opts.onAbandoned,
    onDriver: opts.onDriver,
    maxAbandoned: opts.maxAbandoned,
    abandonedWindowMs: opts.abandonedWindowMs,
  });
  return new NativeIrisClient(
    {
      kind: opts.kind ?? 'native',
      target: transport.target,
      transport,
      requiredAgentVersion: shippedAgentVersion(opts.agentDir),
      inAddon: opts.inAddon ?? false,
      callTimeoutMs: opts.callTimeoutMs,
      onProblems: opts.onProblems,
    },
    transport,
  );
}
