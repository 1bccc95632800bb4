/**
 * Keys, certificate signing requests and the lab CA. Node's crypto makes the keys (fast);
 * node-forge builds and signs the CSR and certificates (RSA keys).
 */
import { generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { isIP } from 'node:net';
import forge from 'node-forge';
import { CertError } from './errors.ts';

export interface SubjectInput {
  commonName?: string;
  organization?: string;
  organizationalUnit?: string;
  locality?: string;
  state?: string;
  country?: string;
}

export type Usage = 'server' | 'client' | 'both';

export interface CsrInput {
  subject: SubjectInput;
  /** DNS names and IP addresses, in any order (IPs are recognised). */
  altNames: string[];
  /** Default 'both': serverAuth and clientAuth, as mutual TLS needs (seeds §3.30). */
  usage?: Usage;
  keyBits?: 2048 | 3072 | 4096;
}

export const RSA_SIZES = [2048, 3072, 4096] as const;

const genKeyPair = promisify(generateKeyPair);

/** A new RSA key, made off the event loop (a 4096-bit key takes seconds). */
export async function newRsaKey(bits: number = 2048): Promise<KeyObject> {
  if (!(RSA_SIZES as readonly number[]).includes(bits)) throw new CertError('bad-key-size', `RSA keys are 2048, 3072 or 4096 bits (not ${bits}).`);
  return (await genKeyPair('rsa', { modulusLength: bits })).privateKey;
}

export function toForgeKey(key: KeyObject): forge.pki.rsa.PrivateKey {
  if (key.asymmetricKeyType !== 'rsa') throw new CertError('unsupported-key', `This needs an RSA key; this one is ${key.asymmetricKeyType?.toUpperCase()}.`);
  return forge.pki.privateKeyFromPem(key.export({ type: 'pkcs1', format: 'pem' }) as string) as forge.pki.rsa.PrivateKey;
}

const forgePub = (k: forge.pki.rsa.PrivateKey) => forge.pki.setRsaPublicKey(k.n, k.e);

function subjectAttrs(s: SubjectInput): forge.pki.CertificateField[] {
  const a: forge.pki.CertificateField[] = [];
  if (s.country) {
    if (!/^[A-Za-z]{2}$/.test(s.country)) throw new CertError('bad-subject', 'Country (C) is a two-letter code, e.g. US.');
    a.push({ shortName: 'C', value: s.country.toUpperCase() });
  }
  if (s.state) a.push({ shortName: 'ST', value: s.state });
  if (s.locality) a.push({ shortName: 'L', value: s.locality });
  if (s.organization) a.push({ shortName: 'O', value: s.organization });
  if (s.organizationalUnit) a.push({ shortName: 'OU', value: s.organizationalUnit });
  if (s.commonName) a.push({ shortName: 'CN', value: s.commonName });
  for (const f of a) {
    if (String(f.value).length > 64) throw new CertError('bad-subject', `${f.shortName} is longer than 64 characters.`);
    // forge writes these as UTF8String.
    f.valueTagClass = forge.asn1.Type.UTF8 as unknown as forge.asn1.Class;
    f.value = forge.util.encodeUtf8(String(f.value));
  }
  return a;
}

const DNS_NAME = /^(\*\.)?([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*$/;

export function altNameList(names: string[]): { type: number; value?: string; ip?: string }[] {
  const out: { type: number; value?: string; ip?: string }[] = [];
  for (const raw of names) {
    const n = raw.trim().replace(/^\[|\]$/g, '');
    if (!n) continue;
    if (isIP(n)) out.push({ type: 7, ip: n });
    else if (DNS_NAME.test(n) && n.length <= 253) out.push({ type: 2, value: n.toLowerCase() });
    else throw new CertError('bad-alt-name', `"${raw}" is neither a DNS name nor an IP address.`);
  }
  if (out.length > 100) throw new CertError('bad-alt-name', 'At most 100 subject alternative names.');
  return out;
}

const ekuExt = (usage: Usage) => ({ name: 'extKeyUsage', serverAuth: usage !== 'client', clientAuth: usage !== 'server' });

export interface CsrResult {
  key: KeyObject;
  csrPem: string;
}

export async function generateCsr(input: CsrInput): Promise<CsrResult> {
  const alt = altNameList(input.altNames);
  if (!input.subject.commonName && alt.length === 0) throw new CertError('bad-subject', 'Give a common name or at least one DNS name / IP address.');
  const key = await newRsaKey(input.keyBits ?? 2048);
  const fk = toForgeKey(key);
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forgePub(fk);
  csr.setSubject(subjectAttrs(input.subject));
  const extensions: unknown[] = [{ name: 'keyUsage', critical: true, digitalSignature: true, keyEncipherment: true }, ekuExt(input.usage ?? 'both')];
  if (alt.length) extensions.push({ name: 'subjectAltName', altNames: alt });
  csr.setAttributes([{ name: 'extensionRequest', extensions }]);
  csr.sign(fk, forge.md.sha256.create());
  return { key, csrPem: forge.pki.certificationRequestToPem(csr) };
}

function serial(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f; // positive
  if (b[0] === 0) b[0] = 1;
  return b.toString('hex');
}

const certDer = (c: forge.pki.Certificate): Buffer => Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(c)).getBytes(), 'binary');

export interface LabCa {
  key: KeyObject;
  certDer: Buffer;
}

/** A self-signed root for a lab: private networks only, never for anything public. */
export async function createLabCa(opts: { commonName: string; organization?: string; days?: number; keyBits?: 2048 | 3072 | 4096 }): Promise<LabCa> {
  const key = await newRsaKey(opts.keyBits ?? 3072);
  const fk = toForgeKey(key);
  const c = forge.pki.createCertificate();
  c.publicKey = forgePub(fk);
  c.serialNumber = serial();
  const now = new Date(Date.now() - 60_000);
  c.validity.notBefore = now;
  c.validity.notAfter = new Date(now.getTime() + (opts.days ?? 3650) * 86_400_000);
  const subject = subjectAttrs({ commonName: opts.commonName, organization: opts.organization });
  c.setSubject(subject);
  c.setIssuer(subject);
  c.setExtensions([
    { name: 'basicConstraints', critical: true, cA: true, pathLenConstraint: 0 },
    { name: 'keyUsage', critical: true, keyCertSign: true, cRLSign: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  c.sign(fk, forge.md.sha256.create());
  return { key, certDer: certDer(c) };
}

export interface IssueInput {
  subject: SubjectInput;
  altNames: string[];
  usage: Usage;
  days?: number;
  /** Sign this public key (from a CSR or a stored key) instead of making a new key. */
  publicKeyPem?: string;
}

/** Issues a leaf certificate from the lab CA. Returns the new key when none was given. */
export async function issueFromCa(ca: { key: KeyObject; certDer: Buffer }, input: IssueInput): Promise<{ certDer: Buffer; key?: KeyObject }> {
  const alt = altNameList(input.altNames);
  if (!input.subject.commonName && alt.length === 0) throw new CertError('bad-subject', 'Give a common name or at least one DNS name / IP address.');
  const days = input.days ?? 397;
  if (!Number.isInteger(days) || days < 1 || days > 3650) throw new CertError('bad-days', 'Validity is 1 to 3650 days.');
  const caCert = forge.pki.certificateFromAsn1(forge.asn1.fromDer(ca.certDer.toString('binary')));
  const caKey = toForgeKey(ca.key);
  let key: KeyObject | undefined;
  let pub: forge.pki.PublicKey;
  if (input.publicKeyPem) pub = forge.pki.publicKeyFromPem(input.publicKeyPem);
  else {
    key = await newRsaKey(2048);
    pub = forgePub(toForgeKey(key));
  }
  const c = forge.pki.createCertificate();
  c.publicKey = pub;
  c.serialNumber = serial();
  const now = new Date(Date.now() - 60_000);
  c.validity.notBefore = now;
  c.validity.notAfter = new Date(now.getTime() + days * 86_400_000);
  c.setSubject(subjectAttrs(input.subject));
  c.setIssuer(caCert.subject.attributes);
  const exts: unknown[] = [
    { name: 'basicConstraints', critical: true, cA: false },
    { name: 'keyUsage', critical: true, digitalSignature: true, keyEncipherment: true },
    ekuExt(input.usage),
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ];
  if (alt.length) exts.push({ name: 'subjectAltName', altNames: alt });
  c.setExtensions(exts);
  c.sign(caKey, forge.md.sha256.create());
  return { certDer: certDer(c), key };
}

/** Reads a CSR (PEM): subject, SANs, requested EKUs and its public key; checks its signature. */
export function readCsr(pem: string): { publicKeyPem: string; subject: SubjectInput; altNames: string[]; usage: Usage } {
  let csr: forge.pki.CertificateSigningRequest;
  try {
    csr = forge.pki.certificationRequestFromPem(pem);
  } catch (err) {
    throw new CertError('bad-csr', `Not a readable RSA certificate signing request: ${(err as Error).message}.`);
  }
  if (!csr.verify()) throw new CertError('bad-csr', 'The CSR signature does not verify.');
  const get = (n: string) => (csr.subject.getField(n) as { value?: string } | null)?.value;
  const ext = (csr.getAttribute({ name: 'extensionRequest' }) as { extensions?: { name: string; altNames?: { type: number; value?: string; ip?: string }[]; serverAuth?: boolean; clientAuth?: boolean }[] } | null)?.extensions ?? [];
  const san = ext.find((e) => e.name === 'subjectAltName')?.altNames ?? [];
  const eku = ext.find((e) => e.name === 'extKeyUsage');
  const usage: Usage = eku ? (eku.serverAuth && eku.clientAuth ? 'both' : eku.clientAuth ? 'client' : 'server') : 'both';
  return {
    publicKeyPem: forge.pki.publicKeyToPem(csr.publicKey as forge.pki.PublicKey),
    subject: { commonName: get('CN'), organization: get('O'), organizationalUnit: get('OU'), locality: get('L'), state: get('ST'), country: get('C') },
    altNames: san.map((a) => (a.type === 7 ? (a.ip ?? '') : (a.value ?? ''))).filter(Boolean),
    usage,
  };
}
