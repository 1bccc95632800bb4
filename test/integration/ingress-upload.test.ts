/**
 * Backup uploads the way they arrive in the add-on: through Home Assistant ingress
 * (test/support/ingress-proxy.ts, which buffers or streams request bodies as the Supervisor does
 * for the repository's config.yaml) to the panel in add-on mode, on a backup service with real
 * files. Issue #18: without `ingress_stream: true` the Supervisor refused every upload over
 * 16 MiB with its own 413 (supervisor/api/ingress.py APIIngress._handle_request reads the body
 * whole; supervisor/api/__init__.py caps it at MAX_CLIENT_SIZE), while DOCS.md promised 16 GB.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { formatBytes } from '../../src/model/bytes.ts';
import { LogBuffer } from '../../src/panel/log-buffer.ts';
import { buildPanelServer } from '../../src/panel/server.ts';
import { backupRig, writeLargeArchive, type BackupRig } from '../support/backups.ts';
import { captureLogger, waitFor } from '../support/fixtures.ts';
import {
  ADDON_CONFIG,
  ingressStreamOf,
  startIngressProxy,
  SUPERVISOR_MAX_BODY,
  SUPERVISOR_STANDIN,
  SUPERVISOR_TOO_LARGE,
  type IngressProxy,
} from '../support/ingress-proxy.ts';

const MiB = 1024 * 1024;
/** Above the Supervisor's 16 MiB, below the archives' 20 MiB + 20 MiB: small enough to exceed in a test. */
const LIMIT = 40_000_000;
const OCTET = { 'content-type': 'application/octet-stream', 'x-iris-edge': '1' };

let rig: BackupRig;
let app: FastifyInstance;
let panelUrl: string;
let proxy: IngressProxy;
let dir: string;

interface Answer {
  status: number;
  text: string;
  json(): { backup?: { id: string; uploaded: boolean }; error?: string; message?: string };
}

/** A POST as a browser's XMLHttpRequest sends a File: with its Content-Length, the body streamed. */
function post(url: string, body: Readable | Buffer, headers: Record<string, string>, length?: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { ...headers, ...(length !== undefined ? { 'content-length': String(length) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, text, json: () => JSON.parse(text) });
      });
    });
    req.on('error', reject);
    if (Buffer.isBuffer(body)) req.end(body);
    else body.pipe(req);
  });
}

const fileSha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const ids = async () => (await rig.service.list()).map((r) => r.id);
const work = () => readdirSync(rig.service.store.workDir);
async function nothingLeft(before: string[]): Promise<void> {
  await rig.service.settle();
  assert.deepEqual(work(), [], 'a refused or cut-off upload left a file in the work folder');
  assert.deepEqual(await ids(), before, 'a refused or cut-off upload was kept');
}

before(async () => {
  rig = await backupRig({ uploadLimitBytes: LIMIT, data: { writeIntervalMs: 0 } });
  ({ app } = await buildPanelServer({
    monitors: [],
    mode: 'addon',
    connect: { superserverPort: null, webPort: null, portalPath: '/', serviceAccount: 'x' },
    logs: new LogBuffer(100),
    log: captureLogger().log,
    backups: rig.service,
    trustedPeers: [SUPERVISOR_STANDIN],
  }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  panelUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/`;
  proxy = await startIngressProxy(panelUrl);
  dir = mkdtempSync(join(tmpdir(), 'iris-edge-ingress-upload-'));
});
after(async () => {
  await proxy?.close();
  await app?.close();
  await rig?.close();
});

describe('backup uploads through Home Assistant ingress', () => {
  it('a 20 MiB archive, over the Supervisor’s 16 MiB, is accepted whole: config.yaml has the Supervisor stream it', async () => {
    const file = join(dir, 'a.tar.gz');
    const { id, bytes } = await writeLargeArchive(file, 20 * MiB, new Date('2026-11-01T10:00:00Z'));
    assert.ok(bytes > SUPERVISOR_MAX_BODY, `the archive is ${bytes} bytes`);
    const r = await post(`${proxy.url}api/backups/upload`, createReadStream(file), OCTET, bytes);
    assert.equal(r.status, 201, `${r.text} (config.yaml must say ingress_stream: true: the Supervisor buffers POST bodies otherwise)`);
    assert.equal(r.json().backup?.id, id);
    assert.equal(r.json().backup?.uploaded, true);
    assert.equal(proxy.refused, 0);
    assert.equal(fileSha(rig.service.store.archivePath(id)), fileSha(file), 'the stored archive is the uploaded one, byte for byte');
    assert.deepEqual(work(), []);
  });

  it('meta: with a config.yaml without ingress_stream the same kind of upload fails with the Supervisor’s 413, and the panel never sees it', async () => {
    const copy = join(dir, 'config-without-stream.yaml');
    const text = readFileSync(ADDON_CONFIG, 'utf8');
    writeFileSync(copy, text.replace(/^ingress_stream: true\n/m, ''));
    assert.notEqual(readFileSync(copy, 'utf8'), text, 'the copy lost its ingress_stream line');
    assert.equal(ingressStreamOf(copy), false);
    const buffered = await startIngressProxy(panelUrl, { configYaml: copy });
    try {
      const before = await ids();
      const file = join(dir, 'b.tar.gz');
      const { bytes } = await writeLargeArchive(file, 20 * MiB, new Date('2026-11-02T10:00:00Z'));
      const r = await post(`${buffered.url}api/backups/upload`, createReadStream(file), OCTET, bytes);
      assert.equal(r.status, 413);
      assert.equal(r.text, SUPERVISOR_TOO_LARGE);
      assert.equal(buffered.refused, 1);
      await nothingLeft(before);
      // Under 16 MiB the buffered path delivers: the size is the whole difference.
      const small = join(dir, 'c.tar.gz');
      const c = await writeLargeArchive(small, 4 * MiB, new Date('2026-11-03T10:00:00Z'));
      const ok = await post(`${buffered.url}api/backups/upload`, createReadStream(small), OCTET, c.bytes);
      assert.equal(ok.status, 201, ok.text);
      assert.equal(ok.json().backup?.id, c.id);
    } finally {
      await buffered.close();
    }
  });

  it('a body over the upload limit, arriving chunked (no Content-Length through ingress), is refused with the reason; nothing is left', async () => {
    const before = await ids();
    const size = LIMIT + 8 * MiB;
    const chunk = Buffer.alloc(MiB, 0x5a);
    const body = Readable.from((function* () {
      for (let sent = 0; sent < size; sent += chunk.length) yield chunk;
    })());
    const r = await post(`${proxy.url}api/backups/upload`, body, OCTET, Math.ceil(size / MiB) * MiB);
    assert.equal(r.status, 413, r.text);
    assert.equal(r.json().error, 'backup-too-large');
    assert.equal(r.json().message, `The upload is larger than ${formatBytes(LIMIT)}, the limit; nothing of it was kept.`);
    await nothingLeft(before);
    const after = await fetch(`${proxy.url}api/backups`);
    assert.equal(after.status, 200, 'the panel answers the next request');
    assert.equal(((await after.json()) as { uploadLimitBytes: number }).uploadLimitBytes, LIMIT, 'the page is told the limit the service enforces');
  });

  it('an upload cut off mid-body (the browser closed the page) leaves no partial file and no backup', async () => {
    const before = await ids();
    const file = join(dir, 'd.tar.gz');
    const { bytes } = await writeLargeArchive(file, 20 * MiB, new Date('2026-11-04T10:00:00Z'));
    const req = http.request(`${proxy.url}api/backups/upload`, { method: 'POST', headers: { ...OCTET, 'content-length': String(bytes) } });
    req.on('error', () => {});
    createReadStream(file, { end: 12 * MiB }).pipe(req, { end: false });
    // Cut once the panel has written a good part of it to its work file.
    const partial = await waitFor(
      () => work().find((f) => f.startsWith('upload-') && statSync(join(rig.service.store.workDir, f)).size > 4 * MiB),
      20_000,
      'the upload to reach the work folder',
    );
    assert.ok(partial);
    req.destroy();
    await waitFor(() => work().length === 0, 20_000, () => `the partial upload to be removed (left: ${work().join(', ')})`);
    await nothingLeft(before);
  });

  it('an archive sent as anything but application/octet-stream is refused (415) before a byte is stored', async () => {
    const before = await ids();
    const file = join(dir, 'e.tar.gz');
    const { bytes } = await writeLargeArchive(file, 20 * MiB, new Date('2026-11-05T10:00:00Z'));
    for (const type of ['application/gzip', 'multipart/form-data; boundary=----x', 'application/json', '']) {
      const headers: Record<string, string> = { 'x-iris-edge': '1', ...(type ? { 'content-type': type } : {}) };
      const r = await post(`${proxy.url}api/backups/upload`, createReadStream(file), headers, bytes);
      assert.equal(r.status, 415, `${type || 'no type'}: ${r.text}`);
      assert.equal(r.json().error, 'unsupported-media-type');
      assert.match(r.json().message ?? '', /Content-Type: application\/octet-stream/);
      await nothingLeft(before);
    }
  });
});
