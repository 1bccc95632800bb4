import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePrometheus } from '../../src/iris/monitor-api/prometheus.ts';
import { toInstanceMetrics } from '../../src/iris/monitor-api/metrics.ts';
import { canonicalNumber, startSimulatedMonitorApi } from '../../src/iris/simulator/monitor-api.ts';

describe('simulated /api/monitor', () => {
  it('writes numbers the way ObjectScript does', () => {
    assert.deepEqual([0.051929, -0.5, 12, 12.5, 0, -0, 1e-7, Number.NaN, Infinity].map(canonicalNumber), ['.051929', '-.5', '12', '12.5', '0', '0', '0', 'NaN', '+Inf']);
  });

  it('answers like IRIS: no HELP/TYPE lines, every line a sample our parser reads', async () => {
    const sim = await startSimulatedMonitorApi();
    try {
      const res = await fetch(`${sim.url}/api/monitor/metrics`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
      const text = await res.text();
      assert.doesNotMatch(text, /^#/m);
      const parsed = parsePrometheus(text);
      assert.equal(parsed.skipped, 0);
      assert.equal(parsed.samples.length, text.trim().split('\n').length);
    } finally {
      await sim.close();
    }
  });

  it('drifts its figures over time for the demo, and holds values fixed with set()', async () => {
    let now = 1_000_000;
    const sim = await startSimulatedMonitorApi({ now: () => now });
    try {
      const at = () => toInstanceMetrics(parsePrometheus(sim.metricsText()).samples, new Date(now));
      const a = at();
      now += 75_000;
      const b = at();
      assert.notEqual(a.cpuPercent, b.cpuPercent);
      assert.notEqual(a.globalRefsPerSec, b.globalRefsPerSec);
      for (const m of [a, b]) {
        assert.ok(m.cpuPercent! >= 0 && m.cpuPercent! <= 100);
        assert.ok(m.memoryUsedPercent! >= 0 && m.memoryUsedPercent! <= 100);
      }
      sim.set({ cpuPercent: 55 });
      now += 40_000;
      assert.equal(at().cpuPercent, 55);
      now += 40_000;
      assert.equal(at().cpuPercent, 55);
      sim.reset();
      assert.notEqual(at().cpuPercent, null);
    } finally {
      await sim.close();
    }
  });

  it('replaces the database list and drops a metric set to null', async () => {
    const sim = await startSimulatedMonitorApi();
    try {
      sim.set({ databases: [{ name: 'APP', directory: '/data/app/', sizeMb: 2048, freeMb: 100 }], licenseDaysRemaining: null });
      const text = sim.metricsText();
      assert.match(text, /^iris_db_size_mb\{id="APP",dir="\/data\/app\/"\} 2048$/m);
      assert.doesNotMatch(text, /id="USER"/);
      assert.doesNotMatch(text, /iris_license_days_remaining/);
    } finally {
      await sim.close();
    }
  });

  it('answers 404 elsewhere and 405 to anything but GET, and counts requests per path', async () => {
    const sim = await startSimulatedMonitorApi();
    try {
      assert.equal((await fetch(`${sim.url}/api/monitor/nothing`)).status, 404);
      assert.equal((await fetch(`${sim.url}/api/monitor/alerts`, { method: 'POST' })).status, 405);
      await (await fetch(`${sim.url}/api/monitor/metrics?x=1`)).text();
      await (await fetch(`${sim.url}/api/monitor/metrics`)).text();
      assert.deepEqual(sim.requests(), { '/api/monitor/nothing': 1, '/api/monitor/alerts': 1, '/api/monitor/metrics': 2 });
    } finally {
      await sim.close();
    }
  });

  it('refuses connections while down and comes back on the same port', async () => {
    const sim = await startSimulatedMonitorApi();
    const url = sim.url;
    try {
      await sim.setDown(true);
      await assert.rejects(fetch(`${url}/api/monitor/metrics`), (e: Error & { cause?: { code?: string } }) => e.cause?.code === 'ECONNREFUSED');
      await sim.setDown(true, 'unavailable');
      assert.equal((await fetch(`${url}/api/monitor/metrics`)).status, 503);
      await sim.setDown(false);
      assert.equal(sim.url, url);
      assert.equal((await fetch(`${url}/api/monitor/metrics`)).status, 200);
      await sim.setDown(true);
    } finally {
      await sim.close(); // also fine while down
    }
  });
});
