/**
 * Diagnostics: the bridge's self-check of each IRIS instance, as its own IRIS user. Every failing
 * check says what is missing and what an administrator runs; the file is what a user attaches to
 * a bug report.
 */
import { call } from './api.ts';
import { card, h, render, resultBox, say } from './dom.ts';
import type { Page } from './pages.ts';
import type { CheckStatus, DiagnosticCheck, Diagnostics } from '../../src/model/diagnostics.ts';

const TONE: Record<CheckStatus, string> = { ok: 'good', warning: 'warn', failed: 'bad', skipped: 'neutral' };
const WORD: Record<CheckStatus, string> = { ok: 'OK', warning: 'Warning', failed: 'Failed', skipped: 'Skipped' };

function checkRow(c: DiagnosticCheck): HTMLElement {
  return h(
    'tr',
    { 'data-check': c.id, class: `check ${c.status}` },
    h('td', {}, h('span', { class: `badge ${TONE[c.status]}` }, WORD[c.status])),
    h('th', { scope: 'row' }, c.title),
    h(
      'td',
      {},
      h('div', {}, c.detail),
      c.fix ? h('div', { class: 'fix' }, h('strong', {}, 'Fix: '), c.fix) : null,
      c.calls?.length ? h('div', { class: 'muted small mono' }, c.calls.join(', ')) : null,
    ),
  );
}

function instanceCard(d: Diagnostics): HTMLElement {
  const failed = d.checks.filter((c) => c.status === 'failed').length;
  const warnings = d.checks.filter((c) => c.status === 'warning').length;
  const summary = failed + warnings === 0 ? `All ${d.checks.length} checks passed.` : `${failed} failed, ${warnings} warnings, of ${d.checks.length} checks.`;
  return card(
    `${d.instanceId}: ${d.target}`,
    h('p', { class: failed > 0 ? 'bad-text' : 'muted', id: `summary-${d.instanceId}` }, summary, ` Checked ${new Date(d.at).toLocaleString()}.`),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'checks', 'aria-label': `Self-check of ${d.instanceId}` },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Result'), h('th', { scope: 'col' }, 'Check'), h('th', { scope: 'col' }, 'Details'))),
        h('tbody', {}, d.checks.map(checkRow)),
      ),
    ),
  );
}

export function diagnosticsPage(): Page {
  return {
    title: 'Diagnostics',
    render(main) {
      const out = resultBox('diag-result');
      const list = h('div', { id: 'diagnostics' }, h('p', { class: 'muted' }, 'Checking…'));
      const show = (all: Diagnostics[]) => list.replaceChildren(...all.map(instanceCard));
      const again = h(
        'button',
        {
          type: 'button',
          class: 'btn',
          id: 'run-again',
          onclick: () => {
            again.setAttribute('disabled', '');
            say(out, 'busy', 'Checking…');
            void call<{ diagnostics: Diagnostics[] }>('POST', 'api/diagnostics', {})
              .then((r) => {
                show(r.diagnostics);
                say(out, 'good', 'Checked again.');
              })
              .catch((err: Error) => say(out, 'bad', err.message))
              .finally(() => again.removeAttribute('disabled'));
          },
        },
        'Check again',
      );
      render(
        main,
        h('h1', { class: 'page-title' }, 'Diagnostics'),
        h(
          'p',
          { class: 'muted' },
          'IRIS Edge checks, as its own IRIS user, every privilege its calls need, the IRIS Edge agent, the connection, the time zone and each read it makes. ',
          'Attach the file to a bug report: it holds no passwords.',
        ),
        h('div', { class: 'toolbar' }, again, h('a', { class: 'btn', id: 'download', href: 'api/diagnostics/download', download: '' }, 'Download diagnostics file')),
        out,
        list,
      );
      void call<{ diagnostics: Diagnostics[] }>('GET', 'api/diagnostics').then(
        (r) => show(r.diagnostics),
        (err: Error) => list.replaceChildren(h('p', { class: 'bad-text' }, err.message)),
      );
    },
  };
}
