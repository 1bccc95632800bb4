/**
 * /api/monitor on a REAL IRIS, as the bridge reads it: the same expectations the simulated web
 * server meets. Runs only when IRIS_HOST is set (IRIS_WEB_PORT, default 52773).
 * Note: reading /api/monitor/alerts consumes them; run this against a test instance.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MonitorApiClient } from '../../src/iris/monitor-api/client.ts';
import { SYSTEM_STATE_WORDS } from '../../src/model/instance-health.ts';

const host = process.env.IRIS_HOST;
const port = Number(process.env.IRIS_WEB_PORT ?? 52773);

if (!host) {
  it('/api/monitor contract against a real IRIS', { skip: 'set IRIS_HOST (and IRIS_WEB_PORT, default 52773): see test/contract/README.md' }, () => {});
} else {
  describe(`/api/monitor of the real IRIS at ${host}:${port}`, () => {
    const client = new MonitorApiClient({ baseUrl: `http://${host}:${port}` });

    it('metrics: the figures the instance sensors read are there and sane', async () => {
      const m = await client.scrapeMetrics();
      assert.ok(m.systemStateWord !== null && SYSTEM_STATE_WORDS.includes(m.systemStateWord), `system state ${String(m.systemState)}`);
      assert.ok(m.cpuPercent !== null && m.cpuPercent >= 0 && m.cpuPercent <= 100 * 64, `cpu ${String(m.cpuPercent)}`);
      assert.ok(m.licenseAvailable !== null && m.licenseAvailable >= 0, 'licence units available');
      assert.ok(m.licenseExpiry === null || !Number.isNaN(Date.parse(m.licenseExpiry)), 'licence expiry is a date');
      assert.ok(m.databases.length > 0, 'at least one database size');
      assert.ok(m.databases.every((d) => d.sizeMb === null || d.sizeMb >= 0), 'database sizes');
      assert.ok(m.globalRefsPerSec !== null, 'global references per second');
      assert.ok(m.openTransactions !== null && m.openTransactions >= 0, 'open transactions');
      assert.equal(client.lastScrape?.skippedLines, 0, `unparsed lines: ${client.lastScrape?.skippedExamples.join(' | ')}`);
    });

    it('alerts: a JSON array of {time, severity, message} (possibly empty)', async () => {
      const alerts = await client.readAlerts();
      for (const a of alerts) {
        assert.ok(!Number.isNaN(Date.parse(a.time)));
        assert.ok(Number.isInteger(a.severity));
        assert.ok(a.message.length > 0);
      }
    });
  });
}
