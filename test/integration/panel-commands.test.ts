/**
 * The panel's production commands against the cooldown and the one-command-at-a-time guard, over
 * real sockets on the simulator: what the view says of the cooldown, the panel-only override and
 * its log line, and one log line for every refusal.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Harness } from '../browser/harness.ts';
import { holdNextCall, within } from '../support/fixtures.ts';
import { JSON_POST } from '../support/http.ts';

const ORDERS = 'api/instances/iris/productions/ORDERS/Orders.Production';

async function post(url: string, body: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(url, { method: 'POST', headers: JSON_POST, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: r.status, body: await r.json() };
}

describe('panel commands: cooldown, override, refusals', () => {
  let h: Harness;
  const logged = (re: RegExp) => h.logs.lines({ minLevel: 'debug', limit: 5000 }).filter((l) => re.test(l.msg));
  before(async () => {
    h = await startHarness({ mode: 'standalone', cooldownMs: 60_000 });
  });
  after(() => h.close());

  it('shows the cooldown in the view, refuses within it with one log line, and runs a confirmed override', async () => {
    const plain = await (await fetch(h.direct + ORDERS)).json();
    assert.equal(plain.cooldownUntil, null);

    const restart = await post(h.direct + `${ORDERS}/actions/restart`, { confirm: true });
    assert.equal(restart.status, 200);
    const until = Date.parse(restart.body.production.cooldownUntil);
    assert.ok(until > Date.now() + 50_000 && until <= Date.now() + 60_000, restart.body.production.cooldownUntil);

    const refused = await post(h.direct + `${ORDERS}/actions/stop`, { confirm: true });
    assert.deepEqual([refused.status, refused.body.error], [409, 'refused-by-bridge']);
    assert.match(refused.body.message, /cooldown/);
    const lines = logged(/^Refused stop ORDERS\/Orders\.Production from the panel/);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.level, 'warn');
    assert.match(lines[0]?.msg ?? '', /by the bridge: .*cooldown refuses another stop or restart for \d+ s/);

    // The override is an explicit decision: only with the confirmation, only where a cooldown applies.
    const bare = await post(h.direct + `${ORDERS}/actions/stop`, { overrideCooldown: true });
    assert.deepEqual([bare.status, bare.body.error], [400, 'confirmation-required']);
    const onStart = await post(h.direct + `${ORDERS}/actions/start`, { overrideCooldown: true });
    assert.deepEqual([onStart.status, onStart.body.error], [400, 'override-not-applicable']);
    const wrongType = await post(h.direct + `${ORDERS}/actions/stop`, { confirm: true, overrideCooldown: 'yes' });
    assert.equal(wrongType.status, 400);
    assert.deepEqual(h.sim.controlCalls.map((c) => c.action), ['restart']);

    const stop = await post(h.direct + `${ORDERS}/actions/stop`, { confirm: true, overrideCooldown: true });
    assert.deepEqual([stop.status, stop.body.outcome, stop.body.production.state], [200, 'done', 'stopped']);
    assert.equal(logged(/^Panel: stop ORDERS\/Orders\.Production requested by .*, overriding the cooldown \(\d+ s left\)$/).length, 1);
    assert.deepEqual(h.sim.controlCalls.map((c) => c.action), ['restart', 'stop']);
    await post(h.direct + `${ORDERS}/actions/start`, {});
  });

  it('keeps one command at a time even with the override, and logs that refusal once', async () => {
    const held = holdNextCall(h.sim, 'control');
    const first = post(h.direct + `${ORDERS}/actions/restart`, { confirm: true, overrideCooldown: true });
    const second = await within(held.entered, 5000, 'the restart to reach IRIS')
      .then(() => post(h.direct + `${ORDERS}/actions/stop`, { confirm: true, overrideCooldown: true }))
      .finally(() => held.release());
    assert.deepEqual([second.status, second.body.error], [409, 'refused-by-bridge']);
    assert.match(second.body.message, /still running/);
    assert.equal((await first).status, 200);
    assert.equal(logged(/^Refused stop ORDERS\/Orders\.Production from the panel .*by the bridge: A restart command/).length, 1);
  });

  it('logs an IRIS refusal from the panel once, with the path, the production, the action and IRIS\'s reason', async () => {
    h.sim.setBusy('ORDERS', 'Orders.Production', 'Orders.Router', true);
    try {
      const r = await post(h.direct + `${ORDERS}/actions/stop`, { confirm: true, overrideCooldown: true });
      assert.deepEqual([r.status, r.body.error], [409, 'refused-by-iris']);
    } finally {
      h.sim.setBusy('ORDERS', 'Orders.Production', 'Orders.Router', false);
    }
    const lines = logged(/^Refused stop ORDERS\/Orders\.Production from the panel .*by IRIS: .*Quiescent/i);
    assert.equal(lines.length, 1);
  });

  it('a flood of the same refusal is one log line, not one line each', async () => {
    const held = holdNextCall(h.sim, 'control');
    const first = post(h.direct + `${ORDERS}/actions/restart`, { confirm: true, overrideCooldown: true });
    await within(held.entered, 5000, 'the restart to reach IRIS');
    const flood = await Promise.all(Array.from({ length: 30 }, () => post(h.direct + `${ORDERS}/actions/update`, {}))).finally(() => held.release());
    assert.ok(flood.every((r) => r.status === 409));
    assert.equal((await first).status, 200);
    assert.equal(logged(/^Refused update ORDERS\/Orders\.Production from the panel/).length, 1);
  });
});
