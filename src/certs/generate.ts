/**
 * Keys, certificate signing requests and the lab CA, for RSA and EC keys. Node's crypto makes
 * the keys (off the event loop) and signs; der.ts writes the structures (see there for why not
 * forge's RSA-only writers).
 */
import { createPublicKey, generateKeyPair, randomBytes, verify, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { promisify } from 'node:util';
import forge from 'node-forge';
import { bytes, children, EKU_NAMES, isContext, oid, OID_NAMES, parseDer, text, toDer, type Node } from './asn1.ts';
import { extension, int, keyId, namedBits, octets, oidNode, printable, seq, set, signDer, tagged, timeNode, toPemBlock, trueNode, uint, utf8 } from './der.ts';
import { spkiOf } from './decode.ts';
import { CertError } from './errors.ts';
import type { KeySpec } from '../model/cert-key-spec.ts';

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
  key: KeySpec;
}

const genKeyPair = promisify(generateKeyPair);

/** A new key, made off the event loop (a 4096-bit RSA key takes seconds). */
async function newKey(spec: KeySpec): Promise<KeyObject> {
  const pair = spec.type === 'ec' ? await genKeyPair('ec', { namedCurve: spec.curve }) : await genKeyPair('rsa', { modulusLength: spec.bits });
  return pair.privateKey;
}

const SUBJECT_OIDS: [keyof SubjectInput, string, string][] = [
  ['country', 'C', '2.5.4.6'],
  ['state', 'ST', '2.5.4.8'],
  ['locality', 'L', '2.5.4.7'],
  ['organization', 'O', '2.5.4.10'],
  ['organizationalUnit', 'OU', '2.5.4.11'],
  ['commonName', 'CN', '2.5.4.3'],
];

/** The subject as a Name, most general part first; the country is a PrintableString (RFC 5280), the rest UTF8String. */
function subjectName(s: SubjectInput): Node {
  if (s.country && !/^[A-Za-z]{2}$/.test(s.country)) throw new CertError('bad-subject', 'Country (C) is a two-letter code, e.g. US.');
  const rdns: Node[] = [];
  for (const [field, short, id] of SUBJECT_OIDS) {
    const v = s[field];
    if (!v) continue;
    if (v.length > 64) throw new CertError('bad-subject', `${short} is longer than 64 characters.`);
    rdns.push(set(seq(oidNode(id), field === 'country' ? printable(v.toUpperCase()) : utf8(v))));
  }
  return seq(...rdns);
}

type IpBytes = { bytesFromIP(ip: string): string | null; bytesToIP(b: string): string | null };
// forge's address converters (untyped in @types/node-forge): IPv6 text ↔ 16 bytes.
const ipBytes = forge.util as unknown as IpBytes;

const DNS_NAME = /^(\*\.)?([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*$/;

/** Subject alternative names as GeneralNames: dNSName [2] or iPAddress [7]. */
function altNameList(names: string[]): Node[] {
  const out: Node[] = [];
  for (const raw of names) {
    const n = raw.trim().replace(/^\[|\]$/g, '');
    if (!n) continue;
    if (isIP(n)) out.push(tagged(7, Buffer.from(ipBytes.bytesFromIP(n) ?? '', 'binary')));
    else if (DNS_NAME.test(n) && n.length <= 253) out.push(tagged(2, Buffer.from(n.toLowerCase(), 'ascii')));
    else throw new CertError('bad-alt-name', `"${raw}" is neither a DNS name nor an IP address.`);
  }
  if (out.length > 100) throw new CertError('bad-alt-name', 'At most 100 subject alternative names.');
  return out;
}

const EKU_OIDS = { serverAuth: '1.3.6.1.5.5.7.3.1', clientAuth: '1.3.6.1.5.5.7.3.2' };
const KU = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 };
const EXT = { basicConstraints: '2.5.29.19', keyUsage: '2.5.29.15', extKeyUsage: '2.5.29.37', subjectAltName: '2.5.29.17', subjectKeyId: '2.5.29.14', authorityKeyId: '2.5.29.35' };
const EXTENSION_REQUEST = '1.2.840.113549.1.9.14';

const ekuExt = (usage: Usage) =>
  extension(EXT.extKeyUsage, false, seq(...(usage !== 'client' ? [oidNode(EKU_OIDS.serverAuth)] : []), ...(usage !== 'server' ? [oidNode(EKU_OIDS.clientAuth)] : [])));
/** keyEncipherment only where the key can encipher (RSA key transport); EC keys sign. */
const leafKeyUsage = (key: KeyObject) =>
  extension(EXT.keyUsage, true, namedBits(key.asymmetricKeyType === 'rsa' ? [KU.digitalSignature, KU.keyEncipherment] : [KU.digitalSignature]));
const sanExt = (alt: Node[]) => (alt.length ? [extension(EXT.subjectAltName, false, seq(...alt))] : []);
const spkiNode = (key: KeyObject) => parseDer(spkiOf(key));

function checkNames(subject: SubjectInput, alt: Node[]): void {
  if (!subject.commonName && alt.length === 0) throw new CertError('bad-subject', 'Give a common name or at least one DNS name / IP address.');
}

export interface CsrResult {
  key: KeyObject;
  csrPem: string;
}

export async function generateCsr(input: CsrInput): Promise<CsrResult> {
  const alt = altNameList(input.altNames);
  checkNames(input.subject, alt);
  const name = subjectName(input.subject);
  const key = await newKey(input.key);
  const extensions = seq(leafKeyUsage(key), ekuExt(input.usage ?? 'both'), ...sanExt(alt));
  // CertificationRequestInfo (RFC 2986): version 0, subject, key, [0] attributes.
  const csr = signDer(key, () => seq(int(0), name, spkiNode(key), tagged(0, [seq(oidNode(EXTENSION_REQUEST), set(extensions))])));
  return { key, csrPem: toPemBlock('CERTIFICATE REQUEST', csr) };
}

function serial(): Buffer {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f; // positive
  if (b[0] === 0) b[0] = 1;
  return b;
}

/** TBSCertificate (RFC 5280 §4.1), valid from a minute ago so clocks a little behind accept it. */
function tbsCertificate(alg: Node, o: { issuer: Node; subject: Node; key: KeyObject; days: number; extensions: Node[] }): Node {
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(notBefore.getTime() + o.days * 86_400_000);
  return seq(tagged(0, [int(2)]), uint(serial()), alg, o.issuer, seq(timeNode(notBefore), timeNode(notAfter)), o.subject, spkiNode(o.key), tagged(3, [seq(...o.extensions)]));
}

export interface LabCa {
  key: KeyObject;
  certDer: Buffer;
}

/** A self-signed root for a lab: private networks only, never for anything public. */
export async function createLabCa(opts: { commonName: string; organization?: string; days?: number; key: KeySpec }): Promise<LabCa> {
  const subject = subjectName({ commonName: opts.commonName, organization: opts.organization });
  const key = await newKey(opts.key);
  const extensions = [
    extension(EXT.basicConstraints, true, seq(trueNode(), int(0))),
    extension(EXT.keyUsage, true, namedBits([KU.keyCertSign, KU.cRLSign])),
    extension(EXT.subjectKeyId, false, octets(keyId(key))),
  ];
  const certDer = signDer(key, (alg) => tbsCertificate(alg, { issuer: subject, subject, key, days: opts.days ?? 3650, extensions }));
  return { key, certDer };
}

export interface IssueInput {
  subject: SubjectInput;
  altNames: string[];
  usage: Usage;
  days?: number;
  /** Sign this public key (from a CSR or a stored key) instead of making a new key. */
  publicKeyPem?: string;
  /** The new key's type when no public key is given; default RSA 2048. */
  key?: KeySpec;
}

/** The subject Name of a certificate, as its bytes stand: an issued certificate's issuer must match it exactly. */
function subjectNodeOf(certDer: Buffer): Node {
  const f = children(children(parseDer(certDer))[0]);
  return f[isContext(f[0], 0) ? 5 : 4]!;
}

/** Issues a leaf certificate from the lab CA. Returns the new key when none was given. */
export async function issueFromCa(ca: LabCa, input: IssueInput): Promise<{ certDer: Buffer; key?: KeyObject }> {
  const alt = altNameList(input.altNames);
  checkNames(input.subject, alt);
  const subject = subjectName(input.subject);
  const days = input.days ?? 397;
  if (!Number.isInteger(days) || days < 1 || days > 3650) throw new CertError('bad-days', 'Validity is 1 to 3650 days.');
  if (input.publicKeyPem && input.key) throw new CertError('invalid-request', 'A CSR brings its own key: give a key type only for a new key.');
  const key = input.publicKeyPem ? undefined : await newKey(input.key ?? { type: 'rsa', bits: 2048 });
  const pub = createPublicKey(input.publicKeyPem ?? key!);
  const extensions = [
    extension(EXT.basicConstraints, true, seq()),
    leafKeyUsage(pub),
    ekuExt(input.usage),
    extension(EXT.subjectKeyId, false, octets(keyId(pub))),
    // The CA's subject key id, computed the same way (so was it by forge for lab CAs made before EC keys).
    extension(EXT.authorityKeyId, false, seq(tagged(0, keyId(ca.key)))),
    ...sanExt(alt),
  ];
  const certDer = signDer(ca.key, (alg) => tbsCertificate(alg, { issuer: subjectNodeOf(ca.certDer), subject, key: pub, days, extensions }));
  return { certDer, key };
}

/** Signature algorithms a CSR may be signed with here, and their hashes. */
const CSR_SIG_HASH: Record<string, string> = {
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};
const SUBJECT_FIELD = Object.fromEntries(SUBJECT_OIDS.map(([field, short]) => [short, field])) as Record<string, keyof SubjectInput>;

export interface CsrContents {
  publicKeyPem: string;
  subject: SubjectInput;
  altNames: string[];
  usage: Usage;
}

/** Reads a CSR (PEM): subject, SANs, requested EKUs and its public key (RSA or EC); checks its signature. */
export function readCsr(pem: string): CsrContents {
  const m = /-----BEGIN (NEW )?CERTIFICATE REQUEST-----([\s\S]*?)-----END (NEW )?CERTIFICATE REQUEST-----/.exec(pem);
  if (!m) throw new CertError('bad-csr', 'No certificate signing request (-----BEGIN CERTIFICATE REQUEST-----) was found.');
  try {
    return parseCsrDer(Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64'));
  } catch (err) {
    if (err instanceof CertError && err.code === 'bad-csr') throw err;
    throw new CertError('bad-csr', 'Not a readable certificate signing request: it is damaged or cut short.');
  }
}

function parseCsrDer(der: Buffer): CsrContents {
  const [info, sigAlg, sig] = children(parseDer(der));
  const [, nameN, spkiN, attrsN] = children(info);
  if (!info || !nameN || !spkiN || !sig) throw new CertError('bad-csr', 'Not a certificate signing request (fields are missing).');
  const sigOid = oid(children(sigAlg)[0]);
  const hash = CSR_SIG_HASH[sigOid];
  if (!hash) throw new CertError('bad-csr', `The CSR is signed with ${sigOid}; the lab CA takes RSA or ECDSA signatures with SHA-256, SHA-384 or SHA-512.`);
  const pub = createPublicKey({ key: toDer(spkiN), format: 'der', type: 'spki' });
  if (!verify(hash, toDer(info), pub, bytes(sig).subarray(1))) throw new CertError('bad-csr', 'The CSR signature does not verify.');

  const subject: SubjectInput = {};
  for (const atv of children(nameN).flatMap(children)) {
    const [o, v] = children(atv);
    const field = SUBJECT_FIELD[OID_NAMES[oid(o)] ?? ''];
    if (field && v && subject[field] === undefined) subject[field] = text(v);
  }
  const extensions = isContext(attrsN, 0)
    ? children(attrsN)
        .filter((a) => oid(children(a)[0]) === EXTENSION_REQUEST)
        .flatMap((a) => children(children(children(a)[1])[0]))
    : [];
  const valueOf = (id: string) => {
    const e = extensions.find((x) => oid(children(x)[0]) === id);
    return e ? parseDer(bytes(children(e).at(-1))) : undefined;
  };
  const altNames = children(valueOf(EXT.subjectAltName)).flatMap((g) =>
    isContext(g, 2) ? [bytes(g).toString('latin1')] : isContext(g, 7) ? [ipBytes.bytesToIP(bytes(g).toString('binary')) ?? ''] : [],
  );
  const eku = valueOf(EXT.extKeyUsage);
  const ekus = children(eku).map((o) => EKU_NAMES[oid(o)]);
  const usage: Usage = !eku || (ekus.includes('serverAuth') && ekus.includes('clientAuth')) ? 'both' : ekus.includes('clientAuth') ? 'client' : 'server';
  return { publicKeyPem: pub.export({ type: 'spki', format: 'pem' }) as string, subject, altNames: altNames.filter(Boolean), usage };
}
