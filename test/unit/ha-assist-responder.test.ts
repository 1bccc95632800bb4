import assert from 'node:assert/strict';
import { once } from 'node:events';
import { afterEach, describe, it } from 'node:test';
import type { AnswerSource } from '../../src/ha/assist-answers.ts';
import { AssistResponder } from '../../src/ha/assist-responder.ts';
import { EVENT_ASSIST_ANSWER, EVENT_ASSIST_REQUEST } from '../../src/ha/assist-sentences.ts';
import { HaCore } from '../../src/ha/core.ts';
import type { MonitorView } from '../../src/model/view.ts';
import { CommandCooldownError } from '../../src/monitor/errors.ts';
import type { CommandResult } from '../../src/monitor/monitor.ts';
import { FakeHa } from '../support/fake-ha.ts';
import { captureLogger, hostSnapshot, productionView, waitFor, within } from '../support/fixtures.ts';

let fake: FakeHa;
let core: HaCore;
afterEach(async () => {
  core.close();
  await fake.close();
});

function source(execute: () => Promise<CommandResult>): AnswerSource & { calls: number } {
  const view: MonitorView = {
    reachable: true,
    inventoried: true,
    instance: null,
    metrics: null,
    productions: [{ ...productionView('Orders.Production', 'running'), hosts: [hostSnapshot('In', { queue: 4 })] }],
  };
  const s = {
    view,
    calls: 0,
    execute: () => {
      s.calls++;
      return execute();
    },
  };
  return s;
}

async function setup(iris: AnswerSource) {
  fake = await FakeHa.start();
  const { log, lines } = captureLogger();
  core = HaCore.start({ url: fake.url, token: fake.token }, log, { retryDelaysMs: [50] });
  await within(once(core, 'ready'), 10_000, 'Home Assistant to be connected');
  const responder = new AssistResponder(core, new Map([['iris', iris]]), log, { commandWithinMs: 1000 });
  responder.start();
  await waitFor(() => fake.subscribers(EVENT_ASSIST_REQUEST) === 1, 5000, 'the subscription');
  return { responder, lines };
}

function answers(): { request: string; speech: string }[] {
  return fake.ofType('fire_event').filter((m) => m.event_type === EVENT_ASSIST_ANSWER).map((m) => m.event_data as { request: string; speech: string });
}

describe('AssistResponder', () => {
  it('answers a question with the request id it came with', async () => {
    await setup(source(async () => ({ outcome: 'done' })));
    fake.emitEvent(EVENT_ASSIST_REQUEST, { request: '01ABC', ask: 'queue|iris|ORDERS|Orders.Production' });
    await waitFor(() => answers().length === 1, 5000, 'the answer');
    assert.deepEqual(answers(), [{ request: '01ABC', speech: '4 messages are waiting in Orders production.' }]);
  });

  it('restarts through the monitor and says a refusal, logging it once as from Assist', async () => {
    const iris = source(() => Promise.reject(new CommandCooldownError('ORDERS/Orders.Production', 30)));
    const { lines } = await setup(iris);
    fake.emitEvent(EVENT_ASSIST_REQUEST, { request: 'r1', ask: 'restart|iris|ORDERS|Orders.Production' });
    await waitFor(() => answers().length === 1, 5000, 'the answer');
    assert.equal(iris.calls, 1);
    assert.match(answers()[0]?.speech ?? '', /^I did not restart Orders production: .* Try again in 30 seconds\.$/);
    assert.equal(lines.filter((l) => l.includes('Refused restart ORDERS/Orders.Production from Assist, by the bridge')).length, 1, lines.join('\n'));
  });

  it('says so when the production is unknown', async () => {
    await setup(source(async () => ({ outcome: 'done' })));
    fake.emitEvent(EVENT_ASSIST_REQUEST, { request: 'r', ask: 'status|iris|ORDERS|Gone.Production' });
    fake.emitEvent(EVENT_ASSIST_REQUEST, { request: 's', ask: 'status|office|ORDERS|Orders.Production' });
    await waitFor(() => answers().length === 2, 5000, 'the answers');
    assert.ok(answers().every((a) => a.speech === 'IRIS Edge does not know that production any more.'));
  });

  it('drops forged and malformed requests without answering, throwing or restarting', async () => {
    const iris = source(async () => ({ outcome: 'done' }));
    const { responder } = await setup(iris);
    const junk: unknown[] = [
      null,
      'restart',
      [],
      { request: 'r' },
      { ask: 'restart|iris|ORDERS|Orders.Production' },
      { request: 'x'.repeat(65), ask: 'restart|iris|ORDERS|Orders.Production' },
      { request: 'r', ask: 'restart|iris|ORDERS|Orders.Production'.padEnd(401, 'x') },
      { request: 'r', ask: 'shutdown|iris|ORDERS|Orders.Production' },
      { request: 7, ask: 'restart|iris|ORDERS|Orders.Production' },
      { request: 'r', ask: { toString: 'restart' } },
    ];
    for (let i = 0; i < 500; i++) fake.emitEvent(EVENT_ASSIST_REQUEST, junk[i % junk.length]);
    // A valid one behind the flood is still answered: the flood was read and dropped.
    fake.emitEvent(EVENT_ASSIST_REQUEST, { request: 'ok', ask: 'errors|iris|ORDERS|Orders.Production' });
    await waitFor(() => answers().length === 1, 5000, 'the one good answer');
    await responder.idle();
    assert.deepEqual(answers(), [{ request: 'ok', speech: 'Orders production has no errors.' }]);
    assert.equal(iris.calls, 0);
  });

  it('subscribes again on a new connection after HA was away', async () => {
    await setup(source(async () => ({ outcome: 'done' })));
    const down = within(once(core, 'disconnected'), 10_000, 'the drop');
    await fake.stopServer();
    await down;
    const up = within(once(core, 'ready'), 10_000, 'the reconnect');
    await fake.startServer();
    await up;
    await waitFor(() => fake.subscribers(EVENT_ASSIST_REQUEST) === 1, 5000, 'the subscription again');
    fake.emitEvent(EVENT_ASSIST_REQUEST, { request: 'again', ask: 'status|iris|ORDERS|Orders.Production' });
    await waitFor(() => answers().some((a) => a.request === 'again'), 5000, 'the answer');
  });
});
