/**
 * The panel's HTTP API and live feed over real sockets, on the simulator. The "Supervisor" is a
 * reverse proxy connecting from 127.0.0.2 (test/browser/harness.ts); a direct client is 127.0.0.1.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { startHarness, INGRESS_PATH, type Harness } from '../browser/harness.ts';
import { holdNextCall, within } from '../support/fixtures.ts';
import { fetchBody, JSON_POST } from '../support/http.ts';

const ORDERS = 'api/instances/iris/productions/ORDERS/Orders.Production';

const req = fetchBody;
const post = (url: string, body: unknown) => req(url, { method: 'POST', headers: JSON_POST, body: typeof body === 'string' ? body : JSON.stringify(body) });

interface Feed {
  ws: WebSocket;
  messages: any[];
  next(pred: (m: any) => boolean, timeoutMs?: number): Promise<any>;
}
function openFeed(base: string, headers: Record<string, string> = {}): Promise<Feed> {
  const url = new URL('api/feed', base);
  url.protocol = 'ws:';
  const ws = new WebSocket(url, { headers });
  const messages: any[] = [];
  const waiters: { pred: (m: any) => boolean; resolve: (m: any) => void }[] = [];
  ws.on('message', (d) => {
    const m = JSON.parse(String(d));
    messages.push(m);
    for (const w of [...waiters]) if (w.pred(m)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(m);
    }
  });
  const feed: Feed = {
    ws,
    messages,
    next: (pred, timeoutMs = 3000) => {
      const hit = messages.find(pred);
      if (hit) return Promise.resolve(hit);
      return within(new Promise((resolve) => waiters.push({ pred, resolve })), timeoutMs, 'a matching feed message');
    },
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(feed));
    ws.once('unexpected-response', (_r, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}
const ordersState = (m: any) => m.instances?.[0]?.productions.find((p: any) => p.name === 'Orders.Production')?.state ?? m.instance?.productions.find((p: any) => p.name === 'Orders.Production')?.state;

describe('panel in add-on mode', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ mode: 'addon', proxy: true });
  });
  after(() => h.close());

  it('answers 403 to a direct connection: page, API and websocket', async () => {
    const page = await req(h.direct);
    assert.equal(page.status, 403);
    assert.match(page.body.message, /Supervisor/);
    assert.equal((await req(h.direct + 'api/state')).status, 403);
    assert.equal((await post(h.direct + `${ORDERS}/actions/stop`, { confirm: true })).status, 403);
    await assert.rejects(openFeed(h.direct), /HTTP 403/);
    assert.equal(h.sim.controlCalls.length, 0);
  });

  it('serves the page and the API through the ingress prefix with relative URLs only', async () => {
    const page = await req(h.ingress as string);
    assert.equal(page.status, 200);
    assert.match(String(page.body), /src="\.\/assets\/main-[\w-]+\.js"/);
    assert.doesNotMatch(String(page.body), /(src|href)="\/(?!\/)/, 'no root-absolute URL');
    const js = String(page.body).match(/src="\.\/(assets\/[^"]+)"/)?.[1] as string;
    const asset = await req((h.ingress as string) + js);
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get('cache-control') ?? '', /immutable/);
    const s = await req(h.ingress + 'api/session');
    assert.deepEqual(s.body, { mode: 'addon', viaIngress: true, ingressPath: INGRESS_PATH, user: { id: 'abc123', name: 'anna', displayName: 'Anna' } });
  });

  it('never redirects, not even for a missing page', async () => {
    for (const p of ['index.html', 'assets/', 'assets/nope.js', 'api', 'api/nope', 'nope/']) {
      const r = await fetch((h.ingress as string) + p, { redirect: 'manual' });
      assert.ok(r.status < 300 || r.status >= 400, `${p} answered ${r.status}`);
      assert.equal(r.headers.get('location'), null);
    }
  });

  it('shows the self-check, runs it again on request, and names a missing privilege with its fix', async () => {
    const first = await req(h.ingress + 'api/diagnostics');
    assert.equal(first.status, 200);
    const checks = first.body.diagnostics[0].checks as { id: string; status: string; fix?: string; detail: string }[];
    assert.deepEqual(checks.filter((c) => c.status !== 'ok').map((c) => c.id), []);
    assert.ok(checks.some((c) => c.id === 'resource:%Ens_ProductionRun'));
    assert.equal((await req(h.ingress + 'api/diagnostics', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status, 403, 'POST without the CSRF header');
    h.sim.iris.security.revoke('IrisEdgeBridge', '%Ens_ProductionRun');
    try {
      const again = await post(h.ingress + 'api/diagnostics', {});
      assert.equal(again.status, 200);
      const failed = (again.body.diagnostics[0].checks as typeof checks).find((c) => c.id === 'resource:%Ens_ProductionRun');
      assert.equal(failed?.status, 'failed');
      assert.match(failed?.fix ?? '', /Restart the add-on/);
    } finally {
      h.sim.iris.security.grant('IrisEdgeBridge', '%Ens_ProductionRun', 'U');
      await post(h.ingress + 'api/diagnostics', {});
    }
  });

  it('offers the diagnostics as a file to attach to a bug report, without secrets', async () => {
    const r = await fetch(h.ingress + 'api/diagnostics/download');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-disposition') ?? '', /^attachment; filename="iris-edge-diagnostics-[\d-]+\.json"$/);
    const text = await r.text();
    const file = JSON.parse(text) as { diagnostics: { checks: unknown[] }[]; bridgeVersion: string; log: unknown[] };
    assert.ok(file.diagnostics[0]!.checks.length > 5);
    assert.ok(Array.isArray(file.log));
    for (const secret of [h.password, h.sim.credentials.password]) assert.ok(!text.includes(secret), 'a password is in the diagnostics file');
  });

  it('documents the API as OpenAPI, with the ingress path as its server', async () => {
    const r = await req(h.ingress + 'api/openapi.json');
    assert.equal(r.status, 200);
    assert.equal(r.body.openapi, '3.1.0');
    assert.deepEqual(r.body.servers, [{ url: `${INGRESS_PATH}/` }]);
    for (const p of ['/api/state', '/api/instances/{instance}/productions/{namespace}/{production}/actions/{action}', '/api/connect/account/reveal', '/api/connect/account/password', '/api/logs', '/api/messages-log', '/api/diagnostics', '/api/diagnostics/download', '/api/feed']) {
      assert.ok(r.body.paths[p], `${p} documented`);
    }
    const refs = JSON.stringify(r.body).match(/#\/components\/schemas\/(\w+)/g) ?? [];
    for (const ref of new Set(refs)) assert.ok(r.body.components.schemas[ref.split('/').pop() as string], `${ref} defined`);
  });

  it('pushes a change to an open page within 200 ms, and a reconnecting page gets a fresh snapshot', async () => {
    const feed = await openFeed(h.ingress as string);
    const first = await feed.next((m) => m.type === 'state');
    assert.equal(ordersState(first), 'running');
    let viewAt = 0;
    h.monitor.once('view', () => (viewAt = performance.now()));
    h.sim.makeTroubled('ORDERS', 'Orders.Production');
    void h.monitor.poll();
    await feed.next((m) => m.type === 'instance' && ordersState(m) === 'troubled');
    const latency = performance.now() - viewAt;
    assert.ok(latency < 200, `latency ${latency} ms`);
    await feed.next((m) => m.type === 'event' && m.event.type === 'troubled');
    feed.ws.close();

    // Changed while no page is open: RecoverProduction leaves it suspended ([EGMG]).
    const rec = await post(h.ingress + `${ORDERS}/actions/recover`, {});
    assert.equal(rec.status, 200);
    const again = await openFeed(h.ingress as string);
    const snap = await again.next((m) => m.type === 'state');
    assert.equal(ordersState(snap), h.sim.stateOf('ORDERS', 'Orders.Production'));
    assert.notEqual(ordersState(snap), 'troubled');
    again.ws.close();
  });
});

describe('panel API rules (standalone)', () => {
  let h: Harness;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'panel-'));
    writeFileSync(join(dir, 'messages.log'), Array.from({ length: 300 }, (_, i) => `11/22/26-03:00:${String(i % 60).padStart(2, '0')} (1234) 0 line ${i + 1}`).join('\n') + '\n');
    h = await startHarness({ mode: 'standalone', messagesLogPath: join(dir, 'messages.log') });
  });
  after(() => h.close());

  it('answers only to its own host names, so a DNS-rebound page gets nothing (Host header)', async () => {
    const port = new URL(h.direct).port;
    const raw = (method: string, path: string, host: string | null, headers: Record<string, string> = {}, body?: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const r = http.request({ host: '127.0.0.1', port, method, path, setHost: host !== null, headers: host === null ? headers : { host, ...headers } }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        });
        r.on('error', reject);
        r.end(body);
      });
    const evil = `evil.example:${port}`;
    const stolen = await raw('POST', '/api/connect/account/reveal', evil, JSON_POST, '{"confirm":true}');
    assert.equal(stolen.status, 403);
    assert.equal(JSON.parse(stolen.body).error, 'host-not-allowed');
    assert.doesNotMatch(stolen.body, new RegExp(await h.account!.readPassword()));
    assert.equal((await raw('GET', '/', evil)).status, 403);
    assert.equal((await raw('GET', '/api/state', `rebound.attacker.net`)).status, 403);
    await assert.rejects(openFeed(h.direct, { host: evil }), /HTTP 403/);
    assert.equal((await raw('GET', '/api/state', null)).status, 400, 'no Host at all');
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST`, `[::1]:${port}`]) {
      assert.equal((await raw('GET', '/api/state', host)).status, 200, host);
    }
    const named = await startHarness({ mode: 'standalone', allowedHosts: ['ha-dev.local'] });
    try {
      const p2 = new URL(named.direct).port;
      const ok = await new Promise<number>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: p2, path: '/api/state', headers: { host: `ha-dev.local:${p2}` } }, (res) => resolve(res.statusCode ?? 0)).on('error', reject);
      });
      assert.equal(ok, 200);
    } finally {
      await named.close();
    }
  });

  it('answers what Node and Fastify refuse before a route runs in the same {error, message} shape', async () => {
    const port = new URL(h.direct).port;
    const get = (path: string, headers: Record<string, string> = {}) =>
      new Promise<{ status: number; body: any }>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port, path, headers }, (res) => {
            let text = '';
            res.on('data', (c) => (text += c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
          })
          .on('error', reject);
      });
    const long = await get(`/api/instances/${'x'.repeat(5000)}`);
    assert.deepEqual([long.status, long.body.error], [414, 'uri-too-long']);
    const big = await get('/api/state', { 'x-big': 'y'.repeat(20_000) });
    assert.deepEqual([big.status, big.body.error, typeof big.body.message], [431, 'headers-too-large', 'string']);
  });

  it('ignores spoofed ingress headers from a peer that is not the Supervisor', async () => {
    const s = await req(h.direct + 'api/session', { headers: { 'x-ingress-path': '/api/hassio_ingress/evil', 'x-remote-user-name': 'mallory', 'x-remote-user-display-name': 'Admin' } });
    assert.deepEqual(s.body, { mode: 'standalone', viaIngress: false, ingressPath: null, user: null });
    const doc = await req(h.direct + 'api/openapi.json', { headers: { 'x-ingress-path': '/evil' } });
    assert.deepEqual(doc.body.servers, [{ url: '/' }]);
    await post(h.direct + `${ORDERS}/hosts/Orders.DB`, { enabled: false });
    assert.ok(h.logs.lines().some((l) => /disable Orders\.DB .* requested by a direct client of the panel/.test(l.msg)));
    assert.ok(!h.logs.lines().some((l) => /mallory|Admin/.test(l.msg)));
    await post(h.direct + `${ORDERS}/hosts/Orders.DB`, { enabled: true });
  });

  it('makes a state change by GET impossible', async () => {
    for (const url of [`${ORDERS}/actions/stop?confirm=true`, `${ORDERS}/actions/start`, `${ORDERS}/hosts/Orders.DB?enabled=false`, 'api/connect/account/reveal', 'api/connect/account/password']) {
      const r = await req(h.direct + url);
      assert.equal(r.status, 405, url);
      assert.equal(r.headers.get('allow'), 'POST', url);
      assert.match(r.body.message, /POST/);
      assert.equal((await fetch(h.direct + url, { method: 'HEAD' })).status, 405);
    }
    assert.equal(h.sim.controlCalls.length, 0);
    assert.equal(h.sim.stateOf('ORDERS', 'Orders.Production'), 'running');
  });

  it('answers a method a path does not serve with 405 and the methods it does (Allow), even where a parameter route would match', async () => {
    const cases: [string, string, string][] = [
      ['OPTIONS', 'api/state', 'GET'],
      ['PATCH', 'api/logs', 'GET'],
      ['DELETE', 'api/backups/schedule', 'GET, PUT'],
      ['GET', 'api/backups/upload', 'POST'],
      ['PUT', `${ORDERS}/actions/start`, 'POST'],
    ];
    for (const [method, url, allow] of cases) {
      const r = await req(h.direct + url, { method, headers: { 'x-iris-edge': '1' } });
      assert.equal(r.status, 405, `${method} ${url}`);
      assert.equal(r.headers.get('allow'), allow, `${method} ${url}`);
      assert.equal(r.body.error, 'method-not-allowed');
    }
    // The live feed is a websocket: a plain GET learns that, rather than getting an empty 404.
    const feed = await req(h.direct + 'api/feed');
    assert.equal(feed.status, 426);
    assert.equal(feed.body.error, 'upgrade-required');
    // A JSON null is a body, and not the {} a request without fields needs.
    const nul = await req(h.direct + 'api/connect/account/reveal', { method: 'POST', headers: JSON_POST, body: 'null' });
    assert.equal(nul.status, 400);
    assert.equal(nul.body.error, 'invalid-request');
  });

  it('refuses a state change without the custom header, from another site, or not as JSON', async () => {
    const body = JSON.stringify({ confirm: true });
    const noHeader = await req(h.direct + `${ORDERS}/actions/stop`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assert.equal(noHeader.status, 403);
    assert.match(noHeader.body.message, /X-IRIS-Edge/);
    const cross = await req(h.direct + `${ORDERS}/actions/stop`, { method: 'POST', headers: { ...JSON_POST, 'sec-fetch-site': 'cross-site' }, body });
    assert.equal(cross.status, 403);
    const form = await req(h.direct + `${ORDERS}/actions/stop`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-iris-edge': '1' }, body: 'confirm=true' });
    assert.equal(form.status, 415);
    assert.match(form.body.message, /application\/json/);
    assert.equal(h.sim.controlCalls.length, 0);
  });

  it('refuses oversized bodies and answers malformed JSON with a clear 400', async () => {
    const big = await post(h.direct + `${ORDERS}/actions/stop`, { confirm: true, pad: 'x'.repeat(20_000) });
    assert.equal(big.status, 413);
    assert.match(big.body.message, /16 KiB/);
    const bad = await post(h.direct + `${ORDERS}/actions/stop`, '{"confirm": tru');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error, 'bad-json');
    assert.match(bad.body.message, /not valid JSON/);
    const unknown = await post(h.direct + `${ORDERS}/actions/start`, { confirm: true, force: true });
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.message, /unknown field\(s\) "force"/);
    const wrongType = await post(h.direct + `${ORDERS}/hosts/Orders.DB`, { enabled: 'no' });
    assert.equal(wrongType.status, 400);
    assert.match(wrongType.body.message, /"enabled"/);
    assert.equal(h.sim.controlCalls.length, 0);
  });

  it('needs {"confirm": true} for stop and restart, then answers with what IRIS reports', async () => {
    for (const action of ['stop', 'restart']) {
      const r = await post(h.direct + `${ORDERS}/actions/${action}`, {});
      assert.equal(r.status, 400);
      assert.equal(r.body.error, 'confirmation-required');
      assert.match(r.body.message, /"confirm": true/);
    }
    assert.equal(h.sim.controlCalls.length, 0);
    const stop = await post(h.direct + `${ORDERS}/actions/stop`, { confirm: true });
    assert.equal(stop.status, 200);
    assert.equal(stop.body.outcome, 'done');
    assert.equal(stop.body.production.state, 'stopped');
    assert.equal(h.sim.stateOf('ORDERS', 'Orders.Production'), 'stopped');
    const again = await post(h.direct + `${ORDERS}/actions/stop`, { confirm: true });
    assert.deepEqual([again.status, again.body.outcome, again.body.reason], [200, 'nothing-to-do', 'it is already stopped']);
    const start = await post(h.direct + `${ORDERS}/actions/start`, {});
    assert.deepEqual([start.status, start.body.production.state], [200, 'running']);
  });

  it('maps refusals: IRIS refused 409 with its text, bridge guard 409, IRIS down 503, unknown 404', async () => {
    h.sim.setBusy('ORDERS', 'Orders.Production', 'Orders.Router', true);
    const refused = await post(h.direct + `${ORDERS}/actions/stop`, { confirm: true });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error, 'refused-by-iris');
    assert.match(refused.body.message, /^IRIS refused: .*Quiescent/i);
    h.sim.setBusy('ORDERS', 'Orders.Production', 'Orders.Router', false);

    // The restart is held where it reaches IRIS, so the second command comes while it runs.
    const restart = holdNextCall(h.sim, 'control');
    const first = post(h.direct + `${ORDERS}/actions/restart`, { confirm: true });
    const busy = await within(restart.entered, 5000, 'the restart to reach IRIS')
      .then(() => post(h.direct + `${ORDERS}/actions/update`, {}))
      .finally(() => restart.release());
    assert.equal(busy.status, 409);
    assert.equal(busy.body.error, 'refused-by-bridge');
    assert.equal((await first).status, 200);

    h.sim.setReachable(false);
    const down = await post(h.direct + 'api/instances/iris/productions/ORDERS/Orders.Replay.Production/actions/start', {});
    assert.equal(down.status, 503);
    assert.match(down.body.message, /IRIS does not answer/);
    h.sim.setReachable(true);
    await h.monitor.poll();

    for (const url of ['api/instances/nope/productions/ORDERS/Orders.Production/actions/start', 'api/instances/iris/productions/ORDERS/Nope.Production/actions/start', `${ORDERS}/actions/explode`]) {
      const r = await post(h.direct + url, {});
      assert.equal(r.status, 404, url);
      assert.equal(r.body.error, 'not-found');
    }
    const host = await post(h.direct + `${ORDERS}/hosts/No.Such.Host`, { enabled: true });
    assert.equal(host.status, 404);
    assert.match(host.body.message, /No\.Such\.Host/);
  });

  it('enables and disables a business host and answers with the host as IRIS reports it', async () => {
    const off = await post(h.direct + `${ORDERS}/hosts/${encodeURIComponent('HL7.Out.Lab')}`, { enabled: false });
    assert.equal(off.status, 200);
    const hst = off.body.production.hosts.find((x: any) => x.name === 'HL7.Out.Lab');
    assert.deepEqual([hst.enabled, hst.status], [false, 'disabled']);
    const on = await post(h.direct + `${ORDERS}/hosts/HL7.Out.Lab`, { enabled: true });
    assert.equal(on.body.production.hosts.find((x: any) => x.name === 'HL7.Out.Lab').enabled, true);
  });

  it('shows connection details naming the account for people, never a password', async () => {
    const c = await req(h.direct + 'api/connect');
    assert.deepEqual(c.body, {
      superserverPort: 1972,
      webPort: 52773,
      portalPath: '/csp/sys/UtilHome.csp',
      account: { username: 'ha_admin', available: true, reason: null },
      serviceAccount: 'iris_edge',
      remoteInstances: ['office'],
    });
    assert.ok(!JSON.stringify(c.body).includes(h.password));
    assert.ok(!JSON.stringify(c.body).includes(await h.account!.readPassword()));
  });

  it('serves the bridge log with a level filter and the messages.log tail', async () => {
    h.logs.add({ time: new Date().toISOString(), level: 'debug', msg: 'a debug line' });
    h.logs.add({ time: new Date().toISOString(), level: 'error', msg: 'an error line' });
    const info = await req(h.direct + 'api/logs?level=info');
    assert.ok(info.body.lines.some((l: any) => l.msg === 'an error line'));
    assert.ok(!info.body.lines.some((l: any) => l.msg === 'a debug line'));
    const debug = await req(h.direct + 'api/logs?level=debug&limit=2');
    assert.deepEqual(debug.body.lines.map((l: any) => l.msg), ['a debug line', 'an error line']);
    const bad = await req(h.direct + 'api/logs?level=loud');
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /"level"/);
    const tail = await req(h.direct + 'api/messages-log?lines=3');
    assert.equal(tail.body.available, true);
    assert.deepEqual(tail.body.lines.map((l: string) => l.split(' ').pop()), ['298', '299', '300']);
  });

  it('refuses a websocket from another site but accepts the same origin', async () => {
    await assert.rejects(openFeed(h.direct, { origin: 'https://evil.example' }), /HTTP 403/);
    const ok = await openFeed(h.direct, { origin: h.direct.replace(/\/$/, '') });
    await ok.next((m) => m.type === 'state');
    ok.ws.close();
  });

  it('answers an unknown API route with JSON that points at the OpenAPI document', async () => {
    const r = await req(h.direct + 'api/nothing-here');
    assert.equal(r.status, 404);
    assert.match(r.body.message, /openapi\.json/);
  });
});
