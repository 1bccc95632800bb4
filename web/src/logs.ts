/** The Logs page: the bridge's log, live, and the tail of IRIS's messages.log. */
import { api, type LogLine } from './api.ts';
import { card, h, render } from './dom.ts';
import type { Page } from './pages.ts';
import { store } from './store.ts';

const RANK = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
let logLevel = 'info';

function lineEl(l: LogLine): HTMLElement {
  return h(
    'li',
    { class: `log ${l.level}` },
    h('time', { datetime: l.time }, new Date(l.time).toLocaleTimeString()),
    h('span', { class: 'lvl' }, l.level.toUpperCase()),
    h('span', { class: 'msg' }, l.instance ? `[${l.instance}] ${l.msg}` : l.msg),
  );
}

export function logsPage(): Page {
  let off: (() => void) | undefined;
  return {
    title: 'Logs',
    leave: () => off?.(),
    render(main) {
      const list = h('ol', { class: 'loglines', id: 'loglines', 'aria-live': 'off' });
      const box = h('div', { class: 'logbox', tabindex: 0, 'aria-label': 'Bridge log lines' }, list);
      const atBottom = () => box.scrollHeight - box.scrollTop - box.clientHeight < 24;
      const toBottom = () => (box.scrollTop = box.scrollHeight);
      const select = h(
        'select',
        {
          id: 'level',
          onchange: (e: Event) => {
            logLevel = (e.target as HTMLSelectElement).value;
            void load();
          },
        },
        RANK.map((r) => h('option', { value: r, selected: r === logLevel }, r === 'warn' ? 'warning' : r)),
      );
      const messages = h('pre', { class: 'code messages', id: 'messages', tabindex: 0, 'aria-label': 'IRIS messages.log' }, 'Loading…');
      const load = async () => {
        try {
          const r = await api.logs(logLevel);
          list.replaceChildren(...r.lines.map(lineEl));
          if (r.lines.length === 0) list.append(h('li', { class: 'muted' }, 'No lines at this level yet.'));
          toBottom();
        } catch (err) {
          list.replaceChildren(h('li', { class: 'bad-text' }, (err as Error).message));
        }
      };
      const loadMessages = async () => {
        try {
          const r = await api.messages();
          messages.textContent = r.available ? r.lines.join('\n') || '(empty)' : (r.reason ?? 'Not available.');
          messages.scrollTop = messages.scrollHeight;
        } catch (err) {
          messages.textContent = (err as Error).message;
        }
      };
      off?.();
      off = store.onLog((l) => {
        if (RANK.indexOf(l.level) < RANK.indexOf(logLevel)) return;
        const follow = atBottom();
        list.querySelector('li.muted')?.remove();
        list.append(lineEl(l));
        while (list.childElementCount > 1000) list.firstElementChild?.remove();
        if (follow) toBottom();
      });
      render(
        main,
        h('h1', { class: 'page-title' }, 'Logs'),
        card(
          'Bridge log',
          h('div', { class: 'toolbar' }, h('label', { for: 'level' }, 'Lowest level '), select),
          box,
        ),
        card(
          'IRIS messages.log',
          h('div', { class: 'toolbar' }, h('button', { type: 'button', class: 'btn small', onclick: () => void loadMessages() }, 'Refresh')),
          messages,
        ),
      );
      void load();
      void loadMessages();
    },
  };
}
