/**
 * The round trip for `npm run demo:ha` (simulator scenario "home"): the demo productions plus the
 * HOME production, whose simulated business logic reacts to Home Assistant. When the state of
 * the helper DEMO_SWITCH arrives at its business service HomeAssistant (IrisEdge.HA.EventService),
 * its router sends an IrisEdge.HA.CallActionRequest to its operation HomeAssistant.Out
 * (IrisEdge.HA.Operation), which calls input_number.set_value on DEMO_LEVEL through
 * IrisEdge.HA.Home: 100 when the switch is on, 0 when off. A real production would do this in a
 * routing rule or a BPL process; here it is the few lines below, on the same simulated path
 * (ha-event-service.ts, ha-operation.ts, ha-outbox.ts) the bridge talks to.
 */
import type { ReceivedHaEvent } from './ha-event-service.ts';
import { homeProduction } from './ha-event-service.ts';
import type { HaOperationResult } from './ha-operation.ts';
import type { ProductionSeed } from './scenarios.ts';
import { demoScenario } from './scenarios.ts';
import type { SimulatedIris } from './server.ts';

export const DEMO_SWITCH = 'input_boolean.iris_edge_demo';
export const DEMO_LEVEL = 'input_number.iris_edge_demo_level';
/** The options that let the round trip through, and nothing else. */
export const HOME_DEMO_OPTIONS = {
  to_iris_entities: [DEMO_SWITCH],
  to_iris_namespace: 'HOME',
  to_iris_service: 'HomeAssistant',
  from_iris_actions: ['input_number.set_value'],
};

export function homeDemoScenario(): ProductionSeed[] {
  return [...demoScenario(), homeProduction()];
}

/** The level the router sets for a state of the switch; null for states it ignores (unavailable). */
export function levelFor(message: Record<string, unknown>): number | null {
  if (message.kind !== 'state' || message.entity !== DEMO_SWITCH) return null;
  return message.new_state === 'on' ? 100 : message.new_state === 'off' ? 0 : null;
}

/**
 * Starts the HOME production's logic; `done` hears each call's %Status (the Event Log of a real
 * production would show a failed one).
 */
export function startHomeDemoLogic(iris: Pick<SimulatedIris, 'haEvents' | 'haOperations'>, done: (r: HaOperationResult) => void = () => {}): void {
  iris.haEvents.onReceived((e: ReceivedHaEvent) => {
    if (e.namespace !== 'HOME' || e.service !== 'HomeAssistant') return;
    const value = levelFor(e.message);
    if (value === null) return;
    void iris.haOperations
      .send('HOME', 'HomeAssistant.Out', {
        type: 'IrisEdge.HA.CallActionRequest',
        Domain: 'input_number',
        Action: 'set_value',
        Data: JSON.stringify({ value }),
        Target: JSON.stringify({ entity_id: DEMO_LEVEL }),
      })
      .then(done);
  });
}
