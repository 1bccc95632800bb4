/**
 * GET .../event-log over real sockets, on the simulator: what it answers, when it reads IRIS (on
 * request only, one read at a time per production), and what it says when IRIS refuses.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Harness } from '../browser/harness.ts';
import { holdNextCall, within } from '../support/fixtures.ts';

const ORDERS = 'api/instances/iris/productions/ORDERS/Orders.Production/event-log';

async function get(url: string): Promise<{ status: number; body: any }> {
  const r = await fetch(url);
  return { status: r.status, body: await r.json() };
}

describe('panel: a production\'s Event Log', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ mode: 'standalone' });
  });
  after(() => h.close());

  it('is read on request only, never by the poll', async () => {
    h.sim.failMessage('ORDERS', 'Orders.Production', 'HL7.Out.Lab');
    await h.monitor.poll();
    await h.monitor.poll();
    assert.equal(h.sim.iris.agent?.trace.get('EventLog'), undefined);
  });

  it('answers the newest errors and warnings with host, text and UTC time', async () => {
    h.sim.logWarning('ORDERS', 'Orders.Production', 'Orders.DB', 'Slow reply');
    const r = await get(h.direct + ORDERS);
    assert.equal(r.status, 200);
    assert.equal(r.body.limit, 50);
    assert.deepEqual(r.body.entries.map((e: any) => [e.type, e.host]), [['warning', 'Orders.DB'], ['error', 'HL7.Out.Lab']]);
    assert.match(r.body.entries[1].time, /Z$/);
    assert.ok(Math.abs(Date.parse(r.body.entries[1].time) - Date.now()) < 60_000);
  });

  it('answers 404 for an unknown instance or production, however the names are written, without asking IRIS', async () => {
    let reads = 0;
    const original = h.sim.eventLog.bind(h.sim);
    h.sim.eventLog = async (...args) => {
      reads += 1;
      return original(...args);
    };
    for (const path of [
      'api/instances/nope/productions/ORDERS/Orders.Production/event-log',
      'api/instances/iris/productions/ORDERS/No.Such/event-log',
      'api/instances/iris/productions/NOPE/Orders.Production/event-log',
      `api/instances/iris/productions/ORDERS/${encodeURIComponent("x' OR 1=1 --")}/event-log`,
      `api/instances/iris/productions/${encodeURIComponent('%00\u202e')}/Orders.Production/event-log`,
    ]) {
      const r = await get(h.direct + path);
      assert.equal(r.status, 404, path.slice(0, 80));
      assert.equal(r.body.error, 'not-found');
    }
    const long = await get(h.direct + `api/instances/iris/productions/${'A'.repeat(500)}/Orders.Production/event-log`);
    assert.deepEqual([long.status, long.body.error], [414, 'uri-too-long']);
    delete (h.sim as Partial<typeof h.sim>).eventLog;
    assert.equal(reads, 0);
  });

  it('shares one IRIS read among requests that come while it runs', async () => {
    const held = holdNextCall(h.sim, 'eventLog');
    let calls = 0;
    const original = h.sim.eventLog.bind(h.sim);
    const pending = Array.from({ length: 10 }, () => get(h.direct + ORDERS));
    await within(held.entered, 5000, 'the read to reach IRIS');
    h.sim.eventLog = async (...args) => {
      calls += 1;
      return original(...args);
    };
    held.release();
    const answers = await Promise.all(pending);
    assert.ok(answers.every((a) => a.status === 200 && a.body.entries.length === 2));
    assert.equal(calls, 0, 'the requests that came during the read waited for it');
    delete (h.sim as Partial<typeof h.sim>).eventLog;
  });

  it('says IRIS refused, with its reason, when the bridge may not read the namespace (409)', async () => {
    h.sim.iris.security.revoke('IrisEdgeBridge', '%DB_ORDERS', 'R');
    try {
      const r = await get(h.direct + ORDERS);
      assert.equal(r.status, 409);
      assert.match(r.body.message, /Event Log of Orders\.Production.*<PROTECT>/);
    } finally {
      h.sim.iris.security.grant('IrisEdgeBridge', '%DB_ORDERS', 'R');
    }
  });
});
