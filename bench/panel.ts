/**
 * Bench: the panel (DESIGN.md §11: first load <= 60 KB on the wire at 10 x 100; live updates
 * < 200 ms after the bridge sees them). Prints figures; nothing here passes or fails.
 *
 * Every byte figure is counted on a TCP proxy (bench/support/wire.ts): headers, framing and all,
 * as sent. Three clients fetch what the Overview needs (index.html, the JS and CSS it names, the
 * websocket snapshot; the Overview makes no other API call):
 *   plain   asks for no compression: the add-on's bytes uncompressed;
 *   direct  a browser straight at the panel (outside Home Assistant): Accept-Encoding of a
 *           browser, permessage-deflate offered;
 *   ingress the same browser behind Home Assistant's ingress border (support/ingress-border.py on
 *           the aiohttp of the e2e harness's Home Assistant chroot), which is what reaches a
 *           browser in the add-on.
 * Then the steady state (bytes per poll on an open feed), the event loop's delay while five
 * clients take a snapshot, and the live-update latency.
 */
import { execFileSync } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { deflateRawSync } from 'node:zlib';
import WebSocket from 'ws';
import { demoScenario, scaleScenario, type ProductionSeed } from '../src/iris/simulator/index.ts';

import { realisticScenario } from './support/realistic-scenario.ts';
import { startPanelRig } from '../test/support/panel-rig.ts';
import { countingProxy, fetchCounted, openFeedCounted, startBorder, type Border, type CountingProxy, type Fetched } from './support/wire.ts';

const SAMPLES = 40;
const POLLS = 10;
/** Hosts whose queue changes in each measured poll (a busy production). */
const CHANGED_PER_POLL = 20;
const BROWSER_ENCODINGS = 'gzip, deflate, br, zstd';
const ms = (n: number) => `${n.toFixed(1)} ms`;
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
  return `min ${ms(s[0] ?? 0)}, median ${ms(at(0.5))}, p95 ${ms(at(0.95))}, max ${ms(s.at(-1) ?? 0)} (n=${s.length})`;
};

const setup = (productions: ProductionSeed[]) => startPanelRig({ productions });

type Client = 'plain' | 'direct' | 'ingress';
interface Row {
  what: string;
  wire: Partial<Record<Client, number>>;
  raw: number;
  coding: Partial<Record<Client, string>>;
}

async function firstLoad(proxy: CountingProxy, client: Client, rows: Row[]): Promise<void> {
  const accept = client === 'plain' ? null : BROWSER_ENCODINGS;
  const row = (what: string): Row => {
    let r = rows.find((x) => x.what === what);
    if (!r) rows.push((r = { what, wire: {}, raw: 0, coding: {} }));
    return r;
  };
  const html = await fetchCounted(proxy, '', accept);
  const files = [...html.body.toString('utf8').matchAll(/(?:src|href)="\.\/(assets\/[^"]+)"/g)].map((m) => m[1] as string);
  const note = (what: string, got: Fetched) => {
    const r = row(what);
    r.wire[client] = got.wire;
    r.coding[client] = got.encoding;
    if (client === 'plain') r.raw = got.body.length;
  };
  note('index.html', html);
  for (const f of files) note(f.replace(/-[\w-]{10}\./, '.'), await fetchCounted(proxy, f, accept));
  const feed = await openFeedCounted(proxy, client !== 'plain');
  const r = row('websocket snapshot');
  r.wire[client] = feed.snapshotWire;
  r.coding[client] = feed.extensions ? 'permessage-deflate' : 'none';
  if (client === 'plain') r.raw = Buffer.byteLength(feed.snapshotText);
  feed.ws.close();
}

function printTable(title: string, rows: Row[], clients: Client[]): void {
  console.log(title);
  const pad = (s: string, n: number) => s.padEnd(n);
  console.log(`  ${pad('', 30)}${pad('uncompressed', 14)}${clients.map((c) => pad(`${c} (as sent)`, 34)).join('')}`);
  const total: Partial<Record<Client, number>> = {};
  let rawTotal = 0;
  for (const r of rows) {
    rawTotal += r.raw;
    const cells = clients.map((c) => {
      total[c] = (total[c] ?? 0) + (r.wire[c] ?? 0);
      return pad(r.wire[c] === undefined ? '-' : `${kb(r.wire[c] as number)} ${r.coding[c]}`, 34);
    });
    console.log(`  ${pad(r.what, 30)}${pad(kb(r.raw), 14)}${cells.join('')}`);
  }
  console.log(`  ${pad('TOTAL first load', 30)}${pad(kb(rawTotal), 14)}${clients.map((c) => pad(kb(total[c] ?? 0), 34)).join('')}`);
}

async function steadyState(env: Awaited<ReturnType<typeof setup>>, productions: ProductionSeed[], proxy: CountingProxy, deflate: boolean): Promise<{ perPoll: number; raw: number }> {
  const feed = await openFeedCounted(proxy, deflate);
  let wire = 0;
  let raw = 0;
  let n = 0;
  for (let i = 0; i < POLLS; i++) {
    const got = await feed.nextCounted('instance', async () => {
      for (let k = 0; k < CHANGED_PER_POLL; k++) {
        const p = productions[k % productions.length] as ProductionSeed;
        const h = p.hosts[Math.floor(k / productions.length) % p.hosts.length]?.name as string;
        env.sim.setQueue(p.namespace, p.name, h, ++n);
      }
      await env.monitor.poll();
    });
    wire += got.wire;
    raw += Buffer.byteLength(got.text);
  }
  feed.ws.close();
  return { perPoll: wire / POLLS, raw: raw / POLLS };
}

/** The event loop's delay while `clients` feeds connect at once (the MQTT keepalive shares that loop). */
async function snapshotLoopDelay(url: string, clients: number, deflate: boolean): Promise<string> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const t0 = performance.now();
  const sockets = await Promise.all(
    Array.from({ length: clients }, () => {
      const u = new URL('api/feed', url);
      u.protocol = 'ws:';
      const ws = new WebSocket(u, { perMessageDeflate: deflate });
      return new Promise<WebSocket>((resolve, reject) => {
        ws.once('message', () => resolve(ws));
        ws.once('error', reject);
      });
    }),
  );
  const took = performance.now() - t0;
  h.disable();
  for (const s of sockets) s.close();
  return `${clients} snapshots ${deflate ? 'deflated' : 'plain'} in ${ms(took)}: event-loop delay max ${ms(h.max / 1e6)}, p99 ${ms(h.percentile(99) / 1e6)}, mean ${ms(h.mean / 1e6)}`;
}

async function liveLatency(productions: ProductionSeed[], label: string): Promise<void> {
  const env = await setup(productions);
  const ws = new WebSocket(env.panel.url.replace('http', 'ws') + 'api/feed');
  await new Promise((r) => ws.once('message', r)); // the snapshot
  const samples: number[] = [];
  const first = productions[0] as ProductionSeed;
  const host = first.hosts[0]?.name as string;
  for (let i = 0; i < SAMPLES; i++) {
    env.sim.setQueue(first.namespace, first.name, host, i + 1);
    let seenAt = 0;
    env.monitor.once('view', () => (seenAt = performance.now()));
    const got = new Promise<void>((resolve) => {
      const on = (d: WebSocket.RawData) => {
        if ((JSON.parse(String(d)) as { type: string }).type !== 'instance') return;
        ws.off('message', on);
        resolve();
      };
      ws.on('message', on);
    });
    await env.monitor.poll();
    await got;
    samples.push(performance.now() - seenAt);
  }
  console.log(`live update, ${label}: monitor view -> page: ${stats(samples)} (budget 200 ms)`);
  ws.close();
  await env.close();
}

function haRoot(): string | undefined {
  try {
    return execFileSync('bash', ['test/e2e/harness/prepare.sh', '--root'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
  } catch {
    return undefined;
  }
}

async function scenario(label: string, productions: ProductionSeed[], root: string | undefined, detail: boolean): Promise<void> {
  const env = await setup(productions);
  const direct = await countingProxy(new URL(env.panel.url));
  const border: Border | string = await startBorder(root, env.panel.url);
  const viaBorder = typeof border === 'string' ? undefined : await countingProxy(new URL(border.url));
  const rows: Row[] = [];
  await firstLoad(direct, 'plain', rows);
  await firstLoad(direct, 'direct', rows);
  if (viaBorder) await firstLoad(viaBorder, 'ingress', rows);
  const clients: Client[] = viaBorder ? ['plain', 'direct', 'ingress'] : ['plain', 'direct'];
  printTable(`first load, ${label} (goal <= 60 KB as sent):`, rows, clients);
  const snap = await openFeedCounted(direct, false);
  snap.ws.close();
  console.log(`  if every host had its own lastActivity: about +${kb(distinctTimesCost(snap.snapshotText))} on the deflated snapshot`);
  if (typeof border === 'string') console.log(`  (no ingress column: ${border})`);
  if (detail) {
    const plain = await steadyState(env, productions, direct, false);
    const defl = await steadyState(env, productions, direct, true);
    const ingress = viaBorder ? await steadyState(env, productions, viaBorder, true) : undefined;
    console.log(
      `steady state, ${label}, ${CHANGED_PER_POLL} hosts changed per poll (mean of ${POLLS} polls): message ${kb(plain.raw)} uncompressed; ` +
        `as sent: plain ${kb(plain.perPoll)}, direct ${kb(defl.perPoll)}${ingress ? `, ingress ${kb(ingress.perPoll)}` : ''}`,
    );
    console.log(`event loop, ${label}: ${await snapshotLoopDelay(env.panel.url, 5, true)}`);
    console.log(`event loop, ${label}: ${await snapshotLoopDelay(env.panel.url, 5, false)}`);
  }
  await viaBorder?.close();
  if (typeof border !== 'string') await border.close();
  await direct.close();
  await env.close();
}

/**
 * The simulator stamps every host with one lastActivity; real hosts each have their own. The
 * snapshot re-stamped with distinct times in the last day and deflated as the border does
 * (level 6, 32 KiB window) says what that would add.
 */
function distinctTimesCost(snapshot: string): number {
  let t = Date.parse('2026-12-02T12:00:00Z');
  const stamped = snapshot.replace(/"lastActivity":"[^"]+"/g, () => `"lastActivity":"${new Date((t -= 7_919 * 11)).toISOString()}"`);
  return deflateRawSync(stamped, { level: 6 }).length - deflateRawSync(snapshot, { level: 6 }).length;
}

async function main(): Promise<void> {
  console.log('IRIS Edge panel bench');
  const root = haRoot();
  await scenario('demo scenario', demoScenario(), root, false);
  await scenario('10 productions x 100 hosts', scaleScenario(10, 100), root, true);
  await scenario('10 x 100, names like real productions', realisticScenario(10, 100), root, false);
  await liveLatency(demoScenario(), 'demo scenario');
  await liveLatency(scaleScenario(10, 100), '10 productions x 100 hosts');
}

await main();
