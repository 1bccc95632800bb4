/**
 * Home Assistant ingress as the panel meets it, for tests: the browser talks to Core
 * (/api/hassio_ingress/<token>/...), Core hands the request to the Supervisor, the Supervisor to
 * the add-on. Read from the sources (the research notes, research/ha-addon.md §5):
 *
 * - Core, homeassistant/components/hassio/ingress.py (HassIOIngress._handle_request and
 *   _init_header): passes every body on as a stream; adds X-Ingress-Path (no trailing slash) and
 *   X-Hass-Source, strips Accept-Encoding.
 * - The Supervisor (home-assistant/supervisor @090ef31, aiohttp 3.14.3 in its requirements.txt),
 *   supervisor/api/ingress.py APIIngress._handle_request: a POST body is forwarded as a stream
 *   only when the add-on's config says `ingress_stream: true`; every other body is read whole
 *   first (`await request.read()`). Its web application is built with
 *   client_max_size = MAX_CLIENT_SIZE = 16 MiB (supervisor/api/__init__.py RestAPI.__init__), and
 *   aiohttp's BaseRequest.read raises HTTPRequestEntityTooLarge as soon as the body read so far
 *   is larger than that: 413, text/plain "Maximum request body size 16777216 exceeded.", the add-on
 *   never sees the request. _init_header drops Content-Length, Content-Encoding and
 *   Transfer-Encoding, so a streamed body reaches the add-on chunked, its size unknown up front;
 *   it drops client copies of X-Remote-User-* and the token header and sets its own.
 *
 * That is the respect in which this proxy behaves like the real path: whether it streams is read
 * from the real config.yaml, so a config.yaml without `ingress_stream: true` makes every upload
 * test over 16 MiB fail here as it would fail in Home Assistant. Responses are relayed as they
 * come (the Supervisor buffers small ones and streams the rest; the panel cannot tell).
 * The proxy connects from 127.0.0.2, the stand-in for the Supervisor's 172.30.32.2.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const SUPERVISOR_STANDIN = '127.0.0.2';
export const INGRESS_TOKEN = 'x4Fz9Qk2TestToken';
export const INGRESS_PATH = `/api/hassio_ingress/${INGRESS_TOKEN}`;
/** supervisor/api/__init__.py MAX_CLIENT_SIZE: 1024**2 * 16. */
export const SUPERVISOR_MAX_BODY = 16 * 1024 * 1024;
/** aiohttp 3.14.3 web_exceptions.HTTPRequestEntityTooLarge's text for that size. */
export const SUPERVISOR_TOO_LARGE = `Maximum request body size ${SUPERVISOR_MAX_BODY} exceeded.`;

export const ADDON_CONFIG = fileURLToPath(new URL('../../config.yaml', import.meta.url));

/** `ingress_stream` of an add-on config; the Supervisor's default is false (apps/validate.py). */
export function ingressStreamOf(configYaml = ADDON_CONFIG): boolean {
  const cfg = parse(readFileSync(configYaml, 'utf8')) as { ingress_stream?: unknown } | null;
  return cfg?.ingress_stream === true;
}

export interface IngressProxy {
  /** The ingress URL, with its trailing slash (what the HA frontend loads in its iframe). */
  url: string;
  /** Whether POST bodies are streamed (config.yaml's ingress_stream). */
  stream: boolean;
  /** Requests the proxy refused itself, as the Supervisor would (413), never forwarded. */
  refused: number;
  /** Cuts every websocket relayed (a restarting Supervisor). */
  dropWebsockets(): void;
  close(): Promise<void>;
}

// Supervisor _init_header: dropped from what the client sent, then its own set.
const DROPPED = new Set(['content-length', 'content-encoding', 'transfer-encoding', 'x-supervisor-token', 'x-hassio-key', 'x-ingress-path', 'accept-encoding', 'connection']);

function ingressHeaders(incoming: http.IncomingHttpHeaders, target: URL, peer: string | undefined): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(incoming)) {
    if (k.startsWith('x-remote-user-') || DROPPED.has(k)) continue;
    headers[k] = v;
  }
  headers.host = target.host;
  headers['x-ingress-path'] = INGRESS_PATH;
  headers['x-hass-source'] = 'core.ingress';
  headers['x-forwarded-for'] = peer ?? '127.0.0.1';
  headers['x-remote-user-id'] = 'abc123';
  headers['x-remote-user-name'] = 'anna';
  headers['x-remote-user-display-name'] = 'Anna';
  return headers;
}

/**
 * The proxy in front of the panel at `panelUrl`. `configYaml` is the add-on config whose
 * ingress_stream it obeys: the repository's own unless a test shows what another one would do.
 */
export async function startIngressProxy(panelUrl: string, opts: { configYaml?: string } = {}): Promise<IngressProxy> {
  const target = new URL(panelUrl);
  const stream = ingressStreamOf(opts.configYaml);
  const prefix = `${INGRESS_PATH}/`;
  const upgraded = new Set<net.Socket>();
  const state = { refused: 0 };

  const forward = (req: http.IncomingMessage, res: http.ServerResponse, path: string, body: Buffer | null) => {
    const headers = ingressHeaders(req.headers, target, req.socket.remoteAddress);
    // A buffered body goes on with its length (aiohttp sets it for bytes); a streamed one chunked.
    if (body && (body.length > 0 || !['GET', 'HEAD'].includes(req.method ?? ''))) headers['content-length'] = body.length;
    const up = http.request({ host: target.hostname, port: target.port, method: req.method, path, headers, localAddress: SUPERVISOR_STANDIN }, (r) => {
      const { connection: _c, 'keep-alive': _k, ...relayed } = r.headers;
      res.writeHead(r.statusCode ?? 502, relayed);
      r.pipe(res);
    });
    up.on('error', () => {
      // An answer already relayed stands; what the client still sends is read and dropped
      // (aiohttp's lingering read), so it sees the answer rather than a reset.
      if (res.headersSent) req.resume();
      else res.writeHead(502, { 'content-type': 'text/plain' }).end('502: Bad Gateway');
    });
    if (body) return void up.end(body);
    req.pipe(up);
    // The browser went away mid-body: the Supervisor's read of it fails and so does its request
    // to the add-on, which sees its connection cut with the body unfinished.
    req.on('close', () => {
      if (!req.complete) up.destroy();
    });
  };

  const server = http.createServer((req, res) => {
    if (!req.url?.startsWith(prefix)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('404: Not Found (outside the ingress prefix)');
      return;
    }
    const path = req.url.slice(prefix.length - 1);
    if (req.method === 'POST' && stream) return forward(req, res, path, null);
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > SUPERVISOR_MAX_BODY) {
        over = true;
        chunks.length = 0;
        state.refused += 1;
        // The rest is still read and dropped (aiohttp's lingering read), so the client sees the 413.
        res.writeHead(413, { 'content-type': 'text/plain; charset=utf-8' }).end(SUPERVISOR_TOO_LARGE);
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!over) forward(req, res, path, Buffer.concat(chunks));
    });
    req.on('error', () => res.destroy());
  });

  server.on('upgrade', (req, socket, head) => {
    if (!req.url?.startsWith(prefix)) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    const path = req.url.slice(prefix.length - 1);
    upgraded.add(socket as net.Socket);
    socket.on('close', () => upgraded.delete(socket as net.Socket));
    const upstream = net.connect({ host: target.hostname, port: Number(target.port), localAddress: SUPERVISOR_STANDIN }, () => {
      // The websocket handshake keeps its own Connection/Upgrade headers.
      const headers = { ...ingressHeaders(req.headers, target, req.socket.remoteAddress), connection: req.headers.connection, upgrade: req.headers.upgrade };
      let head1 = `${req.method} ${path} HTTP/1.1\r\n`;
      for (const [k, v] of Object.entries(headers)) for (const one of Array.isArray(v) ? v : [v]) if (one !== undefined) head1 += `${k}: ${one}\r\n`;
      upstream.write(head1 + '\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    upstream.on('close', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
    socket.on('close', () => upstream.destroy());
  });

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}${INGRESS_PATH}/`,
    stream,
    get refused() {
      return state.refused;
    },
    dropWebsockets() {
      for (const s of upgraded) s.destroy();
      upgraded.clear();
    },
    async close() {
      for (const s of upgraded) s.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
