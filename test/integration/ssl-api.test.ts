/**
 * "Apply to IRIS" over real sockets, through the ingress-style proxy, against the simulator:
 * PEM files written for IRIS (key 0600), the configuration created then modified, refusals that
 * write nothing and call nothing, the expired-certificate override, and restarting the hosts.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Harness } from '../browser/harness.ts';
import { expiredCertPem, makePki, type Pki } from '../unit/certs-helpers.ts';
import { fetchBody, JSON_POST } from '../support/http.ts';

let h: Harness;
let pki: Pki;
let storeDir: string;
let sslDir: string;
let base: string;
const ids: Record<string, string> = {};

const req = (path: string, init: RequestInit = {}) => fetchBody(base + path, init);
const post = (path: string, body: unknown) => req(path, { method: 'POST', headers: JSON_POST, body: JSON.stringify(body) });
const sslEntries = () => (existsSync(sslDir) ? readdirSync(sslDir) : []);

const expiredWithKey = () => expiredCertPem({ withKey: true, hash: 'sha256' });

describe('SSL/TLS configurations API', () => {
  before(async () => {
    pki = makePki();
    const root = mkdtempSync(join(tmpdir(), 'ssl-api-'));
    storeDir = join(root, 'certs');
    sslDir = join(root, 'iris-ssl');
    h = await startHarness({ mode: 'addon', proxy: true, certStoreDir: storeDir, irisSslDir: sslDir });
    base = h.ingress!;
    const imp = async (name: string, body: Record<string, unknown>) => {
      const r = await post('api/certificates', { name, ...body });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      ids[name] = r.body.id;
    };
    await imp('server', { pem: pki.read('leaf.pem') + pki.read('int.pem') + pki.read('leaf.key') });
    await imp('server-enc', { pem: pki.read('leaf.pem') + pki.read('leaf-enc.key'), keyPassphrase: 'key-secret' });
    await imp('root', { pem: pki.read('root.pem') });
    await imp('expired', { pem: expiredWithKey() });
    await imp('mismatch', { pem: pki.read('other.pem') + pki.read('other.key') });
    // A damaged entry: its recorded key no longer belongs to its certificate.
    const metaPath = join(storeDir, ids.mismatch!, 'meta.json');
    const meta = JSON.parse(readFileSync(metaPath, 'utf8'));
    writeFileSync(metaPath, JSON.stringify({ ...meta, keySpki: '00'.repeat(32) }));
  });
  after(async () => {
    await h?.close();
  });

  it('lists the configurations with the hosts that use them', async () => {
    const r = await req('api/ssl-configs?instance=iris');
    assert.equal(r.status, 200);
    const lab = r.body.configs.find((c: any) => c.name === 'LabTLS');
    assert.deepEqual(lab.usedBy, [{ namespace: 'ORDERS', production: 'Orders.Production', host: 'HL7.Out.Lab' }]);
    assert.equal((await req('api/ssl-configs?instance=nope')).status, 404);
    assert.equal((await req('api/ssl-configs')).status, 200, 'the only instance is the default');
  });

  const apply = (over: Record<string, unknown>) =>
    post('api/ssl-configs/apply', { instance: 'iris', name: 'IrisEdgeServer', type: 'server', certificateId: ids.server, caCertificateIds: [ids.root], verifyPeer: 0, tlsMin: 16, tlsMax: 32, ...over });

  it('refuses bad input with a 4xx, writing no file and calling nothing in IRIS', async () => {
    const cases: [Record<string, unknown>, number, string][] = [
      [{ certificateId: '0123456789abcdef' }, 404, 'not-found'],
      [{ certificateId: ids.root }, 400, 'no-key'],
      [{ certificateId: null }, 400, 'certificate-required'],
      [{ certificateId: ids.expired, caCertificateIds: [] }, 400, 'certificate-not-valid-now'],
      [{ certificateId: ids.mismatch }, 400, 'key-mismatch'],
      [{ name: '%SuperServer' }, 400, 'bad-name'],
      [{ name: '../etc' }, 400, 'bad-name'],
      [{ verifyPeer: 2 }, 400, 'invalid-request'],
      [{ tlsMin: 32, tlsMax: 16 }, 400, 'invalid-request'],
      [{ tlsMin: 3 }, 400, 'invalid-request'],
      [{ certificateId: ids['server-enc'] }, 400, 'key-passphrase-required'],
      [{ surprise: 1 }, 400, 'invalid-request'],
    ];
    for (const [over, status, code] of cases) {
      const r = await apply(over);
      assert.equal(r.status, status, `${JSON.stringify(over)} -> ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error, code, JSON.stringify(over));
      assert.ok(r.body.message);
    }
    assert.deepEqual(sslEntries(), []);
    assert.equal(h.sim.sslApplyCalls.length, 0);
  });

  it('applies a server configuration: cert, key 0600, CA written; IRIS reports it', async () => {
    const r = await apply({});
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.doesNotMatch(JSON.stringify(r.body), /PRIVATE KEY/);
    const dir = join(sslDir, 'IrisEdgeServer');
    assert.equal(r.body.config.name, 'IrisEdgeServer');
    assert.equal(r.body.config.type, 'server');
    assert.equal(r.body.config.certificateFile, join(dir, 'cert.pem'));
    assert.equal(r.body.config.privateKeyFile, join(dir, 'key.pem'));
    assert.equal(r.body.config.caFile, join(dir, 'ca.pem'));
    assert.equal(statSync(join(dir, 'key.pem')).mode & 0o777, 0o600);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.match(readFileSync(join(dir, 'key.pem'), 'utf8'), /BEGIN PRIVATE KEY/);
    assert.equal(readFileSync(join(dir, 'cert.pem'), 'utf8').match(/BEGIN CERTIFICATE/g)?.length, 2);
    assert.equal(readFileSync(join(dir, 'ca.pem'), 'utf8'), pki.read('root.pem').trim() + '\n');
    assert.equal(h.sim.sslPasswordOf('IrisEdgeServer'), undefined);
    assert.deepEqual(r.body.usedBy, []);
  });

  it('lists the certificates IRIS SSL/TLS configurations use in the inventory, read-only', async () => {
    const r = await req('api/certificates');
    assert.equal(r.status, 200);
    const list = r.body.certificates as { id: string; name: string; source: string; status: string; error?: string; subject: string | null }[];
    const cert = list.find((c) => c.source === 'iris-ssl' && c.name === 'IrisEdgeServer certificate');
    assert.ok(cert, JSON.stringify(list.map((c) => c.name)));
    assert.equal(cert.error, undefined);
    assert.ok(['valid', 'expiring', 'untrusted-chain'].includes(cert.status), cert.status);
    assert.ok(list.some((c) => c.source === 'iris-ssl' && c.name === 'IrisEdgeServer CA file'));
    // A configuration whose files are missing is listed as unreadable, not hidden.
    assert.ok(list.some((c) => c.source === 'iris-ssl' && c.status === 'unreadable'));
    const detail = await req(`api/certificates/${cert.id}`);
    assert.equal(detail.status, 200);
    assert.equal(detail.body.readOnly, true);
    assert.equal((await req(`api/certificates/${cert.id}`, { method: 'DELETE', headers: { 'x-iris-edge': '1' } })).status, 409);
  });

  it('modifies the same configuration; an encrypted stored key stays encrypted and its passphrase goes to IRIS only', async () => {
    const r = await apply({ certificateId: ids['server-enc'], keyPassphrase: 'key-secret', caCertificateIds: [], verifyPeer: 3, tlsMin: 32 });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.doesNotMatch(JSON.stringify(r.body), /key-secret/);
    assert.equal(r.body.config.verifyPeer, 3);
    assert.equal(r.body.config.caFile, '');
    const dir = join(sslDir, 'IrisEdgeServer');
    assert.match(readFileSync(join(dir, 'key.pem'), 'utf8'), /BEGIN ENCRYPTED PRIVATE KEY/);
    assert.equal(existsSync(join(dir, 'ca.pem')), false);
    assert.equal(h.sim.sslPasswordOf('IrisEdgeServer'), 'key-secret');
    assert.equal((await req('api/ssl-configs')).body.configs.filter((c: any) => c.name === 'IrisEdgeServer').length, 1);
    const logText = JSON.stringify(h.logs.lines());
    assert.match(logText, /IrisEdgeServer/);
    assert.doesNotMatch(logText, /key-secret/);
    const wrong = await apply({ certificateId: ids['server-enc'], keyPassphrase: 'nope' });
    assert.ok(wrong.status >= 400 && wrong.status < 500, JSON.stringify(wrong.body));
  });

  it('an expired certificate needs the explicit override', async () => {
    const r = await apply({ name: 'OldOne', certificateId: ids.expired, caCertificateIds: [], allowExpired: true });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.warnings.length, 1);
    assert.match(r.body.warnings[0], /expired/);
  });

  it('a client configuration may only trust CAs; IRIS refusing it removes the new files', async () => {
    const r = await post('api/ssl-configs/apply', { name: 'LabTLS', type: 'client', caCertificateIds: [ids.root], verifyPeer: 1 });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.usedBy, [{ namespace: 'ORDERS', production: 'Orders.Production', host: 'HL7.Out.Lab' }]);
    h.sim.setReachable(false);
    try {
      const down = await post('api/ssl-configs/apply', { name: 'Fresh', type: 'client', caCertificateIds: [ids.root], verifyPeer: 1 });
      assert.equal(down.status, 503);
      assert.equal(existsSync(join(sslDir, 'Fresh')), false);
    } finally {
      h.sim.setReachable(true);
    }
  });

  it('restarts the hosts that use a configuration (disable, then enable)', async () => {
    const before = h.sim.controlCalls.length;
    const r = await post('api/ssl-configs/restart-hosts', { instance: 'iris', name: 'LabTLS' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.results.length, 1);
    const one = r.body.results[0];
    assert.equal(one.host, 'HL7.Out.Lab');
    assert.equal(one.outcome, 'restarted', JSON.stringify(one));
    assert.equal(h.sim.controlCalls.length, before, 'no production-wide command');
    const host = (await h.sim.snapshot()).productions.find((p) => p.name === 'Orders.Production')!.hosts.find((x) => x.name === 'HL7.Out.Lab')!;
    assert.equal(host.enabled, true);
    assert.equal((await post('api/ssl-configs/restart-hosts', { name: 'Nope' })).status, 404);
  });

  it('needs the CSRF header', async () => {
    const r = await req('api/ssl-configs/apply', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(r.status, 403);
  });
});
