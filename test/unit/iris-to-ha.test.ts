/**
 * IRIS calls Home Assistant, without Home Assistant: IrisEdge.HA.Home's calls go through the
 * simulated outbox and the real agent path (TakeHaCalls, AnswerHaCall) to a stand-in for the
 * bridge's websocket; the allow-lists (default deny), the refusal event, Home Assistant's own error
 * text, deadlines, at-most-once execution, and bad requests from IRIS.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { MessageBase } from 'home-assistant-js-websocket';
import { AllowList } from '../../src/model/allow-list.ts';
import { MAX_HA_CALL_BYTES, parseHaCallRequest } from '../../src/model/ha-outbound.ts';
import { EVENT_ACTION_REFUSED, IrisToHa } from '../../src/ha/iris-to-ha.ts';
import { HaCommandError, HaUnavailableError } from '../../src/ha/core.ts';
import { IrisSimulator } from '../../src/iris/simulator/index.ts';
import { homeProduction } from '../../src/iris/simulator/ha-event-service.ts';
import { captureLogger, waitFor } from '../support/fixtures.ts';

interface FakeHa {
  calls: MessageBase[];
  fired: { type: string; data: object }[];
  call<T>(m: MessageBase): Promise<T>;
  fireEvent(type: string, data: object): Promise<void>;
}

function fakeHa(answer: (m: MessageBase) => unknown = () => null): FakeHa {
  const ha: FakeHa = {
    calls: [],
    fired: [],
    async call<T>(m: MessageBase): Promise<T> {
      ha.calls.push(m);
      return answer(m) as T;
    },
    async fireEvent(type: string, data: object): Promise<void> {
      ha.fired.push({ type, data });
    },
  };
  return ha;
}

function rig(ha: FakeHa, allow: { actions?: string[]; events?: string[]; states?: string[] } = {}) {
  const sim = new IrisSimulator({ transitionMs: 1, productions: [homeProduction()] });
  const { log, lines } = captureLogger();
  const flow = new IrisToHa(ha, sim, { actions: new AllowList(allow.actions ?? []), events: new AllowList(allow.events ?? []), states: new AllowList(allow.states ?? []) }, log, 5);
  flow.start();
  return {
    sim,
    lines,
    flow,
    async close() {
      flow.stop();
      await sim.close();
    },
  };
}

const SET_LEVEL = { kind: 'action', domain: 'input_number', service: 'set_value', data: { value: 42 }, target: { entity_id: 'input_number.level' } };

describe('requests from IRIS', () => {
  it('are checked: kinds, names, sizes; a bad one says what is wrong', () => {
    assert.ok(parseHaCallRequest(JSON.stringify(SET_LEVEL)).ok);
    assert.ok(parseHaCallRequest('{"kind":"event","event_type":"iris_order"}').ok);
    assert.ok(parseHaCallRequest('{"kind":"state","entity_id":"sun.sun"}').ok);
    const why = (json: string) => {
      const r = parseHaCallRequest(json);
      assert.equal(r.ok, false, json);
      return r.ok ? '' : r.text;
    };
    assert.match(why('{nope'), /not JSON/);
    assert.match(why('{"kind":"shell","cmd":"rm"}'), /kind/);
    assert.match(why('{"kind":"action","domain":"Light","service":"turn_on"}'), /domain: lower-case/);
    assert.match(why('{"kind":"state","entity_id":"porch"}'), /entity_id: an entity id/);
    assert.match(why('{"kind":"action","domain":"light","service":"turn_on","data":[1]}'), /data/);
    assert.match(why(JSON.stringify({ ...SET_LEVEL, data: { blob: 'x'.repeat(MAX_HA_CALL_BYTES) } })), /over 64 KB/);
  });

  it('whatever IRIS writes, the check answers and never throws (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify({ kind: 'action', ...(typeof v === 'object' && v !== null ? v : {}) }))), (json) => {
        const r = parseHaCallRequest(json);
        assert.ok(r.ok === true || (r.ok === false && r.text.length > 0));
      }),
    );
  });
});

describe('IRIS calls Home Assistant through the outbox', () => {
  it('an allowed action is carried out once, with data and target, and the caller gets $$$OK', async () => {
    const ha = fakeHa();
    const r = rig(ha, { actions: ['input_number.set_value'] });
    const result = await r.sim.callHomeAssistant('HOME', SET_LEVEL, 5);
    assert.deepEqual(result, { ok: true, text: '', reply: { ok: true } });
    assert.deepEqual(ha.calls, [{ type: 'call_service', domain: 'input_number', service: 'set_value', service_data: { value: 42 }, target: { entity_id: 'input_number.level' } }]);
    await waitFor(() => r.flow.stats().inFlight === 0, 5000, 'the call to finish');
    assert.deepEqual(r.flow.stats(), { done: 1, failed: 0, refused: 0, inFlight: 0 });
    await r.close();
  });

  it('default deny: a call outside the list is refused with the reason, raised as iris_edge_action_refused, logged once; Home Assistant is not asked', async () => {
    const ha = fakeHa();
    const r = rig(ha, { actions: ['notify.*'] });
    const first = await r.sim.callHomeAssistant('HOME', { kind: 'action', domain: 'input_boolean', service: 'turn_on', target: { entity_id: 'input_boolean.porch' } }, 5);
    const again = await r.sim.callHomeAssistant('HOME', { kind: 'action', domain: 'input_boolean', service: 'turn_on' }, 5);
    for (const res of [first, again]) {
      assert.equal(res.ok, false);
      assert.equal(res.text, 'ERROR #5001: IRIS Edge does not let IRIS call input_boolean.turn_on: it is not in the option from_iris_actions');
    }
    assert.deepEqual(ha.calls, []);
    assert.deepEqual(ha.fired[0], { type: EVENT_ACTION_REFUSED, data: { namespace: 'HOME', kind: 'action', subject: 'input_boolean.turn_on', option: 'from_iris_actions' } });
    assert.equal(ha.fired.length, 2);
    assert.equal(r.lines.filter((l) => /Refused a call from IRIS \(HOME\)/.test(l)).length, 1);
    const event = await r.sim.callHomeAssistant('HOME', { kind: 'event', event_type: 'iris_order' }, 5);
    assert.match(event.text, /does not let IRIS fire iris_order: it is not in the option from_iris_events/);
    const state = await r.sim.callHomeAssistant('HOME', { kind: 'state', entity_id: 'sun.sun' }, 5);
    assert.match(state.text, /does not let IRIS read sun\.sun: it is not in the option from_iris_states/);
    await r.close();
  });

  it("Home Assistant's own error text reaches the caller; so does its absence", async () => {
    const ha = fakeHa((m) => {
      if (m.domain === 'input_number') throw new HaCommandError('call_service', 'invalid_format', 'Invalid value for input_number.level: 1000 (range 0 - 100)');
      throw new HaUnavailableError();
    });
    const r = rig(ha, { actions: ['input_number.*', 'light.*'] });
    const bad = await r.sim.callHomeAssistant('HOME', { ...SET_LEVEL, data: { value: 1000 } }, 5);
    assert.equal(bad.text, 'ERROR #5001: Home Assistant refused call_service: Invalid value for input_number.level: 1000 (range 0 - 100) (invalid_format)');
    const away = await r.sim.callHomeAssistant('HOME', { kind: 'action', domain: 'light', service: 'turn_on' }, 5);
    assert.equal(away.text, 'ERROR #5001: Home Assistant is not connected');
    assert.equal(ha.calls.length, 2, 'nothing was retried');
    await r.close();
  });

  it('fires an allowed event and reads an allowed state with its attributes', async () => {
    const ha = fakeHa((m) => (m.type === 'get_states' ? [{ entity_id: 'input_boolean.porch', state: 'on', attributes: { friendly_name: 'Porch' } }] : null));
    const r = rig(ha, { events: ['iris_*'], states: ['input_boolean.*'] });
    assert.equal((await r.sim.callHomeAssistant('HOME', { kind: 'event', event_type: 'iris_order', data: { item: 'milk' } }, 5)).ok, true);
    assert.deepEqual(ha.fired, [{ type: 'iris_order', data: { item: 'milk' } }]);
    const state = await r.sim.callHomeAssistant('HOME', { kind: 'state', entity_id: 'input_boolean.porch' }, 5);
    assert.deepEqual(state.reply, { ok: true, state: 'on', attributes: { friendly_name: 'Porch' } });
    const missing = await r.sim.callHomeAssistant('HOME', { kind: 'state', entity_id: 'input_boolean.garage' }, 5);
    assert.equal(missing.text, 'ERROR #5001: Home Assistant has no entity input_boolean.garage');
    await r.close();
  });

  it('a bad request from IRIS is answered with what is wrong and nothing runs', async () => {
    const ha = fakeHa();
    const r = rig(ha, { actions: ['*'] });
    const res = await r.sim.callHomeAssistant('HOME', { kind: 'action', domain: 'light; rm', service: 'x' }, 5);
    assert.match(res.text, /^ERROR #5001: IRIS Edge refused the call: domain: lower-case letters/);
    assert.deepEqual(ha.calls, []);
    await r.close();
  });

  it('a call whose caller gave up is not carried out, and its late answer is dropped', async () => {
    const ha = fakeHa();
    const sim = new IrisSimulator({ transitionMs: 1, productions: [homeProduction()] });
    const waiting = sim.callHomeAssistant('HOME', SET_LEVEL, 0.05);
    const taken = await sim.takeHaCalls(10);
    assert.equal(taken.calls.length, 1);
    assert.deepEqual(await waiting, { ok: false, text: 'ERROR #5001: Home Assistant did not answer within 0.05 s (is the IRIS Edge app running?)', reply: null });
    assert.equal(await sim.answerHaCall('HOME', taken.calls[0]!.id, taken.calls[0]!.pid, '{"ok":true}'), false);
    assert.deepEqual((await sim.takeHaCalls(10)).calls, [], 'a call is handed out once');
    // The bridge checks deadlines against IRIS's clock: an expired one is not carried out.
    const { log } = captureLogger();
    let takes = 0;
    let answers = 0;
    const expired = { namespace: 'HOME', id: 9, request: JSON.stringify(SET_LEVEL), pid: '1', deadline: 999 };
    const outbox = {
      takeHaCalls: async () => ({ now: 1000, calls: (takes += 1) === 1 ? [expired] : [], problems: [] }),
      answerHaCall: async () => ((answers += 1), true),
    };
    const flow = new IrisToHa(ha, outbox, { actions: new AllowList(['*']), events: new AllowList([]), states: new AllowList([]) }, log, 5);
    flow.start();
    await waitFor(() => takes >= 3 && flow.stats().inFlight === 0, 5000, 'the bridge to look twice more');
    flow.stop();
    assert.deepEqual([ha.calls, answers], [[], 0]);
    await sim.close();
  });
});

describe('the business operation IrisEdge.HA.Operation (simulated host)', () => {
  it('turns its requests into the same calls, answers with an IrisEdge.HA.Response, and fails with the %Status text', async () => {
    const ha = fakeHa((m) => (m.type === 'get_states' ? [{ entity_id: 'input_number.level', state: '7.0', attributes: { min: 0 } }] : null));
    const r = rig(ha, { actions: ['input_number.set_value'], states: ['input_number.*'] });
    const set = await r.sim.sendToHaOperation('HOME', 'HomeAssistant.Out', { type: 'IrisEdge.HA.CallActionRequest', Domain: 'input_number', Action: 'set_value', Data: '{"value":7}', Target: '{"entity_id":"input_number.level"}' });
    assert.deepEqual(set, { ok: true, text: '', response: { State: '', Attributes: '', ResponseData: '' } });
    assert.deepEqual(ha.calls[0], { type: 'call_service', domain: 'input_number', service: 'set_value', service_data: { value: 7 }, target: { entity_id: 'input_number.level' } });
    const state = await r.sim.sendToHaOperation('HOME', 'HomeAssistant.Out', { type: 'IrisEdge.HA.GetStateRequest', Entity: 'input_number.level' });
    assert.deepEqual(state.response, { State: '7.0', Attributes: '{"min":0}', ResponseData: '' });
    const refused = await r.sim.sendToHaOperation('HOME', 'HomeAssistant.Out', { type: 'IrisEdge.HA.FireEventRequest', EventType: 'iris_order' });
    assert.match(refused.text, /does not let IRIS fire iris_order/);
    const bad = await r.sim.sendToHaOperation('HOME', 'HomeAssistant.Out', { type: 'IrisEdge.HA.CallActionRequest', Domain: 'input_number', Action: 'set_value', Data: '{value: 7' });
    assert.match(bad.text, /^ERROR #5035: .*Parsing error/);
    assert.equal(ha.calls.length, 2, 'the refused and the malformed request reached nothing');
    await r.close();
  });

  it('must be an enabled operation of the running production, as Ens requires', async () => {
    const r = rig(fakeHa(), { actions: ['*'] });
    const request = { type: 'IrisEdge.HA.GetStateRequest', Entity: 'sun.sun' } as const;
    assert.match((await r.sim.sendToHaOperation('HOME', 'Home.Log', request)).text, /only IrisEdge\.HA\.Operation/);
    assert.match((await r.sim.sendToHaOperation('HOME', 'NoSuch', request)).text, /ErrBusinessDispatchNameNotRegistered/);
    await r.sim.setHostEnabled({ namespace: 'HOME', production: 'Home.Production', host: 'HomeAssistant.Out', enable: false });
    assert.match((await r.sim.sendToHaOperation('HOME', 'HomeAssistant.Out', request)).text, /ErrBusinessDispatchNameNotRegistered/);
    await r.sim.control({ namespace: 'HOME', production: 'Home.Production', action: 'stop' });
    assert.match((await r.sim.sendToHaOperation('HOME', 'HomeAssistant.Out', request)).text, /ErrProductionNotRunning/);
    await r.close();
  });
});
