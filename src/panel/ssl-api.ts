/**
 * "Apply to IRIS" (DESIGN.md §8): IRIS SSL/TLS configurations built from stored certificates.
 *   GET  /api/ssl-configs?instance=            the configurations as IRIS reports them, with the hosts that use them
 *   POST /api/ssl-configs/apply                 write the PEM files IRIS reads, create or modify the configuration
 *   POST /api/ssl-configs/restart-hosts         restart the business hosts that use a configuration
 * Bad input is a 4xx and writes nothing (no file, no IRIS call). The key password goes to IRIS only.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { CertError } from '../certs/errors.ts';
import { toPem } from '../certs/export.ts';
import type { ParsedCert } from '../certs/inspect.ts';
import { defaultIrisSslDir, IRISOWNER_UID, removeIrisFiles, writeIrisFiles } from '../certs/iris-files.ts';
import { CertStore, spkiHash } from '../certs/store.ts';
import type { IrisClient } from '../iris/client.ts';
import { SSL_CONFIG_NAME, sslInputProblem, TLS_VERSION_VALUES, type SslConfig, type SslConfigInput } from '../model/ssl.ts';
import { ApiError, parseRequest } from './errors.ts';
import { describeUser } from './guard.ts';
import type { PanelContext, PanelInstance } from './server.ts';

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

export const SSL_SCHEMAS = [SslApplyBody, SslRestartBody];


/** Expired or not yet valid, in words; null when valid now. */
export function validityProblem(c: ParsedCert, now = Date.now()): string | null {
  if (Date.parse(c.info.notAfter) < now) return `"${c.info.subject.text}" expired on ${c.info.notAfter}`;
  if (Date.parse(c.info.notBefore) > now) return `"${c.info.subject.text}" is not valid before ${c.info.notBefore}`;
  return null;
}

export interface SslApiOptions {
  /** Where the PEM files for IRIS go (default: add-on /data/iris-edge/ssl, else next to the cert store). */
  irisSslDir?: string;
  /** chown the files (default in the add-on when running as root: irisowner 51773). */
  owner?: { uid: number; gid: number } | null;
}

export async function registerSslApi(api: FastifyInstance, ctx: PanelContext, sslOpts: SslApiOptions = {}): Promise<void> {
  const { options } = ctx;
  const store = options.certStoreDir ? new CertStore(options.certStoreDir) : null;
  const baseDir = sslOpts.irisSslDir ?? (options.certStoreDir ? defaultIrisSslDir(options.mode, options.certStoreDir) : null);
  const owner =
    sslOpts.owner !== undefined
      ? sslOpts.owner
      : options.mode === 'addon' && process.getuid?.() === 0
        ? { uid: IRISOWNER_UID, gid: IRISOWNER_UID }
        : null;
  const who = (req: Parameters<typeof ctx.ingress>[0]) => describeUser(ctx.ingress(req));

  api.setErrorHandler((err: Error, _req, reply) => {
    if (err instanceof CertError) return reply.code(err.status).send({ error: err.code, message: err.message });
    throw err;
  });

  const instanceOf = (id: string | undefined): PanelInstance & { iris: IrisClient } => {
    const all = options.monitors;
    const inst = id === undefined ? (all.length === 1 ? all[0] : undefined) : all.find((m) => m.id === id);
    if (!inst) {
      throw new ApiError(id === undefined ? 400 : 404, id === undefined ? 'instance-required' : 'not-found', id === undefined ? `Name the instance (one of ${all.map((m) => m.id).join(', ')}).` : `There is no instance "${id}".`);
    }
    if (!inst.iris) throw new ApiError(503, 'not-available', `SSL/TLS configurations are not available for instance "${inst.id}" (no IRIS client wired).`);
    return inst as PanelInstance & { iris: IrisClient };
  };
  const findConfig = async (iris: IrisClient, name: string): Promise<SslConfig | null> => (await iris.sslConfigs()).find((c) => c.name === name) ?? null;

  api.get('/ssl-configs', async (req) => {
    const q = parseRequest(ListQuery, req.query, 'query');
    const inst = instanceOf(q.instance);
    return { instance: inst.id, configs: await inst.iris.sslConfigs() };
  });

  api.post('/ssl-configs/apply', async (req) => {
    const body = parseRequest(SslApplyBody, req.body, 'SSL/TLS configuration');
    if (!SSL_CONFIG_NAME.test(body.name)) {
      throw new ApiError(400, 'bad-name', `"${body.name}" is not a valid configuration name: use 1–64 letters, digits, ".", "-" or "_", starting with a letter or digit (names starting with "%" belong to IRIS).`);
    }
    const inst = instanceOf(body.instance);
    if (!store || !baseDir) throw new ApiError(503, 'no-store', 'The certificate store is not configured.');
    const problems: string[] = [];

    // The certificate and its key.
    let certPem = '';
    let keyPem: string | null = null;
    let keyPassword: string | undefined;
    if (body.certificateId) {
      const entry = await store.get(body.certificateId);
      const leaf = entry.certs[0];
      if (!leaf) throw new ApiError(400, 'no-certificate', `"${entry.meta.name}" holds no certificate yet (a CSR waiting for its signed certificate).`);
      if (!entry.meta.hasKey) {
        throw new ApiError(400, 'no-key', `"${entry.meta.name}" has no private key: a ${body.type} configuration needs the key of its certificate. To trust this certificate instead, choose it as a CA.`);
      }
      if (entry.meta.keySpki !== spkiHash(leaf)) throw new ApiError(400, 'key-mismatch', `The stored key of "${entry.meta.name}" does not match its certificate.`);
      // Decrypting proves the passphrase (CertError 400 otherwise); the key file is written as stored.
      await store.readKey(entry.meta.id, body.keyPassphrase, entry);
      const v = validityProblem(leaf);
      if (v) problems.push(v);
      certPem = toPem(entry.certs);
      keyPem = await store.readKeyFile(entry.meta.id, entry);
      keyPassword = entry.meta.keyEncrypted ? body.keyPassphrase : undefined;
    } else if (body.type === 'server') {
      throw new ApiError(400, 'certificate-required', 'A server configuration needs a stored certificate with its private key.');
    }

    // The CA bundle.
    const caCerts: ParsedCert[] = [];
    for (const id of body.caCertificateIds) {
      const e = await store.get(id);
      if (e.certs.length === 0) throw new ApiError(400, 'no-certificate', `"${e.meta.name}" holds no certificate to trust.`);
      for (const c of e.certs) {
        const v = validityProblem(c);
        if (v) problems.push(v);
        caCerts.push(c);
      }
    }
    if (problems.length > 0 && !body.allowExpired) {
      throw new ApiError(400, 'certificate-not-valid-now', `Not applied: ${problems.join('; ')}. IRIS would refuse or fail these TLS connections; tick "allow expired" to apply anyway.`);
    }

    const input: SslConfigInput = {
      name: body.name,
      type: body.type,
      ...(body.description !== undefined ? { description: body.description } : {}),
      caFile: '',
      certificateFile: '',
      privateKeyFile: '',
      verifyPeer: body.verifyPeer,
      tlsMinVersion: body.tlsMin,
      tlsMaxVersion: body.tlsMax,
    };
    // Same checks as IRIS's documented values, with placeholder paths for the files still to write.
    const problem = sslInputProblem({ ...input, certificateFile: certPem ? 'x' : '', privateKeyFile: keyPem ? 'x' : '' });
    if (problem) throw new ApiError(400, 'invalid-request', problem);

    const files = await writeIrisFiles(baseDir, body.name, { certPem, keyPem, caPem: caCerts.length ? toPem(caCerts) : '' }, owner ? { owner } : {});
    try {
      await inst.iris.applySslConfig({
        ...input,
        caFile: files.caFile,
        certificateFile: files.certificateFile,
        privateKeyFile: files.privateKeyFile,
        ...(keyPassword ? { privateKeyPassword: keyPassword } : {}),
      });
    } catch (err) {
      await removeIrisFiles(files);
      throw err;
    }
    options.log.info(`Panel: SSL/TLS configuration "${body.name}" (${body.type}) applied to IRIS instance ${inst.id} by ${who(req)}${problems.length ? ' despite: ' + problems.join('; ') : ''}`);
    const config = await findConfig(inst.iris, body.name);
    return { instance: inst.id, config, usedBy: config?.usedBy ?? [], files: { dir: files.dir, certificateFile: files.certificateFile, privateKeyFile: files.privateKeyFile, caFile: files.caFile }, warnings: problems };
  });

  api.post('/ssl-configs/restart-hosts', async (req) => {
    const body = parseRequest(SslRestartBody, req.body, 'restart request');
    const inst = instanceOf(body.instance);
    const config = await findConfig(inst.iris, body.name);
    if (!config) throw new ApiError(404, 'not-found', `IRIS has no SSL/TLS configuration "${body.name}".`);
    // Restart = Ens.Director.EnableConfigItem off then on (through the monitor, which serialises
    // commands per production and republishes what IRIS reports). UpdateProduction would not do:
    // it restarts only items whose production definition changed, and an SSL configuration is
    // not part of the definition (iris.md §4.3).
    const view = inst.monitor.view;
    const results: { namespace: string; production: string; host: string; outcome: 'restarted' | 'skipped' | 'failed'; reason?: string }[] = [];
    for (const u of config.usedBy) {
      const p = view.productions.find((x) => x.namespace === u.namespace && x.name === u.production);
      const h = p?.hosts.find((x) => x.name === u.host);
      if (!p || !h) {
        results.push({ ...u, outcome: 'skipped', reason: 'not in the current inventory' });
        continue;
      }
      if (p.irisState !== 'running') {
        results.push({ ...u, outcome: 'skipped', reason: `the production is ${p.irisState}; it uses the new configuration when it starts` });
        continue;
      }
      if (!h.enabled) {
        results.push({ ...u, outcome: 'skipped', reason: 'the host is disabled' });
        continue;
      }
      try {
        await inst.monitor.setHostEnabled(u.namespace, u.production, u.host, false);
        await inst.monitor.setHostEnabled(u.namespace, u.production, u.host, true);
        results.push({ ...u, outcome: 'restarted' });
      } catch (err) {
        results.push({ ...u, outcome: 'failed', reason: err instanceof Error ? err.message : String(err) });
      }
    }
    options.log.info(`Panel: hosts using SSL/TLS configuration "${body.name}" restarted on ${inst.id} by ${who(req)}: ${results.map((r) => `${r.host} ${r.outcome}`).join(', ') || 'none'}`);
    return { instance: inst.id, name: body.name, results };
  });
}

export function sslOpenApiPaths(ref: (s: z.ZodType) => Record<string, unknown>, csrfHeader: Record<string, unknown>): Record<string, unknown> {
  const post = (summary: string, schema: z.ZodType) => ({
    post: { summary, tags: ['certificates'], parameters: [csrfHeader], requestBody: { required: true, content: { 'application/json': { schema: ref(schema) } } }, responses: { 200: { description: 'OK' }, 400: { description: 'Bad input (nothing written)' }, 404: { description: 'Unknown instance, certificate or configuration' }, 409: { description: 'IRIS refused' }, 503: { description: 'IRIS or the store unavailable' } } },
  });
  return {
    '/api/ssl-configs': {
      get: { summary: "IRIS SSL/TLS configurations and the business hosts that use them", tags: ['certificates'], parameters: [{ name: 'instance', in: 'query', required: false, schema: { type: 'string' } }], responses: { 200: { description: 'OK' }, 400: { description: 'Several instances: name one' }, 404: { description: 'No such instance' }, 503: { description: 'This instance has no IRIS client here' } } },
    },
    '/api/ssl-configs/apply': post('Create or update an IRIS SSL/TLS configuration from stored certificates', SslApplyBody),
    '/api/ssl-configs/restart-hosts': post('Restart (disable, then enable) the business hosts that use a configuration', SslRestartBody),
  };
}
