/**
 * Real TLS handshakes (node:tls) with certificates from the lab CA: server authentication, mutual
 * TLS, and a client certificate without clientAuth refused by a server that requires client
 * certificates. The refusal is OpenSSL's own purpose check as Node runs it (a server verifies a
 * client chain with the "sslclient" purpose, which requires the clientAuth EKU when an EKU is
 * present): no extra check of ours. The probe reports all of it, also of servers whose identity
 * is our own PKCS#12 export (RSA and EC).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import type { KeyObject } from 'node:crypto';
import { decodeInput } from '../../src/certs/decode.ts';
import { toPem, toPkcs12 } from '../../src/certs/export.ts';
import { createLabCa, issueFromCa, type LabCa } from '../../src/certs/generate.ts';
import { probeTls } from '../../src/certs/probe.ts';
import { CertStore } from '../../src/certs/store.ts';
import { ossl } from './certs-helpers.ts';
import { writeFileSync } from 'node:fs';

let ca: LabCa;
let caPem: string;
const issued: Record<string, { certPem: string; key: KeyObject }> = {};
const servers: tls.Server[] = [];
const keyPem = (k: KeyObject) => k.export({ type: 'pkcs8', format: 'pem' }) as string;

async function issue(nameOf: string, usage: 'server' | 'client' | 'both') {
  const r = await issueFromCa(ca, { subject: { commonName: nameOf }, altNames: [nameOf, '127.0.0.1'], usage });
  issued[nameOf] = { certPem: toPem(decodeInput({ der: r.certDer }).certs), key: r.key! };
  return issued[nameOf]!;
}

async function server(opts: { requireClient: boolean; observeOnly?: boolean }): Promise<{ port: number; clients: string[]; refusals: string[]; verdicts: string[] }> {
  const s = issued['localhost']!;
  const clients: string[] = [];
  const refusals: string[] = [];
  const verdicts: string[] = [];
  const srv = tls.createServer({ cert: s.certPem, key: keyPem(s.key), ca: caPem, requestCert: opts.requireClient, rejectUnauthorized: opts.requireClient && !opts.observeOnly }, (sock) => {
    verdicts.push(sock.authorized ? 'authorized' : String(sock.authorizationError));
    if (!sock.authorized && opts.requireClient) return void sock.destroy();
    clients.push(String(sock.getPeerCertificate()?.subject?.CN ?? ''));
    sock.end('hello\n');
  });
  srv.on('tlsClientError', (err) => refusals.push(err.message));
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  servers.push(srv);
  return { port: (srv.address() as AddressInfo).port, clients, refusals, verdicts };
}

function connect(port: number, client?: { certPem: string; key: KeyObject }): Promise<{ ok: boolean; data: string; error: string | null }> {
  return new Promise((resolve) => {
    let data = '';
    const sock = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: caPem, cert: client?.certPem, key: client ? keyPem(client.key) : undefined });
    sock.on('data', (d) => (data += d));
    sock.on('end', () => resolve({ ok: data === 'hello\n', data, error: null }));
    sock.on('error', (e) => resolve({ ok: false, data, error: e.message }));
  });
}

describe('certs: TLS handshakes with lab-CA certificates', () => {
  before(async () => {
    ca = await createLabCa({ commonName: 'TLS Test Lab CA', key: { type: 'rsa', bits: 2048 } });
    caPem = toPem(decodeInput({ der: ca.certDer }).certs);
    await issue('localhost', 'both');
    await issue('client-both', 'both');
    await issue('client-only', 'client');
    await issue('server-only', 'server');
  });
  after(() => {
    for (const s of servers) s.close();
  });

  it('server authentication: the client verifies the chain and the host name', async () => {
    const { port } = await server({ requireClient: false });
    const r = await connect(port);
    assert.equal(r.error, null);
    assert.ok(r.ok);
    // openssl agrees on the chain.
    const dir = mkdtempSync(join(tmpdir(), 'tls-'));
    writeFileSync(join(dir, 'ca.pem'), caPem);
    writeFileSync(join(dir, 'srv.pem'), issued['localhost']!.certPem);
    assert.match(ossl(['verify', '-CAfile', join(dir, 'ca.pem'), '-purpose', 'sslserver', join(dir, 'srv.pem')]), /OK/);
  });

  it('mutual TLS: clientAuth certificates are accepted, no certificate is refused', async () => {
    const { port, clients } = await server({ requireClient: true });
    assert.ok((await connect(port, issued['client-both'])).ok);
    assert.ok((await connect(port, issued['client-only'])).ok);
    assert.deepEqual(clients, ['client-both', 'client-only']);
    assert.equal((await connect(port)).ok, false);
  });

  it('a client certificate with serverAuth only is refused by a server that requires client certificates (OpenSSL purpose check)', async () => {
    const { port, clients, refusals } = await server({ requireClient: true });
    const r = await connect(port, issued['server-only']);
    assert.equal(r.ok, false);
    assert.equal(clients.length, 0);
    assert.ok(refusals.length > 0);
    // Why: OpenSSL's chain verification, as Node runs it on a server, checks the "sslclient"
    // purpose; a server that only observes the verdict sees X509_V_ERR_INVALID_PURPOSE.
    const observer = await server({ requireClient: true, observeOnly: true });
    await connect(observer.port, issued['server-only']);
    await connect(observer.port, issued['client-only']);
    assert.deepEqual(observer.verdicts, ['INVALID_PURPOSE', 'authorized']);
  });

  it('the probe reports chain, protocol, cipher and verification; with a stored client certificate too', async () => {
    const open = await server({ requireClient: false });
    const p = await probeTls({ host: '127.0.0.1', port: open.port, servername: 'localhost', caPem });
    assert.equal(p.connected, true);
    assert.equal(p.verified, true);
    assert.equal(p.protocol, 'TLSv1.3');
    assert.match(p.cipher?.name ?? '', /AES|CHACHA/);
    // The server presents its leaf; Node completes the chain with the issuer from the CA bundle.
    assert.deepEqual(p.chain.map((c) => c.subject.text), ['CN=localhost', 'CN=TLS Test Lab CA']);
    assert.equal(p.hostCheck?.ok, true);
    const unknownCa = await probeTls({ host: '127.0.0.1', port: open.port, servername: 'localhost' });
    assert.equal(unknownCa.verified, false);
    assert.match(unknownCa.verifyError ?? '', /UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to verify|self.signed/i);
    const wrongName = await probeTls({ host: '127.0.0.1', port: open.port, servername: 'elsewhere.example', caPem });
    assert.equal(wrongName.hostCheck?.ok, false);

    const mtls = await server({ requireClient: true });
    const store = new CertStore(join(mkdtempSync(join(tmpdir(), 'tls-store-')), 'certs'));
    const c = issued['client-both']!;
    const e = await store.add({ name: 'client', kind: 'certificate', certs: decodeInput({ pem: c.certPem }).certs, key: c.key, keyPassphrase: 'pp' });
    const withCert = await probeTls({ host: '127.0.0.1', port: mtls.port, servername: 'localhost', caPem, clientCert: { certPem: c.certPem, key: await store.readKey(e.meta.id, 'pp') } });
    assert.equal(withCert.connected, true);
    assert.equal(withCert.error, null);
    const without = await probeTls({ host: '127.0.0.1', port: mtls.port, servername: 'localhost', caPem });
    assert.equal(without.connected, false);
    assert.ok(without.error);
  });

  it('serves RSA and EC certificates out of their PKCS#12 export: the probe verifies the chain and the name', async () => {
    const ecCa = await createLabCa({ commonName: 'EC Test Lab CA', key: { type: 'ec', curve: 'P-384' } });
    for (const [labCa, key, algorithm] of [[ca, undefined, 'RSA'], [ecCa, { type: 'ec', curve: 'P-256' }, 'EC']] as const) {
      const leaf = await issueFromCa(labCa, { subject: { commonName: 'localhost' }, altNames: ['localhost'], usage: 'server', key });
      const chain = [leaf.certDer, labCa.certDer].flatMap((der) => decodeInput({ der }).certs);
      const srv = tls.createServer({ pfx: toPkcs12(chain, leaf.key!, 'pfx-pw', 'localhost'), passphrase: 'pfx-pw' }, (sock) => sock.end());
      srv.listen(0, '127.0.0.1');
      await once(srv, 'listening');
      servers.push(srv);
      const p = await probeTls({ host: '127.0.0.1', port: (srv.address() as AddressInfo).port, servername: 'localhost', caPem: toPem(chain.slice(1)) });
      assert.deepEqual([p.connected, p.verified, p.hostCheck?.ok], [true, true, true], algorithm);
      assert.deepEqual(p.chain.map((c) => [c.publicKey.algorithm, c.fingerprints.sha256]), chain.map((c) => [c.info.publicKey.algorithm, c.info.fingerprints.sha256]));
      assert.equal(p.chain[0]!.publicKey.algorithm, algorithm);
    }
  });

  it('the probe is bounded: a silent peer times out in 5 s, a closed port fails at once', async () => {
    const silent = net.createServer(() => {});
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const t0 = Date.now();
    const p = await probeTls({ host: '127.0.0.1', port: (silent.address() as AddressInfo).port, timeoutMs: 800 });
    assert.equal(p.connected, false);
    assert.match(p.error ?? '', /No TLS handshake within/);
    assert.ok(Date.now() - t0 < 2000);
    silent.close();
    const closed = await probeTls({ host: '127.0.0.1', port: 1 });
    assert.match(closed.error ?? '', /refused/);
  });
});
