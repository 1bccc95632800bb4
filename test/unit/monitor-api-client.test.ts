import assert from 'node:assert/strict';
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
    const { createServer } = await import('node:http');
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    try {
      const slow = new MonitorApiClient({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 150 });
      await assert.rejects(slow.scrapeMetrics(), (e: unknown) => e instanceof MonitorApiUnavailableError && /no answer within 150 ms/.test(e.message));
    } finally {
      silent.closeAllConnections();
      await new Promise((r) => silent.close(r));
    }
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
    const fake: typeof fetch = async () => new Response('<html>oops</html>', { status: 200 });
    const c = new MonitorApiClient({ baseUrl: 'http://iris.invalid:52773', fetchImpl: fake });
    await assert.rejects(c.readAlerts(), IrisContractError);
  });

  it('explains a 401 as /api/monitor requiring a login', async () => {
    const fake: typeof fetch = async () => new Response('', { status: 401, statusText: 'Unauthorized' });
    const c = new MonitorApiClient({ baseUrl: 'http://iris.invalid:52773', fetchImpl: fake });
    await assert.rejects(c.scrapeMetrics(), (e: unknown) => e instanceof MonitorApiUnavailableError && /Unauthenticated access/.test(e.message));
  });
});
