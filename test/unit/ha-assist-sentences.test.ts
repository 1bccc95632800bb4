import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ASSIST_QUESTIONS,
  ASSIST_SENTENCES,
  assistAutomation,
  EVENT_ASSIST_ANSWER,
  EVENT_ASSIST_REQUEST,
  isSpeakable,
  parseTriggerId,
  sentenceTriggers,
  spokenName,
  targetNames,
  triggerId,
} from '../../src/ha/assist-sentences.ts';
import { VOICE_ROWS } from '../e2e/assist-sentences.ts';

const orders = { instance: 'iris', namespace: 'ORDERS', name: 'Orders.Production' };
const lab = { instance: 'iris', namespace: 'LAB', name: 'Lab.Results.Production' };

describe('Assist sentences', () => {
  it('are the ones DOCS.md lists and the e2e test speaks', () => {
    const ours = ASSIST_QUESTIONS.flatMap((q) => ASSIST_SENTENCES[q].map((s) => s.replace('{production}', 'Orders production')));
    assert.deepEqual(ours, VOICE_ROWS.map((r) => r.says));
  });

  it('name each production by its voice names, one trigger per question', () => {
    const { triggers, ambiguous } = sentenceTriggers([orders, lab]);
    assert.deepEqual(ambiguous, []);
    assert.equal(triggers.length, 2 * ASSIST_QUESTIONS.length);
    const restart = triggers.find((t) => t.id === 'restart|iris|ORDERS|Orders.Production');
    assert.deepEqual(restart, { trigger: 'conversation', id: 'restart|iris|ORDERS|Orders.Production', command: ['restart [the] (Orders production|Orders interface)'] });
    assert.ok(triggers.some((t) => t.command.includes('is [the] (Lab Results production|Lab Results interface) troubled')));
  });

  it("add the switch's speakable aliases after IRIS Edge's names, once each", () => {
    const t = { ...orders, aliases: ['orders PRODUCTION', null, 'Purchase orders', "Bob's feed", 'Purchase orders'] };
    assert.deepEqual(targetNames(t), ['Orders production', 'Orders interface', 'Purchase orders']);
    // A user alias two productions share is as ambiguous as any other name.
    const { ambiguous } = sentenceTriggers([t, { ...lab, aliases: ['purchase orders'] }]);
    assert.deepEqual(ambiguous, ['purchase orders']);
  });

  it('leave out a name two productions share, and say which', () => {
    const twin = { instance: 'office', namespace: 'ORDERS', name: 'Orders.Production' };
    const { triggers, ambiguous } = sentenceTriggers([orders, twin, lab]);
    assert.deepEqual(ambiguous, ['orders interface', 'orders production']);
    assert.ok(triggers.every((t) => !t.id.includes('Orders.Production')), 'neither gets sentences it would share');
    assert.equal(triggers.length, ASSIST_QUESTIONS.length);
  });

  it('never put template syntax or punctuation into a sentence', () => {
    // A class name with template syntax gets no sentences; punctuation between segments is dropped.
    for (const name of ['Orders(old)|x', 'A[b]', 'x{y}', 'a<b>', 'Feed?', '']) {
      assert.deepEqual(sentenceTriggers([{ instance: 'iris', namespace: 'NS', name }]).triggers, [], name);
    }
    const dr = sentenceTriggers([{ instance: 'iris', namespace: 'NS', name: 'Dr.Who' }]).triggers[0];
    assert.deepEqual(dr?.command, ['restart [the] (Dr Who production|Dr Who interface)']);
    assert.ok(isSpeakable('Orders production'));
    assert.ok(isSpeakable('Café Straße 2'));
    assert.ok(!isSpeakable('Orders  production'));
    assert.ok(!isSpeakable('x'.repeat(101)));
    assert.equal(spokenName('Orders.Production'), 'Orders production');
    assert.equal(spokenName('Production'), 'Production');
  });

  it('carry the question and the production in the trigger id, and read only ids of theirs', () => {
    assert.deepEqual(parseTriggerId(triggerId('queue', orders)), { question: 'queue', target: orders });
    for (const bad of ['', 'restart', 'restart|iris|ORDERS', 'reboot|iris|ORDERS|Orders.Production', 'restart||ORDERS|x', 'restart|a|b|c|d', '|||']) {
      assert.equal(parseTriggerId(bad), undefined, bad);
    }
    // Any string at all: an answer or undefined, never a throw.
    for (let i = 0; i < 2000; i++) {
      const s = Array.from({ length: i % 40 }, () => String.fromCharCode(32 + ((i * 7919 + 13) % 95))).join('') + '|'.repeat(i % 5);
      parseTriggerId(s);
    }
  });

  it('make an automation that asks the bridge and speaks its answer', () => {
    const a = assistAutomation(sentenceTriggers([orders]).triggers);
    assert.equal(a.id, 'iris_edge_assist');
    assert.equal(a.mode, 'parallel');
    const [fire, wait, respond] = a.actions as Record<string, unknown>[];
    assert.equal(fire?.event, EVENT_ASSIST_REQUEST);
    assert.deepEqual(fire?.event_data, { request: '{{ context.id }}', ask: '{{ trigger.id }}' });
    assert.deepEqual((wait?.wait_for_trigger as unknown[])[0], { trigger: 'event', event_type: EVENT_ASSIST_ANSWER, event_data: { request: '{{ context.id }}' } });
    assert.equal(wait?.continue_on_timeout, true);
    assert.match(String(respond?.set_conversation_response), /wait\.trigger\.event\.data\.speech if wait\.trigger else 'IRIS Edge did not answer/);
  });
});
