/**
 * The "Home Assistant ↔ IRIS" page: what the options let through each way (read-only, with the
 * option that changes each list), counters, the queues of each business service, and the last
 * messages each way with their outcome. Live: the feed pushes the view as it changes.
 */
import { api } from './api.ts';
import { card, h, render, type Child } from './dom.ts';
import type { Page } from './pages.ts';
import { store } from './store.ts';
import type { HaFlowCounters, HaFlowEntry, HaFlowsView } from '../../src/model/ha-flow.ts';

const TITLE = 'Home Assistant ↔ IRIS';
const TONE: Record<HaFlowEntry['outcome'], string> = { delivered: 'good', refused: 'warn', dropped: 'bad', failed: 'bad' };

function allowList(label: string, option: string, patterns: string[]): HTMLElement {
  return h(
    'li',
    { 'data-option': option },
    `${label} `,
    h('span', { class: 'muted' }, '(option '),
    h('code', {}, option),
    h('span', { class: 'muted' }, '): '),
    patterns.length === 0 ? h('span', { class: 'muted' }, 'none') : patterns.map((p, i) => [i > 0 ? ', ' : '', h('code', { class: 'pattern' }, p)]),
  );
}

function counters(id: string, c: HaFlowCounters, extra: Child = null): HTMLElement {
  const item = (label: string, value: number) => h('div', { class: 'stat' }, h('dt', {}, label), h('dd', { 'data-counter': label.toLowerCase() }, String(value)));
  return h('dl', { class: 'stats', id }, item('Delivered', c.delivered), item('Refused', c.refused), item('Dropped', c.dropped), item('Failed', c.failed), extra);
}

function recentTable(id: string, entries: HaFlowEntry[], targetLabel: string): HTMLElement {
  if (entries.length === 0) return h('p', { class: 'muted', id: `${id}-empty` }, 'Nothing yet.');
  const rows = entries.map((e) =>
    h(
      'tr',
      { 'data-outcome': e.outcome, 'data-subject': e.subject },
      h('td', { 'data-label': 'Time' }, h('time', { datetime: e.at }, new Date(e.at).toLocaleTimeString())),
      h('th', { scope: 'row', 'data-label': 'What', class: 'mono' }, e.subject),
      h('td', { 'data-label': 'Outcome' }, h('span', { class: `badge ${TONE[e.outcome]}` }, e.outcome)),
      h('td', { 'data-label': targetLabel, class: 'mono' }, e.target),
      h('td', { 'data-label': 'Details' }, e.detail ?? '', e.preview ? h('div', { class: 'mono preview' }, e.preview) : null),
    ),
  );
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'checks flows', id },
      h('thead', {}, h('tr', {}, h('th', {}, 'Time'), h('th', {}, 'What'), h('th', {}, 'Outcome'), h('th', {}, targetLabel), h('th', {}, 'Details'))),
      h('tbody', {}, ...rows),
    ),
  );
}

function queues(v: HaFlowsView['toIris']): HTMLElement {
  if (v.queues.length === 0) return h('p', { class: 'muted', id: 'flow-queues-empty' }, 'No queue: nothing is allowed to IRIS.');
  return h(
    'ul',
    { id: 'flow-queues' },
    v.queues.map((q) =>
      h(
        'li',
        { 'data-queue': q.service },
        h('code', {}, q.service),
        ` in ${q.namespace}: `,
        h('strong', { 'data-queued': q.service }, String(q.queued)),
        ` waiting (${Math.ceil(q.queuedBytes / 1024)} KB)`,
        q.waiting ? [' — ', h('span', { class: 'bad-text' }, q.waiting)] : null,
      ),
    ),
  );
}

function view(v: HaFlowsView): Child[] {
  const t = v.toIris;
  const f = v.fromIris;
  return [
    h('h1', { class: 'page-title' }, TITLE),
    v.homeAssistant ? null : h('p', { class: 'result warn', id: 'flows-no-ha' }, 'Home Assistant is not configured for this bridge: nothing flows either way.'),
    card(
      'Home Assistant → IRIS',
      h('p', {}, 'Allowed state changes and events go to the business service ', h('code', {}, t.service), ' in ', h('code', {}, t.namespace), ' (options ', h('code', {}, 'to_iris_service'), ', ', h('code', {}, 'to_iris_namespace'), ').'),
      h(
        'ul',
        { class: 'allow', id: 'to-iris-allow' },
        allowList('State changes of', 'to_iris_entities', t.entities),
        allowList('Events', 'to_iris_events', t.events),
        allowList('MQTT data for the services', 'to_iris_mqtt_services', t.mqttServices),
      ),
      counters('to-iris-counters', t.counters),
      h('h3', {}, 'Queues'),
      queues(t),
      h('h3', {}, 'Last messages'),
      recentTable('flows-to-iris', t.recent, 'To'),
    ),
    card(
      'IRIS → Home Assistant',
      h('p', {}, 'What IrisEdge.HA.Home and the business operation IrisEdge.HA.Operation may do in Home Assistant:'),
      h(
        'ul',
        { class: 'allow', id: 'from-iris-allow' },
        allowList('Call the actions', 'from_iris_actions', f.actions),
        allowList('Fire the events', 'from_iris_events', f.events),
        allowList('Read the states of', 'from_iris_states', f.states),
      ),
      counters('from-iris-counters', f.counters, h('div', { class: 'stat' }, h('dt', {}, 'In progress'), h('dd', {}, String(f.inFlight)))),
      h('h3', {}, 'Last calls'),
      recentTable('flows-from-iris', f.recent, 'From'),
    ),
    h('p', { class: 'muted' }, 'The lists are the app’s options: change them on its Configuration tab (the app restarts with them). Anything not listed is refused.'),
  ];
}

export function haFlowsPage(): Page {
  let off: (() => void) | undefined;
  return {
    title: TITLE,
    leave: () => off?.(),
    render(main) {
      render(main, h('h1', { class: 'page-title' }, TITLE), h('p', { class: 'muted' }, 'Loading…'));
      off?.();
      off = store.onHaFlows((v) => render(main, ...view(v)));
      void api.haFlows().then(
        (v) => render(main, ...view(v)),
        (err: Error) => render(main, h('h1', { class: 'page-title' }, TITLE), h('p', { class: 'result bad' }, err.message)),
      );
    },
  };
}
