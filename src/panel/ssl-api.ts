/**
 * "Apply to IRIS" (DESIGN.md §8): IRIS SSL/TLS configurations built from stored certificates; the
 * material comes from certs/service.ts, the configuration is written by monitor/ssl-configs.ts.
 *   GET  /api/ssl-configs?instance=            the configurations as IRIS reports them, with the hosts that use them
 *   POST /api/ssl-configs/apply                 write the PEM files IRIS reads, create or modify the configuration
 *   POST /api/ssl-configs/restart-hosts         restart the business hosts that use a configuration
 * Bad input is a 4xx and writes nothing (no file, no IRIS call). The key password goes to IRIS only.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { TLS_VERSION_VALUES, SSL_CONFIG_NAME } from '../model/ssl.ts';
import { checkSslConfigName, type SslConfigs } from '../monitor/ssl-configs.ts';
import type { PanelContext, PanelInstance } from './context.ts';
import { ApiError } from './errors.ts';
import { err, ok } from './schemas.ts';

const tls = z.literal(TLS_VERSION_VALUES as [number, ...number[]], { error: `must be one of ${TLS_VERSION_VALUES.join(', ')} (2 SSLv3, 4 TLS1.0, 8 TLS1.1, 16 TLS1.2, 32 TLS1.3)` });
export const SslApplyBody = z
  .object({
    instance: z.string().max(100).optional().describe('The instance id (default: the only one)'),
    // The pattern is documented here and checked in the route, which says why a name is refused.
    name: z.string().max(64).meta({ pattern: SSL_CONFIG_NAME.source }).describe('The configuration name: new or existing'),
    type: z.enum(['client', 'server']),
    description: z.string().max(256).optional(),
    certificateId: z.string().max(40).nullable().optional().describe('The stored certificate with its key (required for a server configuration)'),
    caCertificateIds: z.array(z.string().max(40)).max(50).default([]).describe('Stored certificates written to the CA file'),
    verifyPeer: z.literal([0, 1, 3]).describe('IRIS VerifyPeer: client 0 none / 1 require; server 0 none / 1 request / 3 require'),
    tlsMin: tls.default(16),
    tlsMax: tls.default(32),
    allowExpired: z.boolean().default(false).describe('Apply even though a certificate is expired or not yet valid'),
    keyPassphrase: z.string().max(1024).optional().describe('The passphrase of a stored encrypted key: checked here and given to IRIS as PrivateKeyPassword'),
  })
  .strict()
  .meta({ id: 'SslConfigApply' });
export const SslRestartBody = z
  .object({ instance: z.string().max(100).optional(), name: z.string().max(64) })
  .strict()
  .meta({ id: 'SslConfigRestartHosts' });
const ListQuery = z.object({ instance: z.string().max(100).optional() }).strict();

const tags = ['certificates'];
const post = <B extends z.ZodType>(summary: string, body: B) => ({
  summary,
  tags,
  body,
  response: {
    200: ok('OK'),
    400: err('Bad input (nothing written)'),
    404: err('Unknown instance, certificate or configuration'),
    409: err('IRIS refused'),
    503: err('IRIS or the store unavailable'),
  },
});


function instanceOf(ctx: PanelContext, id: string | undefined): PanelInstance & { sslConfigs: SslConfigs } {
  const all = ctx.options.monitors;
  const inst = id === undefined ? (all.length === 1 ? all[0] : undefined) : all.find((m) => m.id === id);
  if (!inst) {
    throw new ApiError(id === undefined ? 400 : 404, id === undefined ? 'instance-required' : 'not-found', id === undefined ? `Name the instance (one of ${all.map((m) => m.id).join(', ')}).` : `There is no instance "${id}".`);
  }
  if (!inst.sslConfigs) throw new ApiError(503, 'not-available', `SSL/TLS configurations are not available for instance "${inst.id}" (no IRIS client wired).`);
  return inst as PanelInstance & { sslConfigs: SslConfigs };
}

export async function registerSslApi(app: FastifyInstance, ctx: PanelContext): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { log } = ctx.options;

  const listSchema = {
    summary: 'IRIS SSL/TLS configurations and the business hosts that use them',
    tags,
    querystring: ListQuery,
    response: { 200: ok('OK'), 400: err('Several instances: name one'), 404: err('No such instance'), 503: err('This instance has no IRIS client here') },
  };
  api.get('/ssl-configs', { schema: listSchema }, async (req) => {
    const q = req.query;
    const inst = instanceOf(ctx, q.instance);
    return { instance: inst.id, configs: await inst.sslConfigs.list() };
  });

  api.post('/ssl-configs/apply', { schema: post('Create or update an IRIS SSL/TLS configuration from stored certificates', SslApplyBody) }, async (req) => {
    const body = req.body;
    checkSslConfigName(body.name);
    const inst = instanceOf(ctx, body.instance);
    const certs = ctx.options.certs;
    if (!certs?.store) throw new ApiError(503, 'no-store', 'The certificate store is not configured.');
    const material = await certs.sslMaterial(body);
    const r = await inst.sslConfigs.apply(
      { name: body.name, type: body.type, description: body.description, verifyPeer: body.verifyPeer, tlsMinVersion: body.tlsMin, tlsMaxVersion: body.tlsMax, allowExpired: body.allowExpired },
      material,
    );
    log.info(`Panel: SSL/TLS configuration "${body.name}" (${body.type}) applied to IRIS instance ${inst.id} by ${ctx.who(req)}${r.warnings.length ? ' despite: ' + r.warnings.join('; ') : ''}`);
    return { instance: inst.id, config: r.config, usedBy: r.config?.usedBy ?? [], files: r.files, warnings: r.warnings };
  });

  api.post('/ssl-configs/restart-hosts', { schema: post('Restart (disable, then enable) the business hosts that use a configuration', SslRestartBody) }, async (req) => {
    const body = req.body;
    const inst = instanceOf(ctx, body.instance);
    const results = await inst.sslConfigs.restartHosts(body.name);
    log.info(`Panel: hosts using SSL/TLS configuration "${body.name}" restarted on ${inst.id} by ${ctx.who(req)}: ${results.map((r) => `${r.host} ${r.outcome}`).join(', ') || 'none'}`);
    return { instance: inst.id, name: body.name, results };
  });
}
