/** The two-way traffic as the panel's "Home Assistant ↔ IRIS" page sees it: options, queues, outcomes. */
import type { Config } from '../config/config.ts';
import type { HaFlowRecord } from '../ha/flow-record.ts';
import type { IrisToHa } from '../ha/iris-to-ha.ts';
import type { HaFlowsView } from '../model/ha-flow.ts';
import type { HaFlowsSource } from '../panel/context.ts';
import type { RunningHaToIris } from './ha-to-iris.ts';

export function haFlowsSource(config: Config, record: HaFlowRecord, toIris: RunningHaToIris | undefined, fromIris: IrisToHa | undefined): HaFlowsSource {
  const t = config.toIris;
  const f = config.fromIris;
  const view = (): HaFlowsView => ({
    homeAssistant: config.homeAssistant !== undefined,
    toIris: {
      namespace: t.namespace,
      service: t.service,
      entities: [...t.entities.patterns],
      events: [...t.events.patterns],
      mqttServices: [...t.mqttServices],
      counters: record.counters('to-iris'),
      queues: (toIris?.queues() ?? []).map((q) => ({ service: q.service, namespace: q.namespace, queued: q.queued, queuedBytes: q.queuedBytes, waiting: q.waiting })),
      recent: record.recent('to-iris'),
    },
    fromIris: {
      actions: [...f.actions.patterns],
      events: [...f.events.patterns],
      states: [...f.states.patterns],
      counters: record.counters('from-iris'),
      inFlight: fromIris?.stats().inFlight ?? 0,
      recent: record.recent('from-iris'),
    },
  });
  return { view, on: (e, l) => void record.on(e, l), off: (e, l) => void record.off(e, l) };
}
