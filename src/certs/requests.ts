/**
 * What a person may ask of the certificate manager, as validated input. The panel declares these
 * at its routes (and documents them); the service takes what they produce.
 */
import { z } from 'zod';
import { EC_CURVES, RSA_SIZES } from '../model/cert-key-spec.ts';

/** Largest certificate upload (decoded); the JSON body may be a third larger (base64). */
export const CERT_FILE_LIMIT = 1024 * 1024;
export const CERT_BODY_LIMIT = 2 * 1024 * 1024;

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
export const ExportQuery = z.object({ format: z.enum(['pem', 'der', 'bundle']).default('pem') }).strict();

export type Material = z.infer<typeof CertInspectBody>;
export type ImportRequest = z.infer<typeof CertImportBody>;
export type CsrRequest = z.infer<typeof CsrBody>;
export type VerifyRequest = z.infer<typeof VerifyBody>;
export type ProbeRequest = z.infer<typeof ProbeBody>;
export type LabCaRequest = z.infer<typeof LabCaBody>;
export type IssueRequest = z.infer<typeof IssueBody>;
export type ExportRequest = z.infer<typeof ExportBody>;
