/**
 * Home Assistant to IRIS, without Home Assistant: the allow-lists, the message IRIS receives, the
 * bounded in-order queue (waiting while IRIS cannot take events, drops counted and logged once,
 * refused events skipped), the subscriptions the options lead to, and the simulated business
 * service behind IrisEdge.Agent.DeliverHaEvent with the statuses IRIS returns.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AllowList, allowPatternProblem } from '../../src/model/allow-list.ts';
import { haEventToIris, MAX_HA_EVENT_BYTES, type ForIris, type HaBusEvent } from '../../src/model/ha-inbound.ts';
import { DeliveryQueue, isWaitError } from '../../src/ha/delivery-queue.ts';
import { HaToIris } from '../../src/ha/ha-to-iris.ts';
import { HaFlowRecord } from '../../src/ha/flow-record.ts';
import type { HaCore } from '../../src/ha/core.ts';
import type { IrisClient } from '../../src/iris/client.ts';
import { startHaToIris } from '../../src/compose/ha-to-iris.ts';
import type { HaEvent } from '../../src/ha/core.ts';
import { IrisCommandRefusedError, IrisUnavailableError, UnknownProductionError } from '../../src/model/errors.ts';
import { IrisSimulator } from '../../src/iris/simulator/index.ts';
import { homeProduction } from '../../src/iris/simulator/ha-event-service.ts';
import { demoScenario } from '../../src/iris/simulator/scenarios.ts';
import { captureLogger, testConfig, waitFor } from '../support/fixtures.ts';
import { mqttToIris } from '../../src/mqtt/to-iris.ts';

const allow = (entities: string[], events: string[] = []) => ({ entities: new AllowList(entities), events: new AllowList(events) });

const stateChanged = (entity: string, from: string | null, to: string | null, extra: Partial<HaBusEvent> = {}): HaBusEvent => ({
  event_type: 'state_changed',
  data: {
    entity_id: entity,
    old_state: from === null ? null : { entity_id: entity, state: from, attributes: { friendly_name: 'Porch' } },
    new_state: to === null ? null : { entity_id: entity, state: to, attributes: { friendly_name: 'Porch', icon: 'mdi:lamp' } },
  },
  time_fired: '2026-03-01T12:00:00.123456+00:00',
  context: { id: '01HXYZ' },
  ...extra,
});

describe('allow-lists', () => {
  it('match exact names and * globs, and nothing else; an empty list allows nothing', () => {
    const a = new AllowList(['input_boolean.*', 'sensor.kitchen_*', 'light.porch']);
    assert.ok(a.allows('input_boolean.porch'));
    assert.ok(a.allows('sensor.kitchen_temperature'));
    assert.ok(a.allows('light.porch'));
    assert.ok(!a.allows('light.porch_2'));
    assert.ok(!a.allows('input_booleanx.y'), 'the dot is a dot, not any character');
    assert.ok(!a.allows('sensor.kitchen'));
    assert.ok(!new AllowList([]).allows('anything'));
    assert.ok(new AllowList(['*']).allows('anything.at_all'));
  });

  it('refuse patterns that are not entity ids or event types, saying what is allowed', () => {
    for (const bad of ['', 'Input_Boolean.*', 'sensor.[a-z]', 'a b', 'x'.repeat(256), 'sensor.+', '^light']) {
      assert.match(allowPatternProblem(bad) ?? '', /lower-case letters, digits, _ and \./, bad);
      assert.throws(() => new AllowList([bad]));
    }
  });

  it('a glob never matches more than its literal parts allow (property)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z_]{1,8}$/), fc.stringMatching(/^[a-z0-9_.]{0,12}$/), (prefix, rest) => {
        const list = new AllowList([`${prefix}.*`]);
        assert.equal(list.allows(`${prefix}.${rest}`), true);
        assert.equal(list.allows(`${prefix}x.${rest}`), false);
      }),
    );
  });
});

describe('the message IRIS receives', () => {
  it('a state change of an allowed entity: entity, old and new state, attributes, UTC time, context id', () => {
    const out = haEventToIris(stateChanged('input_boolean.porch', 'off', 'on'), allow(['input_boolean.*']));
    assert.equal(out.kind, 'pass');
    if (out.kind !== 'pass') return;
    assert.deepEqual(out.message, {
      kind: 'state',
      event_type: 'state_changed',
      entity: 'input_boolean.porch',
      old_state: 'off',
      new_state: 'on',
      attributes: { friendly_name: 'Porch', icon: 'mdi:lamp' },
      data: null,
      time: '2026-03-01T12:00:00.123Z',
      context_id: '01HXYZ',
    });
    assert.deepEqual(JSON.parse(out.item.json), out.message);
    assert.equal(out.item.bytes, Buffer.byteLength(out.item.json));
    assert.deepEqual(out.item.shown, { subject: 'input_boolean.porch', detail: 'off → on', preview: null });
  });

  it('an entity added or removed has an empty old or new state', () => {
    const added = haEventToIris(stateChanged('input_boolean.porch', null, 'on'), allow(['input_boolean.porch']));
    const removed = haEventToIris(stateChanged('input_boolean.porch', 'on', null), allow(['input_boolean.porch']));
    assert.ok(added.kind === 'pass' && added.message.old_state === '' && added.message.new_state === 'on');
    assert.ok(removed.kind === 'pass' && removed.message.new_state === '' && removed.message.attributes !== null);
  });

  it('default deny: entities and event types not listed do not pass; state_changed never passes as an event type', () => {
    assert.equal(haEventToIris(stateChanged('light.porch', 'off', 'on'), allow(['input_boolean.*'])).kind, 'not-allowed');
    assert.equal(haEventToIris({ event_type: 'my_event', data: {} }, allow([], ['other_*'])).kind, 'not-allowed');
    assert.equal(haEventToIris(stateChanged('light.porch', 'off', 'on'), allow([], ['*'])).kind, 'not-allowed');
  });

  it('another allowed event carries its data; a missing time is the time it arrived', () => {
    const now = new Date('2026-03-01T00:00:00Z');
    const out = haEventToIris({ event_type: 'my_event', data: { room: 'hall', n: 2 } }, allow([], ['my_*']), now);
    assert.ok(out.kind === 'pass');
    if (out.kind !== 'pass') return;
    assert.equal(out.message.kind, 'event');
    assert.deepEqual(out.message.data, { room: 'hall', n: 2 });
    assert.equal(out.message.time, '2026-03-01T00:00:00.000Z');
    assert.equal(out.message.context_id, '');
  });

  it('oversized and malformed events are refused with what and why, never cut short', () => {
    const big = haEventToIris(stateChanged('input_boolean.porch', 'off', 'on'), allow(['input_boolean.*']));
    assert.equal(big.kind, 'pass');
    const huge = stateChanged('input_boolean.porch', 'off', 'on');
    (huge.data as { new_state: { attributes: Record<string, unknown> } }).new_state.attributes.blob = 'x'.repeat(MAX_HA_EVENT_BYTES);
    const over = haEventToIris(huge, allow(['input_boolean.*']));
    assert.ok(over.kind === 'oversized' && over.bytes > MAX_HA_EVENT_BYTES && /input_boolean\.porch/.test(over.what));
    const bad = haEventToIris({ event_type: 'state_changed', data: { entity_id: 'input_boolean.porch', new_state: { state: 5 } } }, allow(['input_boolean.*']));
    assert.ok(bad.kind === 'malformed' && /new_state/.test(bad.why));
    assert.equal(haEventToIris({ event_type: 'my_event', data: [1, 2] }, allow([], ['my_event'])).kind, 'malformed');
    assert.equal(haEventToIris({ event_type: 'state_changed', data: null }, allow(['*'])).kind, 'not-allowed');
  });

  it('whatever Home Assistant sends, the conversion answers with an outcome and never throws (property)', () => {
    fc.assert(
      fc.property(fc.record({ event_type: fc.oneof(fc.constant('state_changed'), fc.string()), data: fc.anything(), time_fired: fc.anything(), context: fc.anything() }), (e) => {
        const out = haEventToIris(e as HaBusEvent, allow(['*'], ['*']));
        assert.ok(['pass', 'oversized', 'malformed', 'not-allowed'].includes(out.kind));
        if (out.kind === 'pass') assert.ok(Buffer.byteLength(out.item.json) <= MAX_HA_EVENT_BYTES && out.message.time.endsWith('Z'));
      }),
    );
  });
});

describe('the delivery queue', () => {
  const opts = { maxItems: 5, maxBytes: 1_000_000, retryDelaysMs: [5], target: 'HomeAssistant in HOME' };
  const item = (json: string): ForIris => ({ json, bytes: Buffer.byteLength(json), shown: { subject: json, detail: null, preview: null } });

  it('delivers in order; while IRIS is away the head waits, logged once, and everything arrives in order after', async () => {
    const { log, lines } = captureLogger();
    const got: string[] = [];
    let down = true;
    let attempts = 0;
    const q = new DeliveryQueue(async ({ json }) => {
      attempts += 1;
      if (down) throw new IrisUnavailableError('IRIS does not answer');
      got.push(json);
    }, log, opts);
    for (const n of ['1', '2', '3']) q.push(item(n));
    await waitFor(() => attempts >= 4, 5000, 'a few attempts while IRIS is away');
    assert.equal(q.stats().waiting, 'IRIS does not answer');
    assert.equal(lines.filter((l) => /wait in the queue/.test(l)).length, 1, 'the wait is logged once, not per retry');
    down = false;
    await waitFor(() => got.length === 3, 5000, 'the waiting events');
    assert.deepEqual(got, ['1', '2', '3']);
    assert.deepEqual({ ...q.stats(), waiting: q.stats().waiting }, { queued: 0, queuedBytes: 0, delivered: 3, dropped: 0, failed: 0, waiting: null });
    assert.ok(lines.some((l) => /takes Home Assistant events into HomeAssistant in HOME again/.test(l)));
    q.stop();
  });

  it('a full queue drops newer events, counts them and logs the spell once at its start and once at its end', async () => {
    const { log, lines } = captureLogger();
    const got: string[] = [];
    let down = true;
    const q = new DeliveryQueue(async ({ json }) => {
      if (down) throw new IrisCommandRefusedError('ERROR <Ens>ErrProductionNotRunning: Production is not running', '<Ens>ErrProductionNotRunning');
      got.push(json);
    }, log, opts);
    const accepted = Array.from({ length: 1000 }, (_, i) => q.push(item(String(i))));
    assert.equal(accepted.filter(Boolean).length, 5);
    assert.equal(q.stats().dropped, 995);
    assert.equal(lines.filter((l) => /queue of Home Assistant events for HomeAssistant in HOME is full/.test(l)).length, 1);
    down = false;
    await waitFor(() => got.length === 5, 5000, 'the queued five');
    assert.deepEqual(got, ['0', '1', '2', '3', '4']);
    await waitFor(() => lines.some((l) => /995 Home Assistant events .* were dropped/.test(l)), 5000, 'the summary of the drops');
    q.stop();
  });

  it('a byte bound holds too: a few large events fill it', () => {
    const { log } = captureLogger();
    const q = new DeliveryQueue(() => new Promise(() => {}), log, { ...opts, maxItems: 1000, maxBytes: 100 });
    assert.equal(q.push(item('x'.repeat(60))), true);
    assert.equal(q.push(item('y'.repeat(60))), false);
    assert.equal(q.stats().dropped, 1);
    q.stop();
  });

  it('an event IRIS refuses for itself is counted as failed and skipped; the next ones go through', async () => {
    const { log, lines } = captureLogger();
    const got: string[] = [];
    const q = new DeliveryQueue(async ({ json }) => {
      if (json === 'bad') throw new IrisCommandRefusedError("ERROR #5035: General exception Name 'Parsing error'", '5035');
      got.push(json);
    }, log, opts);
    for (const n of ['a', 'bad', 'b']) q.push(item(n));
    await waitFor(() => got.length === 2, 5000, 'the good events');
    assert.deepEqual(got, ['a', 'b']);
    assert.equal(q.stats().failed, 1);
    assert.ok(lines.some((l) => /IRIS refused a Home Assistant event .*Parsing error/.test(l)));
    q.stop();
  });

  it('tells waiting apart from failing: IRIS away, no production, no service, no privilege wait; the rest fails', () => {
    assert.ok(isWaitError(new IrisUnavailableError('x')));
    assert.ok(isWaitError(new UnknownProductionError('x')));
    for (const code of ['<Ens>ErrProductionNotRunning', '<Ens>ErrBusinessDispatchNameNotRegistered', '<PROTECT>']) assert.ok(isWaitError(new IrisCommandRefusedError('x', code)), code);
    assert.ok(!isWaitError(new IrisCommandRefusedError('x', '5035')));
    assert.ok(!isWaitError(new IrisCommandRefusedError('x', undefined)));
    assert.ok(!isWaitError(new Error('x')));
  });

  it('a flood of 100,000 state changes leaves the event loop free: pushing is bounded work', async () => {
    const { log } = captureLogger();
    const q = new DeliveryQueue(() => new Promise(() => {}), log, { ...opts, maxItems: 1000 });
    const forwarder = new HaToIris({ onEvent: () => {} }, q, allow(['input_boolean.*']), log);
    let ticks = 0;
    const timer = setInterval(() => (ticks += 1), 0);
    for (let i = 0; i < 100_000; i++) {
      (forwarder as unknown as { handle(e: HaEvent): void }).handle(stateChanged('input_boolean.porch', 'off', String(i)) as HaEvent);
      if (i % 10_000 === 0) await new Promise((r) => setImmediate(r));
    }
    clearInterval(timer);
    assert.ok(ticks > 0, 'timers ran during the flood');
    assert.deepEqual([q.stats().queued, q.stats().dropped, forwarder.stats().passed], [1000, 99_000, 100_000]);
    q.stop();
  });
});

describe('what the options subscribe to', () => {
  const subscriptions = (entities: string[], events: string[]) => {
    const types: (string | null)[] = [];
    const { log } = captureLogger();
    new HaToIris({ onEvent: (t) => void types.push(t) }, { push: () => true }, allow(entities, events), log).start();
    return types;
  };

  it('nothing by default; state_changed for entities; each named event type; every event for a pattern with *', () => {
    assert.deepEqual(subscriptions([], []), []);
    assert.deepEqual(subscriptions(['input_boolean.*'], []), ['state_changed']);
    assert.deepEqual(subscriptions(['input_boolean.*'], ['my_event', 'state_changed']), ['state_changed', 'my_event']);
    assert.deepEqual(subscriptions([], ['my_*']), [null]);
  });
});

describe('the simulated business service behind IrisEdge.Agent.DeliverHaEvent', () => {
  const json = JSON.stringify({ kind: 'state', event_type: 'state_changed', entity: 'input_boolean.porch', old_state: 'off', new_state: 'on', attributes: {}, data: null, time: '2026-03-01T12:00:00.000Z', context_id: 'c1' });

  it('receives the event in the running production, in order', async () => {
    const sim = new IrisSimulator({ transitionMs: 1, productions: [...demoScenario(), homeProduction()] });
    await sim.deliverHaEvent('HOME', 'HomeAssistant', json);
    await sim.deliverHaEvent('HOME', 'HomeAssistant', json.replace('"c1"', '"c2"'));
    assert.deepEqual(sim.iris.haEvents.receivedBy('HOME', 'HomeAssistant').map((e) => e.message.context_id), ['c1', 'c2']);
    await sim.close();
  });

  it('answers as Ens does: no production running, no such enabled service, another class, bad JSON, unknown namespace', async () => {
    const sim = new IrisSimulator({ transitionMs: 1, productions: [...demoScenario(), homeProduction()] });
    const refusedWith = (code: string, text: RegExp) => (err: unknown) => {
      assert.ok(err instanceof IrisCommandRefusedError, String(err));
      assert.equal(err.irisCode, code);
      assert.match(err.message, text);
      return true;
    };
    await assert.rejects(sim.deliverHaEvent('HOME', 'NoSuch', json), refusedWith('<Ens>ErrBusinessDispatchNameNotRegistered', /Business dispatch name 'NoSuch' is not registered/));
    await assert.rejects(sim.deliverHaEvent('HOME', 'Home.Log', json), refusedWith('<Ens>ErrBusinessDispatchNameNotRegistered', /Home\.Log/));
    await assert.rejects(sim.deliverHaEvent('ORDERS', 'HL7.In.File', json), refusedWith('5001', /only IrisEdge\.HA\.EventService/));
    await assert.rejects(sim.deliverHaEvent('HOME', 'HomeAssistant', '{not json'), refusedWith('5035', /Parsing error/));
    await assert.rejects(sim.deliverHaEvent('NOWHERE', 'HomeAssistant', json), (err: unknown) => err instanceof UnknownProductionError);
    await sim.setHostEnabled({ namespace: 'HOME', production: 'Home.Production', host: 'HomeAssistant', enable: false });
    await assert.rejects(sim.deliverHaEvent('HOME', 'HomeAssistant', json), refusedWith('<Ens>ErrBusinessDispatchNameNotRegistered', /HomeAssistant/));
    await sim.control({ namespace: 'HOME', production: 'Home.Production', action: 'stop' });
    await assert.rejects(sim.deliverHaEvent('HOME', 'HomeAssistant', json), refusedWith('<Ens>ErrProductionNotRunning', /Production is not running/));
    assert.deepEqual(sim.iris.haEvents.receivedBy('HOME', 'HomeAssistant'), []);
    await sim.close();
  });
});

describe('data from automations over MQTT (iris-edge/<instance>/to_iris/<service>)', () => {
  const base = 'iris-edge/iris/to_iris';
  const allowed = new Set(['HomeAssistant']);
  const now = new Date('2026-03-01T08:00:00Z');
  const one = (topic: string, payload: string | Buffer, retained = false) => mqttToIris(base, topic, Buffer.from(payload), retained, allowed, now);

  it('a JSON object to an allowed service becomes an event of type mqtt with that data', () => {
    const out = one(`${base}/HomeAssistant`, '{"item":"milk","count":2}');
    assert.equal(out.kind, 'pass');
    if (out.kind !== 'pass') return;
    assert.equal(out.service, 'HomeAssistant');
    assert.deepEqual(out.item.shown, { subject: 'mqtt', detail: null, preview: '{"item":"milk","count":2}' });
    assert.deepEqual(JSON.parse(out.item.json), { kind: 'event', event_type: 'mqtt', entity: '', old_state: '', new_state: '', attributes: null, data: { item: 'milk', count: 2 }, time: '2026-03-01T08:00:00.000Z', context_id: '' });
  });

  it('default deny and bad input: other services, retained, not JSON, not an object, oversized, deeper topics', () => {
    const why = (topic: string, payload: string | Buffer, retained = false) => {
      const out = one(topic, payload, retained);
      assert.equal(out.kind, 'ignored', topic);
      return out.kind === 'ignored' ? out.why : '';
    };
    assert.match(why(`${base}/Other`, '{}'), /"Other" is not in the option to_iris_mqtt_services/);
    assert.match(why(`${base}/HomeAssistant`, '{}', true), /retained/);
    assert.match(why(`${base}/HomeAssistant`, '{nope'), /not JSON/);
    assert.match(why(`${base}/HomeAssistant`, '[1,2]'), /not a JSON object/);
    assert.match(why(`${base}/HomeAssistant`, '"x"'), /not a JSON object/);
    assert.match(why(`${base}/HomeAssistant`, Buffer.alloc(MAX_HA_EVENT_BYTES + 1, 0x20)), /over the 64 KB limit/);
    assert.match(why(`${base}/HomeAssistant/deeper`, '{}'), /not a to_iris topic/);
    assert.match(why(`${base}/`, '{}'), /not a to_iris topic/);
  });

  it('whatever is published, the answer is pass or ignored, never a throw (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.uint8Array({ maxLength: 300 }), fc.boolean(), (rest, bytes, retained) => {
        const out = mqttToIris(base, `${base}/${rest}`, Buffer.from(bytes), retained, allowed, now);
        assert.ok(out.kind === 'pass' || out.kind === 'ignored');
      }),
    );
  });
});

describe('an event on its way into IRIS', () => {
  it('is made once: queueing it, delivering it and recording it for the panel read no JSON back', async (t) => {
    const { log } = captureLogger();
    const handlers: Array<(e: HaEvent) => void> = [];
    const ha = { onEvent: (_type: string | null, h: (e: HaEvent) => void) => void handlers.push(h) } as unknown as HaCore;
    const delivered: string[] = [];
    const iris = { deliverHaEvent: async (_ns: string, _service: string, json: string) => void delivered.push(json) } as unknown as IrisClient;
    const flows = new HaFlowRecord();
    const base = testConfig().toIris;
    const running = await startHaToIris(ha, { client: undefined as never, base: 'iris-edge/iris' }, iris, testConfig({ toIris: { ...base, entities: new AllowList(['input_boolean.*']) } }), log, flows);
    const parse = t.mock.method(JSON, 'parse');
    for (const h of handlers) h(stateChanged('input_boolean.porch', 'off', 'on') as HaEvent);
    await waitFor(() => flows.recent('to-iris').length > 0, 5000, 'the delivery recorded');
    const ofTheEvent = parse.mock.calls.filter((c) => String(c.arguments[0]).includes('input_boolean.porch'));
    parse.mock.restore();
    running?.stop();
    assert.equal(delivered.length, 1);
    assert.deepEqual(flows.recent('to-iris').map((e) => [e.outcome, e.subject, e.detail]), [['delivered', 'input_boolean.porch', 'off → on']]);
    assert.equal(ofTheEvent.length, 0, 'the message was read back from its JSON');
  });
});
