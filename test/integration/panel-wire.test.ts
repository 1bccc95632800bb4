/**
 * What the panel puts on the wire, over real sockets: static files compressed only when asked
 * (and cacheable by their hashed names), the live feed deflated when the client offers it, and
 * the feed's bounds against clients that take places or never read.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import WebSocket from 'ws';
import type { IrisAlert } from '../../src/model/alerts.ts';
import type { FeedLimits } from '../../src/panel/context.ts';
import { FEED_LIMITS } from '../../src/panel/feed.ts';
import { readFileSync } from 'node:fs';
import { waitFor, within } from '../support/fixtures.ts';
import type { RunningPanel } from '../../src/panel/server.ts';
import { startPanelRig, type PanelRig } from '../support/panel-rig.ts';

type Rig = PanelRig;
const rig = (feed: Partial<FeedLimits> = {}): Promise<Rig> => startPanelRig({ feed });

/** A GET whose body is returned as sent (no decoding), with its headers. */
function rawGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      })
      .on('error', reject);
  });
}

function feedUrl(panel: RunningPanel): string {
  return panel.url.replace('http', 'ws') + 'api/feed';
}

/** A feed client that has its snapshot; `extensions`: what the server's handshake answer agreed. */
async function openFeed(panel: RunningPanel, deflate: boolean | { serverMaxWindowBits: number }): Promise<{ ws: WebSocket; snapshot: any; extensions: string }> {
  const ws = new WebSocket(feedUrl(panel), { perMessageDeflate: deflate });
  let extensions = '';
  ws.once('upgrade', (res) => (extensions = String(res.headers['sec-websocket-extensions'] ?? '')));
  const snapshot = await within(
    new Promise<any>((resolve, reject) => {
      ws.once('message', (d) => resolve(JSON.parse(String(d))));
      ws.once('error', reject);
    }),
    5000,
    'the feed snapshot',
  );
  return { ws, snapshot, extensions };
}

/** A feed client, retried while the feed is full (closed with 1013) until it gets its snapshot. */
function roomyFeed(panel: RunningPanel): Promise<{ ws: WebSocket; first: string }> {
  return waitFor(
    async () => {
      const ws = new WebSocket(feedUrl(panel));
      const first = await new Promise<string | null>((resolve) => {
        ws.once('message', (d) => resolve(String(d)));
        ws.once('close', () => resolve(null));
      });
      return first ? { ws, first } : undefined;
    },
    5000,
    'a place on the feed',
  );
}

/**
 * A websocket client by hand: it completes the handshake and then answers nothing (no pong) and,
 * once paused, reads nothing. What a hung browser tab or a half-open connection looks like.
 */
async function rawFeedSocket(panel: RunningPanel): Promise<net.Socket> {
  const u = new URL(panel.url);
  const socket = net.connect({ host: u.hostname, port: Number(u.port) });
  await once(socket, 'connect');
  socket.write(
    `GET /api/feed HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${Buffer.from('0123456789abcdef').toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  const [head] = (await once(socket, 'data')) as [Buffer];
  assert.match(head.toString('latin1'), /^HTTP\/1\.1 101 /);
  return socket;
}

describe('panel on the wire: static files', () => {
  let r: Rig;
  let js = '';
  before(async () => {
    r = await rig();
    const html = (await rawGet(r.panel.url)).body.toString('utf8');
    js = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1] ?? '';
    assert.ok(js, 'index.html names its script');
  });
  after(() => r.close());

  it('sends brotli or gzip when asked, the same bytes plain when not, and says it varies on Accept-Encoding', async () => {
    const plain = await rawGet(r.panel.url + js);
    assert.equal(plain.status, 200);
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.match(String(plain.headers['content-type']), /^text\/javascript/);
    const br = await rawGet(r.panel.url + js, { 'accept-encoding': 'gzip, deflate, br, zstd' });
    assert.equal(br.headers['content-encoding'], 'br');
    assert.deepEqual(brotliDecompressSync(br.body), plain.body);
    assert.ok(br.body.length < plain.body.length / 2, `brotli ${br.body.length} B of ${plain.body.length} B`);
    const gz = await rawGet(r.panel.url + js, { 'accept-encoding': 'gzip' });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.deepEqual(gunzipSync(gz.body), plain.body);
    for (const res of [plain, br, gz]) assert.equal(res.headers.vary, 'accept-encoding');
  });

  it('honours q-values: a coding at q=0 is not sent, and identity alone gets the plain file', async () => {
    const noBr = await rawGet(r.panel.url + js, { 'accept-encoding': 'br;q=0, gzip;q=0.5' });
    assert.equal(noBr.headers['content-encoding'], 'gzip');
    const none = await rawGet(r.panel.url + js, { 'accept-encoding': 'identity, *;q=0' });
    assert.equal(none.headers['content-encoding'], undefined);
    const star = await rawGet(r.panel.url, { 'accept-encoding': '*' });
    assert.equal(star.headers['content-encoding'], 'br');
    // Junk is no coding at all, never an error.
    const junk = await rawGet(r.panel.url, { 'accept-encoding': ';;q=x, ,,' + 'a'.repeat(2000) });
    assert.equal(junk.status, 200);
    assert.equal(junk.headers['content-encoding'], undefined);
  });

  it('lets hashed files be cached for good and index.html revalidated', async () => {
    const file = await rawGet(r.panel.url + js, { 'accept-encoding': 'br' });
    assert.equal(file.headers['cache-control'], 'public, max-age=31536000, immutable');
    const page = await rawGet(r.panel.url, { 'accept-encoding': 'br' });
    assert.equal(page.headers['cache-control'], 'no-cache');
    const again = await rawGet(r.panel.url, { 'accept-encoding': 'br', 'if-none-match': String(page.headers.etag) });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
  });
});

describe('panel on the wire: live feed', () => {
  let r: Rig;
  before(async () => {
    r = await rig({ maxClients: 3, maxBufferedBytes: 64 * 1024, pingIntervalMs: 300 });
  });
  after(() => r.close());

  it('deflates for a client that offers it, with a small window, and not for one that does not', async () => {
    const deflated = await openFeed(r.panel, true);
    assert.equal(deflated.ws.extensions, 'permessage-deflate');
    assert.match(deflated.extensions, /^permessage-deflate;.*server_max_window_bits=13/);
    assert.equal(deflated.snapshot.type, 'state');
    assert.ok(deflated.snapshot.instances[0].productions.length > 0);
    const plain = await openFeed(r.panel, false);
    assert.equal(plain.ws.extensions, '');
    assert.equal(plain.extensions, '');
    // A client that demands a smaller window than the feed's gets it uncompressed, not refused.
    const small = await openFeed(r.panel, { serverMaxWindowBits: 10 });
    assert.equal(small.extensions, '');
    assert.deepEqual(small.snapshot.instances, deflated.snapshot.instances);
    small.ws.close();
    assert.deepEqual(plain.snapshot.instances, deflated.snapshot.instances);
    // Changes keep coming on both after the snapshot.
    const first = deflated.snapshot.instances[0].productions[0];
    const host = first.hosts[0].name;
    const seen = (ws: WebSocket) =>
      within(
        new Promise<void>((resolve) => {
          const on = (d: WebSocket.RawData) => {
            const m = JSON.parse(String(d));
            const h = m.type === 'instance' ? m.instance.productions.find((p: any) => p.key === first.key)?.hosts.find((x: any) => x.name === host) : undefined;
            if (h?.queue !== 7) return;
            ws.off('message', on);
            resolve();
          };
          ws.on('message', on);
        }),
        5000,
        'the changed queue on the feed',
      );
    const both = Promise.all([seen(deflated.ws), seen(plain.ws)]);
    r.sim.setQueue(first.namespace, first.name, host, 7);
    await r.monitor.poll();
    await both;
    deflated.ws.close();
    plain.ws.close();
    await waitFor(() => deflated.ws.readyState === WebSocket.CLOSED && plain.ws.readyState === WebSocket.CLOSED, 5000, 'both feeds closed');
  });

  it('gives a page that connects after a change the changed state, though snapshots are shared', async () => {
    const a = await openFeed(r.panel, false);
    const first = a.snapshot.instances[0].productions[0];
    const host = first.hosts[0].name;
    const queueIn = (snap: any) => snap.instances[0].productions.find((p: any) => p.key === first.key).hosts.find((x: any) => x.name === host).queue;
    const was = queueIn(a.snapshot);
    r.sim.setQueue(first.namespace, first.name, host, was + 5);
    await r.monitor.poll();
    const b = await openFeed(r.panel, false);
    assert.equal(queueIn(b.snapshot), was + 5);
    for (const f of [a, b]) f.ws.close();
    await waitFor(() => a.ws.readyState === WebSocket.CLOSED && b.ws.readyState === WebSocket.CLOSED, 5000, 'both feeds closed');
  });

  it('takes at most maxClients feeds, tells the next one to try later, and has room again once one leaves', async () => {
    // Places the earlier tests' pages held are free once the server has seen them close.
    const open = [await roomyFeed(r.panel), await roomyFeed(r.panel), await roomyFeed(r.panel)];
    const extra = new WebSocket(feedUrl(r.panel));
    const [code, reason] = (await within(once(extra, 'close'), 5000, 'the extra feed closed')) as [number, Buffer];
    assert.equal(code, 1013);
    assert.match(String(reason), /3 live pages at once/);
    open[0]?.ws.close();
    await once(open[0]?.ws as WebSocket, 'close');
    // The server drops a leaver on its own close event; a new page gets a snapshot once it has.
    const again = await roomyFeed(r.panel);
    assert.equal(JSON.parse(again.first).type, 'state');
    for (const f of [open[1], open[2]]) f?.ws.close();
    again.ws.close();
    await waitFor(() => [open[1], open[2], again].every((f) => f?.ws.readyState === WebSocket.CLOSED), 5000, 'feeds closed');
  });

  it('drops a client that answers no ping, and keeps one that does', async () => {
    const healthy = await openFeed(r.panel, true);
    let pings = 0;
    healthy.ws.on('ping', () => pings++);
    const silent = await rawFeedSocket(r.panel);
    silent.on('data', () => undefined); // reads, but never pongs
    await within(once(silent, 'close'), 10_000, 'the server to drop the client that never pongs');
    await waitFor(() => pings >= 3, 10_000, () => `3 pings answered by the healthy client (${pings})`);
    assert.equal(healthy.ws.readyState, WebSocket.OPEN);
    healthy.ws.close();
    await once(healthy.ws, 'close');
  });

});

describe('panel on the wire: a client that never reads', () => {
  let r: Rig;
  // The default ping period: here only the unsent bytes may get the stuck client dropped.
  before(async () => {
    r = await rig({ maxBufferedBytes: 64 * 1024 });
  });
  after(() => r.close());

  it('is dropped once its unsent bytes pass the bound, while a reading client gets everything', async () => {
    const healthy = await openFeed(r.panel, false);
    let received = 0;
    healthy.ws.on('message', (d) => (received += (d as Buffer).length));
    const stuck = await rawFeedSocket(r.panel);
    stuck.pause();
    // Alerts of 32 KB each (under the inbound limit is irrelevant: this is outbound), far more than
    // the kernel's socket buffers hold, pushed in turns of the event loop so the sockets drain.
    const big: IrisAlert = { time: new Date().toISOString(), severity: 2, severityWord: 'severe', message: 'x'.repeat(32 * 1024) };
    const total = 24 * 1024 * 1024;
    let pushed = 0;
    while (pushed < total) {
      for (let i = 0; i < 16; i++) r.monitor.emit('alert', big);
      pushed += 16 * (32 * 1024);
      await new Promise((res) => setImmediate(res));
      // The sender waits for the reading client, as a page would: nothing here outruns it unbounded.
      await waitFor(() => received >= pushed * 0.9 || undefined, 10_000, () => `the healthy client to keep up (${received} of ${pushed} B)`);
    }
    // The stuck client was cut off: reading now yields far less than was pushed, then the end.
    let got = 0;
    stuck.on('data', (d: Buffer) => (got += d.length));
    stuck.resume();
    await within(once(stuck, 'close'), 10_000, 'the stuck client to have been dropped');
    assert.ok(got < total / 2, `the stuck client got ${got} B of ${total} B pushed`);
    assert.equal(healthy.ws.readyState, WebSocket.OPEN);
    healthy.ws.close();
    await once(healthy.ws, 'close');
  });
});

describe('panel on the wire: what DOCS.md promises', () => {
  it('names the number of live pages the feed serves by default', () => {
    const docs = readFileSync(new URL('../../DOCS.md', import.meta.url), 'utf8').replace(/\s+/g, ' ');
    assert.match(docs, new RegExp(`Up to ${FEED_LIMITS.maxClients} panel pages \\(browser tabs\\) are live at once`));
  });
});
