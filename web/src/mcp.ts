/**
 * The AI assistants page: the URL to paste into Home Assistant's Model Context Protocol
 * integration (its token shown only after a warning, copied, hidden again, replaced), what the
 * options allow, and the last calls of assistants with their outcome.
 */
import { api, type McpInfo } from './api.ts';
import { card, h, render, resultBox, say } from './dom.ts';
import { confirmDialog, type Page } from './pages.ts';

const TITLE = 'AI assistants';

function urlRow(endpoint: string): HTMLElement {
  const out = h('span', { id: 'mcp-url', class: 'mono' }, `${endpoint}••••••••`);
  const reveal = h('button', { type: 'button', class: 'btn small', id: 'mcp-reveal' }, 'Show URL');
  const copy = h('button', { type: 'button', class: 'btn small', id: 'mcp-copy', hidden: true }, 'Copy');
  const hide = h('button', { type: 'button', class: 'btn small', id: 'mcp-hide', hidden: true }, 'Hide');
  const rotate = h('button', { type: 'button', class: 'btn small danger', id: 'mcp-rotate' }, 'New token');
  const box = resultBox('mcp-result');
  let shown = '';
  const show = (url: string) => {
    shown = url;
    out.textContent = url;
    reveal.hidden = true;
    copy.hidden = false;
    hide.hidden = false;
  };
  const conceal = () => {
    shown = '';
    out.textContent = `${endpoint}••••••••`;
    copy.hidden = true;
    hide.hidden = true;
    reveal.hidden = false;
    copy.textContent = 'Copy';
  };
  const warning = 'The token at the end of this URL lets whoever has it read your productions, their Event Log, certificates and backups (and control productions when write tools are on). Show it only where nobody is watching your screen.';
  reveal.addEventListener('click', () => {
    void (async () => {
      if (!(await confirmDialog('Show the MCP URL with its token?', warning, 'Show URL'))) return;
      try {
        show((await api.revealMcpToken()).url);
      } catch (err) {
        say(box, 'bad', (err as Error).message);
      }
    })();
  });
  rotate.addEventListener('click', () => {
    void (async () => {
      const text = 'The current token stops working at once: Home Assistant and every other MCP client must be given the new URL.';
      if (!(await confirmDialog('Replace the MCP token?', text, 'New token'))) return;
      try {
        show((await api.rotateMcpToken()).url);
        say(box, 'good', 'A new token is in place; paste the new URL into your MCP clients.');
      } catch (err) {
        say(box, 'bad', (err as Error).message);
      }
    })();
  });
  copy.addEventListener('click', () => {
    void navigator.clipboard?.writeText(shown).then(
      () => (copy.textContent = 'Copied'),
      () => (copy.textContent = 'Select and copy'),
    );
  });
  hide.addEventListener('click', conceal);
  return h('div', {}, h('p', { class: 'pw' }, out), h('div', { class: 'actions' }, reveal, copy, hide, rotate), box);
}

const TONE: Record<string, string> = { ok: 'good', error: 'bad', refused: 'warn', 'bad-request': 'warn' };

function callsTable(info: McpInfo): HTMLElement {
  if (info.calls.length === 0) return h('p', { class: 'muted', id: 'mcp-calls-empty' }, 'No calls yet.');
  const rows = [...info.calls].reverse().map((c) =>
    h(
      'tr',
      {},
      h('td', { 'data-label': 'Time' }, new Date(c.at).toLocaleString()),
      h('th', { scope: 'row', 'data-label': 'Tool', class: 'mono' }, c.tool ?? '—'),
      h('td', { 'data-label': 'Outcome' }, h('span', { class: `badge ${TONE[c.outcome] ?? 'bad'}` }, c.outcome)),
      h('td', { 'data-label': 'From', class: 'mono' }, c.peer),
      h('td', { 'data-label': 'Reason' }, c.detail ?? ''),
    ),
  );
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'checks mcp-calls', id: 'mcp-calls' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Time'), h('th', {}, 'Tool'), h('th', {}, 'Outcome'), h('th', {}, 'From'), h('th', {}, 'Reason'))),
      h('tbody', {}, ...rows),
    ),
  );
}

export const mcpPage: Page = {
  title: TITLE,
  render(main) {
    render(main, h('h1', { class: 'page-title' }, TITLE), h('p', { class: 'muted' }, 'Loading…'));
    void api.mcp().then(
      (info) =>
        render(
          main,
          h('h1', { class: 'page-title' }, TITLE),
          card(
            'Add IRIS Edge to Home Assistant',
            h(
              'ol',
              { class: 'steps' },
              h('li', {}, 'Press Show URL, confirm, and Copy.'),
              h('li', {}, 'Settings → Devices & services → Add integration → Model Context Protocol: paste the URL and submit.'),
              h('li', {}, 'In your AI conversation agent’s options, let it use IRIS Edge.'),
            ),
            urlRow(info.endpoint),
          ),
          card(
            'What assistants may do',
            h(
              'ul',
              {},
              h('li', { id: 'mcp-write' }, info.writeTools ? 'Read, and start, stop, restart, update and recover productions (option mcp_write_tools is on).' : 'Read only: productions, Event Log, health, certificates, backups. The option mcp_write_tools lets them control productions.'),
              h('li', { id: 'mcp-network' }, info.anyNetwork ? 'From any network that reaches the port (option mcp_any_network is on).' : 'From Home Assistant only; the option mcp_any_network opens it to other computers.'),
            ),
          ),
          card('Last calls', callsTable(info)),
        ),
      (err: Error) => render(main, h('h1', { class: 'page-title' }, TITLE), h('p', { class: 'result bad' }, err.message)),
    );
  },
};
