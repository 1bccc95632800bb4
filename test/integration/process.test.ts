/** The bridge as a user runs it (`npm start`): a separate process, killed, stopped, misconfigured. */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runBridge } from '../support/bridge-process.ts';
import { waitFor } from '../support/fixtures.ts';
import { freePort, Mosquitto } from '../support/mosquitto.ts';
import { Observer } from '../support/observer.ts';

let broker: Mosquitto;
before(async () => {
  broker = await Mosquitto.start();
});
after(async () => {
  await broker.close();
});

describe('the bridge process', () => {
  it('says it runs on the simulator, and its Last Will marks it offline when it is killed', async () => {
    const observer = await Observer.connect(broker.url);
    const b = runBridge({ MQTT_URL: broker.url, INSTANCE_ID: 'killed' });
    try {
      await observer.waitFor('iris-edge/killed/bridge/availability', (p) => p === 'online', 20_000);
      assert.match(b.output(), /running against the built-in IRIS SIMULATOR/);
      b.proc.kill('SIGKILL');
      await observer.waitFor('iris-edge/killed/bridge/availability', (p) => p === 'offline', 5000);
    } finally {
      b.proc.kill('SIGKILL');
      await observer.close();
    }
  });

  it('stops cleanly on SIGTERM, exit code 0, marking itself offline', async () => {
    const observer = await Observer.connect(broker.url);
    const b = runBridge({ MQTT_URL: broker.url, INSTANCE_ID: 'stopped' });
    try {
      await observer.waitFor('iris-edge/stopped/bridge/availability', (p) => p === 'online', 20_000);
      b.proc.kill('SIGTERM');
      assert.equal(await b.exited(), 0);
      await observer.waitFor('iris-edge/stopped/bridge/availability', (p) => p === 'offline', 5000);
    } finally {
      b.proc.kill('SIGKILL');
      await observer.close();
    }
  });

  it('`npm start` stops on SIGTERM to npm alone: the bridge and its IRIS connection process end, offline published', async () => {
    const observer = await Observer.connect(broker.url);
    let out = '';
    // A process group of its own, so that what is left of it afterwards can be seen (and cleaned up).
    const npm = spawn('npm', ['start', '--silent'], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', PANEL_PORT: '0', MCP_PORT: '0', MQTT_URL: broker.url, INSTANCE_ID: 'npmstop' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    npm.stdout?.on('data', (d) => (out += String(d)));
    npm.stderr?.on('data', (d) => (out += String(d)));
    const groupAlive = () => {
      try {
        process.kill(-(npm.pid as number), 0);
        return true;
      } catch {
        return false;
      }
    };
    try {
      await observer.waitFor('iris-edge/npmstop/bridge/availability', (p) => p === 'online', 30_000);
      npm.kill('SIGTERM');
      await observer.waitFor('iris-edge/npmstop/bridge/availability', (p) => p === 'offline', 15_000);
      await waitFor(() => !groupAlive(), 15_000, 'every process of `npm start` to end');
      assert.match(out, /SIGTERM received: stopping/);
    } finally {
      if (groupAlive()) process.kill(-(npm.pid as number), 'SIGKILL');
      await observer.close();
    }
  });

  it('stops cleanly on SIGTERM while an upload is half sent: exit code 0, offline, nothing left of the upload', async () => {
    const observer = await Observer.connect(broker.url);
    const stateDir = mkdtempSync(join(tmpdir(), 'iris-edge-stop-upload-'));
    const b = runBridge({ MQTT_URL: broker.url, INSTANCE_ID: 'midupload', IRIS_EDGE_STATE_DIR: stateDir, IRIS_EDGE_BACKUP_DIR: join(stateDir, 'backups') });
    try {
      await observer.waitFor('iris-edge/midupload/bridge/availability', (p) => p === 'online', 20_000);
      const panel = await waitFor(() => /Panel at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(b.output())?.[1], 10_000, 'the panel address');
      const url = new URL('api/backups/upload', panel);
      const upload = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/octet-stream', 'x-iris-edge': '1', 'content-length': String(100 * 1024 * 1024) } });
      upload.on('error', () => {});
      upload.write(Buffer.alloc(1024 * 1024));
      await waitFor(() => readdirSync(join(stateDir, 'backups', '.work')).length > 0 || undefined, 10_000, 'the upload to arrive');
      b.proc.kill('SIGTERM');
      assert.equal(await b.exited(), 0, b.output());
      await observer.waitFor('iris-edge/midupload/bridge/availability', (p) => p === 'offline', 5000);
      assert.deepEqual(readdirSync(join(stateDir, 'backups', '.work')), [], 'the cut upload left a file behind');
      upload.destroy();
    } finally {
      b.proc.kill('SIGKILL');
      await observer.close();
    }
  });

  it('hostile uploads over HTTP while it runs: each a 4xx or read beside the event loop, nothing kept, never offline', { timeout: 120_000 }, async () => {
    const observer = await Observer.connect(broker.url);
    const dir = mkdtempSync(join(tmpdir(), 'iris-edge-hostile-'));
    const b = runBridge({ MQTT_URL: broker.url, INSTANCE_ID: 'hostile', IRIS_EDGE_STATE_DIR: dir, IRIS_EDGE_BACKUP_DIR: join(dir, 'backups'), IRIS_EDGE_CERT_DIR: join(dir, 'certs') });
    try {
      await observer.waitFor('iris-edge/hostile/bridge/availability', (p) => p === 'online', 20_000);
      const since = Date.now();
      const panel = await waitFor(() => /Panel at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(b.output())?.[1], 10_000, 'the panel address');
      const ossl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      ossl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'k.pem', '-out', 'c.pem', '-subj', '/CN=hostile.example', '-days', '2']);
      ossl(['pkcs12', '-export', '-in', 'c.pem', '-inkey', 'k.pem', '-out', 'slow.p12', '-passout', 'pass:pw', '-iter', '400000']);
      writeFileSync(join(dir, 'photo.jpg'), randomBytes(1024 * 1024));
      execFileSync('tar', ['czf', 'any.tar.gz', 'photo.jpg'], { cwd: dir });
      const post = (path: string, body: BodyInit, type = 'application/json') =>
        fetch(new URL(path, panel), { method: 'POST', headers: { 'content-type': type, 'x-iris-edge': '1' }, body }).then(async (r) => ({ status: r.status, body: (await r.json()) as { error?: string } }));
      const order: string[] = [];
      const slow = post('api/certificates/inspect', JSON.stringify({ pkcs12Base64: readFileSync(join(dir, 'slow.p12')).toString('base64'), password: 'pw' })).then((r) => {
        order.push('pkcs12');
        return r;
      });
      // While a worker reads the PKCS#12, the event loop answers the rest (certificate jobs queue for a worker).
      const [archive, state] = await Promise.all([post('api/backups/upload', new Uint8Array(readFileSync(join(dir, 'any.tar.gz'))), 'application/octet-stream'), fetch(new URL('api/state', panel))]);
      order.push('others');
      assert.equal(archive.status, 400);
      assert.equal(archive.body.error, 'backup-bad-archive');
      assert.equal(state.status, 200);
      assert.ok([200, 400].includes((await slow).status));
      assert.deepEqual(order, ['others', 'pkcs12'], 'the other requests waited for the PKCS#12');
      const begins = await post('api/certificates/inspect', JSON.stringify({ pem: '-----BEGIN CERTIFICATE-----\n'.repeat(30_000) }));
      assert.equal(begins.status, 400);
      const certs = (await (await fetch(new URL('api/certificates', panel))).json()) as { certificates: { source: string }[] };
      const backups = (await (await fetch(new URL('api/backups', panel))).json()) as { backups: unknown[] };
      assert.deepEqual([certs.certificates.filter((c) => c.source === 'store').length, backups.backups.length], [0, 0], 'nothing stored');
      assert.equal(b.proc.exitCode, null, 'the bridge is still running');
      assert.equal(observer.messages.filter((m) => m.topic === 'iris-edge/hostile/bridge/availability' && m.at >= since && m.payload === 'offline').length, 0);
    } finally {
      b.proc.kill('SIGKILL');
      await observer.close();
    }
  });

  it('keeps retrying while the broker is away, saying so, and connects when it appears', async () => {
    const port = await freePort();
    const b = runBridge({ MQTT_URL: `mqtt://127.0.0.1:${port}`, INSTANCE_ID: 'patient' });
    try {
      await waitFor(() => /not reachable.*retrying in \d+ s/.test(b.output()), 20_000, 'a retry message');
      await waitFor(() => (b.output().match(/retrying in/g) ?? []).length >= 2, 10_000, 'a second retry');
      assert.match(b.output(), /retrying in 1 s[\s\S]*retrying in 2 s/, 'backs off');
      assert.equal(b.proc.exitCode, null, 'still running');
      assert.doesNotMatch(b.output(), /Connected to the MQTT broker/);
    } finally {
      b.proc.kill('SIGKILL');
    }
  });

  it('refuses to start with a bad option, naming it and what is allowed', async () => {
    const b = runBridge({ POLL_INTERVAL: '1', LOG_LEVEL: 'chatty' });
    assert.equal(await b.exited(), 2);
    assert.match(b.output(), /option "poll_interval" is 1; allowed: at least 2/);
    assert.match(b.output(), /option "log_level" is "chatty"; allowed: one of trace, debug, info, warning, error/);
  });
});
