/** Exports: PEM, DER, a CA bundle, PKCS#12 (RSA keys), and the key file itself (explicit only). */
import type { KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { CertError } from './errors.ts';
import { toForgeKey } from './generate.ts';
import type { ParsedCert } from './inspect.ts';

export const toPem = (certs: ParsedCert[]): string => certs.map((c) => c.x509.toString().trim()).join('\n') + '\n';

/** The CA certificates of a chain, for the peer to trust (seeds §3.28). */
export function caBundle(certs: ParsedCert[]): string {
  const cas = certs.filter((c) => c.info.isCa);
  if (!cas.length) throw new CertError('no-ca', 'This entry holds no CA certificate: import the chain (intermediate and root) first.');
  return cas.map((c) => `# ${c.info.subject.text}\n${c.x509.toString().trim()}`).join('\n') + '\n';
}

export function toPkcs12(certs: ParsedCert[], key: KeyObject | null, password: string, friendlyName: string): Buffer {
  if (password.length < 4) throw new CertError('weak-password', 'The PKCS#12 password must have at least 4 characters.');
  const fcerts = certs.map((c) => {
    try {
      return forge.pki.certificateFromAsn1(forge.asn1.fromDer(c.der.toString('binary')));
    } catch {
      throw new CertError('unsupported-key', 'PKCS#12 export supports RSA certificates only (an EC certificate is in this entry); export PEM instead.');
    }
  });
  const fkey = key ? toForgeKey(key) : null;
  const asn1 = forge.pkcs12.toPkcs12Asn1(fkey, fcerts, password, { algorithm: 'aes256', friendlyName, generateLocalKeyId: true } as unknown as Parameters<typeof forge.pkcs12.toPkcs12Asn1>[3]);
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
}
