/**
 * The certificate manager's API (DESIGN.md §8), mounted under /api beside api.ts.
 * Bad input is always a 4xx with a message and stores nothing; private keys never appear in an
 * answer or a log line except through an explicit export (POST …/export {"format":"key"|"p12"}).
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { decodeInput, keyMatchesCert, type Decoded } from '../certs/decode.ts';
import { CertError } from '../certs/errors.ts';
import { caBundle, toPem, toPkcs12 } from '../certs/export.ts';
import { createLabCa, generateCsr, issueFromCa, readCsr, type IssueInput } from '../certs/generate.ts';
import { EC_CURVES, RSA_SIZES } from '../certs/key-spec.ts';
import type { CertInfo, ParsedCert } from '../certs/inspect.ts';
import { probeTls } from '../certs/probe.ts';
import { irisCertFiles, type IrisCertFile } from '../certs/iris-inventory.ts';
import { CertStore, orderChain, readSslDir, spkiHash, type Entry } from '../certs/store.ts';
import { CertWorkers, type CertWorkersOptions } from '../certs/cert-workers.ts';
import { checkHost, lintBundle, lintCert, SERVER_AUTH_ONLY_WARNING, statusOf, type LintItem } from '../certs/verify.ts';
import type { IrisClient } from '../iris/client.ts';
import { describeUser } from './guard.ts';
import { parseRequest } from './errors.ts';
import type { PanelContext } from './server.ts';

/** Largest certificate upload (decoded); the JSON body may be a third larger (base64). */
export const CERT_FILE_LIMIT = 1024 * 1024;
export const CERT_BODY_LIMIT = 2 * 1024 * 1024;
export const LAB_CA_NOTE = 'Lab CA: for private networks and tests only. Nothing outside your lab trusts it, and whoever holds its key can impersonate any host to the machines that trust it.';

// ---- schemas -------------------------------------------------------------------------------------

const name = z.string().trim().min(1).max(100);
const secret = z.string().min(1).max(1024);
const b64 = z.string().max(CERT_BODY_LIMIT).regex(/^[A-Za-z0-9+/=\s]*$/, 'is not base64');
/** JSON Schema for "exactly one of these fields" (the route checks the same and names the fields). */
const exactlyOne = (...fields: string[]) => ({ oneOf: fields.map((f) => ({ required: [f] })) });
const Material = {
  pem: z.string().max(CERT_BODY_LIMIT).optional().describe('PEM text: one or many blocks, comment lines allowed'),
  derBase64: b64.optional().describe('A DER certificate or key, base64'),
  pkcs12Base64: b64.optional().describe('A PKCS#12 (.p12/.pfx) file, base64'),
  password: z.string().max(1024).optional().describe('The PKCS#12 password'),
  keyPassphrase: z.string().max(1024).optional().describe('The passphrase of an encrypted PEM key'),
};
export const CertImportBody = z
  .object({ name, ...Material, storePassphrase: secret.optional().describe('Encrypt the stored key with this passphrase (default: the key passphrase given, else unencrypted, 0600)') })
  .strict()
  .meta({ id: 'CertificateImport', ...exactlyOne('pem', 'derBase64', 'pkcs12Base64') });
export const CertInspectBody = z.object(Material).strict().meta({ id: 'CertificateInspectRequest', ...exactlyOne('pem', 'derBase64', 'pkcs12Base64') });
const Subject = z
  .object({
    commonName: z.string().max(64).optional(),
    organization: z.string().max(64).optional(),
    organizationalUnit: z.string().max(64).optional(),
    locality: z.string().max(64).optional(),
    state: z.string().max(64).optional(),
    country: z.string().max(2).optional(),
  })
  .strict();
const usage = z.enum(['server', 'client', 'both']);
const KeySpec = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('rsa'), bits: z.literal(RSA_SIZES).default(2048) }).strict(),
    z.object({ type: z.literal('ec'), curve: z.enum(EC_CURVES).default('P-256') }).strict(),
  ])
  .describe('The new key: RSA of 2048, 3072 or 4096 bits, or EC on P-256 (the default curve) or P-384');
export const CsrBody = z
  .object({
    name,
    subject: Subject,
    altNames: z.array(z.string().max(253)).max(100).default([]).describe('DNS names and IP addresses'),
    usage: usage.default('both').describe('EKUs requested; both (serverAuth + clientAuth) is what mutual TLS needs'),
    key: KeySpec.default({ type: 'rsa', bits: 2048 }),
    storePassphrase: secret.optional(),
  })
  .strict()
  .meta({ id: 'CsrRequest' });
export const AttachBody = z.object({ pem: Material.pem, derBase64: Material.derBase64 }).strict().meta({ id: 'CertificateAttach', ...exactlyOne('pem', 'derBase64') });
const CertRef = z.object({ id: z.string().max(40).optional(), pem: Material.pem, derBase64: Material.derBase64 }).strict().meta(exactlyOne('id', 'pem', 'derBase64'));
export const VerifyBody = z
  .object({
    certificate: CertRef.describe('The certificate (leaf first; more certificates are used as intermediates): a stored id, PEM or DER'),
    caBundle: z.object({ id: z.string().max(40).optional(), pem: Material.pem }).strict().meta(exactlyOne('id', 'pem')).optional().describe('The CA bundle to build the chain against'),
    useSystemRoots: z.boolean().default(false),
    host: z.string().max(253).optional().describe('Hostname or IP to check (SAN, then CN)'),
    key: z.object({ pem: z.string().max(64 * 1024), passphrase: z.string().max(1024).optional() }).strict().optional().describe('A private key to match against the certificate'),
    purpose: z.enum(['mtls', 'server', 'client']).default('mtls'),
  })
  .strict()
  .meta({ id: 'VerifyRequest' });
export const ProbeBody = z
  .object({
    host: z.string().trim().min(1).max(253),
    port: z.number().int().min(1).max(65535),
    servername: z.string().max(253).optional(),
    clientCertId: z.string().max(40).optional(),
    keyPassphrase: z.string().max(1024).optional(),
    caId: z.string().max(40).optional(),
    caPem: Material.pem,
  })
  .strict()
  .meta({ id: 'ProbeRequest' });
export const LabCaBody = z
  .object({
    name,
    commonName: z.string().trim().min(1).max(64),
    organization: z.string().max(64).optional(),
    days: z.number().int().min(1).max(7300).default(3650),
    key: KeySpec.default({ type: 'rsa', bits: 3072 }),
    storePassphrase: secret.optional(),
  })
  .strict()
  .meta({ id: 'LabCaRequest' });
export const IssueBody = z
  .object({
    caId: z.string().max(40),
    caPassphrase: z.string().max(1024).optional(),
    name,
    subject: Subject.default({}),
    altNames: z.array(z.string().max(253)).max(100).default([]),
    usage: usage.default('both'),
    days: z.number().int().min(1).max(3650).default(397),
    csrPem: z.string().max(64 * 1024).optional().describe('Sign this CSR instead of making a new key'),
    key: KeySpec.optional().describe('The new key when no CSR is given (default RSA 2048)'),
    storePassphrase: secret.optional(),
  })
  .strict()
  .meta({ id: 'IssueRequest' });
export const ExportBody = z
  .object({ format: z.enum(['p12', 'key']), password: z.string().max(1024).optional(), keyPassphrase: z.string().max(1024).optional() })
  .strict()
  .meta({ id: 'ExportRequest' });
const ExportQuery = z.object({ format: z.enum(['pem', 'der', 'bundle']).default('pem') }).strict();


function fromBase64(s: string | undefined, what: string): Buffer | undefined {
  if (s === undefined) return undefined;
  const clean = s.replace(/\s+/g, '');
  if (clean.length % 4 !== 0) throw new CertError('bad-base64', `${what} is not valid base64 (truncated?).`);
  const b = Buffer.from(clean, 'base64');
  if (b.length > CERT_FILE_LIMIT) throw new CertError('too-large', `The file is larger than ${CERT_FILE_LIMIT / 1024} KiB.`, 413);
  return b;
}

/** Reads an upload in a certificate worker: its cost is the uploader's choice (KDF iterations, chains). */
function decodeMaterial(workers: CertWorkers, m: { pem?: string; derBase64?: string; pkcs12Base64?: string; password?: string; keyPassphrase?: string }): Promise<Decoded> {
  if (m.pem !== undefined && Buffer.byteLength(m.pem) > CERT_FILE_LIMIT) throw new CertError('too-large', `The file is larger than ${CERT_FILE_LIMIT / 1024} KiB.`, 413);
  return workers.decode({ pem: m.pem, der: fromBase64(m.derBase64, 'derBase64'), pkcs12: fromBase64(m.pkcs12Base64, 'pkcs12Base64'), password: m.password, keyPassphrase: m.keyPassphrase });
}

// ---- views ---------------------------------------------------------------------------------------

const daysLeft = (c: CertInfo) => Math.floor((Date.parse(c.notAfter) - Date.now()) / 86_400_000);

interface ReadOnlyFile {
  id: string;
  name: string;
  path: string;
  source: 'ha-ssl' | 'iris-ssl';
  certs: ParsedCert[];
  error?: string;
}

/** Ids of certificates IRIS Edge shows but does not own (see readOnlyFiles). */
const isReadOnlyId = (id: string) => id.startsWith('ssl-') || id.startsWith('iris-');

export class CertService {
  readonly store: CertStore | null;
  readonly workers: CertWorkers;
  constructor(
    storeDir: string | undefined,
    readonly sslDir: string,
    private readonly irisClients: { id: string; iris: IrisClient }[] = [],
    workers: CertWorkersOptions = {},
  ) {
    this.store = storeDir ? new CertStore(storeDir) : null;
    this.workers = new CertWorkers(workers);
  }

  irisFiles(): Promise<IrisCertFile[]> {
    return irisCertFiles(this.irisClients);
  }

  /** Certificates shown but not owned: Home Assistant's /ssl and IRIS's SSL/TLS configuration files. */
  async readOnlyFiles(): Promise<ReadOnlyFile[]> {
    const ssl = (await this.sslFiles()).map((f) => ({ ...f, name: f.file, path: `${this.sslDir}/${f.file}`, source: 'ha-ssl' as const }));
    const iris = (await this.irisFiles()).map((f) => ({ ...f, source: 'iris-ssl' as const }));
    return [...ssl, ...iris];
  }

  async readOnlyFile(id: string): Promise<ReadOnlyFile> {
    const f = (await this.readOnlyFiles()).find((x) => x.id === id);
    if (!f) throw new CertError('not-found', `There is no certificate "${id}" in ${this.sslDir} or the IRIS SSL/TLS configurations.`, 404);
    return f;
  }

  need(): CertStore {
    if (!this.store) throw new CertError('store-unavailable', 'No certificate store is configured for this bridge.', 503);
    return this.store;
  }

  /** CA certificates IRIS Edge holds: the anchors for the inventory's chain status. */
  async heldCas(): Promise<ParsedCert[]> {
    const entries = this.store ? await this.store.list() : [];
    return entries.flatMap((e) => e.certs.filter((c) => c.info.isCa));
  }

  async sslFiles() {
    return (await readSslDir(this.sslDir)).map((f) => ({ ...f, id: `ssl-${createHash('sha256').update(f.file).digest('hex').slice(0, 16)}` }));
  }

  /** Status, chain and lint of each item; the chains are built in a worker under one budget. */
  async describeAll(items: { certs: ParsedCert[]; keySpki: string | null }[], cas: ParsedCert[]) {
    const ordered = items.map((i) => orderChain(i.certs, i.keySpki));
    const withLeaf = ordered.filter((o) => o.length > 0);
    const built = await this.workers.chains(withLeaf.map((o) => ({ leaf: o[0]!, bundle: [...o.slice(1), ...cas], useSystemRoots: true })));
    const chainOf = new Map(withLeaf.map((o, i) => [o, built[i]!]));
    return ordered.map((o) => {
      const leaf = o[0];
      const chain = chainOf.get(o);
      if (!leaf || !chain) return { status: 'no-certificate' as const, chain: null, lint: [] as LintItem[], leaf: null, certs: [] as CertInfo[] };
      const lint = [...lintCert(leaf.info), ...o.slice(1).flatMap((c) => lintCert(c.info, { leaf: false }).map((l) => ({ ...l, message: `${c.info.subject.text}: ${l.message}` })))];
      return { status: statusOf(leaf.info, chain.trusted), chain, lint, leaf: leaf.info, certs: o.map((c) => c.info) };
    });
  }

  summary(e: Entry, d: Awaited<ReturnType<CertService['describeAll']>>[number]) {
    return {
      id: e.meta.id,
      name: e.meta.name,
      source: 'store' as const,
      kind: e.meta.kind,
      readOnly: false,
      status: e.meta.kind === 'csr' && !d.leaf ? ('awaiting-certificate' as const) : d.status,
      subject: d.leaf?.subject.text ?? null,
      issuer: d.leaf?.issuer.text ?? null,
      notAfter: d.leaf?.notAfter ?? null,
      daysLeft: d.leaf ? daysLeft(d.leaf) : null,
      certCount: e.certs.length,
      hasKey: e.meta.hasKey,
      keyEncrypted: e.meta.keyEncrypted,
    };
  }

  async detail(id: string) {
    const cas = await this.heldCas();
    if (isReadOnlyId(id)) {
      const f = await this.readOnlyFile(id);
      const d = (await this.describeAll([{ certs: f.certs, keySpki: null }], cas))[0]!;
      return { id, name: f.name, source: f.source, kind: 'certificate', readOnly: true, path: f.path, hasKey: false, keyEncrypted: false, csrPem: null, ...d };
    }
    const e = await this.need().get(id);
    const d = (await this.describeAll([{ certs: e.certs, keySpki: e.meta.keySpki }], cas))[0]!;
    return {
      id,
      name: e.meta.name,
      source: 'store' as const,
      kind: e.meta.kind,
      readOnly: false,
      hasKey: e.meta.hasKey,
      keyEncrypted: e.meta.keyEncrypted,
      keyType: e.meta.keyType,
      csrPem: e.csrPem,
      ...d,
      status: e.meta.kind === 'csr' && !d.leaf ? 'awaiting-certificate' : d.status,
      note: e.meta.kind === 'lab-ca' ? LAB_CA_NOTE : undefined,
    };
  }

  async list() {
    const cas = await this.heldCas();
    const entries = this.store ? await this.store.list() : [];
    const files = await this.readOnlyFiles();
    // One worker job, one budget of signature checks, for the whole inventory.
    const described = await this.describeAll([...entries.map((e) => ({ certs: e.certs, keySpki: e.meta.keySpki })), ...files.map((f) => ({ certs: f.certs, keySpki: null }))], cas);
    const stored = entries.map((e, i) => this.summary(e, described[i]!));
    const readOnly = files.map((f, i) => {
      const d = described[entries.length + i]!;
      return {
        id: f.id,
        name: f.name,
        source: f.source,
        kind: 'certificate' as const,
        readOnly: true,
        status: f.error ? ('unreadable' as const) : d.status,
        error: f.error,
        subject: d.leaf?.subject.text ?? null,
        issuer: d.leaf?.issuer.text ?? null,
        notAfter: d.leaf?.notAfter ?? null,
        daysLeft: d.leaf ? daysLeft(d.leaf) : null,
        certCount: f.certs.length,
        hasKey: false,
        keyEncrypted: false,
      };
    });
    return { storeAvailable: !!this.store, sslDir: this.sslDir, certificates: [...stored, ...readOnly] };
  }

  async certsOf(id: string): Promise<ParsedCert[]> {
    if (isReadOnlyId(id)) return (await this.readOnlyFile(id)).certs;
    const e = await this.need().get(id);
    return orderChain(e.certs, e.meta.keySpki);
  }
}

function ekuWarnings(certs: ParsedCert[]): string[] {
  const leaf = certs[0];
  const eku = leaf?.info.extendedKeyUsage?.values;
  return eku && eku.includes('serverAuth') && !eku.includes('clientAuth') ? [SERVER_AUTH_ONLY_WARNING] : [];
}

// ---- routes --------------------------------------------------------------------------------------

export async function registerCertsApi(api: FastifyInstance, ctx: PanelContext): Promise<void> {
  const { options } = ctx;
  const irisClients = options.monitors.flatMap((m) => (m.iris ? [{ id: m.id, iris: m.iris }] : []));
  const svc = new CertService(options.certStoreDir, options.haSslDir ?? '/ssl', irisClients, options.certWorkers);
  if (svc.store) await svc.store.init();
  api.addHook('onClose', () => svc.workers.close());
  const who = (req: Parameters<typeof ctx.ingress>[0]) => describeUser(ctx.ingress(req));
  const big = { bodyLimit: CERT_BODY_LIMIT };

  api.setErrorHandler((err: Error & { code?: string }, req, reply) => {
    if (err instanceof CertError) return reply.code(err.status).send({ error: err.code, message: err.message });
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const message =
        req.routeOptions.bodyLimit === CERT_BODY_LIMIT
          ? `The upload is too large: certificate files up to ${CERT_FILE_LIMIT / 1024} KiB are accepted.`
          : `The request body is larger than the ${Math.round((req.routeOptions.bodyLimit ?? 0) / 1024)} KiB this request accepts.`;
      return reply.code(413).send({ error: 'too-large', message });
    }
    throw err;
  });

  api.get('/certificates', async () => svc.list());

  api.post('/certificates', big, async (req, reply) => {
    const body = parseRequest(CertImportBody, req.body, 'certificate import');
    const store = svc.need();
    const d = await decodeMaterial(svc.workers, body);
    if (d.keys.length > 1) throw new CertError('too-many-keys', 'The upload holds more than one private key: import one certificate with its key at a time.');
    const key = d.keys[0];
    if (key && d.certs.length === 0) throw new CertError('key-without-certificate', 'The upload holds a private key but no certificate: import the key together with its certificate.');
    if (d.certs.length === 0) throw new CertError('no-certificate', 'No certificate was found in the upload.');
    if (key && !d.certs.some((c) => keyMatchesCert(key, c))) throw new CertError('key-mismatch', 'The private key does not match any certificate in the upload.');
    const warnings = ekuWarnings(orderChain(d.certs, key ? spkiHash(key) : null));
    if (!key) {
      // A signed certificate coming back for a CSR made here: match it to its key.
      const pending = (await store.list()).filter((e) => e.meta.hasKey && e.certs.length === 0);
      const target = pending.find((e) => d.certs.some((c) => spkiHash(c) === e.meta.keySpki));
      if (target) {
        await store.attachCertificates(target.meta.id, d.certs);
        options.log.info(`Panel: signed certificate imported into "${target.meta.name}" by ${who(req)}`);
        reply.code(201);
        return { ...(await svc.detail(target.meta.id)), matchedToKey: true, warnings, notes: d.notes };
      }
    }
    const entry = await store.add({ name: body.name, kind: 'certificate', certs: d.certs, key, keyPassphrase: key ? (body.storePassphrase ?? body.keyPassphrase) : undefined });
    options.log.info(`Panel: certificate "${body.name}" imported (${d.certs.length} certificate(s)${key ? ', with key' : ''}) by ${who(req)}`);
    reply.code(201);
    return { ...(await svc.detail(entry.meta.id)), matchedToKey: !!key, warnings, notes: d.notes };
  });

  api.post('/certificates/inspect', big, async (req) => {
    const body = parseRequest(CertInspectBody, req.body, 'inspect request');
    const d = await decodeMaterial(svc.workers, body);
    const cas = await svc.heldCas();
    // Status: dates, and whether the chain completes from the upload, the CAs held here and the system roots.
    const chains = await svc.workers.chains(d.certs.map((c) => ({ leaf: c, bundle: [...d.certs.filter((x) => x !== c), ...cas], useSystemRoots: true })));
    return {
      certificates: d.certs.map((c, i) => ({ ...c.info, status: statusOf(c.info, chains[i]!.trusted), lint: lintCert(c.info) })),
      keys: d.keys.map((k) => ({
        type: (k.asymmetricKeyType ?? 'unknown').toUpperCase(),
        size: k.asymmetricKeyDetails?.modulusLength ?? null,
        curve: k.asymmetricKeyDetails?.namedCurve ?? null,
        matches: d.certs.map((c, i) => (keyMatchesCert(k, c) ? i : -1)).filter((i) => i >= 0),
      })),
      notes: d.notes,
    };
  });

  api.post('/certificates/csr', async (req, reply) => {
    const body = parseRequest(CsrBody, req.body, 'CSR request');
    const store = svc.need();
    const { key, csrPem } = await generateCsr({ subject: body.subject, altNames: body.altNames, usage: body.usage, key: body.key });
    const entry = await store.add({ name: body.name, kind: 'csr', certs: [], key, keyPassphrase: body.storePassphrase, csrPem });
    options.log.info(`Panel: key and CSR "${body.name}" generated by ${who(req)}`);
    reply.code(201);
    return { id: entry.meta.id, name: body.name, csrPem, keyEncrypted: entry.meta.keyEncrypted };
  });

  api.post('/certificates/verify', big, async (req) => {
    const body = parseRequest(VerifyBody, req.body, 'verify request');
    const c = body.certificate;
    const given = [c.id, c.pem, c.derBase64].filter((x) => x !== undefined).length;
    if (given !== 1) throw new CertError('invalid-request', 'Give the certificate as exactly one of "id", "pem" or "derBase64".');
    const certs = c.id ? await svc.certsOf(c.id) : (await decodeMaterial(svc.workers, { pem: c.pem, derBase64: c.derBase64 })).certs;
    if (!certs.length) throw new CertError('no-certificate', 'No certificate to verify.');
    const leaf = certs[0]!;
    let bundle: ParsedCert[] = [];
    if (body.caBundle) {
      if ((body.caBundle.id === undefined) === (body.caBundle.pem === undefined)) throw new CertError('invalid-request', 'Give the CA bundle as "id" or "pem".');
      bundle = body.caBundle.id ? await svc.certsOf(body.caBundle.id) : (await decodeMaterial(svc.workers, { pem: body.caBundle.pem })).certs;
    }
    const chain = (await svc.workers.chains([{ leaf, bundle: [...certs.slice(1), ...bundle], useSystemRoots: body.useSystemRoots }]))[0]!;
    let keyMatch: boolean | null = null;
    if (body.key) {
      const d = await svc.workers.decode({ pem: body.key.pem, keyPassphrase: body.key.passphrase });
      const k = d.keys[0];
      if (!k) throw new CertError('bad-key', 'No private key was found in "key.pem".');
      keyMatch = keyMatchesCert(k, leaf);
    } else if (c.id && !isReadOnlyId(c.id)) {
      const e = await svc.need().get(c.id);
      if (e.meta.keySpki) keyMatch = spkiHash(leaf) === e.meta.keySpki;
    }
    return {
      leaf: leaf.info,
      chain,
      host: body.host ? checkHost(leaf.info, body.host) : null,
      keyMatch,
      lint: [...lintCert(leaf.info, { purpose: body.purpose }), ...lintBundle(bundle)],
      status: statusOf(leaf.info, chain.trusted),
    };
  });

  api.post('/certificates/probe', big, async (req) => {
    const body = parseRequest(ProbeBody, req.body, 'probe request');
    let clientCert: { certPem: string; key: import('node:crypto').KeyObject } | undefined;
    if (body.clientCertId) {
      const store = svc.need();
      const e = await store.get(body.clientCertId);
      const certs = orderChain(e.certs, e.meta.keySpki);
      if (!certs.length) throw new CertError('no-certificate', `"${e.meta.name}" has no certificate yet.`);
      clientCert = { certPem: toPem(certs), key: await store.readKey(body.clientCertId, body.keyPassphrase, e) };
    }
    const caPem = body.caId ? toPem(await svc.certsOf(body.caId)) : body.caPem;
    options.log.info(`Panel: TLS probe of ${body.host}:${body.port} by ${who(req)}`);
    return probeTls({ host: body.host, port: body.port, servername: body.servername, caPem, clientCert });
  });

  api.post('/certificates/ca', async (req, reply) => {
    const body = parseRequest(LabCaBody, req.body, 'lab CA request');
    const store = svc.need();
    const ca = await createLabCa({ commonName: body.commonName, organization: body.organization, days: body.days, key: body.key });
    const certs = decodeInput({ der: ca.certDer }).certs;
    const entry = await store.add({ name: body.name, kind: 'lab-ca', certs, key: ca.key, keyPassphrase: body.storePassphrase });
    options.log.info(`Panel: lab CA "${body.name}" created by ${who(req)}`);
    reply.code(201);
    return { ...(await svc.detail(entry.meta.id)), note: LAB_CA_NOTE };
  });

  // A CSR to sign may be up to 64 KiB (IssueBody): more than the default body limit.
  api.post('/certificates/ca/issue', big, async (req, reply) => {
    const body = parseRequest(IssueBody, req.body, 'issue request');
    const store = svc.need();
    const caEntry = await store.get(body.caId);
    if (caEntry.meta.kind !== 'lab-ca') throw new CertError('not-a-lab-ca', `"${caEntry.meta.name}" is not a lab CA made here.`);
    const caCert = caEntry.certs[0]!;
    const caKey = await store.readKey(body.caId, body.caPassphrase, caEntry);
    const input: IssueInput = body.csrPem
      ? { ...readCsr(body.csrPem), days: body.days, key: body.key }
      : { subject: body.subject, altNames: body.altNames, usage: body.usage, days: body.days, key: body.key };
    const issued = await issueFromCa({ key: caKey, certDer: caCert.der }, input);
    const certs = [...decodeInput({ der: issued.certDer }).certs, caCert];
    let id: string;
    if (!issued.key) {
      const pending = (await store.list()).find((e) => e.meta.hasKey && e.certs.length === 0 && e.meta.keySpki === spkiHash(certs[0]!));
      id = pending ? (await store.attachCertificates(pending.meta.id, certs)).meta.id : (await store.add({ name: body.name, kind: 'certificate', certs })).meta.id;
    } else {
      id = (await store.add({ name: body.name, kind: 'certificate', certs, key: issued.key, keyPassphrase: body.storePassphrase })).meta.id;
    }
    options.log.info(`Panel: certificate "${body.name}" issued from lab CA "${caEntry.meta.name}" by ${who(req)}`);
    reply.code(201);
    return { ...(await svc.detail(id)), note: LAB_CA_NOTE };
  });

  api.get<{ Params: { id: string } }>('/certificates/:id', async (req) => svc.detail(req.params.id));

  api.delete<{ Params: { id: string } }>('/certificates/:id', async (req) => {
    if (req.params.id.startsWith('ssl-')) throw new CertError('read-only', "Home Assistant's /ssl certificates are shown read-only; IRIS Edge does not delete them.", 409);
    if (req.params.id.startsWith('iris-')) {
      throw new CertError('read-only', 'Certificates of IRIS SSL/TLS configurations are shown read-only; change the configuration instead.', 409);
    }
    const e = await svc.need().get(req.params.id);
    await svc.need().delete(req.params.id);
    options.log.info(`Panel: certificate "${e.meta.name}" deleted by ${who(req)}`);
    return { deleted: req.params.id };
  });

  api.post<{ Params: { id: string } }>('/certificates/:id/certificate', big, async (req) => {
    const body = parseRequest(AttachBody, req.body, 'signed certificate');
    const d = await decodeMaterial(svc.workers, body);
    if (!d.certs.length) throw new CertError('no-certificate', 'No certificate was found in the upload.');
    const e = await svc.need().attachCertificates(req.params.id, d.certs);
    options.log.info(`Panel: signed certificate attached to "${e.meta.name}" by ${who(req)}`);
    return { ...(await svc.detail(req.params.id)), warnings: ekuWarnings(orderChain(d.certs, e.meta.keySpki)) };
  });

  const file = (reply: FastifyReply, fname: string, type: string, body: string | Buffer) => {
    reply.header('content-type', type);
    reply.header('content-disposition', `attachment; filename="${fname.replace(/[^A-Za-z0-9._-]/g, '_')}"`);
    reply.header('cache-control', 'no-store');
    return reply.send(body);
  };

  api.get<{ Params: { id: string } }>('/certificates/:id/export', async (req, reply) => {
    const q = parseRequest(ExportQuery, req.query, 'export query');
    const certs = await svc.certsOf(req.params.id);
    if (!certs.length) throw new CertError('no-certificate', 'This entry has no certificate yet.');
    const base = req.params.id;
    if (q.format === 'der') return file(reply, `${base}.der`, 'application/pkix-cert', certs[0]!.der);
    if (q.format === 'bundle') return file(reply, `${base}-ca-bundle.pem`, 'application/x-pem-file', caBundle(certs));
    return file(reply, `${base}.pem`, 'application/x-pem-file', toPem(certs));
  });

  api.post<{ Params: { id: string } }>('/certificates/:id/export', async (req, reply) => {
    const body = parseRequest(ExportBody, req.body, 'export request');
    const store = svc.need();
    const e = await store.get(req.params.id);
    if (body.format === 'key') {
      const pem = await store.readKeyFile(req.params.id, e);
      options.log.info(`Panel: the private key of "${e.meta.name}" was exported by ${who(req)}`);
      return file(reply, `${req.params.id}-key.pem`, 'application/x-pem-file', pem);
    }
    if (!body.password) throw new CertError('password-required', 'A PKCS#12 export needs a "password" in the body.');
    const certs = orderChain(e.certs, e.meta.keySpki);
    if (!certs.length) throw new CertError('no-certificate', 'This entry has no certificate yet.');
    const key = e.meta.hasKey ? await store.readKey(req.params.id, body.keyPassphrase, e) : null;
    const p12 = toPkcs12(certs, key, body.password, e.meta.name);
    options.log.info(`Panel: "${e.meta.name}" exported as PKCS#12${key ? ' with its key' : ''} by ${who(req)}`);
    return file(reply, `${req.params.id}.p12`, 'application/x-pkcs12', p12);
  });
}

// ---- OpenAPI -------------------------------------------------------------------------------------

export const CERT_SCHEMAS = [CertImportBody, CertInspectBody, CsrBody, AttachBody, VerifyBody, ProbeBody, LabCaBody, IssueBody, ExportBody];

export function certsOpenApiPaths(ref: (s: z.ZodType) => Record<string, unknown>, csrfHeader: Record<string, unknown>): Record<string, unknown> {
  const err = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
  const ok = (description: string) => ({ description, content: { 'application/json': { schema: { type: 'object' } } } });
  const noStore = { '503': err('No certificate store is configured here, or too many certificate requests are waiting') };
  const unknownId = { '404': err('No stored certificate by the id given') };
  const post = (summary: string, schema: z.ZodType, success: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    post: {
      summary,
      parameters: [csrfHeader],
      requestBody: { required: true, content: { 'application/json': { schema: ref(schema) } } },
      responses: { ...success, '400': err('Bad input, or reading it took longer than the deadline (nothing stored)'), '413': err('Upload larger than 1 MiB'), ...extra },
    },
  });
  const created = { '201': ok('Stored') };
  const done = { '200': ok('Done') };
  const id = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  return {
    '/api/certificates': {
      get: { summary: 'Inventory: stored certificates and Home Assistant /ssl (read-only), each with its status', responses: { '200': ok('The inventory') } },
      ...post('Import PEM (bundle), DER or PKCS#12, with keys', CertImportBody, { '201': ok('Stored, or matched to the key of a CSR made here') }, noStore),
    },
    '/api/certificates/inspect': post('Inspect without storing', CertInspectBody, done, noStore),
    '/api/certificates/csr': post('Generate an RSA or EC key and a CSR (serverAuth + clientAuth by default)', CsrBody, created, noStore),
    '/api/certificates/verify': post('Chain against a CA bundle, host check, key match, lint', VerifyBody, done, { ...unknownId, ...noStore }),
    '/api/certificates/probe': post('Live TLS handshake with host:port (5 s limit)', ProbeBody, done, { ...unknownId, ...noStore }),
    '/api/certificates/ca': post('Create a lab CA (private networks only)', LabCaBody, created, noStore),
    '/api/certificates/ca/issue': post('Issue a server/client certificate from a lab CA', IssueBody, created, { ...unknownId, ...noStore }),
    '/api/certificates/{id}': {
      get: { summary: 'Inspect a stored or /ssl certificate', parameters: [id], responses: { '200': ok('Every field'), '404': err('No such certificate') } },
      delete: { summary: 'Delete a stored certificate and its key', parameters: [id, csrfHeader], responses: { '200': ok('Deleted'), '404': err('No such certificate'), '409': err("Read-only: Home Assistant's /ssl and IRIS's SSL/TLS configurations are changed where they live"), ...noStore } },
    },
    '/api/certificates/{id}/certificate': { post: { ...post('Attach the signed certificate to the key of a CSR', AttachBody, done, { ...unknownId, ...noStore }).post, parameters: [id, csrfHeader] } },
    '/api/certificates/{id}/export': {
      get: {
        summary: 'Export certificates (no key)',
        parameters: [id, { name: 'format', in: 'query', schema: { type: 'string', enum: ['pem', 'der', 'bundle'], default: 'pem' } }],
        responses: { '200': { description: 'The file' }, '404': err('No such certificate') },
      },
      post: { ...post('Export PKCS#12 with the key, RSA or EC (password in the body), or the key file', ExportBody, { '200': { description: 'The file' } }, { ...unknownId, ...noStore }).post, parameters: [id, csrfHeader] },
    },
  };
}
