/**
 * The Connect page's account card: the IRIS account for people, its password shown only after a
 * warning (it is full administrator access), copied, hidden again, and changed with IRIS's own
 * rules deciding. The bridge's service account is named apart, as what it is.
 */
import { api, type ApiFailure, type ConnectInfo } from './api.ts';
import { card, h, resultBox, say } from './dom.ts';
import { confirmDialog } from './pages.ts';

const HIDDEN = '••••••••';

function passwordRow(username: string): { el: HTMLElement; conceal: () => void } {
  const out = h('span', { id: 'account-password', class: 'mono' }, HIDDEN);
  const copy = h('button', { type: 'button', class: 'btn small', id: 'account-copy', hidden: true }, 'Copy');
  const hide = h('button', { type: 'button', class: 'btn small', id: 'account-hide', hidden: true }, 'Hide');
  const reveal = h('button', { type: 'button', class: 'btn small', id: 'account-reveal' }, 'Show password');
  let shown = '';
  const conceal = () => {
    shown = '';
    out.textContent = HIDDEN;
    copy.hidden = true;
    hide.hidden = true;
    reveal.hidden = false;
  };
  reveal.addEventListener('click', () => {
    void (async () => {
      const ok = await confirmDialog(
        `Show the password of ${username}?`,
        `${username} is a full IRIS administrator (role %All): whoever sees this password can read and change every database, user and setting of IRIS. Show it only where nobody is watching your screen.`,
        'Show password',
      );
      if (!ok) return;
      reveal.setAttribute('disabled', '');
      try {
        shown = (await api.revealAccountPassword()).password;
        out.textContent = shown;
        reveal.hidden = true;
        copy.hidden = false;
        hide.hidden = false;
      } catch (err) {
        out.textContent = (err as Error).message;
      } finally {
        reveal.removeAttribute('disabled');
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
  return { el: h('span', { class: 'pw' }, out, reveal, copy, hide), conceal };
}

/** `changed` runs once IRIS took a new password (a password still shown is the old one). */
function passwordForm(username: string, changed: () => void): HTMLElement {
  const input = (id: string) => h('input', { type: 'password', id, autocomplete: 'new-password', maxlength: 128, required: true });
  const first = input('account-new');
  const second = input('account-repeat');
  const box = resultBox('account-result');
  const submit = h('button', { type: 'submit', class: 'btn', id: 'account-set' }, 'Set password');
  const form = h(
    'form',
    { class: 'form', id: 'account-form', 'aria-label': `New password for ${username}` },
    // Lets a password manager file the new password under the right account.
    h('input', { type: 'text', name: 'username', autocomplete: 'username', value: username, hidden: true, readonly: true }),
    h('div', { class: 'field' }, h('label', { for: 'account-new' }, 'New password'), first),
    h('div', { class: 'field' }, h('label', { for: 'account-repeat' }, 'New password again'), second),
    h('div', { class: 'actions' }, submit, box),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (first.value !== second.value) {
      say(box, 'bad', 'The two passwords are not the same.');
      return;
    }
    submit.setAttribute('disabled', '');
    say(box, 'busy', 'IRIS is checking the password…');
    api.setAccountPassword(first.value, second.value).then(
      () => {
        first.value = '';
        second.value = '';
        changed();
        say(box, 'good', `IRIS took the new password of ${username}. Use it from now on in the Management Portal, VS Code and the terminal.`);
      },
      // 503s say themselves what happened to the stored password; the refusals changed nothing.
      (err: ApiFailure) => say(box, 'bad', err.message, [400, 409, 422, 429].includes(err.status) ? ' Nothing was changed.' : ''),
    ).finally(() => submit.removeAttribute('disabled'));
  });
  return form;
}

export function accountCard(c: ConnectInfo): HTMLElement {
  const a = c.account;
  const rowOf = (label: string, value: Node | string) => h('div', { class: 'stat' }, h('dt', {}, label), h('dd', {}, value));
  const remote = c.remoteInstances.length
    ? h(
        'p',
        { class: 'muted small', id: 'account-remote' },
        `Remote instances (${c.remoteInstances.join(', ')}): not available there. IRIS Edge reaches them only as the user you configured for it, which cannot change passwords, and changing one needs the owner of that server; log in there with an account its administrator gave you.`,
      )
    : null;
  const service = h(
    'p',
    { class: 'muted small', id: 'service-account' },
    'Service account: ',
    h('span', { class: 'mono' }, c.serviceAccount),
    ' is the IRIS user IRIS Edge itself logs in with. It holds only what the bridge needs and its password is not shown: it is not an account for people.',
  );
  if (!a.available || !a.username) {
    return card('Your IRIS account', h('p', { class: 'muted', id: 'account-unavailable' }, a.reason ?? 'Not available.'), remote, service);
  }
  const pw = passwordRow(a.username);
  return card(
    'Your IRIS account',
    h('p', { class: 'muted small' }, 'For the Management Portal, VS Code and the IRIS terminal. It is a full administrator (role %All).'),
    h('dl', { class: 'stats' }, rowOf('User', h('span', { class: 'mono', id: 'account-user' }, a.username)), rowOf('Password', pw.el)),
    h('h3', {}, 'Set your own password'),
    h('p', { class: 'muted small' }, 'IRIS checks it against its password rules (by default 3 to 32 letters, digits or punctuation). If IRIS refuses it, nothing changes.'),
    passwordForm(a.username, pw.conceal),
    remote,
    service,
  );
}
