import assert from 'node:assert/strict';
import { describe as suite, it } from 'node:test';
import { command, describe, refusalSpeech, type AnswerSource } from '../../src/ha/assist-answers.ts';
import { IrisCommandRefusedError, IrisUnavailableError, UnknownProductionError } from '../../src/model/errors.ts';
import type { MonitorView, ProductionView } from '../../src/model/view.ts';
import { CommandCooldownError, CommandInProgressError } from '../../src/monitor/errors.ts';
import type { CommandResult } from '../../src/monitor/monitor.ts';
import { hostSnapshot, productionView } from '../support/fixtures.ts';

function viewOf(p: ProductionView, reachable = true): MonitorView {
  return { reachable, inventoried: true, instance: null, metrics: null, productions: [p] };
}

const orders = (over: Partial<ProductionView> = {}): ProductionView => ({
  ...productionView('Orders.Production', 'running'),
  hosts: [hostSnapshot('In', { queue: 2, errors: 1 }), hostSnapshot('Out', { queue: 1, errors: 1 })],
  ...over,
});

suite('Assist answers about a production', () => {
  it('say what IRIS reports', () => {
    const p = orders();
    assert.equal(describe('status', viewOf(p), p), 'Orders production is running.');
    assert.equal(describe('troubled', viewOf(p), p), 'No, Orders production is running.');
    assert.equal(describe('queue', viewOf(p), p), '3 messages are waiting in Orders production.');
    assert.equal(describe('errors', viewOf(p), p), 'Orders production has 2 errors.');
  });

  it('count exactly, in words that fit the number', () => {
    const one = orders({ hosts: [hostSnapshot('In', { queue: 1, errors: 1 })] });
    assert.equal(describe('queue', viewOf(one), one), '1 message is waiting in Orders production.');
    assert.equal(describe('errors', viewOf(one), one), 'Orders production has 1 error.');
    const none = orders({ hosts: [hostSnapshot('In')] });
    assert.equal(describe('queue', viewOf(none), none), 'No messages are waiting in Orders production.');
    assert.equal(describe('errors', viewOf(none), none), 'Orders production has no errors.');
    // Not rounded like the Queue sensor: Assist says the real number.
    const busy = orders({ hosts: [hostSnapshot('In', { queue: 1234 })] });
    assert.equal(describe('queue', viewOf(busy), busy), '1234 messages are waiting in Orders production.');
  });

  it('name troubled, stopped, transitional and unknown states', () => {
    const troubled = orders({ irisState: 'troubled', state: 'troubled' });
    assert.equal(describe('troubled', viewOf(troubled), troubled), 'Yes, Orders production is troubled.');
    assert.equal(describe('status', viewOf(troubled), troubled), 'Orders production is troubled.');
    const restarting = orders({ state: 'restarting', commandInFlight: 'restart' });
    assert.equal(describe('status', viewOf(restarting), restarting), 'Orders production is restarting.');
    const net = orders({ irisState: 'network_stopped', state: 'network_stopped' });
    assert.equal(describe('status', viewOf(net), net), 'Orders production is network stopped.');
    const unknown = orders({ irisState: 'unknown', state: 'unknown' });
    assert.equal(describe('status', viewOf(unknown), unknown), 'Orders production is in a state IRIS Edge does not know.');
  });

  it('do not pass old figures off as current when IRIS does not answer', () => {
    const p = orders();
    for (const q of ['status', 'troubled', 'queue', 'errors'] as const) {
      assert.equal(describe(q, viewOf(p, false), p), 'IRIS does not answer, so I cannot tell how Orders production is now.');
    }
  });
});

suite('Assist commands', () => {
  function source(execute: () => Promise<CommandResult>, after: ProductionView = orders()): AnswerSource {
    return { view: viewOf(after), execute };
  }

  it('say the restart is done and what IRIS reports afterwards', async () => {
    assert.equal(await command(source(async () => ({ outcome: 'done' })), orders(), 'restart', 1000), 'Restarted Orders production. It is running.');
    const stopped = orders({ irisState: 'stopped', state: 'stopped' });
    assert.equal(await command(source(async () => ({ outcome: 'done' }), stopped), orders(), 'stop', 1000), 'Stopped Orders production. It is stopped.');
    assert.equal(await command(source(async () => ({ outcome: 'done' })), stopped, 'start', 1000), 'Started Orders production. It is running.');
  });

  it('say when there was nothing to do', async () => {
    const said = await command(source(async () => ({ outcome: 'nothing-to-do', reason: 'it is already running' })), orders(), 'start', 1000);
    assert.equal(said, 'I did not start Orders production: it is already running.');
  });

  it('say a slow restart is under way instead of keeping Assist waiting', async () => {
    let finish: (r: CommandResult) => void = () => undefined;
    const slow = new Promise<CommandResult>((r) => (finish = r));
    assert.equal(await command(source(() => slow), orders(), 'restart', 20), 'Restarting Orders production. IRIS has not finished yet.');
    finish({ outcome: 'done' });
  });

  it('say a refusal as a refusal, and report it once', async () => {
    const refused: Error[] = [];
    const cases: [Error, string][] = [
      [new CommandCooldownError('ORDERS/Orders.Production', 57), 'I did not restart Orders production: it was stopped or restarted moments ago. Try again in 57 seconds.'],
      [new CommandCooldownError('ORDERS/Orders.Production', 1), 'I did not restart Orders production: it was stopped or restarted moments ago. Try again in 1 second.'],
      [new CommandInProgressError('ORDERS/Orders.Production', 'stop'), 'I did not restart Orders production: a stop command for it is still running.'],
      [new IrisCommandRefusedError('Production did not become quiescent', '<Ens>ErrProductionNotQuiescent'), 'IRIS refused to restart Orders production: Production did not become quiescent'],
    ];
    for (const [err, said] of cases) {
      assert.equal(await command(source(() => Promise.reject(err)), orders(), 'restart', 1000, (e) => refused.push(e)), said);
    }
    assert.deepEqual(refused, cases.map(([e]) => e));
    const stop = await command(source(() => Promise.reject(new CommandCooldownError('ORDERS/Orders.Production', 9))), orders(), 'stop', 1000);
    assert.equal(stop, 'I did not stop Orders production: it was stopped or restarted moments ago. Try again in 9 seconds.');
  });

  it('say when IRIS does not answer or the production is gone, and rethrow the unexpected', async () => {
    assert.equal(await command(source(() => Promise.reject(new IrisUnavailableError('down'))), orders(), 'restart', 1000), 'I could not restart Orders production: IRIS does not answer.');
    assert.equal(await command(source(() => Promise.reject(new UnknownProductionError('gone'))), orders(), 'stop', 1000), 'IRIS Edge does not know that production any more.');
    await assert.rejects(command(source(() => Promise.reject(new TypeError('bug'))), orders(), 'start', 1000), TypeError);
    assert.equal(refusalSpeech('restart', 'X', new Error('other')), undefined);
  });
});
