/**
 * /api/backups over HTTP (fastify's inject, the panel's real routes and guards; uploads through the
 * ingress stand-in, test/support/ingress-proxy.ts) on a backup
 * service with real files: each refusal is a 4xx with a message, and a download is the archive.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { LogBuffer } from '../../src/panel/log-buffer.ts';
import { buildPanelServer } from '../../src/panel/server.ts';
import { backupRig, type BackupRig } from '../support/backups.ts';
import { captureLogger, waitFor } from '../support/fixtures.ts';
import { startIngressProxy, type IngressProxy } from '../support/ingress-proxy.ts';

const H = { 'content-type': 'application/json', 'x-iris-edge': '1' };
let rig: BackupRig;
let app: FastifyInstance;
let port: number;
/** Uploads go through the ingress stand-in: the Supervisor's body handling is part of the path. */
let ingress: IngressProxy;
let id: string;

async function call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown, headers: Record<string, string> = H) {
  const r = await app.inject({ method, url, headers, payload: body === undefined ? undefined : Buffer.isBuffer(body) ? body : JSON.stringify(body) });
  return { status: r.statusCode, json: () => r.json(), raw: r.rawPayload, headers: r.headers };
}

/** A POST through ingress, as the page's upload sends it. */
async function viaIngress(path: string, body: Buffer | unknown, headers: Record<string, string>) {
  const r = await fetch(new URL(path.replace(/^\//, ''), ingress.url), { method: 'POST', headers, body: Buffer.isBuffer(body) ? new Uint8Array(body) : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, json: () => JSON.parse(text) as { message: string; backup: { uploaded: boolean } } };
}

interface Job {
  state: string;
  backupId: string | null;
  steps: { text: string; state: string }[];
}

/** The job once GET /api/backups/job no longer shows it running; a stuck job fails the test. */
async function settled(): Promise<Job> {
  let last: Job | undefined;
  return waitFor(
    async () => {
      last = (await call('GET', '/api/backups/job')).json().job as Job;
      return last.state !== 'running' && last;
    },
    30_000,
    () => `the backup job to end; it still runs: ${JSON.stringify(last?.steps)}`,
  );
}

before(async () => {
  rig = await backupRig({ uploadLimitBytes: 2 * 1024 * 1024, data: { writeIntervalMs: 5 } });
  const logs = new LogBuffer(100);
  ({ app } = await buildPanelServer({
    monitors: [],
    mode: 'standalone',
    connect: { superserverPort: null, webPort: null, portalPath: '/', serviceAccount: 'x' },
    logs,
    log: captureLogger().log,
    backups: rig.service,
  }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as AddressInfo).port;
  ingress = await startIngressProxy(`http://127.0.0.1:${port}/`);
});
after(async () => {
  await ingress.close();
  await app.close();
  await rig.close();
});

describe('/api/backups', () => {
  it('starts a backup (202), lists it verified, and refuses a second job while one runs (409)', async () => {
    const started = await call('POST', '/api/backups', {});
    assert.equal(started.status, 202);
    const busy = await call('POST', '/api/backups', {});
    assert.equal(busy.status, 409);
    assert.match(busy.json().message, /A backup is running/);
    const job = await settled();
    assert.equal(job.state, 'ok');
    id = job.backupId!;
    const list = (await call('GET', '/api/backups')).json();
    assert.equal(list.backups[0].id, id);
    assert.equal(list.backups[0].verify.state, 'verified');
    assert.equal(list.status.count, 1);
    assert.equal(list.uploadLimitBytes, 2 * 1024 * 1024);
  });

  it('a POST without a JSON body starts nothing (415)', async () => {
    const before = (await call('GET', '/api/backups')).json().backups.length;
    for (const headers of [{ 'x-iris-edge': '1' }, { 'x-iris-edge': '1', 'content-type': 'text/plain' }] as Record<string, string>[]) {
      const r = await call('POST', '/api/backups', undefined, headers);
      assert.equal(r.status, 415);
      assert.equal(r.json().error, 'unsupported-media-type');
    }
    assert.equal((await call('GET', '/api/backups')).json().backups.length, before);
    assert.equal((await call('GET', '/api/backups/job')).json().job?.state ?? 'none', 'ok', 'a job started');
  });

  it('downloads the archive itself, and refuses names that are not backup ids', async () => {
    const d = await call('GET', `/api/backups/${id}/download`);
    assert.equal(d.status, 200);
    const file = rig.service.store.archiveFile(id);
    assert.equal(d.headers['content-disposition'], `attachment; filename="${id}${file.path.endsWith('.tar.zst') ? '.tar.zst' : '.tar.gz'}"`);
    assert.equal(d.headers['content-type'], file.path.endsWith('.tar.zst') ? 'application/zstd' : 'application/gzip');
    assert.deepEqual(d.raw, readFileSync(rig.service.store.archivePath(id)));
    for (const bad of ['..%2F..%2Fetc%2Fpasswd', 'iris-20261122T033000Z-manual.json', '%2E%2E%2Fx']) {
      const r = await call('GET', `/api/backups/${bad}/download`);
      assert.equal(r.status, 400, bad);
      assert.match(r.json().message, /is not a backup id/);
    }
    assert.equal((await call('GET', '/api/backups/iris-20201122T033000Z-manual')).status, 404);
  });

  it('takes an upload as application/octet-stream and refuses what is not a backup of ours', async () => {
    const archive = readFileSync(rig.service.store.archivePath(id));
    const up = { 'content-type': 'application/octet-stream', 'x-iris-edge': '1' };
    const dup = await viaIngress('/api/backups/upload', archive, up);
    assert.equal(dup.status, 409);
    assert.match(dup.json().message, /already here/);
    assert.equal((await call('DELETE', `/api/backups/${id}`, undefined, { 'x-iris-edge': '1' })).status, 200);
    const ok = await viaIngress('/api/backups/upload', archive, up);
    assert.equal(ok.status, 201, JSON.stringify(ok.json()));
    assert.equal(ok.json().backup.uploaded, true);

    const foreign = await viaIngress('/api/backups/upload', Buffer.from('PK\x03\x04 a zip file'), up);
    assert.equal(foreign.status, 400);
    assert.match(foreign.json().message, /damaged or not a zstd/);
    const big = await viaIngress('/api/backups/upload', Buffer.alloc(3 * 1024 * 1024), up);
    assert.equal(big.status, 413);
    const noHeader = await viaIngress('/api/backups/upload', archive, { 'content-type': 'application/octet-stream' });
    assert.equal(noHeader.status, 403);
    const asJson = await viaIngress('/api/backups/upload', { archive: 'x' }, H);
    assert.equal(asJson.status, 415);
  });

  it('closes the connection after refusing an oversize upload, so the next request on a kept-alive socket is answered', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const send = (method: string, path: string, body?: Buffer) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, method, path, agent, headers: body ? { 'content-type': 'application/octet-stream', 'x-iris-edge': '1', 'content-length': body.length } : {} }, (res) => {
          let text = '';
          res.on('data', (c) => (text += String(c)));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        });
        req.on('error', reject);
        req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${path} hung on the kept-alive connection`)));
        req.end(body);
      });
    const refused = await send('POST', '/api/backups/upload', Buffer.alloc(6 * 1024 * 1024));
    assert.equal(refused.status, 413);
    assert.match(refused.text, /larger than .* the limit/);
    assert.equal((await send('GET', '/api/backups')).status, 200);
    agent.destroy();
  });

  it('validates the schedule and keeps the old one on a bad cron', async () => {
    const bad = await call('PUT', '/api/backups/schedule', { enabled: true, cron: '99 * * * *', retention: 3, homeAssistantBackup: false });
    assert.equal(bad.status, 400);
    assert.match(bad.json().message, /not a cron expression/);
    const good = await call('PUT', '/api/backups/schedule', { enabled: true, cron: '15 2 * * 0', retention: 3, homeAssistantBackup: false });
    assert.equal(good.status, 200);
    assert.equal(new Date(good.json().nextRun).getDay(), 0);
    assert.equal((await call('PUT', '/api/backups/schedule', { enabled: true, cron: '15 2 * * 0', retention: 0, homeAssistantBackup: false })).status, 400);
  });

  it('shows the restore plan on GET, restores only with the id as confirmation, and verifies on demand', async () => {
    const plan = (await call('GET', `/api/backups/${id}/restore`)).json().plan;
    assert.ok(plan.replace.some((r: { name: string }) => r.name === 'USER'));
    const unconfirmed = await call('POST', `/api/backups/${id}/restore`, { confirm: 'yes' });
    assert.equal(unconfirmed.status, 400);
    assert.match(unconfirmed.json().message, /confirm with the backup's id/);
    assert.equal((await call('POST', `/api/backups/${id}/restore`, {})).status, 400);
    assert.equal((await call('POST', `/api/backups/${id}/restore`, { confirm: id })).status, 202);
    const job = await settled();
    assert.equal(job.state, 'ok', JSON.stringify(job.steps));
    assert.equal((await call('POST', `/api/backups/${id}/verify`, {})).status, 202);
    assert.equal((await settled()).state, 'ok');
  });
});
