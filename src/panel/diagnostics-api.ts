/**
 * The self-check in the panel (mounted under /api): the latest results, a new run on demand, and a
 * diagnostics file a user can attach to a bug report. Nothing in it is secret: the checks report
 * permissions, not credentials, and the log lines come from the redacting logger.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { BRIDGE_VERSION } from '../version.ts';
import { ApiError } from './errors.ts';
import type { DiagnosticsSource, PanelContext } from './context.ts';
import { err, NoFields, ok } from './schemas.ts';


function sourceOf(ctx: PanelContext): DiagnosticsSource {
  const s = ctx.options.diagnostics;
  if (!s) throw new ApiError(503, 'diagnostics-unavailable', 'The self-check is not running in this bridge.');
  return s;
}

const tags = ['diagnostics'];
const unavailable = { 503: err('No self-check here') };

export async function registerDiagnosticsApi(app: FastifyInstance, ctx: PanelContext): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.get('/diagnostics', { schema: { summary: 'The latest self-check of every instance (run now if none yet)', tags, response: { 200: ok('OK'), ...unavailable } } }, async () => {
    const s = sourceOf(ctx);
    return { diagnostics: s.results.length > 0 ? s.results : await s.run() };
  });

  const runSchema = { summary: 'Run the self-check again: privileges, agent, transport, time zone, reads', tags, body: NoFields, response: { 200: ok('The new results'), ...unavailable } };
  api.post('/diagnostics', { schema: runSchema }, async (req) => {
    ctx.options.log.info(`Self-check requested in the panel by ${ctx.who(req)}`);
    return { diagnostics: await sourceOf(ctx).run() };
  });

  const downloadSchema = { summary: 'The diagnostics file to attach to a bug report (no secrets)', tags, response: { 200: ok('The diagnostics file, as an attachment') } };
  api.get('/diagnostics/download', { schema: downloadSchema }, async (_req, reply) => {
    const s = sourceOf(ctx);
    const diagnostics = s.results.length > 0 ? s.results : await s.run();
    const now = new Date().toISOString();
    const file = {
      generatedAt: now,
      bridgeVersion: BRIDGE_VERSION,
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
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
