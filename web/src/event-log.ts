/**
 * The production page's Event Log card: the newest errors and warnings IRIS logged for the
 * production and its hosts (GET .../event-log), read when the page opens and on Refresh, never on
 * the live feed. Each host links to the Management Portal's Message Viewer, filtered on it.
 */
import { call } from './api.ts';
import { card, h } from './dom.ts';
import { ago } from './format.ts';
import { store } from './store.ts';
import type { EventLogEntry } from '../../src/model/event-log.ts';
import type { Instance, Production } from './types.ts';

interface LogState {
  entries: EventLogEntry[] | null;
  limit: number;
  error: string | null;
  loading: boolean;
  /** The host whose entries the card shows alone (its error count was clicked), or null for all. */
  host: string | null;
}

const states = new Map<string, LogState>();
/** Rises with every change of any card's state: the page's "unchanged" signature includes it. */
export let eventLogVersion = 0;

const keyOf = (instanceId: string, p: Production) => `${instanceId}:${p.key}`;
const enc = encodeURIComponent;

function changed(): void {
  eventLogVersion += 1;
  store.notify();
}

/** Reads the log from IRIS (through the panel); the card shows the last answer until this one comes. */
export async function loadEventLog(instanceId: string, p: Production): Promise<void> {
  const key = keyOf(instanceId, p);
  const s = states.get(key) ?? { entries: null, limit: 0, error: null, loading: false, host: null };
  if (s.loading) return;
  states.set(key, { ...s, loading: true });
  changed();
  try {
    const r = await call<{ limit: number; entries: EventLogEntry[] }>('GET', `api/instances/${enc(instanceId)}/productions/${enc(p.namespace)}/${enc(p.name)}/event-log`);
    states.set(key, { ...(states.get(key) ?? s), entries: r.entries, limit: r.limit, error: null, loading: false });
  } catch (err) {
    states.set(key, { ...(states.get(key) ?? s), error: (err as Error).message, loading: false });
  }
  changed();
}

/** Forgets what the cards showed: a production page that opens reads its log afresh. */
export function resetEventLog(): void {
  states.clear();
}

/** Shows only `host`'s entries (null: all) and brings the card into view. */
export function showHost(instanceId: string, p: Production, host: string | null): void {
  const key = keyOf(instanceId, p);
  const s = states.get(key);
  if (s) states.set(key, { ...s, host });
  changed();
  document.getElementById('event-log')?.scrollIntoView({ block: 'start' });
}

/**
 * EnsPortal.MessageViewer.zen in the production's namespace, searching messages from or to `host`
 * (its SOURCEORTARGET filter); the portal page of a namespace is under /csp/<namespace in lower case>/.
 * Null when the instance's web port is not reachable.
 */
export function messageViewerUrl(inst: Instance, namespace: string, host: string): string | null {
  if (!inst.portal?.webPort) return null;
  const hostname = inst.portal.host ?? (location.hostname || 'homeassistant.local');
  const query = `$NAMESPACE=${enc(namespace)}&SOURCEORTARGET=${enc(host)}`;
  return `http://${hostname}:${inst.portal.webPort}/csp/${enc(namespace.toLowerCase())}/EnsPortal.MessageViewer.zen?${query}`;
}

function entryItem(inst: Instance, p: Production, e: EventLogEntry): HTMLElement {
  const url = messageViewerUrl(inst, p.namespace, e.host);
  return h(
    'li',
    { class: `ev ${e.type}`, 'data-entry': e.id, 'data-host': e.host },
    h(
      'div',
      { class: 'ev-head' },
      h('span', { class: `badge ${e.type === 'error' ? 'bad' : 'warn'}` }, e.type === 'error' ? 'Error' : 'Warning'),
      url
        ? h('a', { href: url, target: '_blank', rel: 'noopener noreferrer', title: `${e.host} in the Management Portal's Message Viewer` }, e.host)
        : h('strong', {}, e.host),
      h('time', { datetime: e.time, title: new Date(e.time).toLocaleString() }, ago(e.time)),
    ),
    h('p', { class: 'ev-text' }, e.text, e.truncated ? h('span', { class: 'muted' }, ' … (cut)') : null),
    e.source || e.sessionId !== null
      ? h('p', { class: 'muted small ev-meta' }, [e.source, e.sessionId !== null ? `session ${e.sessionId}` : ''].filter(Boolean).join(' · '))
      : null,
  );
}

export function eventLogCard(inst: Instance, p: Production): HTMLElement {
  const key = keyOf(inst.id, p);
  const s = states.get(key);
  if (!s) queueMicrotask(() => void loadEventLog(inst.id, p));
  const shown = (s?.entries ?? []).filter((e) => !s?.host || e.host === s.host);
  const noPortal = inst.portal && !inst.portal.webPort ? h('p', { class: 'muted small' }, 'Host names link to the Management Portal once its web port (52773/tcp) is mapped.') : null;
  return h(
    'section',
    { class: 'card', id: 'event-log', 'aria-busy': s?.loading ? 'true' : null },
    h('h2', {}, 'Event Log: errors and warnings'),
    h(
      'div',
      { class: 'toolbar' },
      h('button', { type: 'button', class: 'btn small', 'data-key': 'ev:refresh', disabled: s?.loading === true, onclick: () => void loadEventLog(inst.id, p) }, s?.loading ? 'Reading…' : 'Refresh'),
      s?.host
        ? h('button', { type: 'button', class: 'btn small', 'data-key': 'ev:all', onclick: () => showHost(inst.id, p, null) }, `Showing ${s.host} only: show all`)
        : null,
    ),
    s?.error ? h('p', { class: 'result bad', role: 'alert' }, `The Event Log could not be read: ${s.error}`) : null,
    !s?.entries
      ? h('p', { class: 'muted' }, 'Reading the Event Log…')
      : shown.length === 0
        ? h('p', { class: 'muted', id: 'event-log-empty' }, s.host ? `No recent errors or warnings from ${s.host}.` : 'No recent errors or warnings.')
        : h('ul', { class: 'evlog', 'aria-label': 'Event Log entries, newest first' }, shown.map((e) => entryItem(inst, p, e))),
    s?.entries ? h('p', { class: 'muted small' }, `The newest ${s.limit} errors and warnings at most, read from IRIS when this page opened or on Refresh.`) : null,
    noPortal,
  );
}
