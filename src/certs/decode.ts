/**
 * Reading what people upload: PEM (one or many blocks, text and comment lines between them),
 * DER, PKCS#12 with its password; RSA and EC keys, encrypted PEM keys with their passphrase.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import nodeForge from 'node-forge';
import { children, parseDer, toDer } from './asn1.ts';
import { CertError } from './errors.ts';
import { parseCertificate, type ParsedCert } from './inspect.ts';

export interface Decoded {
  certs: ParsedCert[];
  keys: KeyObject[];
  /** What was skipped and why (e.g. a CSR or EC PARAMETERS block). */
  notes: string[];
}

export interface DecodeInput {
  pem?: string;
  der?: Buffer;
  pkcs12?: Buffer;
  /** PKCS#12 password. */
  password?: string;
  /** Passphrase of an encrypted PEM key. */
  keyPassphrase?: string;
}

const KEY_TYPES = ['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY', 'ENCRYPTED PRIVATE KEY'];
const MAX_BLOCKS = 500;

function keyError(err: unknown, passphrase: string | undefined): CertError {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ERR_MISSING_PASSPHRASE') return new CertError('key-passphrase-required', 'The private key is encrypted: give its passphrase.');
  if (passphrase !== undefined && /bad decrypt|decrypt|passphrase/i.test(e.message)) return new CertError('wrong-key-passphrase', 'The private key could not be decrypted: the passphrase is wrong.');
  // OpenSSL's words ("error:1E08010C:DECODER routines::unsupported") are no help to the uploader.
  return new CertError('bad-key', 'The private key cannot be read: it is damaged or cut short, or in a form IRIS Edge does not read (PKCS#8, PKCS#1 RSA and SEC1 EC keys, encrypted or not).');
}

export function readPrivateKey(pem: string | Buffer, passphrase?: string, derType?: 'pkcs8' | 'pkcs1' | 'sec1'): KeyObject {
  try {
    if (Buffer.isBuffer(pem)) return createPrivateKey({ key: pem, format: 'der', type: derType ?? 'pkcs8', passphrase });
    if (passphrase === undefined && /ENCRYPTED/.test(pem)) throw Object.assign(new Error('missing passphrase'), { code: 'ERR_MISSING_PASSPHRASE' });
    return createPrivateKey({ key: pem, format: 'pem', passphrase: passphrase ?? '' });
  } catch (err) {
    throw keyError(err, passphrase);
  }
}

interface PemBlock {
  whole: string;
  type: string;
  endType: string;
  body: string;
}

const BEGIN = '-----BEGIN ';
const END = '-----END ';
const DASHES = '-----';

/** The "TYPE-----" after BEGIN/END at `at`, looked for in a few characters only; null when absent. */
function label(text: string, at: number): { type: string; end: number } | null {
  const near = text.slice(at, at + 72);
  const close = near.indexOf(DASHES);
  if (close <= 0) return null;
  const type = near.slice(0, close);
  return /^[A-Z0-9 ]+$/.test(type) ? { type, end: at + close + DASHES.length } : null;
}

/**
 * The PEM blocks of a text, in one forward pass: every search starts where the last one ended and
 * every label is looked for within a line's length, so the time grows with the text, never with its
 * square (a regular expression spanning from each BEGIN to the next END took seconds on a megabyte of
 * BEGIN lines). A block whose END never comes, before the next BEGIN or at all, is a truncated file.
 */
function* pemBlocks(text: string): Generator<PemBlock> {
  let pos = 0;
  for (;;) {
    const begin = text.indexOf(BEGIN, pos);
    if (begin < 0) return;
    const head = label(text, begin + BEGIN.length);
    const newline = head ? (text.startsWith('\r\n', head.end) ? 2 : text[head.end] === '\n' ? 1 : 0) : 0;
    if (!head || newline === 0) {
      pos = begin + BEGIN.length;
      continue;
    }
    const bodyStart = head.end + newline;
    const end = text.indexOf(END, bodyStart);
    const next = text.indexOf(BEGIN, bodyStart);
    const tail = end < 0 ? null : label(text, end + END.length);
    if (end < 0 || (next >= 0 && next < end) || !tail) {
      throw new CertError('bad-pem', 'A PEM block has a BEGIN line but no matching END line: the file is truncated.');
    }
    yield { whole: text.slice(begin, tail.end), type: head.type, endType: tail.type, body: text.slice(bodyStart, end) };
    pos = tail.end;
  }
}

function decodePem(pem: string, keyPassphrase: string | undefined, out: Decoded): void {
  let found = 0;
  for (const { whole, type, body, endType } of pemBlocks(pem)) {
    found++;
    if (found > MAX_BLOCKS) throw new CertError('too-many-blocks', `More than ${MAX_BLOCKS} PEM blocks: split the file.`);
    if (type !== endType) throw new CertError('bad-pem', `A PEM block begins with "${type}" but ends with "${endType}".`);
    const b64 = body.split(/\r?\n/).filter((l) => !/^[A-Za-z-]+:/.test(l)).join('').replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) {
      throw new CertError('bad-pem', `PEM block ${found} (${type}) is not valid base64: the file may be truncated or edited.`);
    }
    const der = Buffer.from(b64, 'base64');
    if (type === 'CERTIFICATE' || type === 'TRUSTED CERTIFICATE' || type === 'X509 CERTIFICATE') {
      try {
        out.certs.push(parseCertificate(type === 'TRUSTED CERTIFICATE' ? firstElement(der) : der));
      } catch (err) {
        if (err instanceof CertError) throw new CertError(err.code, `PEM block ${found} (certificate): ${err.message}`);
        throw err;
      }
    } else if (KEY_TYPES.includes(type)) {
      out.keys.push(readPrivateKey(whole, keyPassphrase));
    } else if (type === 'CERTIFICATE REQUEST' || type === 'NEW CERTIFICATE REQUEST') {
      out.notes.push('A certificate signing request (CSR) was skipped: send it to your CA, then import the certificate it returns.');
    } else if (type === 'EC PARAMETERS') {
      out.notes.push('EC PARAMETERS block skipped (the key carries its curve).');
    } else if (type === 'PUBLIC KEY') {
      out.notes.push('A public key was skipped: import the certificate instead.');
    } else {
      throw new CertError('unsupported-pem', `PEM block ${found} is "${type}", which is not a certificate or a private key.`);
    }
  }
  if (found === 0) throw new CertError('bad-pem', 'No PEM block (-----BEGIN CERTIFICATE----- …) was found in the text.');
}

/** The first element of a SEQUENCE-of-things (the certificate in a TRUSTED CERTIFICATE). */
function firstElement(der: Buffer): Buffer {
  if (der.length < 2 || der[0] !== 0x30) throw new CertError('bad-der', 'Not a DER certificate.');
  let len = der[1]!;
  let off = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n < 1 || n > 4 || der.length < 2 + n) throw new CertError('bad-der', 'Not a DER certificate.');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[2 + i]!;
    off = 2 + n;
  }
  if (off + len > der.length) throw new CertError('bad-der', 'The DER data is truncated.');
  return der.subarray(0, off + len);
}

function decodeDer(der: Buffer, out: Decoded): void {
  if (der.length === 0) throw new CertError('empty', 'The file is empty.');
  try {
    out.certs.push(parseCertificate(der));
    return;
  } catch (certErr) {
    for (const type of ['pkcs8', 'pkcs1', 'sec1'] as const) {
      try {
        out.keys.push(createPrivateKey({ key: der, format: 'der', type }));
        return;
      } catch {
        /* next */
      }
    }
    if (looksLikePkcs12(der)) throw new CertError('looks-like-pkcs12', 'This looks like a PKCS#12 (.p12/.pfx) file: import it as PKCS#12 with its password.');
    throw new CertError('bad-der', `Not a certificate or private key in binary (DER) form. ${(certErr as Error).message}`);
  }
}

function looksLikePkcs12(der: Buffer): boolean {
  try {
    const root = parseDer(der);
    const [version, authSafe] = children(root);
    return !!version && children(authSafe).length >= 1 && typeof version.value === 'string' && version.value === '\x03';
  } catch {
    return false;
  }
}

function decodePkcs12(p12: Buffer, password: string | undefined, out: Decoded): void {
  if (p12.length === 0) throw new CertError('empty', 'The file is empty.');
  const root = parseDer(p12);
  let pfx: nodeForge.pkcs12.Pkcs12Pfx;
  try {
    pfx = nodeForge.pkcs12.pkcs12FromAsn1(root, true, password ?? '');
  } catch (err) {
    const msg = (err as Error).message;
    if (/MAC could not be verified|wrong password|Invalid password/i.test(msg)) {
      throw new CertError('wrong-password', password ? 'The PKCS#12 password is wrong.' : 'This PKCS#12 file needs its password.');
    }
    throw new CertError('bad-pkcs12', 'This is not a PKCS#12 (.p12/.pfx) file, or it is damaged. A certificate or key in another form can be imported as PEM or DER.');
  }
  for (const sc of pfx.safeContents) {
    for (const bag of sc.safeBags) {
      const b = bag as unknown as { type: string; cert?: nodeForge.pki.Certificate | null; key?: nodeForge.pki.PrivateKey | null; asn1?: nodeForge.asn1.Asn1 };
      if (b.type === nodeForge.pki.oids.certBag) {
        const der = b.cert ? Buffer.from(nodeForge.asn1.toDer(nodeForge.pki.certificateToAsn1(b.cert)).getBytes(), 'binary') : b.asn1 ? toDer(b.asn1) : null;
        if (der) out.certs.push(parseCertificate(der));
      } else if (b.type === nodeForge.pki.oids.pkcs8ShroudedKeyBag || b.type === nodeForge.pki.oids.keyBag) {
        const der = b.key
          ? Buffer.from(nodeForge.asn1.toDer(nodeForge.pki.wrapRsaPrivateKey(nodeForge.pki.privateKeyToAsn1(b.key as nodeForge.pki.rsa.PrivateKey))).getBytes(), 'binary')
          : b.asn1
            ? toDer(b.asn1)
            : null;
        if (der) out.keys.push(readPrivateKey(der, undefined, 'pkcs8'));
      }
    }
  }
  if (out.certs.length === 0 && out.keys.length === 0) throw new CertError('empty-pkcs12', 'The PKCS#12 file holds no certificate and no key.');
}

/** Decodes exactly one of pem / der / pkcs12. Throws CertError (4xx) on any bad input. */
export function decodeInput(input: DecodeInput): Decoded {
  try {
    return decodeInputUnchecked(input);
  } catch (err) {
    if (err instanceof CertError) throw err;
    throw new CertError('bad-input', 'The upload cannot be read: it is damaged, or not a certificate, key or PKCS#12 file.');
  }
}

function decodeInputUnchecked(input: DecodeInput): Decoded {
  const out: Decoded = { certs: [], keys: [], notes: [] };
  const given = [input.pem !== undefined, input.der !== undefined, input.pkcs12 !== undefined].filter(Boolean).length;
  if (given !== 1) throw new CertError('invalid-request', 'Give exactly one of "pem", "derBase64" or "pkcs12Base64".');
  if (input.pem !== undefined) decodePem(input.pem, input.keyPassphrase, out);
  else if (input.der !== undefined) {
    // A .crt/.cer file may be PEM after all.
    const asText = input.der.subarray(0, 4096).toString('latin1');
    if (asText.includes('-----BEGIN ')) decodePem(input.der.toString('utf8'), input.keyPassphrase, out);
    else decodeDer(input.der, out);
  } else if (input.pkcs12 !== undefined) decodePkcs12(input.pkcs12, input.password, out);
  return out;
}

/** The SubjectPublicKeyInfo DER of a key (private or public), to match keys to certificates. */
export function spkiOf(key: KeyObject): Buffer {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return pub.export({ type: 'spki', format: 'der' });
}

export function keyMatchesCert(key: KeyObject, cert: ParsedCert): boolean {
  return spkiOf(key).equals(spkiOf(cert.x509.publicKey));
}
