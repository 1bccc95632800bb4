/** HaReactions: monitor views in, HA events and notifications out (against the fake HA). */
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { afterEach, describe, it } from 'node:test';
import { AssistExposure } from '../../src/ha/assist.ts';
import { HaCore } from '../../src/ha/core.ts';
import { HaReactions } from '../../src/ha/ha-bridge.ts';
import type { MonitorView, ProductionView } from '../../src/model/view.ts';
import { Topics } from '../../src/mqtt/topics.ts';
import { FakeHa } from '../support/fake-ha.ts';
import { captureLogger, productionView, within } from '../support/fixtures.ts';

const prod = productionView;

class FakeMonitor extends EventEmitter<{ view: [MonitorView] }> {
  view: MonitorView;
  constructor(productions: ProductionView[]) {
    super();
    this.view = { reachable: true, inventoried: true, instance: null, metrics: null, productions } as MonitorView;
  }
  show(productions: ProductionView[], reachable = true): void {
    this.view = { reachable, inventoried: true, instance: null, metrics: null, productions } as MonitorView;
    this.emit('view', this.view);
  }
}

const topics = new Topics('iris');
const ORDERS_NOTE = 'iris_edge_iris_orders_orders_production';
let fake: FakeHa;
let core: HaCore;
let reactions: HaReactions;

afterEach(async () => {
  reactions?.stop();
  core.close();
  await fake.close();
});

async function setup(initial: ProductionView[], withAssist = false) {
  fake = await FakeHa.start();
  const { log, lines } = captureLogger();
  core = HaCore.start({ url: fake.url, token: fake.token }, log, { retryDelaysMs: [50] });
  await within(once(core, 'ready'), 10_000, 'Home Assistant to be connected');
  const monitor = new FakeMonitor(initial);
  const assist = withAssist ? new AssistExposure(core, topics, true, log, { retryDelayMs: 20, attempts: 2 }) : undefined;
  reactions = new HaReactions({ core, monitor, ids: topics, log, assist });
  reactions.start();
  await reactions.idle();
  return { monitor, lines };
}

const events = (type: string) => fake.ofType('fire_event').filter((m) => m.event_type === type).map((m) => m.event_data);
const services = (service: string) =>
  fake.ofType('call_service').filter((m) => m.service === service).map((m) => (m.service_data as { notification_id: string }).notification_id);

describe('HaReactions', () => {
  it('fires iris_edge_production_state_changed on every IRIS state change', async () => {
    const { monitor } = await setup([prod('Orders.Production', 'running')]);
    monitor.show([prod('Orders.Production', 'running', 'stop')]);
    monitor.show([prod('Orders.Production', 'stopped')]);
    monitor.show([prod('Orders.Production', 'stopped')]);
    monitor.show([prod('Orders.Production', 'running')]);
    await reactions.idle();
    assert.deepEqual(events('iris_edge_production_state_changed'), [
      { instance: 'iris', namespace: 'ORDERS', production: 'Orders.Production', name: 'Orders Production', from: 'running', to: 'stopped', commanded: true },
      { instance: 'iris', namespace: 'ORDERS', production: 'Orders.Production', name: 'Orders Production', from: 'stopped', to: 'running', commanded: false },
    ]);
    assert.deepEqual(services('create'), [], 'a commanded stop is no news');
  });

  it('notifies while a production is troubled and dismisses the notification when it recovers', async () => {
    const { monitor } = await setup([prod('Orders.Production', 'running')]);
    fake.received.length = 0;
    monitor.show([prod('Orders.Production', 'troubled')]);
    await reactions.idle();
    assert.match(fake.notifications.get(ORDERS_NOTE)?.title ?? '', /Orders Production is troubled/);
    monitor.show([prod('Orders.Production', 'troubled', 'stop')]);
    monitor.show([prod('Orders.Production', 'stopped')]);
    await reactions.idle();
    assert.equal(fake.notifications.has(ORDERS_NOTE), false);
    assert.deepEqual(services('dismiss'), [ORDERS_NOTE]);
  });

  it('notifies when a production stops without a command, until it runs again', async () => {
    const { monitor } = await setup([prod('Orders.Production', 'running')]);
    monitor.show([prod('Orders.Production', 'stopped')]);
    await reactions.idle();
    assert.match(fake.notifications.get(ORDERS_NOTE)?.message ?? '', /not by a command/);
    monitor.show([prod('Orders.Production', 'running')]);
    await reactions.idle();
    assert.equal(fake.notifications.has(ORDERS_NOTE), false);
  });

  it('starts from the current view: troubled ones notified, leftovers of running ones dismissed', async () => {
    await setup([prod('Orders.Production', 'troubled'), prod('Lab.Results.Production', 'running', null, 'LAB'), prod('Idle.Production', 'stopped')]);
    assert.deepEqual(services('create'), [ORDERS_NOTE]);
    assert.deepEqual(services('dismiss'), ['iris_edge_iris_lab_lab_results_production']);
    assert.deepEqual(events('iris_edge_production_state_changed'), []);
  });

  it('notifies for a production that is troubled when it first appears', async () => {
    const { monitor } = await setup([]);
    monitor.show([prod('Orders.Production', 'troubled'), prod('Lab.Results.Production', 'running', null, 'LAB')]);
    await reactions.idle();
    assert.deepEqual(services('create'), [ORDERS_NOTE]);
    assert.deepEqual(events('iris_edge_production_state_changed'), [], 'no from, no event');
  });

  it('fires iris_edge_alert, and notifies for severe and fatal alerts only', async () => {
    await setup([]);
    reactions.onAlert({ time: '2026-11-22T03:00:00Z', severity: 1, severityWord: 'warning', message: 'queue growing' });
    reactions.onAlert({ time: '2026-11-22T03:01:00Z', severity: 2, severityWord: 'severe', message: 'ORDERS down' });
    await reactions.idle();
    assert.deepEqual(events('iris_edge_alert'), [
      { instance: 'iris', time: '2026-11-22T03:00:00Z', severity: 1, severityWord: 'warning', message: 'queue growing' },
      { instance: 'iris', time: '2026-11-22T03:01:00Z', severity: 2, severityWord: 'severe', message: 'ORDERS down' },
    ]);
    assert.deepEqual(services('create'), ['iris_edge_iris_alert']);
    assert.match(fake.notifications.get('iris_edge_iris_alert')?.message ?? '', /ORDERS down/);
  });

  it('fires iris_edge_reachability_changed when IRIS goes away and comes back', async () => {
    const { monitor } = await setup([prod('Orders.Production', 'running')]);
    monitor.show([prod('Orders.Production', 'running')], false);
    monitor.show([prod('Orders.Production', 'running')], false);
    monitor.show([prod('Orders.Production', 'running')], true);
    await reactions.idle();
    assert.deepEqual(events('iris_edge_reachability_changed'), [
      { instance: 'iris', reachable: false },
      { instance: 'iris', reachable: true },
    ]);
  });

  it('drops events while HA is away (one debug line) and re-syncs notifications when it is back', async () => {
    const { monitor, lines } = await setup([prod('Orders.Production', 'running'), prod('Lab.Results.Production', 'troubled', null, 'LAB')]);
    const labNote = 'iris_edge_iris_lab_lab_results_production';
    assert.equal(fake.notifications.has(labNote), true);
    const down = within(once(core, 'disconnected'), 10_000, 'the connection to Home Assistant to drop');
    await fake.stopServer();
    await down;
    const sent = fake.received.length;
    monitor.show([prod('Orders.Production', 'troubled'), prod('Lab.Results.Production', 'troubled', null, 'LAB')]);
    monitor.show([prod('Orders.Production', 'troubled'), prod('Lab.Results.Production', 'running', null, 'LAB')]);
    reactions.onAlert({ time: 't', severity: 3, severityWord: 'fatal', message: 'lost' });
    await reactions.idle();
    assert.equal(lines.filter((l) => l.includes('dropping')).length, 1, lines.join('\n'));
    const up = within(once(core, 'ready'), 10_000, 'Home Assistant to be connected');
    await fake.startServer();
    await up; // HaReactions re-syncs inside the same 'ready' event, before this listener runs
    await reactions.idle();
    assert.equal(fake.received.length > sent, true);
    assert.equal(events('iris_edge_production_state_changed').length, 0, 'events of the outage are gone');
    assert.equal(fake.notifications.has(ORDERS_NOTE), true, 'troubled during the outage: notified after it');
    assert.equal(fake.notifications.has(labNote), false, 'recovered during the outage: dismissed after it');
    assert.equal(fake.notifications.has('iris_edge_iris_alert'), false, 'alerts are not queued');
  });

  it('exposes new productions to Assist, and again after HA reconnects', async () => {
    const { monitor } = await setup([prod('Orders.Production', 'running')], true);
    const orders = topics.productionDeviceId({ namespace: 'ORDERS', name: 'Orders.Production' });
    fake.addEntity({ entity_id: 'switch.orders_production', unique_id: `${orders}_running`, platform: 'mqtt' });
    fake.addEntity({ entity_id: 'button.orders_production_restart', unique_id: `${orders}_restart`, platform: 'mqtt' });
    const lab = topics.productionDeviceId({ namespace: 'LAB', name: 'Lab.Results.Production' });
    fake.addEntity({ entity_id: 'switch.lab_results_production', unique_id: `${lab}_running`, platform: 'mqtt' });
    // Orders was not registered at start (attempts exhausted); a new production triggers a sync.
    monitor.show([prod('Orders.Production', 'running'), prod('Lab.Results.Production', 'running', null, 'LAB')]);
    await reactions.idle();
    assert.equal(fake.exposed.get('switch.lab_results_production'), true);
    assert.deepEqual(fake.entities.get('switch.lab_results_production')?.aliases, ['Lab Results production', 'Lab Results interface']);
    assert.equal(fake.exposed.has('switch.orders_production'), false, 'gave up until the next reconnect');
    fake.dropConnections();
    await within(once(core, 'ready'), 10_000, 'Home Assistant to be connected'); // HaReactions re-syncs inside the same event, before this listener runs
    await reactions.idle();
    assert.equal(fake.exposed.get('switch.orders_production'), true);
    // The restart button is hidden: a press cannot say the cooldown refused it ("restart X" is a sentence instead).
    assert.equal(fake.exposed.get('button.orders_production_restart'), false);
  });
});
