/**
 * The self-check in the panel (mounted under /api): the latest results, a new run on demand, and a
 * diagnostics file a user can attach to a bug report. Nothing in it is secret: the checks report
 * permissions, not credentials, and the log lines come from the redacting logger.
 */
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { BRIDGE_VERSION } from '../version.ts';
import { ApiError, parseRequest } from './errors.ts';
import type { DiagnosticsSource, PanelContext } from './context.ts';
import { NoFields } from './schemas.ts';


function sourceOf(ctx: PanelContext): DiagnosticsSource {
  const s = ctx.options.diagnostics;
  if (!s) throw new ApiError(503, 'diagnostics-unavailable', 'The self-check is not running in this bridge.');
  return s;
}

export async function registerDiagnosticsApi(api: FastifyInstance, ctx: PanelContext): Promise<void> {
  api.get('/diagnostics', async () => {
    const s = sourceOf(ctx);
    return { diagnostics: s.results.length > 0 ? s.results : await s.run() };
  });

  api.post('/diagnostics', async (req) => {
    parseRequest(NoFields, req.body, 'self-check request');
    ctx.options.log.info(`Self-check requested in the panel by ${ctx.who(req)}`);
    return { diagnostics: await sourceOf(ctx).run() };
  });

  api.get('/diagnostics/download', async (_req, reply) => {
    const s = sourceOf(ctx);
    const diagnostics = s.results.length > 0 ? s.results : await s.run();
    const now = new Date().toISOString();
    const file = {
      generatedAt: now,
      bridgeVersion: BRIDGE_VERSION,
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      timeZone: process.env.TZ ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
      mode: ctx.options.mode,
      diagnostics,
      // The warnings and errors of the bridge's recent log, as the logger wrote them (redacted).
      log: ctx.options.logs.lines({ minLevel: 'warn', limit: 300 }).map((l) => ({ time: l.time, level: l.level, msg: l.msg, ...(l.instance ? { instance: l.instance } : {}) })),
    };
    return reply
      .header('content-type', 'application/json; charset=utf-8')
      .header('content-disposition', `attachment; filename="iris-edge-diagnostics-${now.slice(0, 19).replace(/[:T]/g, '-')}.json"`)
      .send(JSON.stringify(file, null, 2));
  });
}

export function diagnosticsOpenApiPaths(ref: (s: z.ZodType) => Record<string, unknown>, csrfHeader: Record<string, unknown>): Record<string, unknown> {
  return {
    '/api/diagnostics': {
      get: { summary: "The latest self-check of every instance (run now if none yet)", tags: ['diagnostics'], responses: { 200: { description: 'OK' }, 503: { description: 'No self-check here' } } },
      post: {
        summary: 'Run the self-check again: privileges, agent, transport, time zone, reads',
        tags: ['diagnostics'],
        parameters: [csrfHeader],
        requestBody: { required: true, content: { 'application/json': { schema: ref(NoFields) } } },
        responses: { 200: { description: 'The new results' }, 503: { description: 'No self-check here' } },
      },
    },
    '/api/diagnostics/download': {
      get: { summary: 'The diagnostics file to attach to a bug report (no secrets)', tags: ['diagnostics'], responses: { 200: { description: 'application/json attachment' } } },
    },
  };
}
