/**
 * IRIS calls Home Assistant, against a REAL Home Assistant: a production's code (IrisEdge.HA.Home
 * in the simulator) sets an input_number and Home Assistant shows the value; a call outside the
 * allow-list is refused, raised as iris_edge_action_refused, and Home Assistant is unchanged;
 * Home Assistant's own error text comes back; an allowed event is fired and a state is read; the
 * business operation IrisEdge.HA.Operation does the same for production messages.
 *
 * Needs: bash test/e2e/harness/prepare.sh (as root), mosquitto.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { IrisSimulator } from '../../src/iris/simulator/index.ts';
import { AllowList } from '../../src/model/allow-list.ts';
import { artifactDirFor, type HomeAssistant } from './harness/home-assistant.ts';
import { startHomeRig, type HomeRig } from './harness/home-rig.ts';

const artifactDir = artifactDirFor('iris-to-ha');
const HELPERS = `input_number:
  level:
    name: Level
    min: 0
    max: 100
    step: 1
input_boolean:
  porch:
    name: Porch
`;

let rig: HomeRig | undefined;
let ha: HomeAssistant;
let sim: IrisSimulator;
const bridgeLog: string[] = [];
const busEvents: { event_type: string; data: Record<string, unknown> }[] = [];

before(async () => {
  const fromIris = { actions: new AllowList(['input_number.set_value', 'notify.*']), events: new AllowList(['iris_e2e_*']), states: new AllowList(['input_number.*']) };
  rig = await startHomeRig({ artifactDir, extraYaml: HELPERS, bridgeLog, config: { fromIris } });
  ({ ha, sim } = rig);
  await ha.connection.subscribeEvents<{ event_type: string; data: Record<string, unknown> }>((e) => void busEvents.push(e));
});

after(async () => {
  await rig?.close();
});

describe('IRIS calls Home Assistant in a real Home Assistant', () => {
  it('the production calls input_number.set_value and Home Assistant shows the value', async () => {
    const result = await sim.callHomeAssistant('HOME', { kind: 'action', domain: 'input_number', service: 'set_value', data: { value: 42 }, target: { entity_id: 'input_number.level' } }, 10);
    assert.deepEqual(result, { ok: true, text: '', reply: { ok: true } });
    assert.equal((await ha.state('input_number.level'))?.state, '42.0');
  });

  it('a call outside the allow-list is refused, raised as iris_edge_action_refused, and Home Assistant is unchanged', async () => {
    const before = (await ha.state('input_boolean.porch'))?.last_changed;
    const result = await sim.callHomeAssistant('HOME', { kind: 'action', domain: 'input_boolean', service: 'turn_on', target: { entity_id: 'input_boolean.porch' } }, 10);
    assert.equal(result.ok, false);
    assert.equal(result.text, 'ERROR #5001: IRIS Edge does not let IRIS call input_boolean.turn_on: it is not in the option from_iris_actions');
    const refused = await ha.waitFor(() => busEvents.find((e) => e.event_type === 'iris_edge_action_refused'), 10_000, 'the refusal event');
    assert.deepEqual(refused.data, { namespace: 'HOME', kind: 'action', subject: 'input_boolean.turn_on', option: 'from_iris_actions' });
    const porch = await ha.state('input_boolean.porch');
    assert.equal(porch?.state, 'off');
    assert.equal(porch?.last_changed, before);
  });

  it("Home Assistant's own error text comes back in the %Status, for a bad value and an unknown action, and the value stays", async () => {
    const result = await sim.callHomeAssistant('HOME', { kind: 'action', domain: 'input_number', service: 'set_value', data: { value: 1000 }, target: { entity_id: 'input_number.level' } }, 10);
    assert.equal(result.ok, false);
    assert.match(result.text, /^ERROR #5001: Home Assistant refused call_service: .*1000/);
    assert.equal((await ha.state('input_number.level'))?.state, '42.0');
    // Allowed by notify.*, unknown to Home Assistant: its words, not ours.
    const unknown = await sim.callHomeAssistant('HOME', { kind: 'action', domain: 'notify', service: 'nobody_here', data: { message: 'x' } }, 10);
    assert.equal(unknown.ok, false);
    assert.match(unknown.text, /^ERROR #5001: Home Assistant refused call_service: .*not found/i);
  });

  it('reads an allowed state with its attributes, and fires an allowed event with its data', async () => {
    const state = await sim.callHomeAssistant('HOME', { kind: 'state', entity_id: 'input_number.level' }, 10);
    assert.equal(state.reply?.state, '42.0');
    assert.equal((state.reply?.attributes as Record<string, unknown>).friendly_name, 'Level');
    const fired = await sim.callHomeAssistant('HOME', { kind: 'event', event_type: 'iris_e2e_order', data: { item: 'milk' } }, 10);
    assert.equal(fired.ok, true);
    const e = await ha.waitFor(() => busEvents.find((x) => x.event_type === 'iris_e2e_order'), 10_000, 'the fired event');
    assert.deepEqual(e.data, { item: 'milk' });
  });

  it('the business operation sets the value from a production message and reads it back', async () => {
    const set = await sim.sendToHaOperation('HOME', 'HomeAssistant.Out', {
      type: 'IrisEdge.HA.CallActionRequest',
      Domain: 'input_number',
      Action: 'set_value',
      Data: '{"value": 7}',
      Target: '{"entity_id": "input_number.level"}',
    });
    assert.equal(set.ok, true, set.text);
    assert.equal((await ha.state('input_number.level'))?.state, '7.0');
    const read = await sim.sendToHaOperation('HOME', 'HomeAssistant.Out', { type: 'IrisEdge.HA.GetStateRequest', Entity: 'input_number.level' });
    assert.equal(read.response?.State, '7.0');
    const refused = await sim.sendToHaOperation('HOME', 'HomeAssistant.Out', { type: 'IrisEdge.HA.CallActionRequest', Domain: 'input_boolean', Action: 'turn_on', Target: '{"entity_id": "input_boolean.porch"}' });
    assert.match(refused.text, /does not let IRIS call input_boolean\.turn_on/);
    assert.equal((await ha.state('input_boolean.porch'))?.state, 'off');
  });
});
