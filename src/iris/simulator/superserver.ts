/**
 * The simulated instance's superserver: a TCP listener on loopback that the bridge reaches through
 * its ordinary Native API transport (a child process, driver.ts instead of the SDK), so the demo
 * and the integration tests run the same chain as a real IRIS, kills and reconnects included.
 *
 * Wire format: one JSON document per line. The client sends
 *   {"id":1,"op":"connect","user":"...","pwd":"...","ns":"%SYS"} then {"id":2,"op":"call","cls":"...","method":"...","args":[...]}
 * and the server answers {"id":n,"ok":true,"value":...,"bigint":true?} or {"id":n,"ok":false,"error":"<text as the SDK throws it>"}.
 * A dropped socket is what a killed client is to IRIS: the session ends, and a call still running
 * in it finishes on the server side before its process (and licence unit) is freed.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { entryUrl, installOf } from '../../model/install-dir.ts';
import type { NativeArg } from '../native/protocol.ts';

export interface SimSession {
  call(className: string, methodName: string, args: NativeArg[]): Promise<unknown>;
  /** The client is gone (socket closed or killed). */
  disconnect(): void;
}

export interface SessionFactory {
  /** Logs in; throws an Error whose message is what the SDK would throw (e.g. "Access Denied"). */
  connect(user: string, password: string, namespace: string): SimSession;
}

interface Request {
  id: number;
  op: 'connect' | 'call';
  user?: string;
  pwd?: string;
  ns?: string;
  cls?: string;
  method?: string;
  args?: NativeArg[];
}

/** The driver module the bridge's connection process loads to reach this superserver. */
export const SIMULATOR_DRIVER = entryUrl(installOf(import.meta.url, existsSync), 'iris/simulator/driver').href;

/** The longest request line accepted (an ApplySslConfig document is a few KB). */
const MAX_LINE = 1024 * 1024;

export interface RunningSuperserver {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startSuperserver(factory: SessionFactory, port = 0): Promise<RunningSuperserver> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    let session: SimSession | null = null;
    let buffered = '';
    const reply = (msg: object) => {
      if (!socket.destroyed) socket.write(`${JSON.stringify(msg)}\n`);
    };
    const handle = async (req: Request) => {
      try {
        if (req.op === 'connect') {
          session?.disconnect();
          session = factory.connect(String(req.user ?? ''), String(req.pwd ?? ''), String(req.ns ?? ''));
          reply({ id: req.id, ok: true });
          return;
        }
        if (!session) throw new Error('<COMMUNICATION LINK ERROR> not connected');
        const value = await session.call(String(req.cls), String(req.method), req.args ?? []);
        reply(typeof value === 'bigint' ? { id: req.id, ok: true, value: value.toString(), bigint: true } : { id: req.id, ok: true, value: value ?? null });
      } catch (err) {
        reply({ id: req.id, ok: false, error: err instanceof Error ? err.message : String(err) });
      }
    };
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      if (buffered.length > MAX_LINE && !buffered.includes('\n')) {
        socket.destroy();
        return;
      }
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        let req: Request;
        try {
          req = JSON.parse(line) as Request;
        } catch {
          socket.destroy();
          return;
        }
        void handle(req);
      }
    });
    const gone = () => {
      sockets.delete(socket);
      session?.disconnect();
      session = null;
    };
    socket.on('close', gone);
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port: address.port,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
