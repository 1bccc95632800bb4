import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { IrisContractError, IrisUnavailableError } from '../../src/model/errors.ts';
import { MonitorApiClient, MonitorApiUnavailableError } from '../../src/iris/monitor-api/client.ts';
import { startSimulatedMonitorApi, type SimulatedMonitorApi } from '../../src/iris/simulator/monitor-api.ts';

const NOW = new Date('2026-11-22T03:30:00Z');

describe('MonitorApiClient against the simulated /api/monitor over HTTP', () => {
  let sim: SimulatedMonitorApi;
  let client: MonitorApiClient;

  before(async () => {
    sim = await startSimulatedMonitorApi();
  });
  after(async () => {
    await sim.close();
  });
  beforeEach(async () => {
    await sim.setDown(false);
    sim.reset();
    client = new MonitorApiClient({ baseUrl: `${sim.url}/`, timeoutMs: 2000, now: () => NOW });
  });

  it('scrapes every sensor figure with exactly one request', async () => {
    const before = sim.requests();
    const m = await client.scrapeMetrics();
    const after = sim.requests();
    assert.equal((after['/api/monitor/metrics'] ?? 0) - (before['/api/monitor/metrics'] ?? 0), 1);
    assert.equal(after['/api/monitor/alerts'] ?? 0, before['/api/monitor/alerts'] ?? 0, 'a scrape must not consume alerts');
    assert.equal(m.systemStateWord, 'ok');
    for (const k of ['cpuPercent', 'memoryUsedPercent', 'licenseConsumed', 'licenseAvailable', 'diskPercentFull', 'journalFreeMb', 'wijFreeMb', 'globalRefsPerSec', 'cacheEfficiency', 'writeDaemonCycleTime', 'openTransactions'] as const) {
      assert.equal(typeof m[k], 'number', k);
    }
    assert.deepEqual(m.databases.map((d) => d.name), ['IRISSYS', 'IRISLIB', 'IRISTEMP', 'ENSLIB', 'USER']);
    assert.equal(m.databases.find((d) => d.name === 'IRISTEMP')?.freeMb, null, 'NaN free space reads unknown');
    assert.equal(client.lastScrape?.skippedLines, 0);
    assert.deepEqual(m.interop, []);
  });

  it('reports fixed values, absent metrics as null, and the licence expiry from days remaining', async () => {
    sim.set({ cpuPercent: 0.05, licenseDaysRemaining: 10, memoryUsedPercent: null, systemState: 2 });
    const m = await client.scrapeMetrics();
    assert.equal(m.cpuPercent, 0.05);
    assert.match(sim.metricsText(), /^iris_cpu_usage \.05$/m, 'IRIS writes fractions without a leading zero');
    assert.equal(m.licenseExpiry, '2026-12-02T00:00:00.000Z');
    assert.equal(m.memoryUsedPercent, null);
    assert.equal(m.systemStateWord, 'alert');
  });

  it('shows interop metrics only once enabled for a production', async () => {
    assert.deepEqual((await client.scrapeMetrics()).interop, []);
    sim.enableInterop('Orders.Production', 'ORDERS', { queued: 4, errored: 1, messages: 50 });
    const m = await client.scrapeMetrics();
    assert.deepEqual(m.interop, [{ production: 'Orders.Production', namespace: 'ORDERS', queued: 4, errored: 1, messages: 50 }]);
    sim.disableInterop('Orders.Production');
    assert.deepEqual((await client.scrapeMetrics()).interop, []);
  });

  it('consumes alerts on read: each alert is returned once, to one reader', async () => {
    sim.postAlert(2, 'Journal daemon is not responding');
    sim.postAlert(1, 'Lock table 85% full');
    const other = new MonitorApiClient({ baseUrl: sim.url });
    const first = await client.readAlerts();
    assert.deepEqual(first.map((a) => [a.severity, a.severityWord, a.message]), [
      [2, 'severe', 'Journal daemon is not responding'],
      [1, 'warning', 'Lock table 85% full'],
    ]);
    assert.match(first[0]!.time, /Z$/);
    assert.deepEqual(await other.readAlerts(), [], 'a second reader finds nothing');
    assert.deepEqual(await client.readAlerts(), []);
  });

  it('flags waiting alerts in iris_system_alerts_new until they are read', async () => {
    sim.postAlert(2, 'x');
    assert.match(sim.metricsText(), /^iris_system_alerts_new 1$/m);
    await client.readAlerts();
    assert.match(sim.metricsText(), /^iris_system_alerts_new 0$/m);
  });

  it('turns a refused connection into IrisUnavailableError a user can act on, and recovers', async () => {
    await sim.setDown(true, 'refused');
    await assert.rejects(client.scrapeMetrics(), (e: unknown) => {
      assert.ok(e instanceof MonitorApiUnavailableError);
      assert.ok(e instanceof IrisUnavailableError);
      assert.equal(e.status, undefined);
      assert.match(e.message, /did not answer \/api\/monitor\/metrics: ECONNREFUSED/);
      assert.ok(e.message.includes(sim.url));
      return true;
    });
    await assert.rejects(client.readAlerts(), MonitorApiUnavailableError);
    await sim.setDown(false);
    assert.equal(typeof (await client.scrapeMetrics()).cpuPercent, 'number');
  });

  it('turns HTTP 503 into IrisUnavailableError naming the status and the web application', async () => {
    await sim.setDown(true, 'unavailable');
    await assert.rejects(client.scrapeMetrics(), (e: unknown) => {
      assert.ok(e instanceof MonitorApiUnavailableError);
      assert.equal(e.status, 503);
      assert.match(e.message, /HTTP 503/);
      assert.match(e.message, /\/api\/monitor web application enabled/);
      return true;
    });
  });

  it('explains a 404 as a disabled /api/monitor web application', async () => {
    const wrong = new MonitorApiClient({ baseUrl: `${sim.url}/not-iris` });
    await assert.rejects(wrong.scrapeMetrics(), (e: unknown) => e instanceof MonitorApiUnavailableError && e.status === 404 && /enabled/.test(e.message));
  });

  it('gives up after the timeout when the server accepts but never answers', async () => {
    await withServer(() => {}, async (url) => {
      const slow = new MonitorApiClient({ baseUrl: url, timeoutMs: 150 });
      await assert.rejects(slow.scrapeMetrics(), (e: unknown) => e instanceof MonitorApiUnavailableError && /no answer within 150 ms/.test(e.message));
    });
  });

  it('rejects a body with no metric in it (garbage, HTML, empty) as a contract error, without crashing', async () => {
    for (const body of ['<html><body>Please log in</body></html>\n', '', 'not a metric at all\n{}\n']) {
      sim.setRawMetrics(body);
      await assert.rejects(client.scrapeMetrics(), (e: unknown) => e instanceof IrisContractError && /without any metric/.test(e.message), JSON.stringify(body));
    }
  });

  it('keeps the good lines of a partly garbled body and counts the rest', async () => {
    sim.setRawMetrics('iris_cpu_usage 12\n\u0000\u0001garbage\niris_license_days_remaining 3\n');
    const m = await client.scrapeMetrics();
    assert.equal(m.cpuPercent, 12);
    assert.equal(m.licenseDaysRemaining, 3);
    assert.equal(client.lastScrape?.skippedLines, 1);
  });

  it('rejects an alerts answer that is not JSON as a contract error', async () => {
    await withServer((_req, res) => res.end('<html>oops</html>'), async (url) => {
      await assert.rejects(new MonitorApiClient({ baseUrl: url }).readAlerts(), IrisContractError);
    });
  });

  it('explains a 401 as /api/monitor requiring a login', async () => {
    await withServer((_req, res) => res.writeHead(401, 'Unauthorized').end(), async (url) => {
      await assert.rejects(new MonitorApiClient({ baseUrl: url }).scrapeMetrics(), (e: unknown) => e instanceof MonitorApiUnavailableError && /Unauthenticated access/.test(e.message));
    });
  });

  it('names where a redirect points instead of following it to a login page', async () => {
    await withServer((_req, res) => res.writeHead(302, { location: '/csp/sys/UtilHome.csp' }).end(), async (url) => {
      await assert.rejects(new MonitorApiClient({ baseUrl: url }).scrapeMetrics(), (e: unknown) => {
        assert.ok(e instanceof MonitorApiUnavailableError);
        assert.equal(e.status, 302);
        assert.match(e.message, /HTTP 302 Found, to \/csp\/sys\/UtilHome\.csp; is the URL pointing at IRIS/);
        return true;
      });
    });
  });

  it('stops reading an endless answer at 16 MB, with a contract error', async () => {
    let sent = 0;
    await withServer((_req, res) => {
      const chunk = Buffer.alloc(1024 * 1024, 'iris_cpu_usage 1\n');
      const more = () => {
        while (!res.destroyed && res.write(chunk)) sent += chunk.length;
      };
      res.on('drain', more);
      more();
    }, async (url) => {
      await assert.rejects(new MonitorApiClient({ baseUrl: url }).scrapeMetrics(), (e: unknown) => e instanceof IrisContractError && /longer than 16777216 bytes/.test(e.message));
    });
    assert.ok(sent < 64 * 1024 * 1024, `the server wrote ${sent} bytes before the client stopped it`);
  });

  it('asks again on a new connection when the server closed the kept-alive one as it was reused', async () => {
    const sockets = new Set<unknown>();
    let requests = 0;
    await withServer((req, res) => {
      requests++;
      // The second request arrives on the first one's connection: close it without an answer,
      // as a server whose keep-alive timeout just ran out does.
      if (sockets.has(req.socket)) return req.socket.destroy();
      sockets.add(req.socket);
      res.end('iris_cpu_usage 7\n');
    }, async (url) => {
      const c = new MonitorApiClient({ baseUrl: url });
      assert.equal((await c.scrapeMetrics()).cpuPercent, 7);
      assert.equal((await c.scrapeMetrics()).cpuPercent, 7);
    });
    assert.equal(requests, 3, 'one request closed on the reused connection, then asked again');
    assert.equal(sockets.size, 2);
  });

  it('reports an answer broken off halfway as the web server breaking off', async () => {
    await withServer((req, res) => {
      res.writeHead(200, { 'content-length': '1000' }).write('iris_cpu_usage 1\n');
      setTimeout(() => req.socket.destroy(), 20);
    }, async (url) => {
      await assert.rejects(new MonitorApiClient({ baseUrl: url }).scrapeMetrics(), (e: unknown) => e instanceof MonitorApiUnavailableError && /broke off its answer to \/api\/monitor\/metrics/.test(e.message));
    });
  });
});

/** A web server on loopback that answers with `handle` while `use` runs against its URL. */
async function withServer(handle: (req: IncomingMessage, res: ServerResponse) => void, use: (url: string) => Promise<void>): Promise<void> {
  const server = createServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    await use(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}
