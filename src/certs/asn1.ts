/**
 * Reading X.509 structures with node-forge's generic ASN.1 decoder (forge's own certificate
 * reader handles RSA keys only; this one reads any key type, so EC certificates work too).
 */
import forge from 'node-forge';
import { CertError } from './errors.ts';

export type Node = forge.asn1.Asn1;
const T = forge.asn1.Type;
const C = forge.asn1.Class;

export function parseDer(der: Buffer): Node {
  try {
    // decodeBitStrings false: the signature and keys stay opaque bytes.
    return forge.asn1.fromDer(forge.util.createBuffer(der.toString('binary')), { strict: true, decodeBitStrings: false, parseAllBytes: true } as unknown as boolean);
  } catch (err) {
    // forge's words ("Too few bytes to read ASN.1 value") mean nothing to the person who uploaded the file.
    const msg = (err as Error).message;
    const why = /too few bytes/i.test(msg)
      ? 'it ends too early (cut short in a download or a copy?)'
      : /bytes remain/i.test(msg)
        ? 'more data follows where it should end (two files joined, or damaged)'
        : 'it is damaged, or another kind of file';
    throw new CertError('bad-der', `The data cannot be read: ${why}.`);
  }
}

export const children = (n: Node | undefined): Node[] => (n && Array.isArray(n.value) ? (n.value as Node[]) : []);
export const bytes = (n: Node | undefined): Buffer => (n && typeof n.value === 'string' ? Buffer.from(n.value, 'binary') : Buffer.alloc(0));
export const isUniversal = (n: Node | undefined, type: number): boolean => !!n && n.tagClass === C.UNIVERSAL && n.type === type;
export const isContext = (n: Node | undefined, tag: number): boolean => !!n && n.tagClass === C.CONTEXT_SPECIFIC && n.type === tag;
export const toDer = (n: Node): Buffer => Buffer.from(forge.asn1.toDer(n).getBytes(), 'binary');

export function oid(n: Node | undefined): string {
  if (!isUniversal(n, T.OID)) throw new CertError('bad-certificate', 'The data is damaged: the name of a field (an object identifier) cannot be read.');
  return forge.asn1.derToOid(n!.value as string);
}

export function text(n: Node): string {
  const raw = typeof n.value === 'string' ? n.value : '';
  if (n.type === T.UTF8) {
    try {
      return forge.util.decodeUtf8(raw);
    } catch {
      return raw;
    }
  }
  // forge's fromDer already turns a BMPString's UTF-16 into a JS string.
  return raw;
}

export function time(n: Node | undefined): Date {
  if (isUniversal(n, T.UTCTIME)) return forge.asn1.utcTimeToDate(n!.value as string);
  if (isUniversal(n, T.GENERALIZEDTIME)) return forge.asn1.generalizedTimeToDate(n!.value as string);
  throw new CertError('bad-certificate', 'The certificate is damaged: a validity date cannot be read.');
}

/** Big-endian integer bytes as upper-case hex without the sign-padding zero byte. */
export function intHex(n: Node | undefined): string {
  if (!isUniversal(n, T.INTEGER)) throw new CertError('bad-certificate', 'The data is damaged: a number in it (a serial number or version) cannot be read.');
  let b = bytes(n);
  while (b.length > 1 && b[0] === 0) b = b.subarray(1);
  return b.toString('hex').toUpperCase();
}

export const OID_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'street',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.5': 'serialNumber',
  '2.5.4.4': 'SN',
  '2.5.4.42': 'GN',
  '2.5.4.12': 'title',
  '2.5.4.17': 'postalCode',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

export const SIG_ALGS: Record<string, string> = {
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.113549.1.1.14': 'sha224WithRSAEncryption',
  '1.2.840.113549.1.1.10': 'rsassaPss',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10045.4.3.1': 'ecdsa-with-SHA224',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.3.101.112': 'ED25519',
  '1.3.101.113': 'ED448',
  '1.2.840.10040.4.3': 'dsa-with-SHA1',
};

export const EKU_NAMES: Record<string, string> = {
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
  '1.3.6.1.5.5.7.3.3': 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
  '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
  '1.3.6.1.5.5.7.3.17': 'ipsecIKE',
  '1.3.6.1.4.1.311.2.1.21': 'msCodeInd',
  '1.3.6.1.4.1.311.2.1.22': 'msCodeCom',
  '1.3.6.1.4.1.311.10.3.1': 'msCTLSign',
  '1.3.6.1.4.1.311.10.3.4': 'msEFS',
  '2.5.29.37.0': 'anyExtendedKeyUsage',
};

export const KEY_USAGE_BITS = [
  'digitalSignature',
  'contentCommitment',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;

export const ASN1 = { T, C };
