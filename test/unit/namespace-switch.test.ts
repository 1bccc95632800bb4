// Switching the production of a namespace is one monitor operation (MQTT's select and the panel
// call it), and the select shows the production that operation would stop: one rule, isActive().
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { IrisCommandRefusedError, UnknownProductionError } from '../../src/model/errors.ts';
import { isActive, IRIS_PRODUCTION_STATES, showsRunning } from '../../src/model/production.ts';
import { IrisSimulator } from '../../src/iris/simulator/index.ts';
import { Monitor } from '../../src/monitor/monitor.ts';
import { namespaceState } from '../../src/mqtt/state.ts';
import { captureLogger, productionView } from '../support/fixtures.ts';

let monitor: Monitor | undefined;
afterEach(() => monitor?.stop());

async function started() {
  const sim = new IrisSimulator({ transitionMs: 10 });
  monitor = new Monitor(sim, { pollIntervalMs: 60_000, removalGracePolls: 2 }, captureLogger().log);
  await monitor.start();
  const calls = () => sim.controlCalls.map((c) => `${c.action} ${c.production}`);
  return { sim, m: monitor, calls };
}

describe('Monitor.switchNamespace', () => {
  it('stops the production that holds the namespace, then starts the one asked for', async () => {
    const { sim, m, calls } = await started();
    assert.deepEqual(await m.switchNamespace('ORDERS', 'Orders.Replay.Production'), { outcome: 'done' });
    assert.deepEqual(calls(), ['stop Orders.Production', 'start Orders.Replay.Production']);
    assert.equal(sim.stateOf('ORDERS', 'Orders.Production'), 'stopped');
    assert.equal(sim.stateOf('ORDERS', 'Orders.Replay.Production'), 'running');
  });

  it('treats a troubled production as the one holding the namespace', async () => {
    const { sim, m, calls } = await started();
    sim.makeTroubled('ORDERS', 'Orders.Production');
    await m.poll();
    await m.switchNamespace('ORDERS', 'Orders.Replay.Production');
    assert.deepEqual(calls(), ['stop Orders.Production', 'start Orders.Replay.Production']);
  });

  it('does nothing when the asked production already holds the namespace', async () => {
    const { m, calls } = await started();
    const r = await m.switchNamespace('ORDERS', 'Orders.Production');
    assert.equal(r.outcome, 'nothing-to-do');
    assert.deepEqual(calls(), []);
  });

  it('stops the namespace\'s production when asked for none, and then has nothing to do', async () => {
    const { m, calls } = await started();
    assert.deepEqual(await m.switchNamespace('ORDERS', null), { outcome: 'done' });
    assert.deepEqual(calls(), ['stop Orders.Production']);
    assert.equal((await m.switchNamespace('ORDERS', null)).outcome, 'nothing-to-do');
  });

  it('starts nothing when IRIS refuses the stop', async () => {
    const { sim, m, calls } = await started();
    sim.setBusy('ORDERS', 'Orders.Production', 'HL7.Out.Lab', true);
    await assert.rejects(m.switchNamespace('ORDERS', 'Orders.Replay.Production'), IrisCommandRefusedError);
    assert.deepEqual(calls(), ['stop Orders.Production']);
    assert.equal(sim.stateOf('ORDERS', 'Orders.Replay.Production'), 'stopped');
  });

  it('refuses a production that is not in the namespace, touching nothing', async () => {
    const { m, calls } = await started();
    await assert.rejects(m.switchNamespace('ORDERS', 'Lab.Results.Production'), UnknownProductionError);
    assert.deepEqual(calls(), []);
  });
});

describe('the namespace select shows what switchNamespace would stop', () => {
  it('names the active production of the namespace, suspended included', () => {
    for (const state of IRIS_PRODUCTION_STATES) {
      const shown = JSON.parse(namespaceState('ORDERS', [productionView('Orders.Production', state)])).option;
      assert.equal(shown, isActive(state) ? 'Orders Production' : 'No production', state);
    }
  });

  it('keeps the switch (running) and the namespace (active) apart: suspended holds the namespace but does not run', () => {
    assert.deepEqual(IRIS_PRODUCTION_STATES.filter(isActive), ['running', 'suspended', 'troubled']);
    assert.deepEqual(IRIS_PRODUCTION_STATES.filter(showsRunning), ['running', 'troubled']);
  });
});
