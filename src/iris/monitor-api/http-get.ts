/**
 * One GET of a text answer from IRIS's web server, through node:http on a kept-alive connection.
 * The bridge asks /api/monitor twice at every poll. fetch (undici, through WHATWG streams) took
 * about twice the CPU per request of node:http here (1.1-1.5 against 0.5-0.8 ms, client and
 * server in one process, 300 requests each), about a fifth of the bridge's CPU per poll at
 * 10 productions x 100 hosts. Plain http only: the IRIS web port is reached unencrypted, on the
 * add-on's own network or the one the user gave for a remote instance.
 */
import { Agent, request, type IncomingMessage } from 'node:http';

export interface TextAnswer {
  status: number;
  statusText: string;
  /** Where a redirect points (the Location header), if it does. */
  location: string | undefined;
  text: string;
}

/**
 * Why there is no answer: none within the deadline, none at all (the message is the socket's
 * error code, ECONNREFUSED...), one that broke off, or one longer than the limit.
 */
export type NoAnswerKind = 'timeout' | 'unreachable' | 'broken' | 'too-large';

export class NoAnswerError extends Error {
  constructor(
    readonly kind: NoAnswerKind,
    message: string,
  ) {
    super(message);
  }
}

export interface GetOptions {
  agent: Agent;
  /** For the whole exchange, from the request to the answer's last byte. */
  timeoutMs: number;
  maxBytes: number;
  headers: Record<string, string>;
}

/** A pool of kept-alive connections; idle ones do not keep Node running. */
export function keptAlive(): Agent {
  return new Agent({ keepAlive: true });
}

export async function getText(url: string, opts: GetOptions): Promise<TextAnswer> {
  try {
    return await once(url, opts);
  } catch (err) {
    // The server closed an idle kept-alive connection just as it was reused: no request reached
    // it, so asking again on a new connection is safe (Node's documented remedy, reusedSocket).
    if (err instanceof ReusedSocketClosed) return once(url, opts);
    throw err;
  }
}

class ReusedSocketClosed extends Error {}

function once(url: string, opts: GetOptions): Promise<TextAnswer> {
  return new Promise<TextAnswer>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const fail = (err: Error) => settle(() => reject(err));
    const req = request(url, { agent: opts.agent, headers: opts.headers }, (res) => readBody(res, opts.maxBytes, (err, text) => {
      if (err) {
        req.destroy();
        fail(err);
      } else {
        settle(() => resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', location: res.headers.location, text: text as string }));
      }
    }));
    const timer = setTimeout(() => {
      fail(new NoAnswerError('timeout', `no answer within ${opts.timeoutMs} ms`));
      req.destroy();
    }, opts.timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (req.reusedSocket && err.code === 'ECONNRESET') return fail(new ReusedSocketClosed());
      fail(new NoAnswerError('unreachable', err.code ?? err.message));
    });
    req.end();
  });
}

function readBody(res: IncomingMessage, maxBytes: number, done: (err: Error | null, text?: string) => void): void {
  const chunks: Buffer[] = [];
  let bytes = 0;
  res.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > maxBytes) {
      res.destroy();
      done(new NoAnswerError('too-large', `an answer longer than ${maxBytes} bytes`));
      return;
    }
    chunks.push(chunk);
  });
  res.on('end', () => done(null, Buffer.concat(chunks).toString('utf8')));
  res.on('close', () => {
    if (!res.complete) done(new NoAnswerError('broken', 'the connection closed before the answer ended'));
  });
  res.on('error', (err) => done(new NoAnswerError('broken', err.message)));
}
