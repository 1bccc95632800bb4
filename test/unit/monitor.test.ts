import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { IrisCommandRefusedError, UnknownProductionError } from '../../src/iris/errors.ts';
import { IrisSimulator } from '../../src/iris/simulator/index.ts';
import { CommandInProgressError } from '../../src/monitor/errors.ts';
import { Monitor } from '../../src/monitor/monitor.ts';
import type { MonitorView } from '../../src/monitor/view.ts';
import { captureLogger } from '../support/fixtures.ts';

let monitor: Monitor | undefined;
afterEach(() => monitor?.stop());

function setup(grace = 2) {
  const sim = new IrisSimulator({ transitionMs: 30 });
  const { log } = captureLogger();
  monitor = new Monitor(sim, { pollIntervalMs: 60_000, removalGracePolls: grace }, log);
  const views: MonitorView[] = [];
  monitor.on('view', (v) => views.push(v));
  return { sim, monitor, views };
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
});
