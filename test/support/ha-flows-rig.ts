/**
 * The two-way traffic without Home Assistant, for the panel's tests: the bridge's own pipelines
 * (compose/ha-to-iris.ts, compose/iris-to-ha.ts) between the simulator's HOME production and a
 * stand-in for the websocket to Home Assistant, recorded in a HaFlowRecord, seen through the
 * panel's source (compose/ha-flows.ts). `stateChange` plays a state change Home Assistant sends;
 * `sim.callHomeAssistant` is ObjectScript calling IrisEdge.HA.Home.
 */
import type { MessageBase } from 'home-assistant-js-websocket';
import { haFlowsSource } from '../../src/compose/ha-flows.ts';
import { startHaToIris } from '../../src/compose/ha-to-iris.ts';
import { startIrisToHa } from '../../src/compose/iris-to-ha.ts';
import type { HaCore, HaEvent } from '../../src/ha/core.ts';
import { HaFlowRecord } from '../../src/ha/flow-record.ts';
import type { IrisSimulator } from '../../src/iris/simulator/index.ts';
import { AllowList } from '../../src/model/allow-list.ts';
import type { HaFlowsSource } from '../../src/panel/context.ts';
import { captureLogger, testConfig } from './fixtures.ts';

export interface HaFlowsRig {
  source: HaFlowsSource;
  record: HaFlowRecord;
  /** What Home Assistant was asked to do. */
  haCalls: MessageBase[];
  stateChange(entity: string, from: string, to: string): void;
  close(): void;
}

/** `sim` must have the HOME production (homeProduction()). */
export async function startHaFlowsRig(
  sim: IrisSimulator,
  o: { entities?: string[]; actions?: string[]; service?: string; maxQueue?: number } = {},
): Promise<HaFlowsRig> {
  const allow = { entities: o.entities ?? ['input_boolean.*'], actions: o.actions ?? ['input_number.set_value'] };
  const handlers: ((e: HaEvent) => void)[] = [];
  const haCalls: MessageBase[] = [];
  const ha = {
    onEvent: (_type: string | null, handler: (e: HaEvent) => void) => void handlers.push(handler),
    call: async (m: MessageBase) => void haCalls.push(m),
    fireEvent: async () => {},
  } as unknown as HaCore;
  const config = testConfig({
    homeAssistant: { url: 'http://ha.invalid', token: 'not-used' },
    toIris: { entities: new AllowList(allow.entities), events: new AllowList([]), namespace: 'HOME', service: o.service ?? 'HomeAssistant', maxQueue: o.maxQueue ?? 100, mqttServices: [] },
    fromIris: { actions: new AllowList(allow.actions), events: new AllowList([]), states: new AllowList([]) },
  });
  const { log } = captureLogger();
  const record = new HaFlowRecord();
  const toIris = await startHaToIris(ha, { client: undefined as never, base: 'iris-edge/iris' }, sim, config, log, record);
  const fromIris = startIrisToHa(ha, sim, config, log, record.sink('from-iris'));
  return {
    source: haFlowsSource(config, record, toIris, fromIris),
    record,
    haCalls,
    stateChange(entity, from, to) {
      const event = {
        event_type: 'state_changed',
        data: { entity_id: entity, old_state: { entity_id: entity, state: from, attributes: {} }, new_state: { entity_id: entity, state: to, attributes: {} } },
        time_fired: new Date().toISOString(),
        context: { id: 'ctx' },
      } as unknown as HaEvent;
      for (const h of handlers) h(event);
    },
    close() {
      fromIris?.stop();
      toIris?.stop();
    },
  };
}
