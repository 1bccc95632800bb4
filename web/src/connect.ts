/** The Connect page: superserver and web ports, the Management Portal, the account for people (account.ts), snippets. */
import { accountCard } from './account.ts';
import { api } from './api.ts';
import { card, h, render } from './dom.ts';
import type { Page } from './pages.ts';

function codeBlock(label: string, text: string): HTMLElement {
  const pre = h('pre', { class: 'code', tabindex: 0, 'aria-label': label }, h('code', {}, text));
  const copy = h('button', { type: 'button', class: 'btn small', onclick: () => void navigator.clipboard?.writeText(text).then(() => (copy.textContent = 'Copied')).catch(() => (copy.textContent = 'Select and copy')) }, 'Copy');
  return h('div', { class: 'snippet' }, h('div', { class: 'snippet-head' }, h('h3', {}, label), copy), pre);
}

export const connect: Page = {
  title: 'Connect',
  render(main) {
    render(main, h('h1', { class: 'page-title' }, 'Connect'), h('p', { class: 'muted' }, 'Loading…'));
    void api.connect().then(
      (c) => {
        const host = location.hostname || 'homeassistant.local';
        const off = (what: string, port: string) => h('span', { class: 'muted' }, `Off — map a host port for ${port} in the add-on’s Network settings to use ${what}.`);
        const portal = c.webPort ? `http://${host}:${c.webPort}${c.portalPath}` : null;
        // People log in as the account for people; never as the bridge's service account.
        const user = c.account.username ?? '<your IRIS user>';
        const row = (label: string, value: Node | string) => h('div', { class: 'stat' }, h('dt', {}, label), h('dd', {}, value));
        const vscode = JSON.stringify(
          {
            'intersystems.servers': { 'iris-edge': { webServer: { scheme: 'http', host, port: c.webPort ?? 52773 }, username: user } },
            'objectscript.conn': { server: 'iris-edge', ns: 'USER', active: true },
          },
          null,
          2,
        );
        const native = [
          "// npm install @intersystems/intersystems-iris-native",
          "import irisnative from '@intersystems/intersystems-iris-native';",
          '',
          'const connection = irisnative.createConnection({',
          `  host: '${host}', port: ${c.superserverPort ?? 1972}, ns: 'USER',`,
          `  user: '${user}', pwd: process.env.IRIS_PASSWORD,`,
          '});',
          'const iris = connection.createIris();',
          "console.log(iris.classMethodValue('%SYSTEM.Version', 'GetNumber'));",
          'connection.close();',
        ].join('\n');
        render(
          main,
          h('h1', { class: 'page-title' }, 'Connect'),
          card(
            'IRIS',
            h(
              'dl',
              { class: 'stats' },
              row('Superserver port', c.superserverPort ? String(c.superserverPort) : off('the superserver (ODBC, JDBC, Native API)', '1972/tcp')),
              row('Web port', c.webPort ? String(c.webPort) : off('the Management Portal and VS Code', '52773/tcp')),
              row('Management Portal', portal ? h('a', { href: portal, target: '_blank', rel: 'noopener noreferrer' }, portal) : h('span', { class: 'muted' }, 'Needs the web port')),
            ),
          ),
          accountCard(c),
          card(
            'Snippets',
            h('p', { class: 'muted small' }, `These use ${host}, the address this page was opened with; from outside your network use an address that reaches the Home Assistant host. VS Code: the InterSystems ObjectScript extension connects to the web port and asks for the password of ${user} on first use.`),
            codeBlock('VS Code settings.json', vscode),
            codeBlock('Native API for Node.js', native),
          ),
        );
      },
      (err: Error) => render(main, h('h1', { class: 'page-title' }, 'Connect'), h('p', { class: 'result bad' }, err.message)),
    );
  },
};
