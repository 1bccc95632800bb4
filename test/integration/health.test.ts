/** IRIS health (/api/monitor) through the bridge to a real mosquitto, the way Home Assistant sees it. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBridge, type RunningBridge } from '../../src/app.ts';
import { MonitorApiClient } from '../../src/iris/monitor-api/client.ts';
import { IrisSimulator } from '../../src/iris/simulator/index.ts';
import { startSimulatedMonitorApi, type SimulatedMonitorApi } from '../../src/iris/simulator/monitor-api.ts';
import { Topics } from '../../src/mqtt/topics.ts';
import { validateDiscovery } from '../support/discovery-validator.ts';
import { captureLogger, polls, testConfig, waitFor } from '../support/fixtures.ts';
import { Mosquitto } from '../support/mosquitto.ts';
import { Observer } from '../support/observer.ts';

const topics = new Topics('iris');
const orders = { namespace: 'ORDERS', name: 'Orders.Production' };
let broker: Mosquitto;
let api: SimulatedMonitorApi;
let observer: Observer;
let running: RunningBridge;
let lines: string[];

before(async () => {
  broker = await Mosquitto.start();
  api = await startSimulatedMonitorApi();
  api.set({ cpuPercent: 42, licenseDaysRemaining: 10 });
  observer = await Observer.connect(broker.url);
  const cap = captureLogger();
  lines = cap.lines;
  running = await startBridge(testConfig({ mqtt: { source: 'default', url: broker.url }, pollIntervalMs: 200 }), cap.log, {
    iris: new IrisSimulator({ transitionMs: 50 }),
    health: new MonitorApiClient({ baseUrl: api.url }),
    inventoryWindowMs: 200,
  });
});
after(async () => {
  await running.stop();
  await observer.close();
  await api.close();
  await broker.close();
});

const metrics = () => JSON.parse(observer.latest(topics.instanceMetrics) ?? '{}') as Record<string, unknown>;

describe('IRIS health over MQTT', () => {
  it('publishes health sensors Home Assistant accepts, fed by one scrape per poll', async () => {
    await waitFor(() => metrics().cpu === 42 || undefined, 5000, 'the CPU figure');
    const discovery = observer.retained('homeassistant/device/');
    assert.deepEqual(validateDiscovery(discovery), []);
    const instance = JSON.parse(discovery.get(topics.instanceDiscovery()) ?? '{}') as { cmps: Record<string, unknown> };
    for (const key of ['system_state', 'cpu', 'memory', 'license_expiry', 'disk_full', 'journal_free', 'open_transactions']) {
      assert.ok(key in instance.cmps, `${key} sensor`);
    }
    assert.ok(Object.keys(instance.cmps).some((k) => k.startsWith('db_')), 'database size sensors');
    const before = api.requests()['/api/monitor/metrics'] ?? 0;
    await polls(running.monitor, 5);
    const scrapes = (api.requests()['/api/monitor/metrics'] ?? 0) - before;
    // A poll under way at either end may have scraped on the other side of the count.
    assert.ok(scrapes >= 4 && scrapes <= 6, `${scrapes} scrapes in 5 polls`);
  });

  it('adds a Messages sensor once a namespace publishes interoperability metrics', async () => {
    const prodDiscovery = () => JSON.parse(observer.latest(topics.productionDiscovery(orders)) ?? '{}') as { cmps: Record<string, unknown> };
    assert.ok(!('messages' in prodDiscovery().cmps));
    api.enableInterop('Orders.Production', 'ORDERS', { messages: 1234, queued: 3, errored: 1 });
    await waitFor(() => 'messages' in prodDiscovery().cmps || undefined, 5000, 'the Messages sensor');
    await waitFor(() => (JSON.parse(observer.latest(topics.productionState(orders)) ?? '{}') as { messages?: number }).messages === 1234 || undefined, 5000, 'messages');
    assert.deepEqual(validateDiscovery(observer.retained('homeassistant/device/')), []);
  });

  it('turns IRIS alerts into instance and production events, never retained', async () => {
    const since = Date.now();
    api.postAlert(2, 'Orders.Production: HL7.Out.Lab could not connect');
    const inst = await observer.waitFor(topics.instanceEvent, () => true, 5000, since);
    assert.deepEqual(JSON.parse(inst.payload), { event_type: 'severe', detail: 'Orders.Production: HL7.Out.Lab could not connect' });
    const prod = await observer.waitFor(topics.productionEvent(orders), (p) => JSON.parse(p).event_type === 'alert', 5000, since);
    assert.equal(prod.retain, false);
    // Two more polls read the alerts again; one not consumed would be published again by now.
    await polls(running.monitor, 2);
    await observer.flush();
    assert.equal(observer.count(topics.instanceEvent, since), 1, 'an alert is delivered once (consumed on read)');
  });

  it('shows unknown health while /api/monitor does not answer, with one warning, and recovers', async () => {
    const before = lines.length;
    await api.setDown(true);
    await waitFor(() => metrics().cpu === 'None' || undefined, 5000, 'unknown CPU');
    await polls(running.monitor, 3); // each fails to scrape again
    assert.equal(lines.slice(before).filter((l) => /health metrics are unavailable/.test(l)).length, 1);
    assert.equal(observer.latest(topics.irisAvailability), 'online', 'the Native API side is still up');
    await api.setDown(false);
    await waitFor(() => metrics().cpu === 42 || undefined, 5000, 'CPU back');
  });
});
