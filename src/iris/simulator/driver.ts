/**
 * The Native API driver for the simulated instance, loaded by the bridge's IRIS connection process
 * (native/child.ts) in place of @intersystems/intersystems-iris-native. It has the SDK's surface
 * (createConnection -> createIris -> classMethodValue, close) and speaks superserver.ts's line
 * protocol. Unlike the SDK it answers with promises; the child awaits either.
 */
import { Socket } from 'node:net';

export const DRIVER_NAME = 'IRIS simulator (built-in, not a real IRIS)';

interface Reply {
  id: number;
  ok: boolean;
  value?: unknown;
  bigint?: boolean;
  error?: string;
}

class Link {
  private readonly socket: Socket;
  private buffered = '';
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private failure: Error | null = null;

  constructor(host: string, port: number) {
    this.socket = new Socket();
    this.socket.setEncoding('utf8');
    this.socket.on('data', (chunk: string) => this.onData(chunk));
    const fail = (why: string) => {
      this.failure ??= new Error(`<COMMUNICATION LINK ERROR> ${why}`);
      for (const p of this.pending.values()) p.reject(this.failure);
      this.pending.clear();
    };
    this.socket.on('error', (err: NodeJS.ErrnoException) => fail(`Failed to talk to server; Details: ${err.code ?? err.message}`));
    this.socket.on('close', () => fail('Connection closed by server; Details: ECONNRESET'));
    this.socket.connect(port, host);
  }

  private onData(chunk: string): void {
    // Only the new chunk is searched: a reply of a megabyte arrives in tens of chunks, and
    // searching all that was buffered at each one made reading it quadratic.
    let nl = chunk.indexOf('\n');
    if (nl < 0) {
      this.buffered += chunk;
      return;
    }
    let line = this.buffered + chunk.slice(0, nl);
    for (;;) {
      const reply = JSON.parse(line) as Reply;
      const p = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      p?.resolve(reply);
      const from = nl + 1;
      nl = chunk.indexOf('\n', from);
      if (nl < 0) {
        this.buffered = chunk.slice(from);
        return;
      }
      line = chunk.slice(from, nl);
    }
  }

  request(body: object, timeoutMs?: number): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new Error('<COMMUNICATION LINK ERROR> Failed to connect to server; Details: Communication timed out'));
        }, timeoutMs);
      }
      this.pending.set(id, {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.socket.write(`${JSON.stringify({ id, ...body })}\n`);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

function valueOf(reply: Reply): unknown {
  if (!reply.ok) throw new Error(reply.error ?? 'unknown error');
  // The SDK returns IRIS integers as BigInt (research iris.md §1.6); so does this driver.
  return reply.bigint ? BigInt(String(reply.value)) : reply.value;
}

export async function createConnection(info: { host: string; port: number; ns: string; user: string; pwd: string; timeout: number }) {
  const link = new Link(info.host, info.port);
  try {
    valueOf(await link.request({ op: 'connect', user: info.user, pwd: info.pwd, ns: info.ns }, info.timeout * 1000));
  } catch (err) {
    link.close();
    throw err;
  }
  return {
    createIris: () => ({
      classMethodValue: async (cls: string, method: string, ...args: unknown[]) => valueOf(await link.request({ op: 'call', cls, method, args })),
    }),
    close: () => link.close(),
  };
}
