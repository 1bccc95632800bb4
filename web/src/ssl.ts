/**
 * "Apply to IRIS": an IRIS SSL/TLS configuration from stored certificates (on a certificate's
 * page), and the list of IRIS's SSL/TLS configurations with the hosts that use them (on the
 * Certificates page). Relative URLs only (ingress).
 */
import { call } from './api.ts';
import { card, h, render, resultBox, say } from './dom.ts';
import { confirmDialog } from './pages.ts';
import { subCard } from './cert-views.ts';

interface SslUser { namespace: string; production: string; host: string }
interface SslConfig { name: string; description: string; type: 'client' | 'server'; enabled: boolean; caFile: string; certificateFile: string; privateKeyFile: string; verifyPeer: number; tlsMinVersion: number; tlsMaxVersion: number; usedBy: SslUser[] }
interface StoredCert { id: string; name: string; source: string; subject: string | null; certCount: number; hasKey: boolean; status: string }
interface RestartResult { host: string; production: string; outcome: string; reason?: string }


const TLS: [number, string][] = [[4, 'TLS 1.0'], [8, 'TLS 1.1'], [16, 'TLS 1.2'], [32, 'TLS 1.3']];
const tlsName = (v: number) => TLS.find(([n]) => n === v)?.[1] ?? (v === 2 ? 'SSLv3' : String(v));
const VERIFY: Record<'client' | 'server', [number, string][]> = {
  client: [[0, 'None'], [1, 'Require the server certificate']],
  server: [[0, 'None'], [1, 'Request a client certificate'], [3, 'Require a client certificate']],
};
function field(id: string, label: string, input: HTMLElement, hint?: string): HTMLElement {
  input.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, hint ? h('span', { class: 'muted small' }, hint) : null);
}
const sel = (options: [string | number, string][], selected?: string | number) =>
  h('select', {}, options.map(([v, l]) => h('option', { value: String(v), selected: String(v) === String(selected) }, l)));
const usedByText = (u: SslUser[]) => (u.length ? u.map((x) => `${x.host} (${x.namespace}/${x.production})`).join(', ') : 'no business host');

// ---- the list --------------------------------------------------------------------------------------

export function sslConfigsCard(): HTMLElement {
  const body = h('div', { id: 'ssl-configs' }, h('p', { class: 'muted' }, 'Loading…'));
  const out = resultBox('ssl-restart-result');
  const restart = async (c: SslConfig) => {
    const ok = await confirmDialog(
      c.usedBy.length === 1 ? `Restart the business host that uses “${c.name}”?` : `Restart the ${c.usedBy.length} business hosts that use “${c.name}”?`,
      `${usedByText(c.usedBy)}. Each is disabled, then enabled again; messages wait in its queue meanwhile.`,
      'Restart',
    );
    if (!ok) return;
    say(out, 'busy', 'Restarting…');
    call<{ results: RestartResult[] }>('POST', 'api/ssl-configs/restart-hosts', { name: c.name }).then(
      (res) => say(out, res.results.every((x) => x.outcome === 'restarted') ? 'good' : 'warn', res.results.map((x) => `${x.host}: ${x.outcome}${x.reason ? ` (${x.reason})` : ''}`).join('; ') || 'Nothing to restart.'),
      (err: Error) => say(out, 'bad', err.message),
    );
  };
  const row = (c: SslConfig) =>
    h(
      'tr',
      { 'data-ssl': c.name },
      h('th', { scope: 'row' }, h('strong', {}, c.name), c.enabled ? null : [' ', h('span', { class: 'badge neutral' }, 'disabled')], c.description ? h('div', { class: 'muted small' }, c.description) : null),
      h('td', { 'data-label': 'Type' }, c.type),
      h('td', { 'data-label': 'TLS' }, `${tlsName(c.tlsMinVersion)} – ${tlsName(c.tlsMaxVersion)}`),
      h('td', { 'data-label': 'Verify peer' }, VERIFY[c.type].find(([v]) => v === c.verifyPeer)?.[1] ?? String(c.verifyPeer)),
      h('td', { 'data-label': 'Used by', class: 'small used-by', 'data-used-by': '' }, usedByText(c.usedBy)),
      h(
        'td',
        { class: 'row-end' },
        c.usedBy.length ? h('button', { type: 'button', class: 'btn small', 'data-restart': c.name, 'data-key': `restart:${c.name}`, onclick: () => void restart(c) }, 'Restart these hosts') : null,
      ),
    );
  const load = () =>
    void call<{ instance: string; configs: SslConfig[] }>('GET', 'api/ssl-configs').then(
      (r) => {
        if (!r.configs.length) return render(body, h('p', { class: 'muted' }, 'IRIS has no SSL/TLS configuration.'));
        render(
          body,
          h(
            'div',
            { class: 'table-wrap' },
            h(
              'table',
              { class: 'hosts ssl-configs' },
              h('thead', {}, h('tr', {}, ['Name', 'Type', 'TLS', 'Verify peer', 'Used by'].map((t) => h('th', { scope: 'col' }, t)), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
              h('tbody', {}, r.configs.map(row)),
            ),
          ),
        );
      },
      (err: Error) => render(body, h('p', { class: 'result bad' }, err.message)),
    );
  load();
  return subCard('IRIS SSL/TLS configurations', body, out);
}

// ---- apply (per certificate) ----------------------------------------------------------------------

export function applyToIrisCard(cert: { id: string; name: string; hasKey: boolean; keyEncrypted: boolean; status: string }): HTMLElement {
  const out = resultBox('ssl-apply-result');
  const form = h('form', { class: 'form', id: 'ssl-apply-form' }, h('p', { class: 'muted' }, 'Loading…'));
  void Promise.all([
    call<{ configs: SslConfig[] }>('GET', 'api/ssl-configs').catch((err: Error) => ({ configs: [] as SslConfig[], error: err.message })),
    call<{ certificates: StoredCert[] }>('GET', 'api/certificates'),
  ]).then(
    ([cfgs, certs]) => {
      const existing = cfgs.configs;
      const caChoices = certs.certificates.filter((c) => c.source === 'store' && c.certCount > 0);
      const nameSel = sel([['', 'New configuration…'], ...existing.map((c): [string, string] => [c.name, `${c.name} (${c.type}, used by ${c.usedBy.length})`])]);
      const nameNew = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: 'e.g. LabTLS', pattern: '[A-Za-z0-9][A-Za-z0-9._\\-]{0,63}' });
      const typeSel = sel([['client', 'Client (IRIS connects out)'], ['server', 'Server (IRIS accepts TLS)']], cert.hasKey ? 'server' : 'client');
      const verifySel = h('select', {});
      const fillVerify = () => {
        const t = typeSel.value as 'client' | 'server';
        render(verifySel, VERIFY[t].map(([v, l]) => h('option', { value: String(v), selected: (t === 'client' && v === 1) || null }, l)));
      };
      fillVerify();
      typeSel.addEventListener('change', fillVerify);
      nameSel.addEventListener('change', () => {
        const c = existing.find((x) => x.name === nameSel.value);
        nameNew.toggleAttribute('disabled', !!c);
        if (c) {
          typeSel.value = c.type;
          fillVerify();
          verifySel.value = String(c.verifyPeer);
          tlsMin.value = String(c.tlsMinVersion);
          tlsMax.value = String(c.tlsMaxVersion);
        }
      });
      const tlsMin = sel(TLS, 16);
      const tlsMax = sel(TLS, 32);
      const useCert = h('input', { type: 'checkbox', id: 'ssl-use-cert', checked: cert.hasKey || null, disabled: !cert.hasKey || null });
      const caBox = h(
        'div',
        { class: 'field', id: 'ssl-ca' },
        h('span', {}, 'Trusted CAs (written to the CA file)'),
        caChoices.length ? caChoices.map((c) => h('label', { class: 'small' }, h('input', { type: 'checkbox', value: c.id, 'data-ca': c.id }), ` ${c.name}${c.subject ? ` — ${c.subject}` : ''}`, h('br', {}))) : h('span', { class: 'muted small' }, 'No stored certificates.'),
      );
      const pass = h('input', { type: 'password', autocomplete: 'new-password' });
      const allow = h('input', { type: 'checkbox', id: 'ssl-allow-expired' });
      const expiredNote = cert.status === 'expired' || cert.status === 'not-yet-valid'
        ? h('p', { class: 'notice' }, `This certificate is ${cert.status === 'expired' ? 'expired' : 'not yet valid'}: peers will refuse it. IRIS Edge applies it only if you tick “Apply even though a certificate is expired”.`)
        : null;
      render(
        form,
        'error' in cfgs ? h('p', { class: 'result bad' }, `IRIS configurations could not be listed: ${cfgs.error as string}`) : null,
        field('ssl-name-sel', 'Configuration', nameSel),
        field('ssl-name', 'New configuration name', nameNew, 'Letters, digits, “.”, “-”, “_”; up to 64 characters.'),
        field('ssl-type', 'Type', typeSel),
        h('div', { class: 'field' }, h('label', {}, useCert, ` Use “${cert.name}” as the certificate and key`), cert.hasKey ? null : h('span', { class: 'muted small' }, 'No private key stored: this certificate can only be trusted as a CA.')),
        cert.keyEncrypted ? field('ssl-keypass', 'Key passphrase (checked here, given to IRIS as the key password)', pass) : null,
        caBox,
        field('ssl-verify', 'Verify peer', verifySel),
        field('ssl-tls-min', 'Minimum TLS version', tlsMin),
        field('ssl-tls-max', 'Maximum TLS version', tlsMax),
        expiredNote,
        h('div', { class: 'field' }, h('label', {}, allow, ' Apply even though a certificate is expired or not yet valid'), h('span', { class: 'muted small' }, 'TLS connections with an expired certificate fail; use this only to keep a lab running.')),
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn', id: 'ssl-apply-btn' }, 'Apply to IRIS')),
      );
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        const name = nameSel.value || nameNew.value.trim();
        const caIds = [...caBox.querySelectorAll<HTMLInputElement>('input[data-ca]:checked')].map((i) => i.value);
        const body = {
          name,
          type: typeSel.value,
          certificateId: useCert.checked ? cert.id : null,
          caCertificateIds: caIds,
          verifyPeer: Number(verifySel.value),
          tlsMin: Number(tlsMin.value),
          tlsMax: Number(tlsMax.value),
          allowExpired: allow.checked,
          ...(cert.keyEncrypted && useCert.checked && pass.value ? { keyPassphrase: pass.value } : {}),
        };
        if (allow.checked && !(await confirmDialog('Apply an expired certificate?', 'A certificate in this configuration is expired or not yet valid: TLS connections using it will fail until it is replaced.', 'Apply anyway'))) return;
        say(out, 'busy', 'Applying…');
        call<{ config: SslConfig | null; usedBy: SslUser[]; warnings: string[] }>('POST', 'api/ssl-configs/apply', body).then(
          (r) => {
            pass.value = '';
            const c = r.config;
            say(
              out,
              r.warnings.length ? 'warn' : 'good',
              c ? `IRIS reports “${c.name}”: ${c.type}, ${tlsName(c.tlsMinVersion)} – ${tlsName(c.tlsMaxVersion)}, certificate ${c.certificateFile || 'none'}, CA ${c.caFile || 'none'}. ` : 'Applied. ',
              r.usedBy.length ? `Used by ${usedByText(r.usedBy)}: restart them from the Certificates page (“Restart these hosts”) to use the change.` : 'No business host uses it yet.',
              r.warnings.length ? ` Warning: ${r.warnings.join('; ')}.` : '',
            );
          },
          (err: Error) => say(out, 'bad', err.message),
        );
      });
    },
    (err: Error) => render(form, h('p', { class: 'result bad' }, err.message)),
  );
  return card('Apply to IRIS', h('p', { class: 'muted small' }, 'Creates or updates an IRIS SSL/TLS configuration. The PEM files are written where IRIS can read them (key readable by IRIS only).'), form, out);
}
