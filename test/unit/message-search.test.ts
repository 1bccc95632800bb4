/**
 * A search of message headers as the bridge makes it (IrisEdge.Agent.SearchMessages through the
 * agent client, the simulator behind it): the window, the filters, newest first, the bound, the
 * time zone, the agent refusing a malformed filter, and agent answers that break the contract.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AgentFailedError } from '../../src/iris/agent/contract.ts';
import { messageSearchFromAgent } from '../../src/iris/agent/message-search.ts';
import { IrisCommandRefusedError, IrisContractError, UnknownProductionError } from '../../src/model/errors.ts';
import { MESSAGE_SEARCH_LIMIT, MESSAGE_STATUSES, MESSAGE_TEXT_MAX, messageStatusWord, type MessageSearch } from '../../src/model/message-search.ts';
import { simulators } from '../support/simulators.ts';

const ALL: MessageSearch = { production: null, since: '2000-01-01T00:00:00Z', until: '2100-01-01T00:00:00Z', host: null, status: null, errorsOnly: false, limit: MESSAGE_SEARCH_LIMIT };

describe('a search of message headers', () => {
  const sim = simulators();

  it('finds the traffic and the failures of a production, newest first, with source, target, body class, status and session', async () => {
    const s = sim();
    assert.equal(s.sendMessages('ORDERS', 'Orders.Production'), 3); // service -> router, router -> each operation
    s.failMessage('ORDERS', 'Orders.Production', 'HL7.Out.Lab');
    s.sendMessages('LAB', 'Lab.Results.Production'); // another production: not shown
    const { messages, more } = await s.searchMessages('ORDERS', { ...ALL, production: 'Orders.Production' });
    assert.equal(more, false);
    assert.deepEqual(
      messages.map((m) => [m.source, m.target, m.status, m.isError]),
      [
        ['Orders.Router', 'HL7.Out.Lab', 'error', true],
        ['Orders.Router', 'Orders.DB', 'completed', false],
        ['Orders.Router', 'HL7.Out.Lab', 'completed', false],
        ['HL7.In.File', 'Orders.Router', 'completed', false],
      ],
    );
    assert.ok(messages.every((m, i) => i === 0 || m.id < messages[i - 1]!.id));
    assert.equal(messages[1]!.bodyClass, 'Ens.StringRequest');
    assert.equal(messages[2]!.bodyClass, 'EnsLib.HL7.Message');
    // A session is the ID of its first header; the failure is a session of its own.
    assert.deepEqual(new Set(messages.slice(1).map((m) => m.sessionId)), new Set([messages[3]!.id]));
    assert.equal(messages[0]!.sessionId, messages[0]!.id);
    // A stopped production sends nothing.
    await s.control({ namespace: 'ORDERS', production: 'Orders.Production', action: 'stop' });
    assert.equal(s.sendMessages('ORDERS', 'Orders.Production'), 0);
  });

  it('filters by host (either end, any case), status and errors only', async () => {
    const s = sim();
    s.sendMessages('ORDERS', 'Orders.Production', 2);
    s.failMessage('ORDERS', 'Orders.Production', 'Orders.DB', 2);
    const search = (f: Partial<MessageSearch>) => s.searchMessages('ORDERS', { ...ALL, ...f }).then((r) => r.messages);
    assert.equal((await search({ host: 'orders.db' })).length, 4);
    assert.equal((await search({ host: 'HL7.In.File' })).length, 2);
    assert.equal((await search({ host: 'Orders.Router' })).length, 8);
    assert.deepEqual((await search({ status: 'error' })).map((m) => m.target), ['Orders.DB', 'Orders.DB']);
    assert.equal((await search({ errorsOnly: true, host: 'HL7.Out.Lab' })).length, 0);
    assert.equal((await search({ status: 'queued' })).length, 0);
    assert.equal((await search({ production: 'Orders.Replay.Production' })).length, 0);
  });

  it('keeps TimeCreated >= since and < until, and reports it as the UTC moment whatever the time zone', async () => {
    let now = new Date('2026-07-01T12:00:00.000Z');
    for (const timeZone of ['America/New_York', 'Asia/Kolkata', 'UTC']) {
      now = new Date('2026-07-01T12:00:00.000Z');
      const s = sim({ clock: { timeZone, now: () => now } });
      s.failMessage('ORDERS', 'Orders.Production', 'HL7.Out.Lab');
      now = new Date('2026-07-01T13:00:00.250Z');
      s.failMessage('ORDERS', 'Orders.Production', 'Orders.DB');
      const times = async (since: string, until: string) => (await s.searchMessages('ORDERS', { ...ALL, since, until })).messages.map((m) => m.timeCreated);
      assert.deepEqual(await times('2026-07-01T00:00:00Z', '2026-07-02T00:00:00Z'), ['2026-07-01T13:00:00.250Z', '2026-07-01T12:00:00.000Z'], timeZone);
      assert.deepEqual(await times('2026-07-01T12:00:00Z', '2026-07-01T13:00:00.250Z'), ['2026-07-01T12:00:00.000Z'], timeZone);
      // An ISO time with an offset is the same instant.
      assert.deepEqual(await times('2026-07-01T13:30:00+02:00', '2026-07-01T14:30:00+02:00'), ['2026-07-01T12:00:00.000Z'], timeZone);
    }
  });

  it('is bounded: at most the limit, newest first, "more" when there are others; the history the simulator keeps is bounded too', async () => {
    const s = sim();
    s.failMessage('ORDERS', 'Orders.Production', 'HL7.Out.Lab', 5000);
    const all = await s.searchMessages('ORDERS', ALL);
    assert.equal(all.messages.length, MESSAGE_SEARCH_LIMIT);
    assert.equal(all.more, true);
    const few = await s.searchMessages('ORDERS', { ...ALL, limit: 3 });
    assert.deepEqual(few.messages.map((m) => m.id), all.messages.slice(0, 3).map((m) => m.id));
    const exact = await s.searchMessages('ORDERS', { ...ALL, since: all.messages[2]!.timeCreated, limit: 3 });
    assert.ok(exact.messages.length <= 3);
    assert.ok(s.iris.messages.select('ORDERS', { since: '2000-01-01 00:00:00', until: '2100-01-01 00:00:00', items: null, host: '', status: 0, errorsOnly: false, top: 1e9 }).length <= 2000);
  });

  it('the agent refuses a malformed filter before any SQL runs, and a namespace IRIS lacks is UnknownProductionError', async () => {
    const s = sim();
    await assert.rejects(s.searchMessages('NOPE', ALL), UnknownProductionError);
    const agent = s.iris.agent!;
    const proc = s.iris.ownerProcess();
    for (const filter of [
      { since: '2026-01-01T00:00:00Z', until: '2026-01-02 00:00:00', status: 0 },
      { since: "2026-01-01 00:00:00' OR 1=1 --", until: '2026-01-02 00:00:00', status: 0 },
      { since: '2026-01-01 00:00:00', until: '2026-01-02 00:00:00', status: 10 },
      { since: '2026-01-01 00:00:00', until: '2026-01-02 00:00:00', status: 0, host: 'x'.repeat(129) },
    ]) {
      const answer = JSON.parse(String(await agent.invoke(proc, 'SearchMessages', ['ORDERS', JSON.stringify(filter)]))) as { ok: boolean; code: string };
      assert.deepEqual([answer.ok, answer.code], [false, '<IrisEdge>BadFilter'], JSON.stringify(filter));
    }
    assert.ok(!agent.trace.get('SearchMessages')?.has('%SQL.Statement.%ExecDirectNoPriv'), 'a malformed filter reached SQL');
  });

  it('survives hostile host and production names: they only ever match nothing (fuzz)', async () => {
    const s = sim();
    s.sendMessages('ORDERS', 'Orders.Production');
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 128 }), fc.string({ maxLength: 128 }), async (host, production) => {
        fc.pre(host.trim() !== '' && !/^(HL7\.In\.File|Orders\.(Router|DB)|HL7\.Out\.Lab)$/i.test(host));
        const r = await s.searchMessages('ORDERS', { ...ALL, host, production: production || null });
        assert.deepEqual(r.messages, []);
      }),
      { numRuns: 200 },
    );
    await assert.rejects(s.searchMessages('ORDERS', { ...ALL, host: 'x'.repeat(129) }), IrisCommandRefusedError);
  });

  it('refuses agent answers that break the contract, naming what is wrong', () => {
    const good = { id: 7, timeCreated: '2026-01-01T00:00:00.000Z', source: 'A', target: 'B', bodyClass: 'Ens.StringRequest', status: 'Completed', isError: false, sessionId: 7 };
    assert.equal(messageSearchFromAgent({ ok: true, more: false, messages: [good] }).messages[0]?.status, 'completed');
    const bad: Array<[string, unknown]> = [
      ['a local time', { ok: true, more: false, messages: [{ ...good, timeCreated: '2026-01-01 00:00:00' }] }],
      ['an unknown status', { ok: true, more: false, messages: [{ ...good, status: 'Lost' }] }],
      ['a name over the limit', { ok: true, more: false, messages: [{ ...good, target: 'x'.repeat(MESSAGE_TEXT_MAX + 1) }] }],
      ['too many rows', { ok: true, more: true, messages: Array.from({ length: MESSAGE_SEARCH_LIMIT + 1 }, (_, i) => ({ ...good, id: i + 1 })) }],
      ['no "more"', { ok: true, messages: [good] }],
      ['a string id', { ok: true, more: false, messages: [{ ...good, id: '7' }] }],
      ['not an object', 'messages'],
    ];
    for (const [what, value] of bad) assert.throws(() => messageSearchFromAgent(value), IrisContractError, what);
    assert.throws(() => messageSearchFromAgent({ ok: false, code: '<PROTECT>', text: 'ERROR' }), AgentFailedError);
  });
});

describe("the agent's message statuses", () => {
  const row = (status: string) => ({ ok: true, more: false, messages: [{ id: 1, timeCreated: '2026-01-01T00:00:00.000Z', source: 'A', target: 'B', bodyClass: 'C', status, isError: false, sessionId: 1 }] });

  it('are the display words of the one status list, each read back as its status', () => {
    for (const status of MESSAGE_STATUSES) assert.equal(messageSearchFromAgent(row(messageStatusWord(status))).messages[0]?.status, status);
    assert.equal(messageStatusWord('completed'), 'Completed');
  });

  it('break the contract when IRIS sends a word outside them', () => {
    for (const word of ['Done', 'completed', '9', '']) assert.throws(() => messageSearchFromAgent(row(word)), IrisContractError, word);
  });
});
