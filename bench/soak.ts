/**
 * Soak: an hour of a very busy household compressed into SOAK_MINUTES (default 10) against the
 * built bridge (node dist/main.js, as in the image) on the demo simulator and a real mosquitto.
 * Mixed load, all at once, at about six times what an hour of real use would bring:
 * - the panel's API: reads of every page (10/s), certificate inspections and imports, and hostile
 *   requests (bad JSON, oversized bodies, wrong methods and types, long URLs) (2/s);
 * - MQTT: production and host commands, half of them invalid (20/s);
 * - the live feed: two pages that reconnect every 25 s;
 * - backups: one every 45 s, verified, downloaded, deleted and uploaded back, an upload cut off
 *   half-way every other time, at most three kept.
 * Every SAMPLE_S seconds it prints the bridge's resident memory (and its IRIS connection
 * process's), how long a trivial request (GET api/session, every 200 ms) waited, which is what
 * the event loop's delay costs a user, the requests made and any 5xx. At the end: whether RSS
 * levelled off (its growth over the second half), and whether the bridge ever went offline.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import WebSocket from 'ws';
import { freePort, Mosquitto } from '../test/support/mosquitto.ts';
import { processSample, startCompiledBridge } from './support/bridge-process.ts';
import { childrenOf } from '../test/support/processes.ts';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 10);
const SAMPLE_S = Number(process.env.SAMPLE_S ?? 30);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

interface Window {
  probes: number[];
  requests: number;
  server5xx: number;
  failed: number;
}
const fresh = (): Window => ({ probes: [], requests: 0, server5xx: 0, failed: 0 });
let win = fresh();
const total = { requests: 0, server5xx: 0, failed: 0, mqtt: 0, backups: 0, uploads: 0, cutUploads: 0, feeds: 0 };
const fiveXx: string[] = [];
const failures: string[] = [];

const quantile = (xs: number[], q: number) => {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

async function main(): Promise<void> {
  const broker = await Mosquitto.start();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}/`;
  const work = mkdtempSync(join(tmpdir(), 'iris-edge-soak-'));
  const bridgeLog = join(work, 'bridge.log');
  const bridge = startCompiledBridge(
    {
      MQTT_URL: broker.url,
      POLL_INTERVAL: '5',
      COMMAND_COOLDOWN: '0',
      PANEL_PORT: String(port),
      MCP_PORT: '0',
      LOG_LEVEL: 'info',
      IRIS_EDGE_STATE_DIR: join(work, 'state'),
      IRIS_EDGE_CERT_DIR: join(work, 'certs'),
      IRIS_EDGE_BACKUP_DIR: join(work, 'backups'),
      IRIS_EDGE_SIMULATOR_DATA_DIR: join(work, 'iris'),
    },
    'pipe',
  );
  const logFile = createWriteStream(bridgeLog);
  bridge.stdout?.pipe(logFile);
  bridge.stderr?.pipe(logFile);

  const call = async (method: string, path: string, init: { body?: BodyInit; type?: string; signal?: AbortSignal } = {}) => {
    win.requests += 1;
    total.requests += 1;
    try {
      const r = await fetch(base + path, {
        method,
        body: init.body,
        signal: init.signal,
        headers: { 'x-iris-edge': '1', ...(init.type ? { 'content-type': init.type } : {}) },
        ...(init.body instanceof ReadableStream ? { duplex: 'half' } : {}),
      } as RequestInit);
      const body = Buffer.from(await r.arrayBuffer());
      if (r.status >= 500 && !(r.status === 503 && path.includes('certificates'))) {
        win.server5xx += 1;
        total.server5xx += 1;
        if (fiveXx.length < 10) fiveXx.push(`${method} ${path.slice(0, 80)} -> ${r.status} ${body.toString('utf8').slice(0, 120)}`);
      }
      return { status: r.status, body };
    } catch (err) {
      if ((err as Error).name !== 'AbortError') {
        win.failed += 1;
        total.failed += 1;
        if (failures.length < 10) failures.push(`${method} ${path.slice(0, 60)}: ${(err as Error).message} ${String((err as { cause?: Error }).cause?.message ?? '')}`);
      }
      return { status: 0, body: Buffer.alloc(0) };
    }
  };
  const json = (o: unknown) => ({ body: JSON.stringify(o), type: 'application/json' });

  // Wait for the panel and the first poll.
  for (let i = 0; ; i++) {
    if ((await call('GET', 'api/state').catch(() => ({ status: 0 }))).status === 200) break;
    if (i > 300) throw new Error('the bridge did not start; see ' + bridgeLog);
    await sleep(200);
  }
  win = fresh();
  total.requests = 0;
  total.failed = 0;
  failures.length = 0;

  let offline = 0;
  const watcher = mqtt.connect(broker.url);
  watcher.on('connect', () => watcher.subscribe('iris-edge/iris/bridge/availability'));
  watcher.on('message', (_t, p) => {
    if (p.toString() === 'offline') offline += 1;
  });

  const end = Date.now() + MINUTES * 60_000;
  const running = () => Date.now() < end;
  const loops: Promise<void>[] = [];
  const every = (ms: number, fn: () => Promise<void>) =>
    loops.push(
      (async () => {
        while (running()) {
          const t = Date.now();
          await fn().catch(() => undefined);
          await sleep(Math.max(0, ms - (Date.now() - t)));
        }
      })(),
    );

  const prod = 'api/instances/iris/productions/ORDERS/Orders.Replay.Production';
  const reads = ['api/state', 'api/session', 'api/instances/iris', `api/instances/iris/productions/ORDERS/Orders.Production`, 'api/logs?limit=500', 'api/messages-log', 'api/connect', 'api/certificates', 'api/ssl-configs', 'api/backups', 'api/backups/job', 'api/diagnostics', 'api/openapi.json', 'index.html'];
  every(100, async () => void (await call('GET', pick(reads))));
  every(2000, async () => void (await call('POST', `${prod}/actions/${pick(['start', 'stop', 'restart', 'update'])}`, json({ confirm: true }))));

  const hostile: (() => Promise<unknown>)[] = [
    () => call('POST', `${prod}/actions/stop`, { body: '{"confirm": tru', type: 'application/json' }),
    () => call('POST', `${prod}/actions/stop`, json({ confirm: true, pad: 'x'.repeat(40_000) })),
    () => call('POST', 'api/backups', { body: 'x', type: 'text/plain' }),
    () => call('DELETE', 'api/state'),
    () => call('GET', 'api/' + 'a'.repeat(9000)),
    () => call('GET', 'api/nothing/here'),
    () => call('POST', 'api/certificates/inspect', json({ pem: '-----BEGIN CERTIFICATE-----\n'.repeat(20_000) })),
    () => call('POST', 'api/certificates/inspect', json({ pkcs12Base64: Buffer.from(Array.from({ length: 3000 }, () => Math.floor(Math.random() * 256))).toString('base64'), password: 'x' })),
    () => call('GET', 'api/backups/..%2F..%2Fetc%2Fpasswd/download'),
    () => call('POST', 'api/connect/account/reveal', { body: 'null', type: 'application/json' }),
  ];
  every(500, async () => void (await pick(hostile)()));

  const certDir = mkdtempSync(join(work, 'pki-'));
  spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'k.pem', '-out', 'c.pem', '-subj', '/CN=soak.example', '-days', '30'], { cwd: certDir });
  const pem = readFileSync(join(certDir, 'c.pem'), 'utf8') + readFileSync(join(certDir, 'k.pem'), 'utf8');
  let certRound = 0;
  every(3000, async () => {
    await call('POST', 'api/certificates/inspect', json({ pem }));
    if (++certRound % 5 === 0) {
      const r = await call('POST', 'api/certificates', json({ name: `soak-${certRound}`, pem }));
      const id = r.status === 201 ? (JSON.parse(r.body.toString()) as { id: string }).id : null;
      if (id) await call('DELETE', `api/certificates/${id}`);
    }
  });

  const client = mqtt.connect(broker.url);
  await new Promise((r) => client.once('connect', r));
  const commands: [string, string][] = [
    ['iris-edge/iris/orders/orders_replay_production/set', 'START'],
    ['iris-edge/iris/orders/orders_replay_production/set', 'STOP'],
    ['iris-edge/iris/orders/orders_replay_production/restart', 'PRESS'],
    ['iris-edge/iris/lab/lab_results_production/host/results_alerts/set', 'ON'],
    ['iris-edge/iris/lab/lab_results_production/host/results_alerts/set', 'OFF'],
    ['iris-edge/iris/orders/orders_replay_production/set', 'MAYBE'],
    ['iris-edge/iris/orders/nothing/set', 'START'],
    ['iris-edge/iris/' + 'x/'.repeat(2000) + 'set', 'START'],
    ['iris-edge/iris/orders/orders_replay_production/restart', 'x'.repeat(5000)],
    ['iris-edge/iris/orders/orders_replay_production/recover', '\u0000\uffff'],
  ];
  every(50, async () => {
    const [t, p] = pick(commands);
    client.publish(t, p);
    total.mqtt += 1;
  });

  const feed = async () => {
    await new Promise<void>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/api/feed`);
      const timer = setTimeout(() => ws.close(), 25_000);
      ws.on('open', () => (total.feeds += 1));
      ws.on('close', () => {
        clearTimeout(timer);
        resolve();
      });
      ws.on('error', () => resolve());
    });
  };
  every(1000, feed);
  every(1000, feed);

  let backupRound = 0;
  every(45_000, async () => {
    backupRound += 1;
    const started = await call('POST', 'api/backups', json({}));
    if (started.status !== 202) return;
    let job: { state: string; backupId: string | null } = { state: 'running', backupId: null };
    while (job.state === 'running' && running()) {
      await sleep(500);
      job = (JSON.parse((await call('GET', 'api/backups/job')).body.toString() || '{}') as { job: typeof job }).job ?? job;
    }
    if (job.state !== 'ok' || !job.backupId) return;
    total.backups += 1;
    const id = job.backupId;
    await call('POST', `api/backups/${id}/verify`, json({}));
    await sleep(3000);
    const archive = (await call('GET', `api/backups/${id}/download`)).body;
    if (archive.length === 0) return;
    await call('DELETE', `api/backups/${id}`);
    if (backupRound % 2 === 0) {
      // An upload cut off half-way: the connection drops with half the archive sent.
      const ac = new AbortController();
      const half = archive.subarray(0, archive.length >> 1);
      const stream = new ReadableStream({
        start(c) {
          c.enqueue(half);
          setTimeout(() => ac.abort(), 200);
        },
      });
      await call('POST', 'api/backups/upload', { body: stream, type: 'application/octet-stream', signal: ac.signal });
      total.cutUploads += 1;
    }
    if ((await call('POST', 'api/backups/upload', { body: archive, type: 'application/octet-stream' })).status === 201) total.uploads += 1;
    const list = JSON.parse((await call('GET', 'api/backups')).body.toString()) as { backups: { id: string }[] };
    for (const b of list.backups.slice(3)) await call('DELETE', `api/backups/${b.id}`);
  });

  // The probe: what waiting on the event loop costs a person clicking in the panel.
  every(200, async () => {
    const t = performance.now();
    const r = await fetch(base + 'api/session').catch(() => null);
    if (r) await r.arrayBuffer();
    win.probes.push(performance.now() - t);
  });

  const pid = bridge.pid!;
  const rows: { t: number; rss: number; child: number }[] = [];
  console.log(`IRIS Edge soak — built bridge, demo simulator, ${MINUTES} min of mixed load (see bench/soak.ts), sample every ${SAMPLE_S} s`);
  console.log('   min   bridge RSS   IRIS conn. RSS   probe p50 / p99 / max (ms)   requests   5xx   failed');
  const t0 = Date.now();
  while (running()) {
    await sleep(SAMPLE_S * 1000);
    const [child] = childrenOf(pid);
    const row = { t: (Date.now() - t0) / 60_000, rss: processSample(pid).rssMb, child: child ? processSample(child).rssMb : 0 };
    rows.push(row);
    const w = win;
    win = fresh();
    console.log(
      `${row.t.toFixed(1).padStart(6)}   ${row.rss.toFixed(1).padStart(7)} MB   ${row.child.toFixed(1).padStart(10)} MB   ${quantile(w.probes, 0.5).toFixed(1).padStart(9)} / ${quantile(w.probes, 0.99).toFixed(1).padStart(6)} / ${Math.max(0, ...w.probes).toFixed(1).padStart(7)}   ${String(w.requests).padStart(8)}   ${String(w.server5xx).padStart(3)}   ${String(w.failed).padStart(6)}`,
    );
  }
  await Promise.all(loops);

  const second = rows.slice(Math.floor(rows.length / 2));
  const n = second.length;
  const mx = second.reduce((s, r) => s + r.t, 0) / n;
  const my = second.reduce((s, r) => s + r.rss, 0) / n;
  const slope = second.reduce((s, r) => s + (r.t - mx) * (r.rss - my), 0) / (second.reduce((s, r) => s + (r.t - mx) ** 2, 0) || 1);
  const peak = Math.max(...rows.map((r) => r.rss));
  console.log(`requests ${total.requests}, MQTT commands ${total.mqtt}, feed connections ${total.feeds}, backups ${total.backups} (uploaded back ${total.uploads}, uploads cut off ${total.cutUploads})`);
  console.log(`bridge RSS: first sample ${rows[0]?.rss.toFixed(1)} MB, peak ${peak.toFixed(1)} MB, last ${rows.at(-1)?.rss.toFixed(1)} MB; second half ${slope >= 0 ? '+' : ''}${slope.toFixed(2)} MB per minute (${Math.abs(slope) < 1 ? 'levels off' : 'still moving'})`);
  console.log(`5xx answers: ${total.server5xx}${fiveXx.length ? `\n  ${fiveXx.join('\n  ')}` : ''}; requests that failed outright: ${total.failed}${failures.length ? `\n  ${failures.join('\n  ')}` : ''}; bridge offline messages: ${offline}`);
  console.log(`bridge log: ${bridgeLog}`);
  client.end(true);
  watcher.end(true);
  bridge.kill('SIGTERM');
  await new Promise((r) => bridge.once('exit', r));
  await broker.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
