/**
 * Bench: the cost of the user's metric sensors (issue #14), which are read from the
 * /api/monitor/metrics scrape the bridge makes every poll anyway.
 * (1) Per scrape: parsing the simulator's metrics text and mapping it, with 0 and with 100 metric
 *     sensors (each a name and labels), in microseconds of CPU.
 * (2) The bridge on the simulator against a real mosquitto at a 200 ms poll, with 0 and with 100
 *     metric sensors on its device: scrapes per poll and bridge CPU per poll over POLLS polls.
 * (3) 100 SQL, global and method sensors over 5 namespaces at a 10 s interval, read through the
 *     whole chain a real IRIS gets (agent client -> connection process -> superserver -> simulated
 *     IRIS, as the sensors user): agent calls per tick, tick duration and bridge CPU per tick, one
 *     call per namespace (as the bridge reads them) next to one call per sensor.
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
import { createNativeIrisClient } from '../src/iris/native/client.ts';
import { SimulatedIris, SIMULATOR_DRIVER, scaleScenario, startSuperserver } from '../src/iris/simulator/index.ts';
import { AgentSensorReader, type SensorSource } from '../src/monitor/agent-sensors.ts';
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
  await agentSensors();
  console.log(`load average ${load()}`);
}

const TICKS = Number(process.env.TICKS ?? 20);

/** (3) One call per namespace against one call per sensor, over the Native API chain. */
async function agentSensors(): Promise<void> {
  const seeds = scaleScenario(5, 1);
  const iris = new SimulatedIris({ productions: seeds });
  const bridge = { username: 'iris_edge', password: 'BenchBridge1' };
  const sensorsUser = { username: 'iris_edge_sensors', password: 'BenchSensors1' };
  iris.runSetup(bridge, undefined, sensorsUser);
  const raws: unknown[] = [];
  for (const [n, seed] of seeds.entries()) {
    const ns = seed.namespace;
    iris.userData.define(ns, {
      tables: { 'Bench.Orders': Array.from({ length: 50 }, (_, i) => ({ Id: i, Total: i * 1.5 })) },
      globals: { Bench: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [JSON.stringify(['n', i]), i])) },
      methods: { 'Bench.Stats.Value': () => n },
    });
    iris.security.grantSelect('IrisEdgeSensors', 'Bench.Orders');
    iris.security.grant('IrisEdgeSensors', `%DB_${ns}`, 'R');
    for (let i = 0; i < 20; i++) {
      const source = [{ sql: 'SELECT COUNT(*) FROM Bench.Orders' }, { global: `^Bench("n",${i})` }, { global: '^Bench("n")', count_subscripts: true }, { method: 'Bench.Stats.Value' }][i % 4];
      raws.push({ name: `${ns} ${i}`, namespace: ns, interval: 10, state_class: 'measurement', ...source });
    }
  }
  const { sensors, problems } = readSensorDefinitions(raws, { pollIntervalS: 10, packages: ['Bench'] });
  if (problems.length) throw new Error(JSON.stringify(problems));
  const server = await startSuperserver(iris);
  const client = createNativeIrisClient({ host: server.host, port: server.port, ...sensorsUser, agentDir: iris.agentDir, driverModule: SIMULATOR_DRIVER, kind: 'simulator', inAddon: false });
  const events = { unavailable: (_s: unknown, why: string) => console.error(why), available: () => {} };
  /** One agent call per sensor: what the bridge would do without batching. */
  const perSensor: SensorSource = {
    readSensors: async (ns, requests, packages) => (await Promise.all(requests.map((r) => client.readSensors(ns, [r], packages)))).flat(),
  };
  let calls = 0;
  const counted = (src: SensorSource): SensorSource => ({
    readSensors: (ns, requests, packages) => {
      calls += src === perSensor ? requests.length : 1;
      return src.readSensors(ns, requests, packages);
    },
  });
  for (const [label, src] of [['one call per namespace', client], ['one call per sensor', perSensor]] as const) {
    let t = 0;
    const reader = new AgentSensorReader(counted(src), sensors, ['Bench'], events, () => t);
    await reader.tick(); // warm-up: the connection and the agent version check
    calls = 0;
    const durations: number[] = [];
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < TICKS; i++) {
      t += 10_000; // every sensor is due on each tick, as at a 10 s interval and a 10 s poll
      const t0 = performance.now();
      await reader.tick();
      durations.push(performance.now() - t0);
    }
    const cpu = process.cpuUsage(cpu0);
    console.log(
      `(3) ${sensors.length} sensors over ${seeds.length} namespaces, ${label}: ${(calls / TICKS).toFixed(1)} agent calls per tick, ` +
        `tick median ${median(durations).toFixed(1)} ms, bridge CPU ${((cpu.user + cpu.system) / 1000 / TICKS).toFixed(2)} ms per tick, simulator included (${reader.current().size} with a value)`,
    );
  }
  await client.close();
  await server.close();
  iris.close();
}

await main();
