/** Exports: PEM, DER, a CA bundle, PKCS#12 (RSA and EC keys), and the key file itself (explicit only). */
import { createHash, createHmac, randomBytes, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { parseDer, toDer, type Node } from './asn1.ts';
import { keyMatchesCert } from './decode.ts';
import { bmp, int, nullNode, octets, oidNode, seq, set, tagged } from './der.ts';
import { CertError } from './errors.ts';
import type { ParsedCert } from './inspect.ts';

export const toPem = (certs: ParsedCert[]): string => certs.map((c) => c.x509.toString().trim()).join('\n') + '\n';

/** The CA certificates of a chain, for the peer to trust (seeds §3.28). */
export function caBundle(certs: ParsedCert[]): string {
  const cas = certs.filter((c) => c.info.isCa);
  if (!cas.length) throw new CertError('no-ca', 'This entry holds no CA certificate: import the chain (intermediate and root) first.');
  return cas.map((c) => `# ${c.info.subject.text}\n${c.x509.toString().trim()}`).join('\n') + '\n';
}

const P12 = {
  data: '1.2.840.113549.1.7.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  sha256: '2.16.840.1.101.3.4.2.1',
};
/** OpenSSL 3's default for the MAC and for the key's PBKDF2. */
const MAC_ITERATIONS = 2048;

/**
 * PKCS#12 (RFC 7292) as OpenSSL 3 writes it, for RSA and EC keys alike: the key is an
 * EncryptedPrivateKeyInfo from Node's crypto (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC), the
 * certificates follow in a plain SafeContents (they are public; the MAC protects them from
 * change), and a SHA-256 HMAC keyed from the password seals the whole.
 */
export function toPkcs12(certs: ParsedCert[], key: KeyObject | null, password: string, friendlyName: string): Buffer {
  if (password.length < 4) throw new CertError('weak-password', 'The PKCS#12 password must have at least 4 characters.');
  const matched = key ? certs.find((c) => keyMatchesCert(key, c)) : undefined;
  const leaf = matched ?? certs[0];
  // localKeyId pairs the key with its certificate; OpenSSL uses the certificate's SHA-1 digest.
  const localKeyId = matched ? createHash('sha1').update(matched.der).digest() : null;
  const attributes = set(seq(oidNode(P12.friendlyName), set(bmp(friendlyName))), ...(localKeyId ? [seq(oidNode(P12.localKeyId), set(octets(localKeyId)))] : []));
  const bag = (type: string, value: Node, named: boolean) => seq(oidNode(type), tagged(0, [value]), ...(named ? [attributes] : []));
  const data = (content: Buffer) => seq(oidNode(P12.data), tagged(0, [octets(content)]));

  const certBags = certs.map((c) => bag(P12.certBag, seq(oidNode(P12.x509Certificate), tagged(0, [octets(c.der)])), c === leaf));
  const keyBags = key ? [bag(P12.shroudedKeyBag, parseDer(key.export({ type: 'pkcs8', format: 'der', cipher: 'aes-256-cbc', passphrase: password })), true)] : [];
  const authSafe = toDer(seq(...[certBags, keyBags].filter((b) => b.length).map((b) => data(toDer(seq(...b))))));

  const salt = randomBytes(16);
  // The PKCS#12 key derivation (RFC 7292 appendix B, ID 3 = MAC key) is not in Node's crypto.
  const macKey = forge.pkcs12.generateKey(password, forge.util.createBuffer(salt.toString('binary')), 3, MAC_ITERATIONS, 32, forge.md.sha256.create()).getBytes();
  const mac = createHmac('sha256', Buffer.from(macKey, 'binary')).update(authSafe).digest();
  const macData = seq(seq(seq(oidNode(P12.sha256), nullNode()), octets(mac)), octets(salt), int(MAC_ITERATIONS));
  return toDer(seq(int(3), data(authSafe), macData));
}
