/**
 * A production's Event Log as the bridge reads it (IrisEdge.Agent.EventLog through the agent
 * client, the simulator behind it): what it shows, its bounds, the time zone, and agent answers
 * that break the contract.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventLogFromAgent } from '../../src/iris/agent/event-log.ts';
import { EVENT_LOG_LIMIT, EVENT_TEXT_MAX } from '../../src/model/event-log.ts';
import { IrisContractError, UnknownProductionError } from '../../src/model/errors.ts';
import { AgentFailedError } from '../../src/iris/agent/contract.ts';
import { simulators } from '../support/simulators.ts';

describe('the Event Log of a production', () => {
  const sim = simulators();

  it('shows the errors and warnings of its own hosts, newest first, with host, text, time and source', async () => {
    const s = sim();
    s.failMessage('ORDERS', 'Orders.Production', 'HL7.Out.Lab', 2, 'ERROR #6059: Unable to open TCP/IP socket to server lab:2575');
    s.logWarning('ORDERS', 'Orders.Production', 'Orders.DB', 'Slow reply from the database (12 s)');
    s.failMessage('LAB', 'Lab.Results.Production', 'Results.Out.File'); // another production: not shown
    const entries = await s.eventLog('ORDERS', 'Orders.Production');
    assert.deepEqual(
      entries.map((e) => [e.type, e.host, e.text]),
      [
        ['warning', 'Orders.DB', 'Slow reply from the database (12 s)'],
        ['error', 'HL7.Out.Lab', 'ERROR #6059: Unable to open TCP/IP socket to server lab:2575'],
        ['error', 'HL7.Out.Lab', 'ERROR #6059: Unable to open TCP/IP socket to server lab:2575'],
      ],
    );
    assert.ok(entries[0]!.id > entries[1]!.id);
    assert.equal(entries[1]!.source, 'EnsLib.HL7.Operation.TCPOperation:OnMessage');
    assert.equal(typeof entries[1]!.sessionId, 'number');
    assert.equal(entries[0]!.sessionId, null);
    assert.deepEqual(await s.eventLog('ORDERS', 'Orders.Replay.Production'), []);
  });

  it('reports TimeLogged as the UTC moment it was logged, whatever the instance\'s time zone', async () => {
    const at = new Date('2026-07-01T12:34:56.789Z');
    for (const timeZone of ['America/New_York', 'Asia/Kolkata', 'UTC']) {
      const s = sim({ clock: { timeZone, now: () => at } });
      s.failMessage('ORDERS', 'Orders.Production', 'HL7.Out.Lab');
      assert.equal((await s.eventLog('ORDERS', 'Orders.Production'))[0]?.time, at.toISOString(), timeZone);
    }
  });

  it('is bounded: the newest EVENT_LOG_LIMIT entries, each text cut to EVENT_TEXT_MAX characters', async () => {
    const s = sim();
    s.failMessage('ORDERS', 'Orders.Production', 'HL7.Out.Lab', EVENT_LOG_LIMIT + 20);
    s.failMessage('ORDERS', 'Orders.Production', 'Orders.DB', 1, 'x'.repeat(EVENT_TEXT_MAX * 4));
    const entries = await s.eventLog('ORDERS', 'Orders.Production');
    assert.equal(entries.length, EVENT_LOG_LIMIT);
    assert.equal(entries[0]?.host, 'Orders.DB');
    assert.equal(entries[0]?.text.length, EVENT_TEXT_MAX);
    assert.equal(entries[0]?.truncated, true);
    assert.equal(entries[1]?.truncated, false);
  });

  it('answers a namespace IRIS does not have with UnknownProductionError', async () => {
    await assert.rejects(sim().eventLog('NOPE', 'Orders.Production'), UnknownProductionError);
  });

  it('refuses agent answers that break the contract, naming what is wrong', () => {
    const good = { id: 1, type: 'Error', host: 'H', text: 't', truncated: false, time: '2026-01-01T00:00:00.000Z', sessionId: null, source: '' };
    assert.equal(eventLogFromAgent({ ok: true, entries: [good] })[0]?.type, 'error');
    const bad: Array<[string, unknown]> = [
      ['a local time', { ok: true, entries: [{ ...good, time: '2026-01-01 00:00:00' }] }],
      ['an Info entry', { ok: true, entries: [{ ...good, type: 'Info' }] }],
      ['a text over the limit', { ok: true, entries: [{ ...good, text: 'x'.repeat(EVENT_TEXT_MAX + 1) }] }],
      ['too many entries', { ok: true, entries: Array.from({ length: EVENT_LOG_LIMIT + 1 }, (_, i) => ({ ...good, id: i + 1 })) }],
      ['no entries', { ok: true }],
      ['a string id', { ok: true, entries: [{ ...good, id: '1' }] }],
      ['not an object', 'entries'],
    ];
    for (const [what, value] of bad) assert.throws(() => eventLogFromAgent(value), IrisContractError, what);
    assert.throws(() => eventLogFromAgent({ ok: false, code: '<PROTECT>', text: 'ERROR' }), AgentFailedError);
  });
});
