/**
 * The Apps page's registry form: another or a private IPM registry (address, user name, password)
 * or back to the community registry, through PUT api/apps/registry. The stored password is never
 * shown back: the field stays empty, says that one is stored, and an empty field keeps it (the API
 * keeps it only for the same address and user name). A new address is checked at once by
 * searching it, so a wrong address or a refused password is said here, not at the next install.
 */
import { call } from './api.ts';
import { card, h, resultBox, say } from './dom.ts';
import { field } from './cert-views.ts';
import { COMMUNITY_REGISTRY, type RegistryView } from '../../src/model/ipm-package.ts';

const where = (v: RegistryView): string => (v.source === 'offline-folder' ? `the offline folder ${v.folder ?? ''}` : `${v.url}${v.username ? ` as ${v.username}` : ''}`);

/** Rendered once per page; it shows what the API answered after each change. `saved(check)`: search the new registry at once. */
export function registryCard(view: RegistryView, saved: (check: boolean) => void): HTMLElement {
  const out = resultBox('reg-result');
  const url = h('input', { type: 'url', value: view.url, maxlength: 500, autocomplete: 'off', spellcheck: 'false', required: true });
  const user = h('input', { type: 'text', value: view.username, maxlength: 200, autocomplete: 'off', spellcheck: 'false' });
  const pass = h('input', { type: 'password', maxlength: 500, autocomplete: 'new-password' });
  const summary = h('summary', { id: 'apps-registry-url' });
  const back = h('button', { type: 'button', class: 'btn', id: 'reg-community', onclick: () => void save({ url: COMMUNITY_REGISTRY, username: '', password: '' }, false) }, 'Use the community registry');
  const passHint = h('span', { class: 'muted small', id: 'reg-pass-hint' });
  const offline = h('button', { type: 'button', class: 'btn', id: 'reg-offline', onclick: () => void save({ offlineFolder: true }, true) }, 'Use the offline folder');
  const show = (v: RegistryView) => {
    summary.textContent = `Apps from ${where(v)}`;
    offline.hidden = !v.folder || v.source === 'offline-folder';
    url.value = v.url;
    user.value = v.username;
    pass.value = '';
    pass.placeholder = v.hasPassword ? 'stored; leave empty to keep it' : '';
    passHint.textContent = v.hasPassword ? 'A password is stored; it is never shown. Clear the user name to remove it.' : '';
    back.hidden = v.source === 'registry' && v.url === COMMUNITY_REGISTRY && !v.username;
  };

  const save = async (body: { url: string; username: string; password?: string } | { offlineFolder: true }, check: boolean) => {
    say(out, 'busy', 'Saving…');
    try {
      const r = await call<{ registry: RegistryView }>('PUT', 'api/apps/registry', body);
      show(r.registry);
      say(out, 'good', `Saved: apps now come from ${where(r.registry)}.`);
      saved(check);
    } catch (e) {
      say(out, 'bad', (e as Error).message);
    }
  };
  const form = h(
    'form',
    {
      class: 'form',
      id: 'reg-form',
      onsubmit: (e: Event) => {
        e.preventDefault();
        const username = user.value.trim();
        // Empty keeps the stored password; without a user name there is none to keep.
        void save({ url: url.value.trim(), username, ...(pass.value || !username ? { password: pass.value } : {}) }, true);
      },
    },
    field('reg-url', 'Registry address', url),
    field('reg-user', 'User name', user, 'Only for a private registry.'),
    h('div', { class: 'field' }, h('label', { for: 'reg-pass' }, 'Password'), pass, passHint),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'btn primary', id: 'reg-save' }, 'Save registry'),
      back,
      offline,
    ),
  );
  pass.id = 'reg-pass';
  const folderHelp = view.folder
    ? h('p', { class: 'muted small', id: 'reg-folder-help' }, `Offline: put IPM package archives (.tgz, as zpm package makes them) in ${view.folder}, for example with the Samba share or File editor app, then choose Use the offline folder. Saving a registry above goes back to it.`)
    : null;
  show(view);
  return h('details', { id: 'apps-registry-details' }, summary, card('Registry', form, folderHelp, out));
}
