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
import { COMMUNITY_REGISTRY } from '../../src/model/ipm-package.ts';

export interface RegistryView {
  url: string;
  username: string;
  hasPassword: boolean;
}

/** Rendered once per page; it shows what the API answered after each change. `saved(check)`: search the new registry at once. */
export function registryCard(view: RegistryView, saved: (check: boolean) => void): HTMLElement {
  const out = resultBox('reg-result');
  const url = h('input', { type: 'url', value: view.url, maxlength: 500, autocomplete: 'off', spellcheck: 'false', required: true });
  const user = h('input', { type: 'text', value: view.username, maxlength: 200, autocomplete: 'off', spellcheck: 'false' });
  const pass = h('input', { type: 'password', maxlength: 500, autocomplete: 'new-password' });
  const summary = h('summary', { id: 'apps-registry-url' });
  const back = h('button', { type: 'button', class: 'btn', id: 'reg-community', onclick: () => void save({ url: COMMUNITY_REGISTRY, username: '', password: '' }, false) }, 'Use the community registry');
  const passHint = h('span', { class: 'muted small', id: 'reg-pass-hint' });
  const show = (v: RegistryView) => {
    summary.textContent = `Registry: ${v.url}${v.username ? ` (as ${v.username})` : ''}`;
    url.value = v.url;
    user.value = v.username;
    pass.value = '';
    pass.placeholder = v.hasPassword ? 'stored; leave empty to keep it' : '';
    passHint.textContent = v.hasPassword ? 'A password is stored; it is never shown. Clear the user name to remove it.' : '';
    back.hidden = v.url === COMMUNITY_REGISTRY && !v.username;
  };

  const save = async (body: { url: string; username: string; password?: string }, check: boolean) => {
    say(out, 'busy', 'Saving…');
    try {
      const r = await call<{ registry: RegistryView }>('PUT', 'api/apps/registry', body);
      show(r.registry);
      say(out, 'good', `Saved: apps now come from ${r.registry.url}${r.registry.username ? ` as ${r.registry.username}` : ''}.`);
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
    ),
  );
  pass.id = 'reg-pass';
  show(view);
  return h('details', { id: 'apps-registry-details' }, summary, card('Registry', form, out));
}
