/**
 * The MCP server: the Model Context Protocol over streamable HTTP (the transport Home Assistant's
 * "Model Context Protocol" integration tries first; homeassistant/components/mcp/coordinator.py
 * mcp_client), stateless, one MCP server per request, JSON answers.
 *
 * Before any tool runs, in this order: the peer must be on Home Assistant's network (loopback and
 * the Supervisor's hassio network 172.30.32.0/23) unless the user opened it to every network; a
 * request that carries an Origin must come from this server's own origin (a web page elsewhere
 * must not reach it through the browser); the token, as the URL's last segment (the integration
 * takes only a URL) or as a bearer token; at most `requestsPerMinute` requests a minute from one
 * peer; a body of at most MAX_BODY_BYTES. Each refusal and each tool call is one call record.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { BlockList, isIP, type AddressInfo } from 'node:net';
import type { Logger } from '../log/logger.ts';
import { Throttle } from '../log/throttle.ts';
import { MCP_PATH, type McpOutcome } from '../model/mcp.ts';
import type { CallLog } from './call-log.ts';
import type { McpToken } from './token.ts';
import { registerTools, type McpSources, type RefusalReport } from './tools.ts';

/** A JSON-RPC request of any tool fits in a few hundred bytes; 64 KiB leaves room and bounds parsing. */
export const MAX_BODY_BYTES = 64 * 1024;
/** A tool call from Home Assistant is 3-4 requests (initialize, initialized, the call, a GET). */
export const REQUESTS_PER_MINUTE = 240;
/** Peers whose budgets are tracked at once; the oldest is forgotten first. */
const MAX_PEERS = 512;

/** The parts of the MCP SDK a request needs. */
export interface McpSdk {
  McpServer: typeof import('@modelcontextprotocol/sdk/server/mcp.js').McpServer;
  StreamableHTTPServerTransport: typeof import('@modelcontextprotocol/sdk/server/streamableHttp.js').StreamableHTTPServerTransport;
}

/**
 * The SDK is loaded at the first request that passed every check, not at start: it is about 11 MB
 * of the bridge's memory (its own Ajv and schemas included) that a home which never connects an AI
 * assistant never needs, and a refused request never loads it.
 */
export function lazySdk(): () => Promise<McpSdk> {
  let loading: Promise<McpSdk> | undefined;
  return () =>
    (loading ??= Promise.all([import('@modelcontextprotocol/sdk/server/mcp.js'), import('@modelcontextprotocol/sdk/server/streamableHttp.js')]).then(([m, t]) => ({
      McpServer: m.McpServer,
      StreamableHTTPServerTransport: t.StreamableHTTPServerTransport,
    })));
}

/** A cap on requests: 0 when one is allowed now, else the seconds until one is (panel/attempts.ts AttemptLimiter). */
export interface RequestBudget {
  take(): number;
}

export interface McpServerOptions {
  sources: McpSources;
  token: McpToken;
  calls: CallLog;
  /** Default: all interfaces in the add-on (Core connects over the hassio network), else 127.0.0.1. */
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** The option mcp_any_network: accept peers outside Home Assistant's network. */
  anyNetwork: boolean;
  /** A fresh budget for a peer seen for the first time. */
  budget: () => RequestBudget;
  refused: RefusalReport;
  log: Logger;
  serverVersion: string;
  /** Loads the MCP SDK when a request needs it (default: lazySdk(), once). */
  sdk?: () => Promise<McpSdk>;
}

export interface RunningMcpServer {
  port: number;
  close(): Promise<void>;
}

/** Loopback and the Supervisor's network, plain and as IPv4-mapped IPv6. */
function homeAssistantNetwork(): BlockList {
  const list = new BlockList();
  list.addSubnet('127.0.0.0', 8, 'ipv4');
  list.addAddress('::1', 'ipv6');
  list.addSubnet('172.30.32.0', 23, 'ipv4');
  list.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');
  list.addSubnet('::ffff:172.30.32.0', 119, 'ipv6');
  return list;
}

export function isHomeAssistantPeer(address: string | undefined, network = homeAssistantNetwork()): boolean {
  if (!address) return false;
  const family = isIP(address);
  return family !== 0 && network.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** The token the request carries: the path's segment after /mcp/, else an Authorization bearer token. */
export function presentedToken(url: string, authorization: string | undefined): { token: string | null; pathOk: boolean } {
  const path = url.split('?')[0] ?? '';
  if (path === MCP_PATH || path === `${MCP_PATH}/`) {
    const m = /^Bearer ([^\s]{1,256})$/i.exec(authorization ?? '');
    return { token: m?.[1] ?? null, pathOk: true };
  }
  if (path.startsWith(`${MCP_PATH}/`)) {
    const seg = path.slice(MCP_PATH.length + 1);
    return { token: seg.length > 0 && seg.length <= 256 && !seg.includes('/') ? seg : null, pathOk: true };
  }
  return { token: null, pathOk: false };
}

/** Whether an Origin header names this server's own scheme-less host (the Host header). */
export function sameOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true;
  try {
    return host !== undefined && new URL(origin).host.toLowerCase() === host.toLowerCase();
  } catch {
    return false;
  }
}

function answer(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ jsonrpc: '2.0', error: { code: status === 400 ? -32700 : -32000, message }, id: null });
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(body);
}

/** The body, or null when it is larger than `max` (the rest is not read). */
async function readBody(req: IncomingMessage, max: number): Promise<string | null> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > max) return null;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The tool a tools/call request names, for the call log (only a known name; never the arguments). */
function calledTool(body: unknown): string | null {
  const b = body as { method?: unknown; params?: { name?: unknown } } | null;
  return b && b.method === 'tools/call' && typeof b.params?.name === 'string' ? b.params.name.slice(0, 64) : null;
}

export async function startMcpServer(o: McpServerOptions): Promise<RunningMcpServer> {
  const network = homeAssistantNetwork();
  const sdk = o.sdk ?? lazySdk();
  const budgets = new Map<string, RequestBudget>();
  const throttle = new Throttle((label, n) => o.log.warn(`MCP: ${n} more refusal(s) like this in the last 10 s: ${label}`));
  const refuse = (res: ServerResponse, peer: string, outcome: McpOutcome, status: number, message: string, headers?: Record<string, string>) => {
    o.calls.add({ tool: null, outcome, detail: message, peer });
    if (throttle.allow(`${outcome}|${peer}`, `${message} (from ${peer})`)) o.log.warn(`MCP: refused a request from ${peer}: ${message}`);
    answer(res, status, message, headers);
  };
  const budgetOf = (peer: string): RequestBudget => {
    let b = budgets.get(peer);
    if (!b) {
      if (budgets.size >= MAX_PEERS) budgets.delete(budgets.keys().next().value as string);
      b = o.budget();
      budgets.set(peer, b);
    }
    return b;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const peer = req.socket.remoteAddress ?? '';
    if (!o.anyNetwork && !isHomeAssistantPeer(peer, network)) {
      return refuse(res, peer, 'forbidden', 403, "This MCP server answers Home Assistant's network only; the option mcp_any_network opens it to others.");
    }
    if (!sameOrigin(req.headers.origin, req.headers.host)) {
      return refuse(res, peer, 'forbidden', 403, 'A request from a web page of another site is refused.');
    }
    const { token, pathOk } = presentedToken(req.url ?? '/', req.headers.authorization);
    if (!pathOk) return refuse(res, peer, 'bad-request', 404, `The MCP endpoint is ${MCP_PATH}/<token>; the panel's AI assistants page shows the whole URL.`);
    const wait = budgetOf(peer).take();
    if (wait > 0) return refuse(res, peer, 'rate-limited', 429, `Too many requests; try again in ${wait} s.`, { 'retry-after': String(wait) });
    if (token === null || !o.token.matches(token)) {
      return refuse(res, peer, 'unauthenticated', 401, "A missing or wrong token: copy the URL from the panel's AI assistants page.", { 'www-authenticate': 'Bearer' });
    }
    if (req.method !== 'POST') {
      // Stateless: no stream to open (GET) and no session to end (DELETE); the MCP client moves on.
      answer(res, 405, 'This MCP server is stateless: POST only.', { allow: 'POST' });
      return;
    }
    const raw = await readBody(req, MAX_BODY_BYTES);
    if (raw === null) return refuse(res, peer, 'bad-request', 413, `A request body over ${MAX_BODY_BYTES} bytes is refused.`, { connection: 'close' });
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return refuse(res, peer, 'bad-request', 400, 'The body is not JSON.');
    }

    const tool = calledTool(body);
    const { McpServer, StreamableHTTPServerTransport } = await sdk();
    const server = new McpServer({ name: 'IRIS Edge', version: o.serverVersion }, { capabilities: { tools: {} } });
    let recorded = false;
    registerTools(
      server,
      o.sources,
      (name, outcome, detail) => {
        recorded = true;
        o.calls.add({ tool: name, outcome, detail, peer });
        o.log.info(`MCP: ${name} from ${peer}: ${outcome}${detail ? ` (${detail})` : ''}`);
      },
      o.refused,
    );
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      // A call the SDK turned away (an unknown tool, arguments outside the schema) ran no tool body.
      if (tool !== null && !recorded) o.calls.add({ tool, outcome: 'bad-request', detail: 'Unknown tool or arguments outside its schema', peer });
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  };

  const http: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      o.log.error({ err }, 'MCP: a request failed');
      if (!res.headersSent) answer(res, 500, 'IRIS Edge could not answer this request; its log says why.');
      else res.destroy();
    });
  });
  // Slow or idle clients hold no socket for long.
  http.requestTimeout = 30_000;
  http.headersTimeout = 10_000;
  http.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(o.port, o.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  o.log.info(`MCP server for AI assistants listening on ${o.host}:${port}${o.sources.writeTools ? ' (write tools on)' : ' (read-only tools)'}`);
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}
