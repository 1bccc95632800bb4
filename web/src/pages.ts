/** The pages. Each renders into <main> from the store and re-renders when it changes. */
import { api } from './api.ts';
import { card, h, render } from './dom.ts';
import { ago, badge, pct, prodHref, stateLabel } from './format.ts';
import { store } from './store.ts';
import type { Instance, Production } from './types.ts';
import { actionChoices, type ActionChoice } from '../../src/model/actions.ts';
import { APPLY_CONFIGURATION } from '../../src/model/production.ts';
import { eventLogCard, eventLogVersion, resetEventLog, showHost } from './event-log.ts';

export interface Page {
  title: string;
  render(main: HTMLElement): void;
  /** Re-render on store changes. */
  live?: boolean;
  leave?(): void;
}

function waiting(main: HTMLElement): boolean {
  if (store.loaded) return false;
  render(main, h('p', { class: 'muted' }, 'Waiting for the bridge…'));
  return true;
}

// ---- Every page ---------------------------------------------------------------------------------

/**
 * Says, above every page, which instances are the built-in simulator: nothing a person does
 * there reaches a real IRIS. Kept in sync with the store by main.ts.
 */
export function simulatorBanner(): void {
  const sims = [...store.instances.values()].filter((i) => i.simulator);
  let el = document.getElementById('simulator-banner');
  if (!el) {
    el = h('div', { id: 'simulator-banner', class: 'sim-banner', role: 'note' });
    const header = document.querySelector('header');
    if (header) header.after(el);
    else document.body.prepend(el);
  }
  el.hidden = sims.length === 0;
  const who = sims.length === store.instances.size ? 'No real IRIS is behind this panel' : `${sims.map((i) => i.name).join(', ')} ${sims.length === 1 ? 'is' : 'are'} not a real IRIS`;
  render(el, h('strong', {}, 'SIMULATOR'), ` — ${who}: productions, hosts and commands are simulated.`);
}

// ---- Overview ---------------------------------------------------------------------------------

function health(i: Instance): HTMLElement {
  const m = i.metrics;
  const licence =
    m && m.licenseConsumed !== null
      ? `${m.licenseConsumed} of ${m.licenseConsumed + (m.licenseAvailable ?? 0)} units` + (m.licenseDaysRemaining !== null ? `, ${m.licenseDaysRemaining} days left` : '')
      : '—';
  const item = (label: string, value: string | Node) => h('div', { class: 'stat' }, h('dt', {}, label), h('dd', {}, value));
  return card(
    i.name,
    h(
      'dl',
      { class: 'stats' },
      item('IRIS', i.reachable ? h('span', { class: 'badge good' }, 'Up') : h('span', { class: 'badge bad' }, 'Not answering')),
      item('Version', i.versionNumber ?? '—'),
      item('Health', m?.systemStateWord ? m.systemStateWord.toUpperCase() : '—'),
      item('Licence', licence),
      item('CPU', pct(m?.cpuPercent)),
      item('Memory', pct(m?.memoryUsedPercent)),
      item('Disk', pct(m?.diskPercentFull)),
    ),
    !m ? h('p', { class: 'muted small' }, 'Health figures come from IRIS /api/monitor; none received yet.') : null,
  );
}

const totals = (p: Production) => ({
  queue: p.hosts.reduce((a, x) => a + x.queue, 0),
  errors: p.hosts.reduce((a, x) => a + x.errors, 0),
});

function productionList(i: Instance): HTMLElement {
  if (i.productions.length === 0) return card('Productions', h('p', { class: 'muted' }, i.inventoried ? 'IRIS reports no productions.' : 'Not inventoried yet.'));
  return card(
    `Productions of ${i.name}`,
    h(
      'ul',
      { class: 'plist' },
      i.productions.map((p) => {
        const t = totals(p);
        return h(
          'li',
          {},
          h(
            'a',
            { href: prodHref(i.id, p), class: 'prow', 'data-key': `p:${i.id}:${p.key}`, 'data-production': p.key },
            h('span', { class: 'pname' }, h('strong', {}, p.name), h('span', { class: 'muted small' }, p.namespace)),
            badge(p.state),
            h('span', { class: 'counts small' }, `${p.hosts.length} ${p.hosts.length === 1 ? 'host' : 'hosts'} · queue ${t.queue} · errors ${t.errors}`),
          ),
        );
      }),
    ),
  );
}

/** What a page showed last: a feed message that changes nothing on it re-renders nothing. */
let shown = '';
const unchanged = (main: HTMLElement, sig: string): boolean => {
  const same = main.dataset.sig === '1' && shown === sig;
  shown = sig;
  main.dataset.sig = '1';
  return same;
};
const resetShown = (main: HTMLElement) => delete main.dataset.sig;

export const overview: Page = {
  title: 'Overview',
  live: true,
  leave: () => resetShown(document.getElementById('main') as HTMLElement),
  render(main) {
    if (waiting(main)) return;
    const inst = [...store.instances.values()];
    if (unchanged(main, JSON.stringify(inst))) return;
    render(main, h('h1', { class: 'page-title' }, 'Overview'), inst.map((i) => [health(i), productionList(i)]));
  },
};

// ---- Production -------------------------------------------------------------------------------

const ACTIONS: { action: string; label: string; confirm?: string }[] = [
  { action: 'start', label: 'Start' },
  { action: 'stop', label: 'Stop', confirm: 'Stopping ends the production’s jobs. Messages in queues wait until it runs again.' },
  { action: 'restart', label: 'Restart', confirm: 'Restarting stops every job of the production and starts it again.' },
  { action: 'update', label: APPLY_CONFIGURATION },
  { action: 'recover', label: 'Recover' },
];

export interface ConfirmOptions {
  /** A second paragraph, set apart (a warning: e.g. that confirming overrides the cooldown). */
  note?: string;
}

/** Asks before a disruptive action; resolves true on confirmation. Esc or Cancel: false. */
export function confirmDialog(title: string, text: string, ok: string, options: ConfirmOptions = {}): Promise<boolean> {
  const dlg = document.getElementById('confirm') as HTMLDialogElement;
  (document.getElementById('confirm-title') as HTMLElement).textContent = title;
  const textEl = document.getElementById('confirm-text') as HTMLElement;
  textEl.textContent = text;
  let note = document.getElementById('confirm-note');
  if (!note) {
    note = h('p', { id: 'confirm-note', class: 'notice' });
    textEl.after(note);
  }
  note.textContent = options.note ?? '';
  note.hidden = !options.note;
  const okBtn = document.getElementById('confirm-ok') as HTMLButtonElement;
  const cancel = document.getElementById('confirm-cancel') as HTMLButtonElement;
  okBtn.textContent = ok;
  return new Promise((resolve) => {
    const done = (v: boolean) => {
      okBtn.onclick = null;
      cancel.onclick = null;
      dlg.onclose = null;
      if (dlg.open) dlg.close();
      resolve(v);
    };
    okBtn.onclick = () => done(true);
    cancel.onclick = () => done(false);
    dlg.onclose = () => done(false);
    dlg.showModal();
    cancel.focus();
  });
}

/** Whole seconds the cooldown still holds back a stop or restart of `p`, on the bridge's clock. */
function cooldownLeft(p: Production): number {
  if (!p.cooldownUntil) return 0;
  return Math.max(0, Math.ceil((Date.parse(p.cooldownUntil) - store.now()) / 1000));
}

/**
 * The live countdown: rewrites its own text once a second (no page render, so focus and the
 * open dialog stay as they are) and re-renders the page once when the cooldown ends.
 */
function cooldownTicker(): { follow(p: Production): void; stop(): void } {
  let timer: number | undefined;
  let current: Production | undefined;
  const stop = () => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  };
  const tick = () => {
    const left = current ? cooldownLeft(current) : 0;
    const el = document.getElementById('cooldown-left');
    if (el) el.textContent = `${left} s`;
    if (left === 0) {
      stop();
      store.notify();
    }
  };
  return {
    follow(p) {
      current = p;
      if (cooldownLeft(p) > 0 && timer === undefined) timer = window.setInterval(tick, 1000);
      if (cooldownLeft(p) === 0) stop();
    },
    stop,
  };
}

/** The last result per production, shown until the next command. */
const results = new Map<string, { tone: string; text: string }>();

export function productionPage(instanceId: string, namespace: string, name: string): Page {
  const key = `${instanceId}:${namespace}/${name}`;
  /** The command this page sent and awaits: controls stay disabled until IRIS answers. */
  let pending: { host?: string; enabled?: boolean } | null = null;
  const run = async (p: Production, action: string, label: string, confirmText?: string) => {
    if (pending) return;
    // Within the cooldown a stop or restart runs only as the person's explicit decision.
    const left = confirmText ? cooldownLeft(p) : 0;
    const note = left > 0 ? `The cooldown holds back another stop or restart for ${left} s more. Confirming overrides it; the log records that you did.` : undefined;
    const ok = left > 0 ? `${label} anyway` : label;
    if (confirmText && !(await confirmDialog(`${label} ${p.name}?`, confirmText, ok, { note }))) return;
    pending = {};
    results.set(key, { tone: 'busy', text: `${label}: sent to IRIS…` });
    store.notify();
    try {
      const r = await api.action(instanceId, p, action, Boolean(confirmText), left > 0);
      store.applyProduction(instanceId, r.production);
      results.set(key, {
        tone: r.outcome === 'done' ? 'good' : 'neutral',
        text: r.outcome === 'done' ? `${label}: done. IRIS reports ${stateLabel(r.production.state)}.` : `${label}: nothing to do — ${r.reason ?? ''}.`,
      });
    } catch (err) {
      results.set(key, { tone: 'bad', text: `${label} failed: ${(err as Error).message}` });
    }
    pending = null;
    store.notify();
  };
  const toggle = async (p: Production, host: string, enabled: boolean) => {
    if (pending) return;
    pending = { host, enabled };
    results.set(key, { tone: 'busy', text: `${enabled ? 'Enabling' : 'Disabling'} ${host}…` });
    store.notify();
    try {
      const r = await api.host(instanceId, p, host, enabled);
      store.applyProduction(instanceId, r.production);
      const now = r.production.hosts.find((x) => x.name === host);
      results.set(key, {
        tone: r.outcome === 'done' ? 'good' : 'neutral',
        text: r.outcome === 'done' ? `${host}: IRIS reports ${now?.enabled ? 'enabled' : 'disabled'} (${stateLabel(now?.status ?? 'unknown')}).` : `${host}: nothing to do — ${r.reason ?? ''}.`,
      });
    } catch (err) {
      results.set(key, { tone: 'bad', text: `${host} failed: ${(err as Error).message}` });
    }
    pending = null;
    store.notify();
  };

  const ticker = cooldownTicker();
  resetEventLog();
  return {
    title: name,
    live: true,
    leave: () => {
      ticker.stop();
      resetShown(document.getElementById('main') as HTMLElement);
    },
    render(main) {
      if (waiting(main)) return;
      const inst = store.instances.get(instanceId);
      const p = inst?.productions.find((x) => x.namespace === namespace && x.name === name);
      if (!inst || !p) {
        resetShown(main);
        render(main, h('p', {}, `IRIS does not report ${name} in ${namespace}. `), h('a', { href: '#/' }, 'Back to the overview'));
        return;
      }
      const res = results.get(key);
      const cooling = cooldownLeft(p) > 0;
      if (unchanged(main, JSON.stringify([inst.name, inst.portal, p, res, pending, cooling, eventLogVersion]))) return;
      const busy = p.commandInFlight !== null || pending !== null;
      const choices = new Map<string, ActionChoice>(actionChoices(p).map((c) => [c.action, c]));
      ticker.follow(p);
      render(
        main,
        h('p', { class: 'crumbs' }, h('a', { href: '#/' }, 'Overview'), ' › ', inst.name),
        h('div', { class: 'ptitle' }, h('h1', { class: 'page-title' }, p.name), h('span', { id: 'prod-state' }, badge(p.state))),
        h('p', { class: 'muted' }, `Namespace ${p.namespace}`),
        p.needsUpdate ? h('p', { class: 'notice' }, `Configuration pending: ${p.updateReason}`) : null,
        card(
          'Control',
          h(
            'div',
            { class: 'actions', role: 'group', 'aria-label': 'Production commands' },
            ACTIONS.map((a) => {
              const c = choices.get(a.action);
              return h(
                'button',
                {
                  type: 'button',
                  class: `btn${a.confirm ? ' danger' : ''}${c?.primary ? ' filled' : ''}`,
                  'data-key': `act:${a.action}`,
                  'data-action': a.action,
                  'data-primary': c?.primary ? 'true' : null,
                  disabled: busy || !c?.enabled,
                  'aria-describedby': a.confirm && cooling ? 'cooldown' : null,
                  onclick: () => void run(p, a.action, a.label, a.confirm),
                },
                a.label,
              );
            }),
          ),
          cooling
            ? h(
                'p',
                { id: 'cooldown', class: 'cooldown small' },
                'Cooldown: another stop or restart is held back for ',
                h('strong', { id: 'cooldown-left' }, `${cooldownLeft(p)} s`),
                ' (option command_cooldown). Stop and Restart ask you to confirm an override.',
              )
            : null,
          h('p', { id: 'result', class: `result ${res?.tone ?? ''}`, role: 'status', 'aria-live': 'polite' }, res?.text ?? ''),
        ),
        card(
          `Business hosts (${p.hosts.length})`,
          h(
            'div',
            { class: 'table-wrap' },
            h(
              'table',
              { class: 'hosts' },
              h('thead', {}, h('tr', {}, ['Host', 'Status', 'Queue', 'Errors', 'Last activity', 'Enabled'].map((c) => h('th', { scope: 'col', class: c === 'Queue' || c === 'Errors' ? 'num' : null }, c)))),
              h(
                'tbody',
                {},
                p.hosts.map((x) =>
                  h(
                    'tr',
                    { 'data-host': x.name },
                    h('th', { scope: 'row' }, h('div', {}, x.name), h('div', { class: 'muted small' }, `${x.kind} · ${x.className}`)),
                    h('td', { 'data-label': 'Status' }, badge(x.status)),
                    h('td', { 'data-label': 'Queue', class: 'num' }, x.queue),
                    h(
                      'td',
                      { 'data-label': 'Errors', class: `num${x.errors > 0 ? ' bad-text' : ''}` },
                      // Behind a count: that host's entries of the Event Log.
                      x.errors > 0
                        ? h('button', { type: 'button', class: 'count-link', 'data-key': `errs:${x.name}`, 'aria-label': `${x.errors} errors: show the Event Log of ${x.name}`, onclick: () => showHost(instanceId, p, x.name) }, x.errors)
                        : x.errors,
                    ),
                    h('td', { 'data-label': 'Last activity' }, x.lastActivity ? h('time', { datetime: x.lastActivity, title: x.lastActivity }, ago(x.lastActivity)) : 'never'),
                    h(
                      'td',
                      { 'data-label': 'Enabled' },
                      h(
                        'label',
                        { class: 'switch' },
                        h('input', {
                          type: 'checkbox',
                          role: 'switch',
                          'data-key': `host:${x.name}`,
                          // While its command runs, the switch keeps the position the person chose (disabled).
                          checked: pending?.host === x.name ? pending.enabled : x.enabled,
                          disabled: busy,
                          'aria-busy': pending?.host === x.name ? 'true' : null,
                          'aria-label': `${x.name} enabled`,
                          onchange: (e: Event) => void toggle(p, x.name, (e.target as HTMLInputElement).checked),
                        }),
                        h('span', { class: 'slider', 'aria-hidden': 'true' }),
                      ),
                    ),
                  ),
                ),
              ),
            ),
          ),
        ),
        eventLogCard(inst, p),
      );
    },
  };
}
