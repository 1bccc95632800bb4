/** What the panel offers per production state, and the monitor's cooldown override. */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { actionChoices } from '../../src/model/actions.ts';
import { IRIS_PRODUCTION_STATES } from '../../src/model/production.ts';
import { IrisSimulator } from '../../src/iris/simulator/index.ts';
import { CommandCooldownError, CommandInProgressError } from '../../src/monitor/errors.ts';
import { Monitor } from '../../src/monitor/monitor.ts';
import { CommandHandler } from '../../src/mqtt/commands.ts';
import { captureLogger, discoveryContext, holdNextCall, waitFor, within } from '../support/fixtures.ts';

const offered = (irisState: (typeof IRIS_PRODUCTION_STATES)[number], needsUpdate = false, commandInFlight: 'restart' | null = null) => {
  const c = actionChoices({ irisState, needsUpdate, commandInFlight });
  return { enabled: c.filter((x) => x.enabled).map((x) => x.action), primary: c.filter((x) => x.primary).map((x) => x.action) };
};

describe('the commands a production state offers', () => {
  it('enables what makes sense and fills one main command', () => {
    assert.deepEqual(offered('stopped'), { enabled: ['start'], primary: ['start'] });
    assert.deepEqual(offered('running'), { enabled: ['stop', 'restart'], primary: ['stop'] });
    assert.deepEqual(offered('running', true), { enabled: ['stop', 'restart', 'update'], primary: ['update'] });
    assert.deepEqual(offered('troubled'), { enabled: ['stop', 'restart', 'recover'], primary: ['recover'] });
    assert.deepEqual(offered('suspended'), { enabled: ['stop', 'restart'], primary: ['stop'] });
    assert.deepEqual(offered('unknown'), { enabled: ['start', 'stop', 'restart'], primary: [] });
  });

  it('offers nothing while a command runs, and at most one main command in any state', () => {
    for (const s of IRIS_PRODUCTION_STATES) {
      assert.deepEqual(offered(s, true, 'restart'), { enabled: [], primary: [] }, s);
      for (const u of [false, true]) assert.ok(offered(s, u).primary.length <= 1, s);
      assert.ok(!offered(s).enabled.includes('update'), `${s}: update only when IRIS says it is needed`);
    }
  });
});

describe('the cooldown override', () => {
  let monitor: Monitor | undefined;
  afterEach(() => monitor?.stop());

  it('lets a stop through within the cooldown only when asked, and restarts the cooldown', async () => {
    const sim = new IrisSimulator({ transitionMs: 20 });
    monitor = new Monitor(sim, { pollIntervalMs: 60_000, removalGracePolls: 2, commandCooldownMs: 60_000 }, captureLogger().log);
    await monitor.start();
    await monitor.execute('ORDERS', 'Orders.Production', 'restart');
    const view = () => monitor!.view.productions.find((p) => p.name === 'Orders.Production');
    const until = view()?.cooldownUntil;
    assert.ok(until && Date.parse(until) > Date.now());
    assert.equal(view()?.cooldownUntil, until, 'a fixed instant: views that change nothing else stay equal');
    await assert.rejects(monitor.execute('ORDERS', 'Orders.Production', 'stop'), CommandCooldownError);
    await assert.rejects(monitor.execute('ORDERS', 'Orders.Production', 'stop', { overrideCooldown: false }), CommandCooldownError);
    assert.deepEqual(await monitor.execute('ORDERS', 'Orders.Production', 'stop', { overrideCooldown: true }), { outcome: 'done' });
    assert.deepEqual(sim.controlCalls.map((c) => c.action), ['restart', 'stop']);
    assert.equal(monitor.view.productions.find((p) => p.name === 'Lab.Results.Production')?.cooldownUntil, null, 'other productions have none');
  });

  it('never overrides one command at a time', async () => {
    const sim = new IrisSimulator({ transitionMs: 20 });
    monitor = new Monitor(sim, { pollIntervalMs: 60_000, removalGracePolls: 2, commandCooldownMs: 60_000 }, captureLogger().log);
    await monitor.start();
    const held = holdNextCall(sim, 'control');
    const first = monitor.execute('ORDERS', 'Orders.Production', 'restart');
    await within(held.entered, 5000, 'the restart to reach IRIS');
    await assert.rejects(monitor.execute('ORDERS', 'Orders.Production', 'stop', { overrideCooldown: true }), CommandInProgressError);
    held.release();
    await first;
  });

  it('is not open to MQTT (nor to Assist, which turns the same entities): a STOP within the cooldown is refused and logged once', async () => {
    const sim = new IrisSimulator({ transitionMs: 20 });
    const { log, lines } = captureLogger();
    monitor = new Monitor(sim, { pollIntervalMs: 60_000, removalGracePolls: 2, commandCooldownMs: 60_000 }, log);
    await monitor.start();
    await monitor.execute('ORDERS', 'Orders.Production', 'restart');
    const { topics } = discoveryContext();
    const handler = new CommandHandler(topics, monitor, log);
    const orders = { namespace: 'ORDERS', name: 'Orders.Production' };
    for (let i = 0; i < 3; i++) handler.handle(topics.productionSet(orders), Buffer.from('STOP'), { retain: false });
    const refusal = /Refused stop ORDERS\/Orders\.Production from MQTT \(a dashboard, an automation or Assist\), by the bridge: .*cooldown/;
    await waitFor(() => lines.some((l) => refusal.test(l)), 2000, 'the refusal line');
    assert.equal(lines.filter((l) => refusal.test(l)).length, 1);
    assert.deepEqual(sim.controlCalls.map((c) => c.action), ['restart']);
  });
});
