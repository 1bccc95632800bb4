/**
 * The certificate API over real sockets, through the ingress-style proxy (test/browser/harness.ts).
 * Every bad input is a 4xx with a message and leaves the store as it was; keys never come back
 * except through an explicit export.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Harness } from '../browser/harness.ts';
import { csrVerifies, expiredCertPem, makePki, opensslPkcs12, ossl, type Pki } from '../unit/certs-helpers.ts';
import { fetchBody, JSON_POST } from '../support/http.ts';

let h: Harness;
let pki: Pki;
let storeDir: string;
let base: string;

const req = (path: string, init: RequestInit = {}) => fetchBody(base + path, init);
const post = (path: string, body: unknown) => req(path, { method: 'POST', headers: JSON_POST, body: JSON.stringify(body) });
const entries = () => readdirSync(storeDir).filter((n) => !n.startsWith('.'));
const noKeys = (x: unknown) => assert.doesNotMatch(JSON.stringify(x), /PRIVATE KEY|key-secret|store-secret/);

describe('certificates API', () => {
  before(async () => {
    pki = makePki();
    const root = mkdtempSync(join(tmpdir(), 'certs-api-'));
    storeDir = join(root, 'certs');
    const ssl = join(root, 'ssl');
    (await import('node:fs')).mkdirSync(ssl);
    writeFileSync(join(ssl, 'fullchain.pem'), pki.read('leaf.pem') + pki.read('int.pem'));
    writeFileSync(join(ssl, 'privkey.pem'), pki.read('leaf.key'));
    h = await startHarness({ mode: 'addon', proxy: true, certStoreDir: storeDir, haSslDir: ssl });
    base = h.ingress!;
  });
  after(async () => {
    await h?.close();
  });

  it('lists Home Assistant /ssl read-only with its status, and never reads its key', async () => {
    const r = await req('api/certificates');
    assert.equal(r.status, 200);
    assert.equal(r.body.storeAvailable, true);
    const ssl = r.body.certificates.filter((c: any) => c.source === 'ha-ssl');
    assert.deepEqual(ssl.map((c: any) => c.name), ['fullchain.pem']);
    // The root is not held anywhere: the chain stops at the intermediate.
    assert.equal(ssl[0].status, 'untrusted-chain');
    const d = await req(`api/certificates/${ssl[0].id}`);
    assert.equal(d.body.readOnly, true);
    assert.equal(d.body.certs.length, 2);
    assert.equal((await req(`api/certificates/${ssl[0].id}`, { method: 'DELETE', headers: { 'x-iris-edge': '1' } })).status, 409);
  });

  it('imports a PEM bundle with comments and its encrypted key; the key is stored 0600, encrypted, and never returned', async () => {
    const pem = `# leaf\n${pki.read('leaf.pem')}\n# intermediate\n${pki.read('int.pem')}\n# root\n${pki.read('root.pem')}\n${pki.read('leaf-enc.key')}`;
    const r = await post('api/certificates', { name: 'IRIS server', pem, keyPassphrase: 'key-secret' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    noKeys(r.body);
    assert.equal(r.body.hasKey, true);
    assert.equal(r.body.keyEncrypted, true);
    assert.equal(r.body.status, 'valid');
    assert.equal(r.body.chain.trusted, true);
    assert.deepEqual(r.body.certs.map((c: any) => c.subject.parts.at(-1).value), ['iris.lab.example', 'Lab Intermediate CA', 'Lab Root CA']);
    const { statSync } = await import('node:fs');
    assert.equal(statSync(storeDir).mode & 0o777, 0o700);
    assert.equal(statSync(join(storeDir, r.body.id, 'key.pem')).mode & 0o777, 0o600);
    const list = await req('api/certificates');
    noKeys(list.body);
    const got = await req(`api/certificates/${r.body.id}`);
    noKeys(got.body);
    assert.equal(got.body.certs[0].fingerprints.sha256, ossl(['x509', '-in', pki.path('leaf.pem'), '-noout', '-fingerprint', '-sha256']).trim().split('=')[1]);
    // The HA /ssl chain is now trusted: the store holds its root.
    const ssl = (await req('api/certificates')).body.certificates.find((c: any) => c.source === 'ha-ssl');
    assert.equal(ssl.status, 'valid');
    assert.ok(h.logs.lines({ minLevel: 'debug', limit: 500 }).every((l) => !/PRIVATE KEY|key-secret/.test(l.msg)));
  });

  it('imports DER and PKCS#12 (RSA and EC) with the password', async () => {
    const der = await post('api/certificates', { name: 'der', derBase64: pki.readBuf('leaf.der').toString('base64') });
    assert.equal(der.status, 201);
    const p12 = await post('api/certificates', { name: 'p12', pkcs12Base64: pki.readBuf('leaf.p12').toString('base64'), password: 'p12-secret' });
    assert.equal(p12.status, 201);
    assert.equal(p12.body.hasKey, true);
    assert.equal(p12.body.keyEncrypted, false);
    const ec = await post('api/certificates', { name: 'ec', pkcs12Base64: pki.readBuf('ec.p12').toString('base64'), password: 'p12-secret', storePassphrase: 'store-secret' });
    assert.equal(ec.status, 201);
    assert.equal(ec.body.keyEncrypted, true);
    assert.equal(ec.body.leaf.publicKey.algorithm, 'EC');
    assert.deepEqual(ec.body.warnings, [ec.body.warnings[0]]);
    assert.match(ec.body.warnings[0], /serverAuth but not clientAuth/);
  });

  it('refuses bad input with a clear 4xx and stores nothing', async () => {
    const before = entries().length;
    const leaf = pki.read('leaf.pem');
    const cases: [unknown, number, RegExp][] = [
      [{ name: 'x', pem: leaf.slice(0, 500) }, 400, /truncated/],
      [{ name: 'x', derBase64: Buffer.from(Array.from({ length: 700 }, (_, i) => (i * 7919) % 256)).toString('base64') }, 400, /DER|certificate/],
      [{ name: 'x', pkcs12Base64: pki.readBuf('leaf.p12').toString('base64'), password: 'wrong' }, 400, /password is wrong/],
      [{ name: 'x', pem: leaf + pki.read('other.key') }, 400, /does not match/],
      [{ name: 'x', pem: pki.read('leaf-enc.key') + leaf }, 400, /encrypted: give its passphrase/],
      [{ name: 'x', pem: pki.read('leaf-enc.key') + leaf, keyPassphrase: 'nope' }, 400, /passphrase is wrong|could not be read/],
      [{ name: 'x', pem: pki.read('leaf.key') }, 400, /no certificate/],
      [{ name: 'x', pem: 'just text' }, 400, /No PEM block/],
      [{ name: 'x' }, 400, /exactly one/],
      [{ name: 'x', pem: leaf, derBase64: 'AAAA' }, 400, /exactly one/],
      [{ name: '', pem: leaf }, 400, /name/],
      [{ name: 'x', pem: leaf, extra: 1 }, 400, /unknown field/],
      [{ name: 'x', derBase64: 'abc' }, 400, /base64/],
    ];
    for (const [body, status, msg] of cases) {
      const r = await post('api/certificates', body);
      assert.equal(r.status, status, `${JSON.stringify(body).slice(0, 80)} → ${r.status} ${JSON.stringify(r.body)}`);
      assert.match(r.body.message, msg);
    }
    assert.equal((await req('api/certificates', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x', pem: leaf }) })).status, 403);
    assert.equal(entries().length, before);
  });

  it('answers a 20 MB upload with 413 and stores nothing', async () => {
    const before = entries().length;
    const big = JSON.stringify({ name: 'big', derBase64: 'A'.repeat(20 * 1024 * 1024) });
    // Straight to the panel (standalone, no proxy): the test proxy itself gives up when the panel
    // answers 413 before the 20 MB are sent.
    const direct = await startHarness({ mode: 'standalone', certStoreDir: storeDir });
    try {
      const r = await fetch(direct.direct + 'api/certificates', { method: 'POST', headers: JSON_POST, body: big });
      assert.equal(r.status, 413);
      assert.match(((await r.json()) as { message: string }).message, /too large/);
    } finally {
      await direct.close();
    }
    // Just over the file limit but under the body limit: the decoded size is checked too.
    const r2 = await post('api/certificates', { name: 'big', derBase64: Buffer.alloc(1024 * 1024 + 10).toString('base64') });
    assert.equal(r2.status, 413);
    assert.equal(entries().length, before);
  });

  it('flags an expired certificate', async () => {
    const r = await post('api/certificates', { name: 'old', pem: expiredCertPem() });
    assert.equal(r.status, 201);
    assert.equal(r.body.status, 'expired');
    assert.ok(r.body.lint.some((l: any) => l.code === 'expired'));
    const inspect = await post('api/certificates/inspect', { pem: expiredCertPem() });
    assert.equal(inspect.body.certificates[0].status, 'expired');
  });

  it('inspects without storing', async () => {
    const before = entries().length;
    const r = await post('api/certificates/inspect', { pem: pki.read('ec.pem') + pki.read('ec.key') });
    assert.equal(r.status, 200);
    assert.equal(r.body.certificates[0].publicKey.curve, 'prime256v1');
    assert.deepEqual(r.body.keys, [{ type: 'EC', size: null, curve: 'prime256v1', matches: [0] }]);
    noKeys(r.body);
    assert.equal(entries().length, before);
  });

  it('generates a key and CSR, takes back the CA-signed certificate matched to its key, and warns on serverAuth only', async () => {
    const r = await post('api/certificates/csr', { name: 'edge', subject: { commonName: 'edge.lab.example', organization: 'Lab Org' }, altNames: ['edge.lab.example', '10.0.0.9'], storePassphrase: 'store-secret' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    noKeys({ ...r.body, csrPem: '' });
    assert.ok(csrVerifies(r.body.csrPem));
    const csrPath = pki.write('edge.csr', r.body.csrPem);
    assert.match(ossl(['req', '-in', csrPath, '-noout', '-text']), /TLS Web Server Authentication, TLS Web Client Authentication/);
    const pending = (await req(`api/certificates/${r.body.id}`)).body;
    assert.equal(pending.status, 'awaiting-certificate');
    // The CA signs with serverAuth only, as most do.
    pki.write('edge.ext', 'extendedKeyUsage=serverAuth\nsubjectAltName=DNS:edge.lab.example,IP:10.0.0.9\n');
    ossl(['x509', '-req', '-in', csrPath, '-CA', pki.path('int.pem'), '-CAkey', pki.path('int.key'), '-CAcreateserial', '-out', pki.path('edge.pem'), '-days', '90', '-extfile', pki.path('edge.ext')]);
    // A certificate for a different key is refused.
    const wrong = await post(`api/certificates/${r.body.id}/certificate`, { pem: pki.read('leaf.pem') });
    assert.equal(wrong.status, 400);
    assert.match(wrong.body.message, /does not match|None of these/);
    const back = await post('api/certificates', { name: 'ignored', pem: pki.read('edge.pem') + pki.read('int.pem') });
    assert.equal(back.status, 201);
    assert.equal(back.body.id, r.body.id);
    assert.equal(back.body.matchedToKey, true);
    assert.match(back.body.warnings[0], /most CAs sign with serverAuth only/);
    assert.equal(back.body.kind, 'certificate');
  });

  it('verifies: chain against a chosen bundle (and where it breaks), host, key match, lint', async () => {
    const ok = await post('api/certificates/verify', { certificate: { pem: pki.read('leaf.pem') }, caBundle: { pem: `# CA bundle\n${pki.read('int.pem')}\n${pki.read('root.pem')}` }, host: '10.0.0.5', key: { pem: pki.read('leaf.key') } });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.chain.trusted, true);
    assert.equal(ok.body.chain.steps.length, 3);
    assert.deepEqual([ok.body.host.matches, ok.body.host.matchedBy], [true, 'san-ip']);
    assert.equal(ok.body.keyMatch, true);
    const broken = await post('api/certificates/verify', { certificate: { pem: pki.read('leaf.pem') }, caBundle: { pem: pki.read('root.pem') }, host: 'wrong.example', key: { pem: pki.read('other.key') } });
    assert.equal(broken.body.chain.trusted, false);
    assert.match(broken.body.chain.breaksAt, /Lab Intermediate CA/);
    assert.equal(broken.body.host.matches, false);
    assert.equal(broken.body.keyMatch, false);
    const ec = await post('api/certificates/verify', { certificate: { pem: pki.read('ec.pem') }, purpose: 'mtls' });
    assert.ok(ec.body.lint.some((l: any) => l.code === 'mtls-eku'));
    const leafInBundle = await post('api/certificates/verify', { certificate: { pem: pki.read('leaf.pem') }, caBundle: { pem: pki.read('ec.pem') } });
    assert.ok(leafInBundle.body.lint.some((l: any) => l.code === 'leaf-in-bundle'));
    assert.equal((await post('api/certificates/verify', { certificate: {} })).status, 400);
  });

  it('exports PEM, DER, a CA bundle and PKCS#12 (password in the body) that openssl reads', async () => {
    const list = (await req('api/certificates')).body.certificates;
    const srv = list.find((c: any) => c.name === 'IRIS server');
    const pem = await req(`api/certificates/${srv.id}/export?format=pem`);
    assert.equal(pem.status, 200);
    assert.match(pem.headers.get('content-disposition') ?? '', /attachment/);
    assert.equal((pem.raw.toString().match(/BEGIN CERTIFICATE/g) ?? []).length, 3);
    assert.doesNotMatch(pem.raw.toString(), /PRIVATE/);
    const der = await req(`api/certificates/${srv.id}/export?format=der`);
    assert.match(ossl(['x509', '-inform', 'DER', '-noout', '-subject'], der.raw), /iris\.lab\.example/);
    const bundle = await req(`api/certificates/${srv.id}/export?format=bundle`);
    const bpath = pki.write('bundle.pem', bundle.raw);
    assert.match(ossl(['verify', '-CAfile', bpath, pki.path('leaf.pem')]), /OK/);
    assert.equal((await req(`api/certificates/${srv.id}/export?format=p12`)).status, 400);
    const needPass = await post(`api/certificates/${srv.id}/export`, { format: 'p12', password: 'out-pw' });
    assert.equal(needPass.status, 400);
    assert.match(needPass.body.message, /encrypted/);
    const p12 = await post(`api/certificates/${srv.id}/export`, { format: 'p12', password: 'out-pw', keyPassphrase: 'key-secret' });
    assert.equal(p12.status, 200);
    const p12path = pki.write('export.p12', p12.raw);
    assert.match(ossl(['pkcs12', '-in', p12path, '-info', '-nokeys', '-passin', 'pass:out-pw']), /iris\.lab\.example/);
    const keyOut = ossl(['pkcs12', '-in', p12path, '-nocerts', '-nodes', '-passin', 'pass:out-pw']);
    assert.match(keyOut, /BEGIN PRIVATE KEY/);
    const key = await post(`api/certificates/${srv.id}/export`, { format: 'key' });
    assert.match(key.raw.toString(), /BEGIN ENCRYPTED PRIVATE KEY/);
  });

  it('creates a lab CA with its private-network note and issues certificates openssl verifies', async () => {
    const ca = await post('api/certificates/ca', { name: 'Lab CA', commonName: 'IRIS Edge Lab CA' });
    assert.equal(ca.status, 201, JSON.stringify(ca.body));
    assert.match(ca.body.note, /private networks/);
    noKeys(ca.body);
    const caPath = pki.write('api-ca.pem', (await req(`api/certificates/${ca.body.id}/export?format=pem`)).raw);
    const issued = await post('api/certificates/ca/issue', { caId: ca.body.id, name: 'iris-lab', subject: { commonName: 'iris-lab.local' }, altNames: ['iris-lab.local', '192.168.1.50'], usage: 'both' });
    assert.equal(issued.status, 201, JSON.stringify(issued.body));
    assert.equal(issued.body.status, 'valid');
    const leafPath = pki.write('api-leaf.pem', (await req(`api/certificates/${issued.body.id}/export?format=pem`)).raw);
    assert.match(ossl(['verify', '-CAfile', caPath, leafPath]), /OK/);
    // Sign an existing CSR made here: the certificate lands on that CSR's key.
    const csr = await post('api/certificates/csr', { name: 'for-lab', subject: { commonName: 'csr.lab' }, altNames: ['csr.lab'], usage: 'client' });
    const signed = await post('api/certificates/ca/issue', { caId: ca.body.id, name: 'x', csrPem: csr.body.csrPem });
    assert.equal(signed.body.id, csr.body.id);
    assert.deepEqual(signed.body.leaf.extendedKeyUsage.values, ['clientAuth']);
    const notCa = await post('api/certificates/ca/issue', { caId: issued.body.id, name: 'x', subject: { commonName: 'y' } });
    assert.equal(notCa.status, 400);
  });

  it('makes EC keys on request: CSR, lab CA and issued certificates openssl verifies, exported as PKCS#12', async () => {
    const csr = await post('api/certificates/csr', { name: 'ec-edge', subject: { commonName: 'ec-edge.lab' }, altNames: ['ec-edge.lab'], key: { type: 'ec' } });
    assert.equal(csr.status, 201, JSON.stringify(csr.body));
    assert.ok(csrVerifies(csr.body.csrPem));
    assert.match(ossl(['req', '-noout', '-text'], csr.body.csrPem), /ASN1 OID: prime256v1[\s\S]*Signature Algorithm: ecdsa-with-SHA256/);
    const ca = await post('api/certificates/ca', { name: 'EC Lab CA', commonName: 'IRIS Edge EC Lab CA', key: { type: 'ec', curve: 'P-384' } });
    assert.equal(ca.status, 201, JSON.stringify(ca.body));
    assert.deepEqual(ca.body.leaf.publicKey, { algorithm: 'EC', size: 384, curve: 'secp384r1' });
    assert.equal(ca.body.leaf.signatureAlgorithm, 'ecdsa-with-SHA384');
    const caPath = pki.write('api-ec-ca.pem', (await req(`api/certificates/${ca.body.id}/export?format=pem`)).raw);
    for (const [name, key, publicKey] of [['ec-leaf', { type: 'ec', curve: 'P-256' }, 'EC'], ['rsa-leaf', undefined, 'RSA']] as const) {
      const issued = await post('api/certificates/ca/issue', { caId: ca.body.id, name, subject: { commonName: `${name}.lab` }, altNames: [`${name}.lab`], ...(key ? { key } : {}) });
      assert.equal(issued.status, 201, JSON.stringify(issued.body));
      assert.equal(issued.body.status, 'valid');
      assert.equal(issued.body.leaf.publicKey.algorithm, publicKey);
      assert.deepEqual(issued.body.leaf.extendedKeyUsage.values, ['serverAuth', 'clientAuth']);
      const leafPath = pki.write(`api-${name}.pem`, (await req(`api/certificates/${issued.body.id}/export?format=pem`)).raw);
      assert.match(ossl(['verify', '-CAfile', caPath, '-purpose', 'sslserver', leafPath]), /: OK/);
    }
    // The lab CA signs the EC request; the certificate lands on the request's key, and exports as PKCS#12.
    const signed = await post('api/certificates/ca/issue', { caId: ca.body.id, name: 'x', csrPem: csr.body.csrPem });
    assert.equal(signed.body.id, csr.body.id);
    const p12 = await post(`api/certificates/${csr.body.id}/export`, { format: 'p12', password: 'out-pw' });
    assert.equal(p12.status, 200, p12.raw.toString());
    const read = opensslPkcs12(p12.raw, 'out-pw');
    assert.deepEqual(read.certs.map((c) => c.info.subject.text), ['CN=ec-edge.lab', 'CN=IRIS Edge EC Lab CA']);
    assert.equal(read.keys[0]!.asymmetricKeyType, 'ec');
    tls.createSecureContext({ pfx: p12.raw, passphrase: 'out-pw' });
    const back = await post('api/certificates/inspect', { pkcs12Base64: p12.raw.toString('base64'), password: 'out-pw' });
    assert.deepEqual(back.body.keys.map((k: any) => [k.type, k.curve, k.matches]), [['EC', 'prime256v1', [0]]]);
    const wrong = await post('api/certificates/inspect', { pkcs12Base64: p12.raw.toString('base64'), password: 'not-it' });
    assert.equal(wrong.status, 400);
    assert.match(wrong.body.message, /password is wrong/);
  });

  it('refuses a key type it does not make, and a key type next to a CSR, storing nothing', async () => {
    const before = entries().length;
    const ca = (await req('api/certificates')).body.certificates.find((c: any) => c.name === 'EC Lab CA');
    const csrPem = pki.read('ec.csr');
    const cases: [string, unknown, RegExp][] = [
      ['api/certificates/csr', { name: 'x', subject: { commonName: 'x' }, key: { type: 'ec', curve: 'P-521' } }, /"key.curve"/],
      ['api/certificates/csr', { name: 'x', subject: { commonName: 'x' }, key: { type: 'rsa', bits: 1024 } }, /"key.bits"/],
      ['api/certificates/csr', { name: 'x', subject: { commonName: 'x' }, key: { type: 'dsa' } }, /"key.type"/],
      ['api/certificates/ca', { name: 'x', commonName: 'x', key: { type: 'ec', bits: 2048 } }, /unknown field/],
      ['api/certificates/ca/issue', { caId: ca.id, name: 'x', csrPem, key: { type: 'ec' } }, /CSR brings its own key/],
    ];
    for (const [path, body, msg] of cases) {
      const r = await post(path, body);
      assert.equal(r.status, 400, `${path} ${JSON.stringify(body)} → ${r.status}`);
      assert.match(r.body.message, msg);
    }
    assert.equal(entries().length, before);
  });

  it('probes a live TLS endpoint, with a client certificate from the store', async () => {
    const list = (await req('api/certificates')).body.certificates;
    const ca = list.find((c: any) => c.name === 'Lab CA');
    const srvEntry = list.find((c: any) => c.name === 'iris-lab');
    const caPem = (await req(`api/certificates/${ca.id}/export?format=pem`)).raw.toString();
    const certPem = (await req(`api/certificates/${srvEntry.id}/export?format=pem`)).raw.toString();
    const keyPem = (await post(`api/certificates/${srvEntry.id}/export`, { format: 'key' })).raw.toString();
    const server = tls.createServer({ cert: certPem, key: keyPem, ca: caPem, requestCert: true, rejectUnauthorized: true }, (s) => s.end('hi'));
    server.on('tlsClientError', () => {});
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    try {
      const r = await post('api/certificates/probe', { host: '127.0.0.1', port, servername: 'iris-lab.local', caId: ca.id, clientCertId: srvEntry.id });
      assert.equal(r.status, 200);
      assert.equal(r.body.connected, true, JSON.stringify(r.body));
      assert.equal(r.body.verified, true);
      assert.equal(r.body.hostCheck.ok, true);
      assert.equal(r.body.chain[0].subject.text, 'CN=iris-lab.local');
      const noClient = await post('api/certificates/probe', { host: '127.0.0.1', port, servername: 'iris-lab.local', caId: ca.id });
      assert.equal(noClient.body.connected, false);
      assert.equal((await post('api/certificates/probe', { host: '127.0.0.1', port: 70000 })).status, 400);
    } finally {
      server.close();
    }
  });

  it('deletes a stored certificate and its key; documents the routes in OpenAPI', async () => {
    const list = (await req('api/certificates')).body.certificates;
    const old = list.find((c: any) => c.name === 'old');
    assert.equal((await req(`api/certificates/${old.id}`, { method: 'DELETE' })).status, 403);
    assert.equal((await req(`api/certificates/${old.id}`, { method: 'DELETE', headers: { 'x-iris-edge': '1' } })).status, 200);
    assert.equal((await req(`api/certificates/${old.id}`)).status, 404);
    assert.equal((await req('api/certificates/..%2F..%2Fetc')).status, 404);
    const doc = (await req('api/openapi.json')).body;
    for (const p of ['/api/certificates', '/api/certificates/{id}', '/api/certificates/verify', '/api/certificates/probe', '/api/certificates/csr', '/api/certificates/ca', '/api/certificates/{id}/export']) assert.ok(doc.paths[p], p);
    assert.ok(doc.components.schemas.CertificateImport);
  });
});
