/**
 * Bytes as sent: a TCP proxy in front of the panel (or of the ingress border) counts what crosses
 * it, headers, framing and all, so a figure is what a browser would receive, not a body length.
 * Requests go one at a time on their own connection, so the counter's difference is one resource.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import WebSocket from 'ws';

export interface CountingProxy {
  url: string;
  /** Bytes sent towards the client since the proxy started. */
  readonly down: number;
  close(): Promise<void>;
}

export async function countingProxy(target: URL): Promise<CountingProxy> {
  let down = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: target.hostname, port: Number(target.port) });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    upstream.on('data', (d: Buffer) => (down += d.length));
    upstream.pipe(client);
    client.pipe(upstream);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${target.pathname}`,
    get down() {
      return down;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

export interface Fetched {
  wire: number;
  /** The body decoded (Content-Encoding undone). */
  body: Buffer;
  encoding: string;
  status: number;
}

/** One GET on its own connection; `wire` is every byte the proxy passed back for it. */
export async function fetchCounted(proxy: CountingProxy, path: string, acceptEncoding: string | null): Promise<Fetched> {
  const before = proxy.down;
  const url = new URL(path, proxy.url);
  const headers: http.OutgoingHttpHeaders = acceptEncoding ? { 'accept-encoding': acceptEncoding } : {};
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    http.get(url, { agent: false, headers }, resolve).on('error', reject);
  });
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  await new Promise((r) => (res.socket.destroyed ? r(null) : res.socket.once('close', r)));
  const encoding = String(res.headers['content-encoding'] ?? 'identity');
  const sent = Buffer.concat(chunks);
  const decode: Record<string, (b: Buffer) => Buffer> = { identity: (b) => b, gzip: gunzipSync, deflate: inflateSync, br: brotliDecompressSync };
  const body = (decode[encoding] ?? ((): Buffer => { throw new Error(`unexpected Content-Encoding ${encoding}`); }))(sent);
  return { wire: proxy.down - before, body, encoding, status: res.statusCode ?? 0 };
}

export interface FeedProbe {
  ws: WebSocket;
  /** Handshake answer + the snapshot frame(s), as sent. */
  snapshotWire: number;
  snapshotText: string;
  extensions: string;
  /** Waits for the next message whose type is `type`; returns the bytes sent since the call. */
  nextCounted(type: string, trigger: () => Promise<unknown>): Promise<{ wire: number; text: string }>;
}

export async function openFeedCounted(proxy: CountingProxy, deflate: boolean): Promise<FeedProbe> {
  const before = proxy.down;
  const url = new URL('api/feed', proxy.url);
  url.protocol = 'ws:';
  const ws = new WebSocket(url, { perMessageDeflate: deflate });
  const snapshotText = await new Promise<string>((resolve, reject) => {
    ws.once('message', (d) => resolve(String(d)));
    ws.once('error', reject);
  });
  return {
    ws,
    snapshotWire: proxy.down - before,
    snapshotText,
    extensions: ws.extensions,
    async nextCounted(type, trigger) {
      const start = proxy.down;
      const got = new Promise<string>((resolve) => {
        const on = (d: WebSocket.RawData) => {
          const text = String(d);
          if ((JSON.parse(text) as { type: string }).type !== type) return;
          ws.off('message', on);
          resolve(text);
        };
        ws.on('message', on);
      });
      await trigger();
      const text = await got;
      return { wire: proxy.down - start, text };
    },
  };
}

const BORDER_SCRIPT = fileURLToPath(new URL('./ingress-border.py', import.meta.url));

export interface Border {
  url: string;
  close(): Promise<void>;
}

/**
 * Home Assistant's ingress border (ingress-border.py) on the aiohttp of the e2e harness's cached
 * Home Assistant chroot; undefined (with the reason) when that chroot is not there or not usable.
 */
export async function startBorder(haRoot: string | undefined, upstream: string): Promise<Border | string> {
  if (!haRoot || !existsSync(`${haRoot}/opt/ha/bin/python`)) return 'no Home Assistant chroot (bash test/e2e/harness/prepare.sh --root)';
  if (process.getuid?.() !== 0) return 'running the Home Assistant chroot needs root';
  const inner = '/tmp/iris-edge-ingress-border.py';
  const { copyFile, rm } = await import('node:fs/promises');
  await copyFile(BORDER_SCRIPT, `${haRoot}${inner}`);
  const removeScript = () => rm(`${haRoot}${inner}`, { force: true });
  const proc: ChildProcess = spawn('chroot', [haRoot, '/opt/ha/bin/python', inner, upstream], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout as NodeJS.ReadableStream });
  const port = await new Promise<number | string>((resolve) => {
    const timer = setTimeout(() => resolve('the ingress border did not start within 30 s'), 30_000);
    lines.once('line', (l) => {
      clearTimeout(timer);
      const m = /^ready (\d+)$/.exec(l);
      resolve(m ? Number(m[1]) : `the ingress border said: ${l}`);
    });
    proc.once('exit', (code) => resolve(`the ingress border exited (${code})`));
  });
  if (typeof port === 'string') {
    proc.kill();
    await removeScript();
    return port;
  }
  return {
    url: `http://127.0.0.1:${port}/`,
    async close() {
      if (proc.exitCode === null) {
        proc.kill();
        await once(proc, 'exit');
      }
      await removeScript();
    },
  };
}
