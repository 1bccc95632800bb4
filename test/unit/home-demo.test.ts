/**
 * The demo's HOME production logic (simulator scenario "home") without Home Assistant: a state of
 * the demo switch taken by the business service becomes input_number.set_value on the demo level
 * through IrisEdge.HA.Operation and the bridge's outbox path; other entities and states such as
 * "unavailable" are ignored; without the option from_iris_actions the call is refused.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_LEVEL, DEMO_SWITCH, homeDemoScenario, levelFor, startHomeDemoLogic } from '../../src/iris/simulator/home-demo.ts';
import type { HaOperationResult } from '../../src/iris/simulator/ha-operation.ts';
import { IrisSimulator } from '../../src/iris/simulator/index.ts';
import { waitFor } from '../support/fixtures.ts';
import { startHaFlowsRig } from '../support/ha-flows-rig.ts';

describe('the HOME production of the demo', () => {
  it('reads on and off of the demo switch only', () => {
    assert.equal(levelFor({ kind: 'state', entity: DEMO_SWITCH, new_state: 'on' }), 100);
    assert.equal(levelFor({ kind: 'state', entity: DEMO_SWITCH, new_state: 'off' }), 0);
    assert.equal(levelFor({ kind: 'state', entity: DEMO_SWITCH, new_state: 'unavailable' }), null);
    assert.equal(levelFor({ kind: 'state', entity: 'input_boolean.other', new_state: 'on' }), null);
    assert.equal(levelFor({ kind: 'event', entity: '', event_type: 'mqtt' }), null);
  });

  it('sets the level back through IrisEdge.HA.Operation when the switch changes', async () => {
    const sim = new IrisSimulator({ transitionMs: 1, productions: homeDemoScenario() });
    const results: HaOperationResult[] = [];
    startHomeDemoLogic(sim.iris, (r) => results.push(r));
    const rig = await startHaFlowsRig(sim, { entities: [DEMO_SWITCH, 'input_boolean.other'], actions: ['input_number.set_value'] });
    rig.stateChange('input_boolean.other', 'off', 'on');
    rig.stateChange(DEMO_SWITCH, 'unavailable', 'on');
    rig.stateChange(DEMO_SWITCH, 'on', 'unavailable');
    rig.stateChange(DEMO_SWITCH, 'unavailable', 'off');
    await waitFor(() => results.length === 2, 10_000, 'two calls of the HOME production');
    assert.ok(results.every((r) => r.ok));
    assert.deepEqual(rig.haCalls, [
      { type: 'call_service', domain: 'input_number', service: 'set_value', service_data: { value: 100 }, target: { entity_id: DEMO_LEVEL } },
      { type: 'call_service', domain: 'input_number', service: 'set_value', service_data: { value: 0 }, target: { entity_id: DEMO_LEVEL } },
    ]);
    rig.close();
    await sim.close();
  });

  it('is refused, with the option to change, when from_iris_actions does not allow it', async () => {
    const sim = new IrisSimulator({ transitionMs: 1, productions: homeDemoScenario() });
    const results: HaOperationResult[] = [];
    startHomeDemoLogic(sim.iris, (r) => results.push(r));
    const rig = await startHaFlowsRig(sim, { entities: [DEMO_SWITCH], actions: ['light.*'] });
    rig.stateChange(DEMO_SWITCH, 'off', 'on');
    const [r] = await waitFor(() => results.length === 1 && results, 10_000, 'the call to be answered');
    assert.equal(r?.ok, false);
    assert.match(r?.text ?? '', /not in the option from_iris_actions/);
    assert.deepEqual(rig.haCalls, []);
    rig.close();
    await sim.close();
  });
});
