/**
 * Certificate files whose reading costs what their maker chose, over HTTP to the real panel: a
 * PKCS#12 made with a million KDF iterations (node-forge runs them in JavaScript: 13 s of a
 * blocked event loop before the worker pool) and an encrypted key with forty million PBKDF2
 * iterations (OpenSSL, synchronous). Both are built with openssl at test time. The panel keeps
 * answering while they are read, each is stopped at the deadline with a clear 400, nothing is
 * stored, and the next upload is read by a fresh thread.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CERT_DEADLINE_MS } from '../../src/certs/cert-workers.ts';
import { CertService } from '../../src/certs/service.ts';
import { CertStore } from '../../src/certs/store.ts';
import { LogBuffer } from '../../src/panel/log-buffer.ts';
import { startPanel, type RunningPanel } from '../../src/panel/server.ts';
import { captureLogger, within } from '../support/fixtures.ts';

// Far below what the slow files cost: OpenSSL on Node 22 reads ten million PBKDF2 iterations in
// about 1.4 s here, so the key below has forty million (about 5.5 s) against 1.5 s.
const DEADLINE_MS = 1500;
const H = { 'content-type': 'application/json', 'x-iris-edge': '1' };
let panel: RunningPanel;
let dir: string;
let storeDir: string;

function ossl(args: string[]): Buffer {
  return execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
}

async function post(path: string, body: unknown): Promise<{ status: number; body: { error?: string; message?: string; certificates?: unknown[] } }> {
  const r = await fetch(panel.url + path, { method: 'POST', headers: H, body: JSON.stringify(body) });
  return { status: r.status, body: (await r.json()) as never };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'iris-edge-kdf-'));
  storeDir = join(dir, 'store');
  ossl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'k.pem', '-out', 'c.pem', '-subj', '/CN=kdf.example', '-days', '2']);
  ossl(['pkcs12', '-export', '-in', 'c.pem', '-inkey', 'k.pem', '-out', 'slow.p12', '-passout', 'pass:pw', '-iter', '1000000']);
  ossl(['pkcs12', '-export', '-in', 'c.pem', '-inkey', 'k.pem', '-out', 'usual.p12', '-passout', 'pass:pw']);
  ossl(['pkcs8', '-topk8', '-in', 'k.pem', '-out', 'slow-key.pem', '-v2', 'aes-256-cbc', '-iter', '40000000', '-passout', 'pass:pw']);
  panel = await startPanel({
    monitors: [],
    mode: 'standalone',
    host: '127.0.0.1',
    port: 0,
    connect: { superserverPort: null, webPort: null, portalPath: '/', serviceAccount: 'x' },
    logs: new LogBuffer(100),
    log: captureLogger().log,
    certs: new CertService({ store: new CertStore(storeDir), haSslDir: join(dir, 'ssl'), workers: { size: 1, deadlineMs: DEADLINE_MS, maxQueued: 2 } }),
  });
});

after(() => panel.close());

describe('certificate work the uploader can make expensive', () => {
  it('a PKCS#12 with a million KDF iterations: the panel answers meanwhile, the upload is stopped at the deadline, nothing is stored', async () => {
    const order: string[] = [];
    // The first upload starts the pool's first thread: then it is being read beside the event loop.
    const inWorker = once(process, 'worker');
    const slow = post('api/certificates', { name: 'slow', pkcs12Base64: readFileSync(join(dir, 'slow.p12')).toString('base64'), password: 'pw' }).then((r) => {
      order.push('upload');
      return r;
    });
    // Asked after the upload, answered before it: the event loop is free while the worker reads.
    await within(inWorker, 5000, 'the upload to go to a worker thread');
    const session = await fetch(panel.url + 'api/session');
    order.push('session');
    assert.equal(session.status, 200);
    const r = await slow;
    assert.deepEqual(order, ['session', 'upload']);
    assert.equal(r.status, 400);
    assert.equal(r.body.error, 'too-slow');
    assert.match(r.body.message!, /iteration count/);
    assert.deepEqual(readdirSync(storeDir).filter((f) => !f.startsWith('.')), []);
  });

  it('the next upload gets a fresh thread: a PKCS#12 made with the usual settings is read', async () => {
    const r = await post('api/certificates/inspect', { pkcs12Base64: readFileSync(join(dir, 'usual.p12')).toString('base64'), password: 'pw' });
    assert.equal(r.status, 200);
    assert.equal(r.body.certificates?.length, 1);
  });

  it('an encrypted key with forty million PBKDF2 iterations is stopped the same way', async () => {
    const r = await post('api/certificates/inspect', { pem: readFileSync(join(dir, 'c.pem'), 'utf8') + readFileSync(join(dir, 'slow-key.pem'), 'utf8'), keyPassphrase: 'pw' });
    assert.equal(r.status, 400);
    assert.equal(r.body.error, 'too-slow');
  });

  it('the queue is bounded: past one running and two waiting, a request is refused at once (503 busy)', async () => {
    const body = { pkcs12Base64: readFileSync(join(dir, 'slow.p12')).toString('base64'), password: 'pw' };
    const answers = await Promise.all(Array.from({ length: 5 }, () => post('api/certificates/inspect', body)));
    const codes = answers.map((a) => a.body.error).sort();
    assert.deepEqual(codes, ['busy', 'busy', 'too-slow', 'too-slow', 'too-slow']);
    assert.ok(answers.filter((a) => a.body.error === 'busy').every((a) => a.status === 503));
  });

  it('DOCS.md states the deadline the add-on uses', () => {
    const docs = readFileSync(new URL('../../DOCS.md', import.meta.url), 'utf8');
    assert.match(docs.replace(/\s+/g, ' '), new RegExp(`stopped after ${CERT_DEADLINE_MS / 1000} seconds`));
  });
});
