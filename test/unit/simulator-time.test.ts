/**
 * Local time and UTC, kept apart as IRIS keeps them: EnumerateHostStatus gives local %TimeStamps,
 * the agent converts them to UTC once, $ZTIMESTAMP is already UTC. In any zone the bridge shows
 * the moment IRIS meant.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromLocalTimestamp, localTimestamp } from '../../src/iris/simulator/clock.ts';
import { IrisSimulator } from '../../src/iris/simulator/index.ts';

const ZONES = ['UTC', 'Pacific/Chatham', 'America/St_Johns', 'Europe/Berlin', 'Asia/Kathmandu', 'America/Los_Angeles'];

describe('the simulated clock', () => {
  it('writes a local %TimeStamp and reads it back as the same moment, in every zone and around DST changes', () => {
    const moments = ['2026-01-15T12:00:00Z', '2026-03-29T00:59:59Z', '2026-03-29T01:00:00Z', '2026-04-05T13:30:00Z', '2026-09-27T14:00:00Z', '2026-11-01T08:59:00Z'];
    for (const tz of ZONES) {
      for (const m of moments) {
        const d = new Date(m);
        const local = localTimestamp(d, tz);
        assert.match(local, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
        // The hour a DST change repeats is ambiguous in local time (IRIS has the same problem):
        // the reading must then be one of the two moments, an hour apart.
        const back = fromLocalTimestamp(local, tz).getTime();
        assert.ok(back === d.getTime() || Math.abs(back - d.getTime()) === 3_600_000, `${tz} ${m} -> ${local} -> ${new Date(back).toISOString()}`);
      }
    }
    assert.equal(localTimestamp(new Date('2026-06-01T00:00:00Z'), 'Pacific/Chatham'), '2026-06-01 12:45:00');
    assert.equal(localTimestamp(new Date('2026-01-01T00:00:00Z'), 'Pacific/Chatham'), '2026-01-01 13:45:00');
  });

  it('writes each zone its own wall time and each second its own stamp, however often the same moments come back', () => {
    const at = new Date('2026-06-01T10:00:00.250Z');
    for (let round = 0; round < 2; round++) {
      assert.equal(localTimestamp(at, 'UTC'), '2026-06-01 10:00:00');
      assert.equal(localTimestamp(at, 'Europe/Berlin'), '2026-06-01 12:00:00');
      assert.equal(localTimestamp(at, 'Pacific/Chatham'), '2026-06-01 22:45:00');
      assert.equal(localTimestamp(new Date(at.getTime() + 1000), 'UTC'), '2026-06-01 10:00:01');
      assert.equal(localTimestamp(new Date(at.getTime() + 749), 'UTC'), '2026-06-01 10:00:00', 'the same second');
      assert.equal(localTimestamp(new Date(at.getTime() + 750), 'UTC'), '2026-06-01 10:00:01', 'the next second');
    }
  });

  it('host times reach the bridge as the moment they were, whatever the instance\'s zone', async () => {
    for (const tz of ZONES) {
      const at = new Date('2026-07-04T09:08:07Z');
      const sim = new IrisSimulator({ transitionMs: 1, clock: { timeZone: tz, now: () => new Date() } });
      const host = sim.iris.interop.find('ORDERS', 'Orders.Production')?.hosts.find((h) => h.name === 'HL7.In.File');
      assert.ok(host);
      host.lastActivity = at;
      // What IRIS reports is local time...
      const row = sim.iris.interop.enumerateHostStatus('ORDERS', tz).find((r) => r.Name === 'HL7.In.File');
      assert.equal(row?.LastActivity, localTimestamp(at, tz));
      // ...and what the bridge gets is the moment itself.
      const snap = await sim.snapshot();
      const seen = snap.productions.find((p) => p.name === 'Orders.Production')?.hosts.find((h) => h.name === 'HL7.In.File');
      assert.equal(seen?.lastActivity, at.toISOString(), tz);
      assert.ok(Math.abs(Date.parse(snap.takenAt) - Date.now()) < 60_000, `${tz}: takenAt ${snap.takenAt}`);
      await sim.close();
    }
  });
});
