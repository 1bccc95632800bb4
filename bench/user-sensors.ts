/**
 * Bench: the cost of the user's metric sensors (issue #14), which are read from the
 * /api/monitor/metrics scrape the bridge makes every poll anyway.
 * (1) Per scrape: parsing the simulator's metrics text and mapping it, with 0 and with 100 metric
 *     sensors (each a name and labels), in microseconds of CPU.
 * (2) The bridge on the simulator against a real mosquitto at a 200 ms poll, with 0 and with 100
 *     metric sensors on its device: scrapes per poll and bridge CPU per poll over POLLS polls.
 * Sql, global and method sensors (one agent call per namespace per tick) are not read by this
 * version, so the agent-call figures of the issue are not measured here.
 * Figures only; nothing passes or fails. The load average is printed beside them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBridge } from '../src/app.ts';
import { sensorMetricsOf } from '../src/compose/iris.ts';
import { MonitorApiClient } from '../src/iris/monitor-api/client.ts';
import { toInstanceMetrics } from '../src/iris/monitor-api/metrics.ts';
import { parsePrometheus } from '../src/iris/monitor-api/prometheus.ts';
import { IrisSimulator } from '../src/iris/simulator/index.ts';
import { startSimulatedMonitorApi } from '../src/iris/simulator/monitor-api.ts';
import { createLogger } from '../src/log/logger.ts';
import { readSensorDefinitions } from '../src/model/sensor-definition.ts';
import { polls, testConfig } from '../test/support/fixtures.ts';
import { Mosquitto } from '../test/support/mosquitto.ts';

const SENSORS = 100;
const SCRAPES = 2000;
const POLLS = Number(process.env.POLLS ?? 100);
const quiet = createLogger('error', process.stderr);
const load = () => loadavg().map((n) => n.toFixed(2)).join(' ');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** 100 metric sensors over the lines the simulator writes, a fifth of them with labels. */
function definitions(lines: string[]): unknown[] {
  const names = [...new Set(lines.map((l) => /^([a-z_]+)/.exec(l)?.[1]).filter((n): n is string => !!n))];
  const dbs = ['IRISSYS', 'IRISLIB', 'ENSLIB', 'USER'];
  return Array.from({ length: SENSORS }, (_, i) => ({
    name: `Bench ${i}`,
    metric: i % 5 === 0 ? `iris_db_free_space{id="${dbs[i % dbs.length]}"}` : names[i % names.length],
    interval: 2,
  }));
}

async function main(): Promise<void> {
  const api = await startSimulatedMonitorApi();
  const text = api.metricsText();
  const defs = definitions(text.split('\n'));
  const config = testConfig({ userSensors: readSensorDefinitions(defs, { pollIntervalS: 2, packages: [] }) });
  const selectors = sensorMetricsOf(config);
  console.log(`load average ${load()}; ${text.split('\n').length} metric lines; ${selectors.size} metric sensors`);

  // Interleaved, after a warm-up of both, so that neither pays for the JIT alone.
  const cases = [['0 sensors', new Map()], [`${selectors.size} sensors`, selectors]] as const;
  const times = cases.map(() => [] as number[]);
  for (let i = 0; i < SCRAPES * 2; i++) {
    const n = i % 2;
    const t0 = process.cpuUsage();
    toInstanceMetrics(parsePrometheus(text).samples, new Date(), cases[n]![1]);
    const d = process.cpuUsage(t0);
    if (i >= SCRAPES / 2) times[n]!.push(d.user + d.system);
  }
  cases.forEach(([label], n) => console.log(`(1) parse + map one scrape, ${label}: median ${median(times[n]!)} µs CPU`));

  const broker = await Mosquitto.start();
  for (const withSensors of [false, true]) {
    const stateDir = mkdtempSync(join(tmpdir(), 'iris-edge-bench-sensors-'));
    const cfg = testConfig({ mqtt: { source: 'default', url: broker.url }, pollIntervalMs: 200, stateDir, userSensors: withSensors ? config.userSensors : { sensors: [], problems: [] } });
    const running = await startBridge(cfg, quiet, { iris: new IrisSimulator({ transitionMs: 50 }), health: new MonitorApiClient({ baseUrl: api.url, sensorMetrics: sensorMetricsOf(cfg) }), inventoryWindowMs: 200 });
    await polls(running.monitor, 10);
    const before = api.requests()['/api/monitor/metrics'] ?? 0;
    const cpu0 = process.cpuUsage();
    await polls(running.monitor, POLLS, POLLS * 1000);
    const cpu = process.cpuUsage(cpu0);
    const scrapes = (api.requests()['/api/monitor/metrics'] ?? 0) - before;
    console.log(`(2) bridge, ${withSensors ? selectors.size : 0} metric sensors: ${(scrapes / POLLS).toFixed(2)} scrapes per poll, ${((cpu.user + cpu.system) / 1000 / POLLS).toFixed(2)} ms CPU per poll (simulator included)`);
    await running.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
  await broker.close();
  await api.close();
  console.log(`load average ${load()}`);
}

await main();
