/**
 * Writing DER with node-forge's ASN.1 encoder, and signing with Node's crypto. forge's own X.509,
 * CSR and PKCS#12 writers take RSA keys only; building the few structures here and signing the
 * to-be-signed bytes with crypto.sign works for RSA and EC alike with the dependency we have.
 * @peculiar/x509 would sign EC certificates too, but it brings eleven packages (tsyringe,
 * reflect-metadata, the asn1-* schemas) and no PKCS#12, which we would still write here.
 */
import { createHash, sign, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { ASN1, bytes, children, parseDer, toDer, type Node } from './asn1.ts';
import { spkiOf } from './decode.ts';
import { CertError } from './errors.ts';

const { T, C } = ASN1;
const bin = (b: Buffer | Uint8Array): string => Buffer.from(b).toString('binary');
const make = (tagClass: number, type: number, value: Node[] | string): Node =>
  forge.asn1.create(tagClass as forge.asn1.Class, type as forge.asn1.Type, Array.isArray(value), value);

export const seq = (...items: Node[]): Node => make(C.UNIVERSAL, T.SEQUENCE, items);
export const set = (...items: Node[]): Node => make(C.UNIVERSAL, T.SET, items);
export const oidNode = (oid: string): Node => make(C.UNIVERSAL, T.OID, forge.asn1.oidToDer(oid).getBytes());
export const octets = (b: Buffer): Node => make(C.UNIVERSAL, T.OCTETSTRING, bin(b));
/** A BIT STRING whose bits fill whole bytes (signatures). */
const bitString = (b: Buffer): Node => make(C.UNIVERSAL, T.BITSTRING, '\x00' + bin(b));
export const trueNode = (): Node => make(C.UNIVERSAL, T.BOOLEAN, '\xff');
export const nullNode = (): Node => make(C.UNIVERSAL, T.NULL, '');
/** A non-negative INTEGER from its big-endian bytes. */
export const uint = (b: Buffer): Node => {
  let v = b;
  while (v.length > 1 && v[0] === 0 && v[1]! < 0x80) v = v.subarray(1);
  return make(C.UNIVERSAL, T.INTEGER, bin(v[0]! >= 0x80 ? Buffer.concat([Buffer.alloc(1), v]) : v));
};
export const int = (n: number): Node => {
  const hex = n.toString(16);
  return uint(Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex'));
};
export const utf8 = (s: string): Node => make(C.UNIVERSAL, T.UTF8, forge.util.encodeUtf8(s));
export const printable = (s: string): Node => make(C.UNIVERSAL, T.PRINTABLESTRING, s);
/** forge writes a BMPString's value, a JS string, as UTF-16BE itself. */
export const bmp = (s: string): Node => make(C.UNIVERSAL, T.BMPSTRING, s);
/** A context-specific tag: [n] EXPLICIT around nodes, or [n] IMPLICIT primitive bytes. */
export const tagged = (n: number, value: Node[] | Buffer): Node => make(C.CONTEXT_SPECIFIC, n, Array.isArray(value) ? value : bin(value));

/** UTCTime until 2049, GeneralizedTime from 2050 on (RFC 5280 §4.1.2.5). */
export const timeNode = (d: Date): Node =>
  d.getUTCFullYear() < 2050 ? make(C.UNIVERSAL, T.UTCTIME, forge.asn1.dateToUtcTime(d)) : make(C.UNIVERSAL, T.GENERALIZEDTIME, forge.asn1.dateToGeneralizedTime(d));

/** Key usage bits as a DER named-bit BIT STRING (trailing zero bits dropped). */
export function namedBits(bits: number[]): Node {
  const last = Math.max(...bits);
  const out = Buffer.alloc((last >> 3) + 1);
  for (const b of bits) out[b >> 3]! |= 0x80 >> (b & 7);
  return make(C.UNIVERSAL, T.BITSTRING, String.fromCharCode(7 - (last & 7)) + bin(out));
}

/** An X.509 extension: the value is DER inside an OCTET STRING. */
export const extension = (oid: string, critical: boolean, value: Node): Node =>
  seq(oidNode(oid), ...(critical ? [trueNode()] : []), octets(toDer(value)));

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. */
export function keyId(key: KeyObject): Buffer {
  return createHash('sha1').update(bytes(children(parseDer(spkiOf(key)))[1]).subarray(1)).digest();
}

const RSA_SHA256 = '1.2.840.113549.1.1.11';
const ECDSA_BY_CURVE: Record<string, [oid: string, hash: string]> = {
  prime256v1: ['1.2.840.10045.4.3.2', 'sha256'],
  secp384r1: ['1.2.840.10045.4.3.3', 'sha384'],
};

/** The signature algorithm a key signs with here: SHA-256 for RSA, the curve's own hash for EC. */
function signatureAlgorithm(key: KeyObject): { alg: Node; hash: string } {
  if (key.asymmetricKeyType === 'rsa') return { alg: seq(oidNode(RSA_SHA256), nullNode()), hash: 'sha256' };
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const ec = key.asymmetricKeyType === 'ec' && curve ? ECDSA_BY_CURVE[curve] : undefined;
  if (!ec) throw new CertError('unsupported-key', `Signing needs an RSA, EC P-256 or EC P-384 key; this one is ${[key.asymmetricKeyType?.toUpperCase(), curve].filter(Boolean).join(' ')}.`);
  // ECDSA AlgorithmIdentifiers have no parameters (RFC 5758 §3.2).
  return { alg: seq(oidNode(ec[0])), hash: ec[1] };
}

/**
 * SEQUENCE { toBeSigned, algorithm, signature }, the shape of certificates and CSRs alike. The
 * builder gets the AlgorithmIdentifier because a certificate repeats it inside what is signed.
 */
export function signDer(key: KeyObject, toBeSigned: (alg: Node) => Node): Buffer {
  const { alg, hash } = signatureAlgorithm(key);
  const tbs = toBeSigned(alg);
  return toDer(seq(tbs, alg, bitString(sign(hash, toDer(tbs), key))));
}

export const toPemBlock = (label: string, der: Buffer): string =>
  `-----BEGIN ${label}-----\n${(der.toString('base64').match(/.{1,64}/g) ?? []).join('\n')}\n-----END ${label}-----\n`;
