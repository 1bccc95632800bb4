/**
 * The admin panel: a fastify server on the add-on's ingress port (DESIGN.md §7, §12).
 *
 * - In the add-on only the Supervisor may connect (guard.ts); outside Home Assistant it listens on
 *   127.0.0.1:8099 unless configured.
 * - Everything is served relative to wherever ingress mounts it: the UI uses relative URLs only
 *   and the server never redirects.
 * - The HTTP API under /api/ (api.ts) is what the UI uses; api/feed is the live websocket feed.
 */
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { registerApi } from './api.ts';
import { registerEventLogApi } from './event-log-api.ts';
import { loadAssets, type Asset } from './assets.ts';
import { registerBackupsApi } from './backups-api.ts';
import { registerAppsApi } from './apps-api.ts';
import { registerCertsApi } from './certs-api.ts';
import { registerConnectApi } from './connect-api.ts';
import { registerHaFlowsApi } from './ha-flows-api.ts';
import { registerMcpApi } from './mcp-api.ts';
import type { PanelContext, PanelOptions } from './context.ts';
import { registerDiagnosticsApi } from './diagnostics-api.ts';
import { clientErrorHandler, frameworkErrors, panelErrorHandler } from './errors.ts';
import { FEED_WINDOW_BITS, LiveFeed } from './feed.ts';
import { allowedHost, allowedHostSet, describeUser, ingressContext, isTrustedPeer, trustedSet } from './guard.ts';
import { registerOpenApi, schemaController } from './openapi.ts';
import { pickCoding, type Coding } from './precompress.ts';
import { allowHeader, RouteTable } from './routes.ts';
import { registerSensorsApi } from './sensors-api.ts';
import { registerSslApi } from './ssl-api.ts';

export interface RunningPanel {
  url: string;
  close(): Promise<void>;
}

/** Largest request body the API accepts: every request is a small JSON object. */
export const BODY_LIMIT = 16 * 1024;
/** The custom header every state-changing request must carry (a cross-site form cannot send it). */
export const CSRF_HEADER = 'x-iris-edge';

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "object-src 'none'",
].join('; ');

/**
 * permessage-deflate for a browser that connects directly (outside Home Assistant). Behind ingress
 * it is never negotiated: the Supervisor connects without offering it and Home Assistant deflates
 * for the browser itself (bench/support/ingress-border.py). Sized for a Pi: an 8 KiB window and
 * memLevel 7 keep each connection's deflate state near 96 KB instead of 256 KB; at 10 x 100 with
 * real-looking names the snapshot deflates to 13.2 KB instead of 10.7 KB (memLevel alone changes
 * nothing; the window does). The work runs on libuv's pool, two at a time, so the event loop and
 * file I/O keep their threads. Messages under 8 KiB (logs, events) go as they are. ws would refuse
 * the handshake of a client that demands a smaller window; that client gets the feed uncompressed
 * instead (feed.ts, withoutSmallWindowOffer).
 */
const FEED_DEFLATE = { threshold: 8 * 1024, serverMaxWindowBits: FEED_WINDOW_BITS, zlibDeflateOptions: { memLevel: 7 }, concurrencyLimit: 2 };

function sendAsset(req: FastifyRequest, reply: FastifyReply, asset: Asset | undefined): FastifyReply {
  if (!asset) return reply.code(404).type('text/plain; charset=utf-8').send('Not found');
  reply.header('content-type', asset.type);
  reply.header('etag', asset.etag);
  reply.header('cache-control', asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
  reply.header('vary', 'accept-encoding');
  if (req.headers['if-none-match'] === asset.etag) return reply.code(304).send();
  const coding = pickCoding(req.headers['accept-encoding'], Object.keys(asset.encoded) as Coding[]);
  const encoded = coding ? asset.encoded[coding] : undefined;
  if (coding && encoded) {
    reply.header('content-encoding', coding);
    return reply.send(encoded);
  }
  return reply.send(asset.body);
}

export async function buildPanelServer(options: PanelOptions): Promise<{ app: FastifyInstance; feed: LiveFeed }> {
  const trusted = trustedSet(options.trustedPeers);
  const allowedHosts = allowedHostSet(options.host, options.allowedHosts);
  const ingress = (req: FastifyRequest) => ingressContext(req.socket.remoteAddress, req.headers, trusted);
  const ctx: PanelContext = { options, ingress, who: (req) => describeUser(ingress(req)) };
  await options.certs?.init();
  const assets = await loadAssets(options.assetsDir);
  // forceCloseConnections: stopping the add-on must not wait for a transfer that never ends.
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT,
    trustProxy: false,
    return503OnClosing: true,
    forceCloseConnections: true,
    // What Fastify and Node answer before a route runs gets the API's {error, message} shape too (errors.ts).
    frameworkErrors,
    clientErrorHandler,
    schemaController,
  });
  const routes = new RouteTable();
  app.addHook('onRoute', (r) => routes.add(r.url, r.method));
  await registerOpenApi(app);
  await app.register(websocket, { options: { maxPayload: 64 * 1024, perMessageDeflate: FEED_DEFLATE } });

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('content-security-policy', CSP);
    if (options.mode === 'addon' && !isTrustedPeer(req.socket.remoteAddress, trusted)) {
      return reply.code(403).send({
        error: 'forbidden',
        message: "Only Home Assistant's Supervisor may open the IRIS Edge panel: open it from the Home Assistant sidebar (ingress).",
      });
    }
    // Outside the add-on nobody stands between the panel and a browser: a page whose DNS name was
    // rebound to this address would be same-origin and pass the checks below. The Host header
    // gives such a page away.
    if (options.mode === 'standalone' && !allowedHost(req.headers.host, allowedHosts)) {
      return reply.code(403).send({
        error: 'host-not-allowed',
        message: `The panel answers only to the host names it serves; "${String(req.headers.host ?? '').slice(0, 100)}" is not one of them. Open it as http://127.0.0.1:<port>/, or add the name to PANEL_ALLOWED_HOSTS.`,
      });
    }
    // Only a request no route took, or one a parameter route took, can be at a path whose own
    // route serves other methods ("DELETE /api/backups/schedule" is not the backup "schedule").
    const matched = req.is404 ? undefined : req.routeOptions.url;
    const served = matched === undefined || matched.includes(':') ? routes.methodsAt(req.url.split('?')[0] ?? '') : null;
    if (served && !served.has(req.method)) {
      const allow = allowHeader(served);
      return reply
        .code(405)
        .header('allow', allow)
        .send({ error: 'method-not-allowed', message: `${req.method.slice(0, 20)} is not served here; use ${allow.replaceAll(', ', ' or ')}${served.has('POST') ? ' (a state change needs a JSON body and the X-IRIS-Edge: 1 header)' : ''}.` });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      if (req.headers['sec-fetch-site'] === 'cross-site') {
        return reply.code(403).send({ error: 'cross-site', message: 'Requests from another site are refused.' });
      }
      if (req.headers[CSRF_HEADER] !== '1') {
        return reply.code(403).send({
          error: 'missing-header',
          message: `State-changing requests need the header "X-IRIS-Edge: 1" and a JSON body (this protects against cross-site requests).`,
        });
      }
      // A POST or PUT states what it wants in a JSON body; none at all is no request (a body-less
      // POST once started a backup). A route whose body is something else says so (bodyType).
      const type = String(req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
      const wanted = (req.routeOptions.config as { bodyType?: string } | undefined)?.bodyType ?? 'application/json';
      if ((req.method === 'POST' || req.method === 'PUT') && type !== wanted) {
        return reply.code(415).send({ error: 'unsupported-media-type', message: `Send the request body as ${wanted === 'application/json' ? 'JSON' : 'the archive'} with "Content-Type: ${wanted}".` });
      }
    }
    return undefined;
  });

  app.setErrorHandler(panelErrorHandler(options.log));

  app.setNotFoundHandler((req, reply) => {
    if (req.url.startsWith('/api/')) {
      return reply.code(404).send({ error: 'not-found', message: `There is no API route ${req.method} ${req.url.split('?')[0]}; see api/openapi.json.` });
    }
    return reply.code(404).type('text/plain; charset=utf-8').send('Not found');
  });

  const feed = new LiveFeed(ctx);
  await app.register(async (api) => registerApi(api, ctx, feed), { prefix: '/api' });
  await app.register(async (api) => registerConnectApi(api, ctx), { prefix: '/api' });
  await app.register(async (api) => registerCertsApi(api, ctx), { prefix: '/api' });
  await app.register(async (api) => registerBackupsApi(api, ctx), { prefix: '/api' });
  await app.register(async (api) => registerAppsApi(api, ctx), { prefix: '/api' });
  await app.register(async (api) => registerDiagnosticsApi(api, ctx), { prefix: '/api' });
  await app.register(async (api) => registerSslApi(api, ctx), { prefix: '/api' });
  await app.register(async (api) => registerEventLogApi(api, ctx), { prefix: '/api' });
  await app.register(async (api) => registerMcpApi(api, ctx), { prefix: '/api' });
  await app.register(async (api) => registerSensorsApi(api, ctx), { prefix: '/api' });
  await app.register(async (api) => registerHaFlowsApi(api, ctx), { prefix: '/api' });
  // The certificate workers stop with the panel, the only user of them.
  app.addHook('onClose', async () => options.certs?.close());

  // The UI's files are not part of the API document.
  const hide = { schema: { hide: true } };
  const index = assets.get('index.html');
  app.get('/', hide, (req, reply) => sendAsset(req, reply, index));
  app.get('/index.html', hide, (req, reply) => sendAsset(req, reply, index));
  app.get<{ Params: { file: string } }>('/assets/:file', hide, (req, reply) => sendAsset(req, reply, assets.get(`assets/${req.params.file}`)));
  return { app, feed };
}

export async function startPanel(options: PanelOptions): Promise<RunningPanel> {
  const { app, feed } = await buildPanelServer(options);
  const port = options.port ?? 8099;
  let host = options.host ?? (options.mode === 'addon' ? '::' : '127.0.0.1');
  try {
    await app.listen({ host, port });
  } catch (err) {
    // A container without IPv6: all IPv4 interfaces instead.
    const code = (err as NodeJS.ErrnoException).code;
    if (options.host === undefined && host === '::' && (code === 'EAFNOSUPPORT' || code === 'EADDRNOTAVAIL')) {
      host = '0.0.0.0';
      await app.listen({ host, port });
    } else throw err;
  }
  const addr = app.server.address();
  const actualPort = typeof addr === 'object' && addr ? addr.port : port;
  const shown = host === '::' || host === '0.0.0.0' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const url = `http://${shown}:${actualPort}/`;
  if (options.mode === 'standalone' && host !== '127.0.0.1' && host !== '::1' && host !== 'localhost') {
    options.log.warn(`The panel listens on ${host}:${actualPort} without authentication: anyone who can reach that address can control IRIS productions.`);
  }
  options.log.info(options.mode === 'addon' ? `Panel ready for Home Assistant ingress on port ${actualPort}` : `Panel at ${url}`);
  return {
    url,
    async close() {
      feed.close();
      await app.close();
    },
  };
}
