import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { IrisCommandRefusedError, UnknownProductionError } from '../../src/model/errors.ts';
import { IrisSimulator } from '../../src/iris/simulator/index.ts';
import { CommandInProgressError } from '../../src/monitor/errors.ts';
import { Monitor } from '../../src/monitor/monitor.ts';
import type { MonitorView } from '../../src/model/view.ts';
import type { ProductionEvent } from '../../src/monitor/events.ts';
import { CommandCooldownError } from '../../src/monitor/errors.ts';
import { captureLogger } from '../support/fixtures.ts';

let monitor: Monitor | undefined;
afterEach(() => monitor?.stop());

function setup(grace = 2, commandCooldownMs = 0) {
  const sim = new IrisSimulator({ transitionMs: 30 });
  const { log } = captureLogger();
  monitor = new Monitor(sim, { pollIntervalMs: 60_000, removalGracePolls: grace, commandCooldownMs }, log);
  const views: MonitorView[] = [];
  const events: ProductionEvent[] = [];
  monitor.on('view', (v) => views.push(v));
  monitor.on('event', (e) => events.push(e));
  return { sim, monitor, views, events };
}
const stateOf = (v: MonitorView, name: string) => v.productions.find((p) => p.name === name)?.state;

describe('monitor', () => {
  it('inventories every production of every namespace', async () => {
    const { monitor: m } = setup();
    await m.start();
    const v = m.view;
    assert.equal(v.reachable, true);
    assert.equal(v.inventoried, true);
    assert.deepEqual(v.productions.map((p) => p.key), ['LAB/Lab.Results.Production', 'ORDERS/Orders.Production', 'ORDERS/Orders.Replay.Production']);
    assert.equal(stateOf(v, 'Orders.Replay.Production'), 'stopped');
  });

  it('shows stopping while a stop runs and what IRIS reports afterwards', async () => {
    const { monitor: m, views, sim } = setup();
    await m.start();
    const result = await m.execute('ORDERS', 'Orders.Production', 'stop');
    assert.deepEqual(result, { outcome: 'done' });
    const seen = views.map((v) => stateOf(v, 'Orders.Production'));
    assert.ok(seen.includes('stopping'), `states seen: ${seen.join(',')}`);
    assert.equal(seen.at(-1), 'stopped');
    assert.equal(sim.stateOf('ORDERS', 'Orders.Production'), 'stopped');
  });

  it('refuses a second command for the same production while one runs, without queueing it', async () => {
    const { monitor: m, sim } = setup();
    await m.start();
    const first = m.execute('ORDERS', 'Orders.Production', 'restart');
    await assert.rejects(m.execute('ORDERS', 'Orders.Production', 'stop'), CommandInProgressError);
    await first;
    assert.deepEqual(sim.controlCalls.map((c) => c.action), ['restart']);
    assert.equal(stateOf(m.view, 'Orders.Production'), 'running');
  });

  it('runs commands for different productions side by side', async () => {
    const { monitor: m } = setup();
    await m.start();
    await Promise.all([m.execute('ORDERS', 'Orders.Production', 'restart'), m.execute('LAB', 'Lab.Results.Production', 'stop')]);
    assert.equal(stateOf(m.view, 'Lab.Results.Production'), 'stopped');
  });

  it('does nothing when the production is already in the asked state', async () => {
    const { monitor: m, sim } = setup();
    await m.start();
    assert.equal((await m.execute('ORDERS', 'Orders.Replay.Production', 'stop')).outcome, 'nothing-to-do');
    assert.equal(sim.controlCalls.length, 0);
  });

  it('passes IRIS refusals through and shows the state IRIS keeps', async () => {
    const { monitor: m, sim } = setup();
    await m.start();
    sim.setBusy('ORDERS', 'Orders.Production', 'HL7.Out.Lab', true);
    await assert.rejects(m.execute('ORDERS', 'Orders.Production', 'stop'), (e: unknown) => e instanceof IrisCommandRefusedError && e.irisCode === '<Ens>ErrProductionNotQuiescent');
    assert.equal(stateOf(m.view, 'Orders.Production'), 'running');
    await assert.rejects(m.execute('ORDERS', 'Nope.Production', 'stop'), UnknownProductionError);
  });

  it('marks IRIS unreachable and keeps the last inventory', async () => {
    const { monitor: m, sim } = setup();
    const changes: boolean[] = [];
    m.on('reachability', (up) => changes.push(up));
    await m.start();
    sim.setReachable(false);
    await m.poll();
    assert.equal(m.view.reachable, false);
    assert.equal(m.view.productions.length, 3);
    sim.setReachable(true);
    await m.poll();
    assert.deepEqual(changes, [true, false, true]);
  });

  it('removes a production only after it has been missing from the grace number of inventories', async () => {
    const { monitor: m, sim } = setup(2);
    const removed: string[] = [];
    m.on('removed', (list) => removed.push(...list.map((p) => p.key)));
    await m.start();
    sim.removeProduction('ORDERS', 'Orders.Replay.Production');
    sim.setReachable(false);
    await m.poll(); // a failed poll is no evidence of removal
    await m.poll();
    sim.setReachable(true);
    await m.poll();
    assert.deepEqual(removed, []);
    assert.equal(m.view.productions.length, 3);
    await m.poll();
    assert.deepEqual(removed, ['ORDERS/Orders.Replay.Production']);
    assert.equal(m.view.productions.length, 2);
  });

  it('refuses a second stop or restart within the cooldown, with a refused event, but always allows start', async () => {
    const { monitor: m, sim, events } = setup(2, 60_000);
    await m.start();
    await m.execute('ORDERS', 'Orders.Production', 'restart');
    await assert.rejects(m.execute('ORDERS', 'Orders.Production', 'stop'), (e: unknown) => e instanceof CommandCooldownError && e.retryInSeconds > 50);
    assert.equal(events.at(-1)?.type, 'refused');
    assert.match(events.at(-1)?.detail ?? '', /cooldown/);
    await m.execute('LAB', 'Lab.Results.Production', 'stop'); // other productions are not affected
    await m.execute('LAB', 'Lab.Results.Production', 'start');
    assert.deepEqual(sim.controlCalls.map((c) => c.action), ['restart', 'stop', 'start']);
  });

  it('recovers only a troubled production and says why it did nothing otherwise', async () => {
    const { monitor: m, sim, events } = setup();
    await m.start();
    const r = await m.execute('ORDERS', 'Orders.Production', 'recover');
    assert.equal(r.outcome, 'nothing-to-do');
    assert.equal(events.at(-1)?.type, 'refused');
    assert.match(events.at(-1)?.detail ?? '', /running, not troubled/);
    assert.equal(sim.controlCalls.length, 0);
    sim.makeTroubled('ORDERS', 'Orders.Production');
    await m.poll();
    assert.equal(events.at(-1)?.type, 'troubled');
    assert.equal((await m.execute('ORDERS', 'Orders.Production', 'recover')).outcome, 'done');
    assert.equal(m.view.productions.find((p) => p.name === 'Orders.Production')?.state, 'suspended');
    assert.ok(events.some((e) => e.type === 'recovered'));
  });

  it('applies a pending configuration update and only then', async () => {
    const { monitor: m, sim } = setup();
    await m.start();
    assert.equal((await m.execute('LAB', 'Lab.Results.Production', 'update')).outcome, 'nothing-to-do');
    sim.markNeedsUpdate('LAB', 'Lab.Results.Production', 'Settings of Results.Router changed');
    await m.poll();
    assert.equal(m.view.productions.find((p) => p.name === 'Lab.Results.Production')?.needsUpdate, true);
    assert.equal((await m.execute('LAB', 'Lab.Results.Production', 'update')).outcome, 'done');
    assert.equal(m.view.productions.find((p) => p.name === 'Lab.Results.Production')?.needsUpdate, false);
  });

  it('enables and disables a business host', async () => {
    const { monitor: m } = setup();
    await m.start();
    assert.equal((await m.setHostEnabled('LAB', 'Lab.Results.Production', 'Results.Alerts', false)).outcome, 'nothing-to-do');
    await m.setHostEnabled('LAB', 'Lab.Results.Production', 'Results.Alerts', true);
    const h = m.view.productions.find((p) => p.name === 'Lab.Results.Production')?.hosts.find((x) => x.name === 'Results.Alerts');
    assert.deepEqual([h?.enabled, h?.status], [true, 'ok']);
    await assert.rejects(m.setHostEnabled('LAB', 'Lab.Results.Production', 'Nope', true), UnknownProductionError);
  });

  it('raises started, stopped and error events from what IRIS reports', async () => {
    const { monitor: m, sim, events } = setup();
    await m.start();
    await m.execute('LAB', 'Lab.Results.Production', 'stop');
    await m.execute('LAB', 'Lab.Results.Production', 'start');
    sim.failMessage('LAB', 'Lab.Results.Production', 'Results.Out.File', 2);
    await m.poll();
    assert.deepEqual(events.map((e) => e.type), ['stopped', 'started', 'error']);
    assert.match(events[2]?.detail ?? '', /Results\.Out\.File/);
  });
});
