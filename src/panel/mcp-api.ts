/**
 * The AI assistants page's routes: the MCP server's URL and its last calls, and its token.
 *
 * - GET mcp: the URL without the token, the options, the last calls; no secret.
 * - POST mcp/token/reveal answers the whole URL with the token, only with {"confirm": true}.
 * - POST mcp/token/rotate makes a new token (the old one stops working at once) and answers it.
 * Both POSTs are capped (attempts.ts), never cached, and logged without the token.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { AttemptLimiter } from './attempts.ts';
import { REVEALS_PER_MINUTE } from './connect-api.ts';
import type { McpAccess, PanelContext } from './context.ts';
import { ApiError } from './errors.ts';
import { err, json, McpSchema, McpTokenBody, McpTokenSchema } from './schemas.ts';

const UNAVAILABLE = 'The MCP server for AI assistants is not running: the add-on log says why.';

export async function registerMcpApi(app: FastifyInstance, ctx: PanelContext): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { options } = ctx;
  const attempts = new AttemptLimiter(REVEALS_PER_MINUTE, 60_000);
  const mcp = (): McpAccess => {
    if (!options.mcp) throw new ApiError(503, 'mcp-unavailable', UNAVAILABLE);
    return options.mcp;
  };
  const limit = (reply: { header(k: string, v: string): unknown }) => {
    const wait = attempts.take();
    if (wait === 0) return;
    reply.header('retry-after', String(wait));
    throw new ApiError(429, 'too-many-attempts', `Too many token requests in a minute; try again in ${wait} s.`);
  };

  api.get('/mcp', { schema: { summary: "The MCP server's URL (without its token), options and last calls", response: { 200: json(McpSchema, 'The MCP server'), 503: err(UNAVAILABLE) } } }, async () => {
    const m = mcp();
    return { endpoint: m.endpoint, writeTools: m.writeTools, anyNetwork: m.anyNetwork, calls: m.calls() };
  });

  const tokenResponse = {
    200: json(McpTokenSchema, 'The URL with the token'),
    400: err('Without {"confirm": true}, or a malformed body'),
    429: err('Too many token requests in a minute (Retry-After says when)'),
    503: err(UNAVAILABLE),
  };
  api.post('/mcp/token/reveal', { schema: { summary: 'The URL to paste into Home Assistant, with its token; only with {"confirm": true}', body: McpTokenBody, response: tokenResponse } }, async (req, reply) => {
    const m = mcp();
    limit(reply);
    options.log.info(`Panel: the MCP token was shown to ${ctx.who(req)}`);
    reply.header('cache-control', 'no-store');
    const token = m.token();
    return { url: `${m.endpoint}${token}`, token };
  });

  api.post('/mcp/token/rotate', { schema: { summary: 'A new MCP token; the old one stops working at once', body: McpTokenBody, response: tokenResponse } }, async (req, reply) => {
    const m = mcp();
    limit(reply);
    const token = await m.rotate();
    options.log.info(`Panel: the MCP token was replaced by ${ctx.who(req)}; clients with the old one must get the new URL`);
    reply.header('cache-control', 'no-store');
    return { url: `${m.endpoint}${token}`, token };
  });
}
