/**
 * The certificate manager's core against the openssl CLI: what we read matches what openssl reads;
 * what we generate openssl accepts; bad input gives a clear CertError and nothing else.
 */
import assert from 'node:assert/strict';
import { createPublicKey, randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { before, describe, it } from 'node:test';
import forge from 'node-forge';
import { text } from '../../src/certs/asn1.ts';
import { decodeInput, keyMatchesCert } from '../../src/certs/decode.ts';
import { CertError } from '../../src/certs/errors.ts';
import { caBundle, toPkcs12 } from '../../src/certs/export.ts';
import { createLabCa, generateCsr, issueFromCa, readCsr } from '../../src/certs/generate.ts';
import type { KeySpec } from '../../src/model/cert-key-spec.ts';
import { CertStore, readSslDir } from '../../src/certs/store.ts';
import { buildChain, checkHost, lintCert, SERVER_AUTH_ONLY_WARNING, statusOf } from '../../src/certs/verify.ts';
import { csrVerifies, expiredCertPem, makePki, opensslFields, opensslPkcs12, ossl, type Pki } from './certs-helpers.ts';

let pki: Pki;
before(() => {
  pki = makePki();
});

const KU_OPENSSL: Record<string, string> = {
  digitalSignature: 'Digital Signature',
  contentCommitment: 'Non Repudiation',
  keyEncipherment: 'Key Encipherment',
  dataEncipherment: 'Data Encipherment',
  keyAgreement: 'Key Agreement',
  keyCertSign: 'Certificate Sign',
  cRLSign: 'CRL Sign',
};
const EKU_OPENSSL: Record<string, string> = { serverAuth: 'TLS Web Server Authentication', clientAuth: 'TLS Web Client Authentication' };
const expectCertError = (fn: () => unknown, code: string | RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof CertError && (typeof code === 'string' ? e.code === code : code.test(e.code)) && e.status >= 400 && e.status < 500 && e.message.length > 10);

function assertMatchesOpenssl(pemFile: string): void {
  const ours = decodeInput({ pem: pki.read(pemFile) }).certs[0]!.info;
  const o = opensslFields(pki.path(pemFile));
  assert.equal(ours.serial, o.serial.toUpperCase(), `${pemFile} serial`);
  assert.equal(ours.fingerprints.sha256, o.sha256, `${pemFile} sha256`);
  assert.equal(ours.fingerprints.sha1, o.sha1, `${pemFile} sha1`);
  assert.equal([...ours.subject.parts].reverse().map((p) => `${p.type}=${p.value}`).join(','), o.subject, `${pemFile} subject`);
  assert.equal([...ours.issuer.parts].reverse().map((p) => `${p.type}=${p.value}`).join(','), o.issuer, `${pemFile} issuer`);
  assert.equal(ours.notBefore, o.notBefore);
  assert.equal(ours.notAfter, o.notAfter);
  assert.equal(ours.signatureAlgorithm, o.sigAlg);
  if (o.keyLine) assert.equal(String(ours.publicKey.size), o.keyLine);
  assert.equal(ours.subjectKeyId, o.ski);
  assert.equal(ours.authorityKeyId, o.aki ? o.aki.replace(/^keyid:/, '') : null);
  assert.equal(ours.keyUsage ? ours.keyUsage.values.map((v) => KU_OPENSSL[v]).join(', ') : null, o.ku);
  assert.equal(ours.extendedKeyUsage ? ours.extendedKeyUsage.values.map((v) => EKU_OPENSSL[v] ?? v).join(', ') : null, o.eku);
  if (o.bc) assert.equal(ours.basicConstraints?.ca, /CA:TRUE/.test(o.bc));
  const sanOurs = [...ours.san.dns.map((d) => `DNS:${d}`), ...ours.san.ip.map((i) => `IP:${i}`)];
  const sanO = o.san ? o.san.split(', ').map((s) => s.replace('IP Address:', 'IP:')) : [];
  assert.deepEqual(sanOurs.map((s) => s.toLowerCase().replace(/fd00::5/, 'fd00:0:0:0:0:0:0:5')), sanO.map((s) => s.toLowerCase()));
}

describe('certs: reading what openssl made', () => {
  it('shows every field the way openssl reads it (root, intermediate, RSA leaf, EC leaf)', () => {
    for (const f of ['root.pem', 'int.pem', 'leaf.pem', 'ec.pem']) assertMatchesOpenssl(f);
    const leaf = decodeInput({ pem: pki.read('leaf.pem') }).certs[0]!.info;
    assert.deepEqual(leaf.san, { dns: ['iris.lab.example', '*.svc.lab.example'], ip: ['10.0.0.5', 'fd00::5'], email: [], uri: [] });
    assert.equal(leaf.selfSigned, false);
    assert.equal(decodeInput({ pem: pki.read('root.pem') }).certs[0]!.info.selfSigned, true);
    const ec = decodeInput({ pem: pki.read('ec.pem') }).certs[0]!.info;
    assert.deepEqual(ec.publicKey, { algorithm: 'EC', size: 256, curve: 'prime256v1' });
    assert.equal(ec.subject.parts.find((p) => p.type === 'CN')?.value, 'ec.lab.example');
  });

  it('reads a PEM bundle with comment lines between the blocks, and DER', () => {
    const bundle = `# Intermediate\n${pki.read('int.pem')}\nsome text in between\n# Maybe the root\n${pki.read('root.pem')}`;
    const d = decodeInput({ pem: bundle });
    assert.deepEqual(d.certs.map((c) => c.info.subject.parts.at(-1)?.value), ['Lab Intermediate CA', 'Lab Root CA']);
    const der = decodeInput({ der: pki.readBuf('leaf.der') });
    assert.equal(der.certs[0]!.info.fingerprints.sha256, opensslFields(pki.path('leaf.pem')).sha256);
  });

  it('reads PKCS#12 (RSA with chain, and EC) with the password; a wrong one is a clear error', () => {
    const rsa = decodeInput({ pkcs12: pki.readBuf('leaf.p12'), password: 'p12-secret' });
    assert.equal(rsa.certs.length, 2);
    // The certificates come out byte for byte (same fingerprints as openssl reads from the originals).
    assert.deepEqual(rsa.certs.map((c) => c.info.fingerprints.sha256).sort(), [opensslFields(pki.path('leaf.pem')).sha256, opensslFields(pki.path('int.pem')).sha256].sort());
    assert.equal(rsa.keys.length, 1);
    assert.ok(rsa.certs.some((c) => keyMatchesCert(rsa.keys[0]!, c)));
    const ec = decodeInput({ pkcs12: pki.readBuf('ec.p12'), password: 'p12-secret' });
    assert.equal(ec.keys[0]!.asymmetricKeyType, 'ec');
    assert.ok(keyMatchesCert(ec.keys[0]!, ec.certs[0]!));
    expectCertError(() => decodeInput({ pkcs12: pki.readBuf('leaf.p12'), password: 'nope' }), 'wrong-password');
    expectCertError(() => decodeInput({ pkcs12: pki.readBuf('leaf.p12') }), 'wrong-password');
  });

  it('reads RSA and EC keys, and encrypted keys (PKCS#8 and traditional) with their passphrase', () => {
    const leaf = decodeInput({ pem: pki.read('leaf.pem') }).certs[0]!;
    for (const f of ['leaf-enc.key', 'leaf-legacy-enc.key']) {
      const d = decodeInput({ pem: pki.read(f), keyPassphrase: 'key-secret' });
      assert.ok(keyMatchesCert(d.keys[0]!, leaf), f);
      expectCertError(() => decodeInput({ pem: pki.read(f) }), 'key-passphrase-required');
      expectCertError(() => decodeInput({ pem: pki.read(f), keyPassphrase: 'wrong' }), /wrong-key-passphrase|bad-key/);
    }
    const ec = decodeInput({ pem: pki.read('ec.key') + pki.read('ec.pem') });
    assert.ok(keyMatchesCert(ec.keys[0]!, ec.certs[0]!));
    assert.equal(keyMatchesCert(decodeInput({ pem: pki.read('other.key') }).keys[0]!, leaf), false);
  });

  it('refuses bad input with a clear error: truncated PEM, random bytes, a PEM with broken base64, nothing', () => {
    const pem = pki.read('leaf.pem');
    expectCertError(() => decodeInput({ pem: pem.slice(0, pem.length / 2) }), 'bad-pem');
    expectCertError(() => decodeInput({ pem: pem.replace(/\n[A-Za-z0-9+/]{20}/, '\n!!!!') }), 'bad-pem');
    expectCertError(() => decodeInput({ pem: 'hello world' }), 'bad-pem');
    expectCertError(() => decodeInput({ der: randomBytes(600) }), /bad-der|bad-certificate/);
    expectCertError(() => decodeInput({ der: pki.readBuf('leaf.der').subarray(0, 300) }), /bad-der|bad-certificate/);
    expectCertError(() => decodeInput({ pkcs12: randomBytes(600), password: 'x' }), /bad-der|bad-pkcs12/);
    expectCertError(() => decodeInput({ der: Buffer.alloc(0) }), 'empty');
    expectCertError(() => decodeInput({}), 'invalid-request');
    expectCertError(() => decodeInput({ pem: '-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n' }), 'unsupported-pem');
  });
});

/** The key types the manager makes, and how openssl prints them. */
const KEY_KINDS = [
  { name: 'rsa-2048', spec: { type: 'rsa', bits: 2048 }, type: 'rsa', text: [/Public-Key: \(2048 bit\)/], sig: 'sha256WithRSAEncryption', ku: 'Digital Signature, Key Encipherment' },
  { name: 'ec-p256', spec: { type: 'ec', curve: 'P-256' }, type: 'ec', text: [/Public-Key: \(256 bit\)/, /ASN1 OID: prime256v1/], sig: 'ecdsa-with-SHA256', ku: 'Digital Signature' },
  { name: 'ec-p384', spec: { type: 'ec', curve: 'P-384' }, type: 'ec', text: [/Public-Key: \(384 bit\)/, /ASN1 OID: secp384r1/], sig: 'ecdsa-with-SHA384', ku: 'Digital Signature' },
] satisfies { name: string; spec: KeySpec; type: string; text: RegExp[]; sig: string; ku: string }[];

const pemOf = (der: Buffer) => decodeInput({ der }).certs[0]!.x509.toString();
const keyUsageLine = (text: string) => /X509v3 Key Usage: critical\n\s+(.*)\n/.exec(text)?.[1];

describe('certs: generating what openssl accepts', () => {
  it('makes an RSA or EC key and a CSR with subject, SANs and both EKUs by default (openssl req -verify)', async () => {
    for (const k of KEY_KINDS) {
      const subject = { commonName: 'edge.lab.example', organization: 'Lab Org', country: 'US' };
      const { key, csrPem } = await generateCsr({ subject, altNames: ['edge.lab.example', '192.168.1.20', 'fd00::20'], key: k.spec });
      assert.ok(csrVerifies(csrPem), k.name);
      const path = pki.write(`gen-${k.name}.csr`, csrPem);
      const text = ossl(['req', '-in', path, '-noout', '-text']);
      assert.match(text, /Subject: C ?= ?US, O ?= ?Lab Org, CN ?= ?edge\.lab\.example/);
      assert.match(text, /TLS Web Server Authentication, TLS Web Client Authentication/);
      assert.match(text, /DNS:edge\.lab\.example, IP Address:192\.168\.1\.20, IP Address:FD00:0:0:0:0:0:0:20/);
      for (const re of k.text) assert.match(text, re, k.name);
      assert.ok(text.includes(`Signature Algorithm: ${k.sig}`), k.name);
      assert.equal(keyUsageLine(text), k.ku);
      assert.equal(key.asymmetricKeyType, k.type);
      assert.deepEqual(readCsr(csrPem), { publicKeyPem: createPublicKey(key).export({ type: 'spki', format: 'pem' }), subject, altNames: ['edge.lab.example', '192.168.1.20', 'fd00::20'], usage: 'both' });
    }
  });

  it('reads CSRs openssl made (RSA and EC) and refuses one whose signature does not verify', () => {
    assert.deepEqual(readCsr(pki.read('leaf.csr')).subject, { country: 'US', state: 'Massachusetts', locality: 'Cambridge', organization: 'Lab Org', organizationalUnit: 'Integration', commonName: 'iris.lab.example' });
    const ec = readCsr(pki.read('ec.csr'));
    assert.deepEqual([ec.subject, ec.altNames, ec.usage], [{ organization: 'Lab Org', commonName: 'ec.lab.example' }, [], 'both']);
    assert.equal(ec.publicKeyPem, ossl(['req', '-in', pki.path('ec.csr'), '-noout', '-pubkey']));
    // The same signature over another name: what a tampered request looks like.
    const der = Buffer.from(pki.read('ec.csr').replace(/-----[A-Z ]+-----/g, ''), 'base64');
    const forged = Buffer.from(der.toString('binary').replace('ec.lab.example', 'ex.lab.example'), 'binary');
    assert.equal(csrVerifies(forged), false);
    assert.equal(csrVerifies(der), true);
    expectCertError(() => readCsr(`-----BEGIN CERTIFICATE REQUEST-----\n${forged.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`), 'bad-csr');
    expectCertError(() => readCsr(pki.read('leaf.pem')), 'bad-csr');
  });

  it('creates a lab CA and issues server and client certificates that openssl verifies', async () => {
    const ca = await createLabCa({ commonName: 'IRIS Edge Lab CA', key: { type: 'rsa', bits: 2048 } });
    const caPath = pki.write('lab-ca.pem', pemOf(ca.certDer));
    assert.match(ossl(['x509', '-in', caPath, '-noout', '-text']), /CA:TRUE/);
    for (const usage of ['server', 'client', 'both'] as const) {
      const issued = await issueFromCa(ca, { subject: { commonName: `${usage}.lab.example` }, altNames: [`${usage}.lab.example`, '10.1.1.1'], usage });
      const path = pki.write(`lab-${usage}.pem`, pemOf(issued.certDer));
      assert.match(ossl(['verify', '-CAfile', caPath, path]), /: OK/);
      const purpose = ossl(['x509', '-in', path, '-noout', '-purpose']);
      assert.match(purpose, usage === 'client' ? /SSL server : No/ : /SSL server : Yes/);
      assert.match(purpose, usage === 'server' ? /SSL client : No/ : /SSL client : Yes/);
      assertMatchesOpenssl(`lab-${usage}.pem`);
    }
  });

  it('makes RSA and EC lab CAs that issue RSA and EC certificates openssl verifies for both purposes', async () => {
    for (const caKind of KEY_KINDS) {
      const ca = await createLabCa({ commonName: `Lab CA ${caKind.name}`, key: caKind.spec });
      const caPath = pki.write(`lab-ca-${caKind.name}.pem`, pemOf(ca.certDer));
      const caText = ossl(['x509', '-in', caPath, '-noout', '-text']);
      assert.match(caText, /CA:TRUE, pathlen:0/);
      assert.equal(keyUsageLine(caText), 'Certificate Sign, CRL Sign');
      assert.ok(caText.includes(`Signature Algorithm: ${caKind.sig}`), caKind.name);
      for (const re of caKind.text) assert.match(caText, re, caKind.name);
      for (const leafKind of KEY_KINDS) {
        const issued = await issueFromCa(ca, { subject: { commonName: 'srv.lab.example' }, altNames: ['srv.lab.example', '10.1.1.1'], usage: 'both', key: leafKind.spec });
        assert.equal(issued.key?.asymmetricKeyType, leafKind.type);
        const file = `lab-${caKind.name}-${leafKind.name}.pem`;
        const path = pki.write(file, pemOf(issued.certDer));
        for (const purpose of ['sslserver', 'sslclient']) assert.match(ossl(['verify', '-CAfile', caPath, '-purpose', purpose, path]), /: OK/, `${file} ${purpose}`);
        const text = ossl(['x509', '-in', path, '-noout', '-text']);
        assert.ok(text.includes(`Signature Algorithm: ${caKind.sig}`), file);
        for (const re of leafKind.text) assert.match(text, re, file);
        assert.equal(keyUsageLine(text), leafKind.ku, file);
        assertMatchesOpenssl(file);
      }
    }
  });

  it("signs an EC CSR with the lab CA: the certificate carries the request's key, subject and names", async () => {
    const ca = await createLabCa({ commonName: 'CSR Lab CA', key: { type: 'ec', curve: 'P-256' } });
    const { key, csrPem } = await generateCsr({ subject: { commonName: 'csr.lab.example' }, altNames: ['csr.lab.example', 'fd00::7'], usage: 'client', key: { type: 'ec', curve: 'P-384' } });
    const csr = readCsr(csrPem);
    const issued = await issueFromCa(ca, { ...csr, days: 30 });
    assert.equal(issued.key, undefined);
    const cert = decodeInput({ der: issued.certDer }).certs[0]!;
    assert.ok(keyMatchesCert(key, cert));
    assert.deepEqual([cert.info.subject.text, cert.info.san.ip, cert.info.extendedKeyUsage?.values], ['CN=csr.lab.example', ['fd00::7'], ['clientAuth']]);
    assert.match(ossl(['verify', '-CAfile', pki.write('csr-ca.pem', pemOf(ca.certDer)), pki.write('csr-leaf.pem', cert.x509.toString())]), /: OK/);
    await assert.rejects(issueFromCa(ca, { ...csr, key: { type: 'rsa', bits: 2048 } }), (e: CertError) => e.code === 'invalid-request');
  });

  it("exports PKCS#12 of RSA and EC keys that openssl and Node's TLS read with the password, and a CA bundle", () => {
    for (const [type, files] of [['rsa', ['leaf.pem', 'int.pem', 'leaf.key']], ['ec', ['ec.pem', 'int.pem', 'ec.key']]] as const) {
      const d = decodeInput({ pem: files.map((f) => pki.read(f)).join('') });
      const p12 = toPkcs12(d.certs, d.keys[0]!, 'export-pw', `Büro ${type}`);
      const read = opensslPkcs12(p12, 'export-pw');
      assert.match(read.printed, /MAC: sha256, Iteration 2048/);
      assert.match(read.printed, /Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC/);
      // The key and its certificate carry the same localKeyId and the friendly name.
      assert.equal(read.printed.match(/localKeyID: ([0-9A-F ]+)/g)?.length, 2);
      assert.equal(new Set(read.printed.match(/localKeyID: ([0-9A-F ]+)/g)).size, 1);
      // OpenSSL prints a BMPString name byte by byte; forge reads it as the UTF-16 it is.
      const named = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(p12.toString('binary')), 'export-pw').getBags({ friendlyName: `Büro ${type}` }).friendlyName;
      assert.deepEqual(named?.map((b) => b.type).sort(), [forge.pki.oids.certBag, forge.pki.oids.pkcs8ShroudedKeyBag].sort());
      assert.deepEqual(read.certs.map((c) => c.info.fingerprints.sha256).sort(), d.certs.map((c) => c.info.fingerprints.sha256).sort());
      assert.equal(read.keys[0]!.asymmetricKeyType, type);
      assert.ok(keyMatchesCert(read.keys[0]!, d.certs[0]!));
      assert.throws(() => opensslPkcs12(p12, 'wrong'), /invalid password|mac verify/i);
      tls.createSecureContext({ pfx: p12, passphrase: 'export-pw' });
      assert.throws(() => tls.createSecureContext({ pfx: p12, passphrase: 'wrong' }), /mac verify failure/);
      const back = decodeInput({ pkcs12: p12, password: 'export-pw' });
      assert.ok(keyMatchesCert(back.keys[0]!, back.certs.find((c) => !c.info.isCa)!));
      expectCertError(() => decodeInput({ pkcs12: p12, password: 'wrong' }), 'wrong-password');
    }
    const certsOnly = opensslPkcs12(toPkcs12(decodeInput({ pem: pki.read('ec.pem') + pki.read('int.pem') }).certs, null, 'export-pw', 'chain'), 'export-pw');
    assert.deepEqual([certsOnly.certs.length, certsOnly.keys.length], [2, 0]);
    expectCertError(() => toPkcs12(certsOnly.certs, null, 'abc', 'x'), 'weak-password');
    assert.match(caBundle(decodeInput({ pem: pki.read('leaf.pem') + pki.read('int.pem') }).certs), /# C=US, O=Lab Org, OU=PKI, CN=Lab Intermediate CA\n-----BEGIN CERTIFICATE-----/);
  });
});

describe('certs: verify', () => {
  it('builds leaf → intermediate → root and shows where a chain breaks', () => {
    const [leaf] = decodeInput({ pem: pki.read('leaf.pem') }).certs;
    const int = decodeInput({ pem: pki.read('int.pem') }).certs;
    const root = decodeInput({ pem: pki.read('root.pem') }).certs;
    const ok = buildChain(leaf!, [...int, ...root]);
    assert.equal(ok.trusted, true);
    assert.deepEqual(ok.steps.map((s) => s.subject.split('CN=')[1]), ['iris.lab.example', 'Lab Intermediate CA', 'Lab Root CA']);
    assert.match(ossl(['verify', '-CAfile', pki.path('root.pem'), '-untrusted', pki.path('int.pem'), pki.path('leaf.pem')]), /OK/);
    const broken = buildChain(leaf!, root);
    assert.equal(broken.trusted, false);
    assert.match(broken.breaksAt ?? '', /Lab Intermediate CA.*not in the CA bundle/);
    const wrong = buildChain(leaf!, decodeInput({ pem: pki.read('other.pem') }).certs);
    assert.equal(wrong.complete, false);
  });

  it('checks a host or IP against SANs, then the CN', () => {
    const info = decodeInput({ pem: pki.read('leaf.pem') }).certs[0]!.info;
    assert.equal(checkHost(info, 'iris.lab.example').matchedBy, 'san-dns');
    assert.equal(checkHost(info, 'a.svc.lab.example').matches, true);
    assert.equal(checkHost(info, 'a.b.svc.lab.example').matches, false);
    assert.equal(checkHost(info, '10.0.0.5').matchedBy, 'san-ip');
    assert.equal(checkHost(info, 'fd00:0::5').matches, true);
    assert.equal(checkHost(info, '10.0.0.6').matches, false);
    assert.equal(checkHost(info, 'other.example').matches, false);
    const cnOnly = decodeInput({ pem: pki.read('other.pem') }).certs[0]!.info;
    assert.equal(checkHost(cnOnly, 'other').matchedBy, 'cn');
    // Node's own check agrees where both apply.
    const x = decodeInput({ pem: pki.read('leaf.pem') }).certs[0]!.x509;
    assert.equal(x.checkHost('iris.lab.example'), 'iris.lab.example');
    assert.equal(x.checkIP('10.0.0.5'), '10.0.0.5');
  });

  it('lints: mTLS EKUs (serverAuth-only warning), weak key, SHA-1, missing SAN, expiry', () => {
    const ec = decodeInput({ pem: pki.read('ec.pem') }).certs[0]!.info;
    const l = lintCert(ec);
    assert.ok(l.some((x) => x.code === 'mtls-eku' && x.message === SERVER_AUTH_ONLY_WARNING));
    assert.equal(lintCert(decodeInput({ pem: pki.read('leaf.pem') }).certs[0]!.info).filter((x) => x.level !== 'info').length, 0);
    const old = decodeInput({ pem: expiredCertPem() }).certs[0]!.info;
    const codes = lintCert(old, { leaf: true }).map((x) => x.code);
    for (const c of ['expired', 'weak-key', 'missing-san']) assert.ok(codes.includes(c), c);
    assert.equal(statusOf(old, true), 'expired');
    assert.equal(statusOf(ec, true, new Date(Date.parse(ec.notAfter) - 10 * 86_400_000)), 'expiring');
    assert.equal(statusOf(ec, true, new Date(Date.parse(ec.notBefore) - 1000)), 'not-yet-valid');
    assert.equal(statusOf(ec, false), 'untrusted-chain');
    // SHA-1 on a certificate that is not self-signed.
    pki.write('sha1.ext', 'subjectAltName=DNS:sha1.lab.example\n');
    ossl(['x509', '-req', '-in', pki.path('leaf.csr'), '-CA', pki.path('int.pem'), '-CAkey', pki.path('int.key'), '-CAcreateserial', '-out', pki.path('sha1.pem'), '-days', '30', '-sha1', '-extfile', pki.path('sha1.ext')]);
    const sha1 = decodeInput({ pem: pki.read('sha1.pem') }).certs[0]!.info;
    assert.equal(sha1.signatureAlgorithm, 'sha1WithRSAEncryption');
    assert.ok(lintCert(sha1).some((x) => x.code === 'weak-signature'));
  });
});

describe('certs: store', () => {
  it('keeps the directory 0700 and keys 0600, encrypted with a passphrase when asked, never in meta', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'certs-store-')), 'certs');
    const store = new CertStore(dir);
    const d = decodeInput({ pem: pki.read('leaf.pem') + pki.read('leaf.key') });
    const e = await store.add({ name: 'leaf', kind: 'certificate', certs: d.certs, key: d.keys[0], keyPassphrase: 'store-secret' });
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(join(dir, e.meta.id, 'key.pem')).mode & 0o777, 0o600);
    const keyFile = await store.readKeyFile(e.meta.id);
    assert.match(keyFile, /BEGIN ENCRYPTED PRIVATE KEY/);
    // openssl opens the stored key with the passphrase, and it is the certificate's key.
    const storedPub = ossl(['pkey', '-in', join(dir, e.meta.id, 'key.pem'), '-passin', 'pass:store-secret', '-pubout']);
    assert.equal(storedPub, ossl(['x509', '-in', pki.path('leaf.pem'), '-noout', '-pubkey']));
    assert.throws(() => ossl(['pkey', '-in', join(dir, e.meta.id, 'key.pem'), '-passin', 'pass:wrong', '-pubout']));
    await assert.rejects(store.readKey(e.meta.id), (err: CertError) => err.code === 'key-passphrase-required');
    assert.ok(keyMatchesCert(await store.readKey(e.meta.id, 'store-secret'), d.certs[0]!));
    const meta = JSON.stringify((await store.get(e.meta.id)).meta);
    assert.doesNotMatch(meta, /PRIVATE|store-secret/);
    await assert.rejects(store.get('../etc'), (err: CertError) => err.status === 404);
    await store.delete(e.meta.id);
    assert.equal((await store.list()).length, 0);
  });

  it('a key asked for after its entry was deleted meanwhile is not found (404), not an I/O error', async () => {
    const store = new CertStore(join(mkdtempSync(join(tmpdir(), 'certs-store-')), 'certs'));
    const d = decodeInput({ pem: pki.read('leaf.pem') + pki.read('leaf.key') });
    const e = await store.add({ name: 'leaf', kind: 'certificate', certs: d.certs, key: d.keys[0] });
    const entry = await store.get(e.meta.id);
    await store.delete(e.meta.id);
    await assert.rejects(store.readKeyFile(e.meta.id, entry), (err: CertError) => err.code === 'not-found' && err.status === 404);
    await assert.rejects(store.readKey(e.meta.id, undefined, entry), (err: CertError) => err.code === 'not-found' && err.status === 404);
  });

  it("reads Home Assistant's /ssl certificates and never a key file", async () => {
    const ssl = mkdtempSync(join(tmpdir(), 'ha-ssl-'));
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(ssl, 'fullchain.pem'), pki.read('leaf.pem') + pki.read('int.pem'));
    writeFileSync(join(ssl, 'privkey.pem'), pki.read('leaf.key'));
    writeFileSync(join(ssl, 'broken.pem'), '-----BEGIN CERTIFICATE-----\nAAA');
    const files = await readSslDir(ssl);
    assert.deepEqual(files.map((f) => f.file), ['broken.pem', 'fullchain.pem']);
    assert.equal(files[1]!.certs.length, 2);
    assert.ok(files[0]!.error);
    assert.deepEqual(await readSslDir(join(ssl, 'missing')), []);
  });
});

describe('certs: ASN.1 strings', () => {
  it('reads a BMPString name (UTF-16, as some Windows CAs write it) as the text it is', () => {
    const bmp = forge.asn1.fromDer(String.fromCharCode(0x1e, 12, 0, 0x5a, 0, 0xfc, 0, 0x72, 0, 0x69, 0, 0x63, 0, 0x68));
    assert.equal(text(bmp as Parameters<typeof text>[0]), 'Zürich');
  });
});
