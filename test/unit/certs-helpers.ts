/** Test material made by the openssl CLI (the reference), in a temporary directory. */
import { execFileSync, spawnSync } from 'node:child_process';
import type { KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import { decodeInput } from '../../src/certs/decode.ts';
import type { ParsedCert } from '../../src/certs/inspect.ts';

export const ossl = (args: string[], input?: string | Buffer): string => execFileSync('openssl', args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });

export interface Pki {
  dir: string;
  read(name: string): string;
  readBuf(name: string): Buffer;
  path(name: string): string;
  write(name: string, data: string | Buffer): string;
}

/**
 * root (self-signed CA) → intermediate (CA) → leaf RSA (serverAuth+clientAuth, SAN DNS+IP),
 * plus an EC leaf (serverAuth only), a self-signed EC cert, PKCS#12 files and encrypted keys.
 */
export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'certs-pki-'));
  const p = (n: string) => join(dir, n);
  const w = (n: string, d: string | Buffer) => (writeFileSync(p(n), d), p(n));
  w('root.ext', 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n');
  w('int.ext', 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
  w('leaf.ext', 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=DNS:iris.lab.example,DNS:*.svc.lab.example,IP:10.0.0.5,IP:fd00::5\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
  w('ec.ext', 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:ec.lab.example\n');
  ossl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('root.key'), '-out', p('root.pem'), '-days', '3650', '-subj', '/C=US/O=Lab Org/CN=Lab Root CA', '-sha256', '-extensions', 'v3', '-config', w('root.cnf', '[req]\ndistinguished_name=dn\n[dn]\n[v3]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n')]);
  ossl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('int.key'), '-out', p('int.csr'), '-subj', '/C=US/O=Lab Org/OU=PKI/CN=Lab Intermediate CA']);
  ossl(['x509', '-req', '-in', p('int.csr'), '-CA', p('root.pem'), '-CAkey', p('root.key'), '-CAcreateserial', '-out', p('int.pem'), '-days', '1825', '-sha256', '-extfile', p('int.ext')]);
  ossl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('leaf.key'), '-out', p('leaf.csr'), '-subj', '/C=US/ST=Massachusetts/L=Cambridge/O=Lab Org/OU=Integration/CN=iris.lab.example']);
  ossl(['x509', '-req', '-in', p('leaf.csr'), '-CA', p('int.pem'), '-CAkey', p('int.key'), '-CAcreateserial', '-out', p('leaf.pem'), '-days', '365', '-sha256', '-extfile', p('leaf.ext')]);
  ossl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', p('ec.key'), '-out', p('ec.csr'), '-subj', '/O=Lab Org/CN=ec.lab.example']);
  ossl(['x509', '-req', '-in', p('ec.csr'), '-CA', p('int.pem'), '-CAkey', p('int.key'), '-CAcreateserial', '-out', p('ec.pem'), '-days', '90', '-sha256', '-extfile', p('ec.ext')]);
  ossl(['pkcs12', '-export', '-inkey', p('leaf.key'), '-in', p('leaf.pem'), '-certfile', p('int.pem'), '-out', p('leaf.p12'), '-passout', 'pass:p12-secret']);
  ossl(['pkcs12', '-export', '-inkey', p('ec.key'), '-in', p('ec.pem'), '-out', p('ec.p12'), '-passout', 'pass:p12-secret']);
  ossl(['pkcs8', '-topk8', '-in', p('leaf.key'), '-out', p('leaf-enc.key'), '-v2', 'aes-256-cbc', '-passout', 'pass:key-secret']);
  ossl(['rsa', '-in', p('leaf.key'), '-out', p('leaf-legacy-enc.key'), '-aes256', '-traditional', '-passout', 'pass:key-secret']);
  ossl(['x509', '-in', p('leaf.pem'), '-outform', 'DER', '-out', p('leaf.der')]);
  ossl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('other.key'), '-out', p('other.pem'), '-days', '30', '-subj', '/CN=other']);
  return { dir, read: (n) => readFileSync(p(n), 'utf8'), readBuf: (n) => readFileSync(p(n)), path: p, write: w };
}

/**
 * Whether `openssl req -verify` accepts a CSR's self-signature. OpenSSL 3.0 exits 0 either way
 * and only says so, hence the reading of what it prints.
 */
export function csrVerifies(csr: string | Buffer): boolean {
  const r = spawnSync('openssl', ['req', '-inform', Buffer.isBuffer(csr) ? 'DER' : 'PEM', '-noout', '-verify'], { input: csr, encoding: 'utf8' });
  return /self-signature verify OK/.test(r.stderr + r.stdout);
}

/**
 * A PKCS#12 file as `openssl pkcs12 -info -nodes` reads it with the password (its MAC checked):
 * everything it printed (structure, bag attributes) and the certificates and key, decoded. Throws
 * when OpenSSL refuses the file or the password.
 */
export function opensslPkcs12(p12: Buffer, password: string): { printed: string; certs: ParsedCert[]; keys: KeyObject[] } {
  const r = spawnSync('openssl', ['pkcs12', '-info', '-nodes', '-passin', `pass:${password}`], { input: p12, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl pkcs12 refused the file: ${r.stderr.trim()}`);
  const { certs, keys } = decodeInput({ pem: r.stdout });
  return { printed: r.stderr + r.stdout, certs, keys };
}

/**
 * An expired certificate (openssl cannot date one in the past without a CA database), signed with
 * SHA-1 unless asked otherwise, optionally followed by its private key.
 */
export function expiredCertPem(opts: { withKey?: boolean; hash?: 'sha1' | 'sha256' } = {}): string {
  const keys = forge.pki.rsa.generateKeyPair({ bits: 1024, e: 0x10001 });
  const c = forge.pki.createCertificate();
  c.publicKey = keys.publicKey;
  c.serialNumber = '0a';
  c.validity.notBefore = new Date(Date.now() - 400 * 86_400_000);
  c.validity.notAfter = new Date(Date.now() - 2 * 86_400_000);
  c.setSubject([{ shortName: 'CN', value: 'old.lab.example' }]);
  c.setIssuer([{ shortName: 'CN', value: 'old.lab.example' }]);
  c.sign(keys.privateKey, (opts.hash === 'sha256' ? forge.md.sha256 : forge.md.sha1).create());
  return forge.pki.certificateToPem(c) + (opts.withKey ? forge.pki.privateKeyToPem(keys.privateKey) : '');
}

/** The fields openssl prints for a certificate, for comparison with ours. */
export function opensslFields(pemPath: string) {
  const text = ossl(['x509', '-in', pemPath, '-noout', '-text']);
  const serial = ossl(['x509', '-in', pemPath, '-noout', '-serial']).trim().replace(/^serial=/, '');
  const sha256 = ossl(['x509', '-in', pemPath, '-noout', '-fingerprint', '-sha256']).trim().replace(/^.*=/, '');
  const sha1 = ossl(['x509', '-in', pemPath, '-noout', '-fingerprint', '-sha1']).trim().replace(/^.*=/, '');
  const subject = ossl(['x509', '-in', pemPath, '-noout', '-subject', '-nameopt', 'RFC2253']).trim().replace(/^subject=/, '');
  const issuer = ossl(['x509', '-in', pemPath, '-noout', '-issuer', '-nameopt', 'RFC2253']).trim().replace(/^issuer=/, '');
  const dates = ossl(['x509', '-in', pemPath, '-noout', '-startdate', '-enddate']);
  const nb = new Date(/notBefore=(.*)/.exec(dates)![1]!).toISOString();
  const na = new Date(/notAfter=(.*)/.exec(dates)![1]!).toISOString();
  const after = (label: string) => {
    const m = new RegExp(`${label}:.*\\n\\s+(.*)`).exec(text);
    return m ? m[1]!.trim() : null;
  };
  return { text, serial, sha256, sha1, subject, issuer, notBefore: nb, notAfter: na, ski: after('X509v3 Subject Key Identifier'), aki: after('X509v3 Authority Key Identifier'), ku: after('X509v3 Key Usage'), eku: after('X509v3 Extended Key Usage'), san: after('X509v3 Subject Alternative Name'), bc: after('X509v3 Basic Constraints'), sigAlg: /Signature Algorithm: (.*)/.exec(text)![1]!.trim(), keyLine: /Public-Key: \((\d+) bit\)/.exec(text)?.[1] };
}
