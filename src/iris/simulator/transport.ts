/**
 * The simulated instance reached in-process: one session (one IRIS process) opened at the first
 * call and reopened after it is lost, calls one at a time, each with a deadline. It keeps the
 * semantics of the child-process transport (native/transport.ts) that the bridge uses for a real
 * IRIS and for the demo: the same error mapping, and a call past its deadline abandons its
 * session (the simulated process finishes the call on its own). Tests use it because it is fast;
 * the child-process path is tested against the simulator's superserver separately.
 */
import { IrisUnavailableError } from '../../model/errors.ts';
import { classifyError, decodeValue, type NativeArg, type NativeValue } from '../native/protocol.ts';
import { callError } from '../native/transport.ts';
import type { AgentTransport } from '../agent/client.ts';
import type { BridgeCredentials, SimulatedIris } from './server.ts';
import type { SimSession } from './superserver.ts';

export class InProcessTransport implements AgentTransport {
  private session: SimSession | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly iris: SimulatedIris,
    private readonly credentials: BridgeCredentials,
    readonly target: string,
    private readonly callTimeoutMs = 15000,
  ) {}

  call(className: string, methodName: string, args: NativeArg[], opts: { timeoutMs?: number } = {}): Promise<NativeValue> {
    const run = this.chain.then(() => this.once(className, methodName, args, opts.timeoutMs ?? this.callTimeoutMs));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async once(className: string, methodName: string, args: NativeArg[], timeoutMs: number): Promise<NativeValue> {
    const what = `${className}.${methodName}`;
    if (this.closed) throw new IrisUnavailableError(`the IRIS connection to ${this.target} is closed`);
    if (!this.session) {
      try {
        this.session = this.iris.connect(this.credentials.username, this.credentials.password, '%SYS');
      } catch (err) {
        const message = (err as Error).message;
        throw callError(this.target, what, { ...classifyError(message, true), message });
      }
    }
    const session = this.session;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // Abandoned, as the bridge kills its connection process: IRIS finishes the call alone.
        session.disconnect();
        if (this.session === session) this.session = null;
        reject(new IrisUnavailableError(`IRIS at ${this.target} did not answer ${what} within ${timeoutMs} ms; its connection was abandoned`));
      }, timeoutMs);
    });
    try {
      return decodeValue(await Promise.race([session.call(className, methodName, args), deadline]));
    } catch (err) {
      if (err instanceof IrisUnavailableError) throw err;
      const message = (err as Error).message;
      const detail = { ...classifyError(message), message };
      if (detail.kind === 'connection' && this.session === session) {
        session.disconnect();
        this.session = null;
      }
      throw callError(this.target, what, detail);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.session?.disconnect();
    this.session = null;
  }
}
