/**
 * Bench: the panel (DESIGN.md §11 budgets: first load < 200 KB gzipped; live updates < 200 ms
 * after the bridge sees them). Prints figures; nothing here passes or fails.
 *
 * (1) First load: every byte the browser fetches to show the Overview (index.html, the JS and CSS
 *     bundles as served with gzip) plus the websocket snapshot of the state, gzipped.
 * (2) Live update: monitor 'view' event -> the message arrives on an open websocket, on the demo
 *     scenario and on 10 productions x 100 hosts.
 */
import { gzipSync } from 'node:zlib';
import pino from 'pino';
import WebSocket from 'ws';
import { IrisSimulator, demoScenario, scaleScenario, type ProductionSeed } from '../src/iris/simulator/index.ts';
import { Monitor } from '../src/monitor/monitor.ts';
import { LogBuffer } from '../src/panel/log-buffer.ts';
import { startPanel } from '../src/panel/server.ts';

const SAMPLES = 40;
const BUDGET_BYTES = 200 * 1024;
const ms = (n: number) => `${n.toFixed(1)} ms`;
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
  return `min ${ms(s[0] ?? 0)}, median ${ms(at(0.5))}, p95 ${ms(at(0.95))}, max ${ms(s.at(-1) ?? 0)} (n=${s.length})`;
};

async function setup(productions: ProductionSeed[]) {
  const sim = new IrisSimulator({ productions, transitionMs: 10 });
  const logs = new LogBuffer(100);
  const log = pino({ level: 'warn', base: undefined }, pino.multistream([{ level: 'warn', stream: logs }]));
  // A long poll interval: the bench triggers each poll itself.
  const monitor = new Monitor(sim, { pollIntervalMs: 3_600_000, removalGracePolls: 2 }, log);
  await monitor.start();
  const panel = await startPanel({
    monitors: [{ id: 'iris', monitor, instanceName: 'IRIS' }],
    mode: 'standalone',
    port: 0,
    connect: { superserverPort: 1972, webPort: 52773, portalPath: '/csp/sys/UtilHome.csp', serviceAccount: 'iris_edge' },
    logs,
    log,
  });
  return { sim, monitor, panel };
}

async function firstLoad(base: string): Promise<{ rows: string[]; total: number }> {
  const rows: string[] = [];
  let total = 0;
  const get = async (path: string) => {
    const r = await fetch(base + path, { headers: { 'accept-encoding': 'gzip' } });
    const wire = Number(r.headers.get('content-length') ?? 0);
    const text = await r.text();
    total += wire;
    rows.push(`  ${path || 'index.html'}: ${kb(wire)} on the wire (${r.headers.get('content-encoding') ?? 'identity'}), ${kb(Buffer.byteLength(text))} unpacked`);
    return text;
  };
  const html = await get('');
  for (const m of html.matchAll(/(?:src|href)="\.\/(assets\/[^"]+)"/g)) await get(m[1] as string);
  const snapshot = await new Promise<string>((resolve, reject) => {
    const ws = new WebSocket(base.replace('http', 'ws') + 'api/feed', { perMessageDeflate: false });
    ws.once('message', (d) => {
      resolve(String(d));
      ws.close();
    });
    ws.once('error', reject);
  });
  // Counted raw (a client that does not negotiate permessage-deflate); the deflated size is close to gzip's.
  const raw = Buffer.byteLength(snapshot);
  total += raw;
  rows.push(`  websocket snapshot: ${kb(raw)} uncompressed (counted); ${kb(gzipSync(snapshot).length)} gzipped, about what permessage-deflate sends`);
  return { rows, total };
}

async function liveLatency(productions: ProductionSeed[], label: string): Promise<void> {
  const { sim, monitor, panel } = await setup(productions);
  const ws = new WebSocket(panel.url.replace('http', 'ws') + 'api/feed');
  await new Promise((r) => ws.once('message', r)); // the snapshot
  const samples: number[] = [];
  const first = productions[0] as ProductionSeed;
  const host = first.hosts[0]?.name as string;
  let bytes = 0;
  for (let i = 0; i < SAMPLES; i++) {
    sim.setQueue(first.namespace, first.name, host, i + 1);
    let seenAt = 0;
    monitor.once('view', () => (seenAt = performance.now()));
    const got = new Promise<void>((resolve) => {
      const on = (d: WebSocket.RawData) => {
        const m = JSON.parse(String(d));
        if (m.type === 'instance') {
          bytes = Buffer.byteLength(String(d));
          ws.off('message', on);
          resolve();
        }
      };
      ws.on('message', on);
    });
    await monitor.poll();
    await got;
    samples.push(performance.now() - seenAt);
  }
  console.log(`live update, ${label} (message ${kb(bytes)}): monitor view -> page: ${stats(samples)} (budget 200 ms)`);
  ws.close();
  await panel.close();
  monitor.stop();
  await sim.close();
}

async function main(): Promise<void> {
  console.log('IRIS Edge panel bench');
  const demo = await setup(demoScenario());
  const fl = await firstLoad(demo.panel.url);
  console.log(`first load (demo scenario): ${kb(fl.total)} on the wire (budget ${kb(BUDGET_BYTES)} gzipped)`);
  for (const r of fl.rows) console.log(r);
  await demo.panel.close();
  demo.monitor.stop();
  await demo.sim.close();
  const big = await setup(scaleScenario(10, 100));
  const flBig = await firstLoad(big.panel.url);
  console.log(`first load (10 productions x 100 hosts): ${kb(flBig.total)} on the wire`);
  for (const r of flBig.rows.slice(-1)) console.log(r);
  await big.panel.close();
  big.monitor.stop();
  await big.sim.close();
  await liveLatency(demoScenario(), 'demo scenario');
  await liveLatency(scaleScenario(10, 100), '10 productions x 100 hosts');
}

await main();
