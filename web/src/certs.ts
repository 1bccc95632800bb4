/**
 * The Certificates page: inventory with status, import (file or paste), inspection of every field
 * the users' TLS guide explains, key + CSR generation, chain/host/key verification, a live TLS
 * test, exports and the lab CA. Relative URLs only (ingress).
 */
import { ApiFailure, call } from './api.ts';
import { card, h, render, resultBox, say } from './dom.ts';
import type { CertInfo, DnPart } from '../../src/model/cert-info.ts';
import { EC_CURVES, keySpecLabel, RSA_SIZES, type KeySpec } from '../../src/model/cert-key-spec.ts';
import type { Page } from './pages.ts';
import { applyToIrisCard, sslConfigsCard } from './ssl.ts';

// ---- types (the API's answers) -----------------------------------------------------------------

interface Lint { level: 'error' | 'warning' | 'info'; code: string; message: string }
interface ChainStep { subject: string; issuer: string; sha256: string; notAfter: string; isCa: boolean; selfSigned: boolean; source: string; problem?: string }
interface Chain { steps: ChainStep[]; complete: boolean; trusted: boolean; breaksAt: string | null }
interface Summary { id: string; name: string; source: 'store' | 'ha-ssl' | 'iris-ssl'; kind: string; status: string; subject: string | null; notAfter: string | null; daysLeft: number | null; hasKey: boolean; keyEncrypted: boolean; certCount: number; error?: string }
interface Detail { id: string; name: string; source: string; kind: string; readOnly: boolean; status: string; hasKey: boolean; keyEncrypted: boolean; csrPem: string | null; certs: CertInfo[]; chain: Chain | null; lint: Lint[]; note?: string; path?: string; warnings?: string[]; matchedToKey?: boolean }

// ---- calls ---------------------------------------------------------------------------------------


/** A file from a POST (PKCS#12, key): fetched, then saved through a temporary link. */
async function download(path: string, body: unknown, fallbackName: string): Promise<void> {
  const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-iris-edge': '1' }, body: JSON.stringify(body), credentials: 'same-origin' });
  if (!res.ok) {
    const data = (await res.json().catch(() => ({}))) as { message?: string };
    throw new ApiFailure(res.status, data.message ?? `The panel answered ${res.status}.`);
  }
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await res.blob());
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

const enc = encodeURIComponent;

// ---- small pieces ----------------------------------------------------------------------------------

const STATUS: Record<string, [string, string]> = {
  valid: ['Valid', 'good'],
  expiring: ['Expiring', 'warn'],
  expired: ['Expired', 'bad'],
  'not-yet-valid': ['Not yet valid', 'bad'],
  'untrusted-chain': ['Untrusted chain', 'warn'],
  'awaiting-certificate': ['Awaiting certificate', 'busy'],
  'no-certificate': ['No certificate', 'neutral'],
  unreadable: ['Unreadable', 'bad'],
};
const statusBadge = (s: string) => h('span', { class: `badge ${STATUS[s]?.[1] ?? 'neutral'}`, 'data-status': s }, STATUS[s]?.[0] ?? s);
const date = (iso: string) => new Date(iso).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');

function field(id: string, label: string, input: HTMLElement, hint?: string): HTMLElement {
  input.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, hint ? h('span', { class: 'muted small' }, hint) : null);
}
const text = (name: string, attrs: Record<string, string> = {}) => h('input', { type: 'text', name, autocomplete: 'off', spellcheck: 'false', ...attrs });
const secretInput = (name: string) => h('input', { type: 'password', name, autocomplete: 'new-password' });
const value = (form: HTMLElement, id: string): string => (form.querySelector<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>(`#${id}`)?.value ?? '').trim();
const opt = (s: string) => (s === '' ? undefined : s);

const KEY_SPECS: KeySpec[] = [...RSA_SIZES.map((bits): KeySpec => ({ type: 'rsa', bits })), ...EC_CURVES.map((curve): KeySpec => ({ type: 'ec', curve }))];
const keySelect = (preselected: KeySpec) =>
  h('select', {}, KEY_SPECS.map((k) => h('option', { value: keySpecLabel(k), selected: keySpecLabel(k) === keySpecLabel(preselected) ? true : null }, keySpecLabel(k))));
const keyOf = (form: HTMLElement, id: string): KeySpec => KEY_SPECS.find((k) => keySpecLabel(k) === value(form, id))!;
const KEY_HINT = 'EC keys are smaller and faster; choose RSA for a peer that takes only RSA.';

const showError = (box: HTMLElement, err: unknown) => say(box, 'bad', (err as Error).message);
const busy = (box: HTMLElement, msg: string) => say(box, 'busy', msg);

function lintList(lint: Lint[]): HTMLElement | null {
  if (!lint.length) return h('p', { class: 'result good', 'data-lint': 'none' }, 'No problems found.');
  return h(
    'ul',
    { class: 'lint' },
    lint.map((l) => h('li', { class: `lint-${l.level}`, 'data-code': l.code }, h('span', { class: `badge ${l.level === 'error' ? 'bad' : l.level === 'warning' ? 'warn' : 'neutral'}` }, l.level), ' ', l.message)),
  );
}

/** Every field of one certificate, named the way the users' TLS guide explains them. */
export function certFields(c: CertInfo): HTMLElement {
  const row = (label: string, v: Node | string, key: string) => h('div', { class: 'kv', 'data-field': key }, h('dt', {}, label), h('dd', {}, v));
  const dnList = (parts: DnPart[]) => (parts.length ? h('ul', { class: 'dn' }, parts.map((p) => h('li', {}, h('span', { class: 'muted' }, `${p.type} = `), p.value))) : h('span', { class: 'muted' }, '(empty: the SANs identify it)'));
  const list = (vals: string[], empty: string) => (vals.length ? vals.join(', ') : h('span', { class: 'muted' }, empty));
  const crit = (x: { critical: boolean } | null) => (x?.critical ? ' (critical)' : '');
  const pk = c.publicKey;
  return h(
    'dl',
    { class: 'fields' },
    row('Subject', dnList(c.subject.parts), 'subject'),
    row('Issuer', dnList(c.issuer.parts), 'issuer'),
    row('Serial number', h('span', { class: 'mono' }, c.serial), 'serial'),
    row('Not before', date(c.notBefore), 'notBefore'),
    row('Not after', date(c.notAfter), 'notAfter'),
    row('SAN: DNS names', list(c.san.dns, 'none'), 'sanDns'),
    row('SAN: IP addresses', list(c.san.ip, 'none'), 'sanIp'),
    row('Key usage', c.keyUsage ? c.keyUsage.values.join(', ') + crit(c.keyUsage) : h('span', { class: 'muted' }, 'not present'), 'keyUsage'),
    row('Extended key usage', c.extendedKeyUsage ? c.extendedKeyUsage.values.join(', ') + crit(c.extendedKeyUsage) : h('span', { class: 'muted' }, 'not present (any purpose)'), 'eku'),
    row('Basic constraints', c.basicConstraints ? `${c.basicConstraints.ca ? 'CA' : 'Not a CA (leaf)'}${c.basicConstraints.pathLen !== null ? `, path length ${c.basicConstraints.pathLen}` : ''}${crit(c.basicConstraints)}` : h('span', { class: 'muted' }, 'not present (not a CA)'), 'basicConstraints'),
    row('Subject key identifier', c.subjectKeyId ? h('span', { class: 'mono' }, c.subjectKeyId) : '—', 'ski'),
    row('Authority key identifier', c.authorityKeyId ? h('span', { class: 'mono' }, c.authorityKeyId) : '—', 'aki'),
    row('Public key', `${pk.algorithm}${pk.size ? ` ${pk.size} bits` : ''}${pk.curve ? ` (${pk.curve})` : ''}`, 'publicKey'),
    row('Signature algorithm', c.signatureAlgorithm, 'signatureAlgorithm'),
    row('SHA-256 fingerprint', h('span', { class: 'mono' }, c.fingerprints.sha256), 'sha256'),
    row('SHA-1 fingerprint', h('span', { class: 'mono' }, c.fingerprints.sha1), 'sha1'),
    row('Self-signed', c.selfSigned ? 'Yes (subject and issuer match)' : 'No', 'selfSigned'),
  );
}

const SOURCE: Record<string, string> = { bundle: ', from the CA bundle', system: ', from the system root CAs' };

function chainView(chain: Chain): HTMLElement {
  return h(
    'div',
    { class: 'chain', 'data-trusted': String(chain.trusted) },
    h('ol', {}, chain.steps.map((s) => h('li', { class: s.problem ? 'bad-text' : '' }, h('strong', {}, s.subject), h('span', { class: 'muted small' }, ` — ${s.selfSigned ? 'self-signed root' : s.isCa ? 'CA' : 'leaf'}${SOURCE[s.source] ?? ''}${s.problem ? `: ${s.problem}` : ''}`)))),
    chain.trusted ? h('p', { class: 'result good' }, '✓ Chain complete and trusted.') : h('p', { class: 'result bad', 'data-break': '1' }, `✗ ${chain.breaksAt ?? 'The chain is not trusted.'}`),
  );
}

function inspection(certs: CertInfo[]): HTMLElement[] {
  return certs.map((c, i) =>
    h('details', { class: 'cert', open: i === 0 ? true : null, 'data-cert': String(i) }, h('summary', {}, h('strong', {}, c.subject.text || '(no subject)'), h('span', { class: 'muted small' }, ` ${c.isCa ? 'CA' : 'leaf'} · until ${c.notAfter.slice(0, 10)}`)), certFields(c)),
  );
}

/** Reads a chosen file into the right API field by its content. */
async function fileMaterial(file: File): Promise<Record<string, string>> {
  if (file.size > 1024 * 1024) throw new Error('The file is larger than 1 MiB.');
  const buf = new Uint8Array(await file.arrayBuffer());
  const head = new TextDecoder('latin1').decode(buf.subarray(0, 4096));
  if (head.includes('-----BEGIN ')) return { pem: new TextDecoder().decode(buf) };
  let bin = '';
  for (let i = 0; i < buf.length; i += 0x8000) bin += String.fromCharCode(...buf.subarray(i, i + 0x8000));
  const b64 = btoa(bin);
  return /\.(p12|pfx)$/i.test(file.name) ? { pkcs12Base64: b64 } : { derBase64: b64 };
}

// ---- the list page ---------------------------------------------------------------------------------

function inventory(list: Summary[], sslDir: string, storeAvailable: boolean): HTMLElement {
  const rows = list.map((c) =>
    h(
      'tr',
      { 'data-cert-id': c.id, 'data-name': c.name },
      h('th', { scope: 'row' }, h('a', { href: `#/certificates/${enc(c.id)}` }, c.name), c.source === 'ha-ssl' ? h('span', { class: 'muted small' }, ` (${sslDir}, read-only)`) : c.source === 'iris-ssl' ? h('span', { class: 'muted small' }, ' (IRIS SSL/TLS configuration, read-only)') : null),
      h('td', { 'data-label': 'Subject' }, c.subject ?? '—'),
      h('td', { 'data-label': 'Status' }, statusBadge(c.status)),
      h('td', { 'data-label': 'Expires', class: 'num' }, c.notAfter ? `${c.notAfter.slice(0, 10)} (${c.daysLeft} d)` : '—'),
      h('td', { 'data-label': 'Private key', class: 'nowrap' }, c.hasKey ? (c.keyEncrypted ? 'Encrypted' : 'Yes') : '—'),
    ),
  );
  return card(
    'Inventory',
    storeAvailable ? null : h('p', { class: 'notice' }, 'No certificate store is configured: imports are not possible.'),
    list.length
      ? h('div', { class: 'table-wrap' }, h('table', { class: 'hosts certs' }, h('thead', {}, h('tr', {}, ['Name', 'Subject', 'Status', 'Expires', 'Private key'].map((t) => h('th', { scope: 'col' }, t)))), h('tbody', {}, rows)))
      : h('p', { class: 'muted' }, `No certificates yet (stored here or in ${sslDir}).`),
  );
}

function importCard(reload: () => void): HTMLElement {
  const out = resultBox('import-result');
  const view = h('div', { id: 'inspect-view' });
  const form = h(
    'form',
    { class: 'form', id: 'import-form' },
    field('imp-name', 'Name', text('name', { placeholder: 'e.g. HL7 server certificate' })),
    field('imp-file', 'File (PEM, DER, .p12/.pfx)', h('input', { type: 'file', accept: '.pem,.crt,.cer,.der,.key,.p12,.pfx' })),
    field('imp-pem', 'Or paste PEM', h('textarea', { rows: 6, spellcheck: 'false', placeholder: '-----BEGIN CERTIFICATE-----\n…' }), 'Several blocks and comment lines between them are fine.'),
    field('imp-password', 'PKCS#12 password', secretInput('password')),
    field('imp-keypass', 'Key passphrase (encrypted PEM key)', secretInput('keyPassphrase')),
    field('imp-storepass', 'Encrypt the stored key with (optional)', secretInput('storePassphrase'), 'Without it, the key is kept unencrypted, readable only by the add-on (0600); an encrypted PEM key stays encrypted with its passphrase.'),
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn', id: 'inspect-btn' }, 'Inspect'), h('button', { type: 'submit', class: 'btn', id: 'import-btn' }, 'Import')),
  );
  const material = async (): Promise<Record<string, string>> => {
    const file = form.querySelector<HTMLInputElement>('#imp-file')?.files?.[0];
    const m = file ? await fileMaterial(file) : { pem: value(form, 'imp-pem') };
    if (!file && !m.pem) throw new Error('Choose a file or paste PEM text.');
    const r: Record<string, string> = { ...m };
    if (value(form, 'imp-password')) r.password = value(form, 'imp-password');
    if (value(form, 'imp-keypass')) r.keyPassphrase = value(form, 'imp-keypass');
    return r;
  };
  form.querySelector('#inspect-btn')?.addEventListener('click', () => {
    busy(out, 'Reading…');
    void (async () => {
      try {
        const r = await call<{ certificates: (CertInfo & { status: string; lint: Lint[] })[]; keys: { type: string; size: number | null; curve: string | null; matches: number[] }[]; notes: string[] }>('POST', 'api/certificates/inspect', await material());
        out.className = 'result good';
        render(out, `${r.certificates.length} certificate(s), ${r.keys.length} private key(s)${r.keys.some((k) => k.matches.length) ? ' — the key matches certificate ' + r.keys.flatMap((k) => k.matches.map((m) => m + 1)).join(', ') : r.keys.length ? ' — the key matches no certificate' : ''}. Nothing was stored.`);
        render(view, ...r.notes.map((n) => h('p', { class: 'muted small' }, n)), ...r.certificates.flatMap((c, i) => [inspection([c])[0]!, h('div', { class: 'small', 'data-lint-for': String(i) }, statusBadge(c.status), lintList(c.lint))]));
      } catch (err) {
        showError(out, err);
        render(view);
      }
    })();
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(out, 'Importing…');
    void (async () => {
      try {
        const body: Record<string, string> = { name: value(form, 'imp-name') || 'Imported certificate', ...(await material()) };
        if (value(form, 'imp-storepass')) body.storePassphrase = value(form, 'imp-storepass');
        const r = await call<Detail>('POST', 'api/certificates', body);
        out.className = 'result good';
        render(out, r.matchedToKey && r.kind === 'certificate' && !body.pem?.includes('PRIVATE KEY') ? `Imported and matched to the key of “${r.name}”. ` : `Imported “${r.name}”. `, h('a', { href: `#/certificates/${enc(r.id)}` }, 'Open it'));
        render(view, ...(r.warnings ?? []).map((w) => h('p', { class: 'notice', 'data-warning': 'eku' }, w)));
        (form as HTMLFormElement).reset();
        reload();
      } catch (err) {
        showError(out, err);
      }
    })();
  });
  return card('Import or inspect', h('p', { class: 'muted small' }, 'A signed certificate for a key made here (CSR below) is matched to its key automatically.'), form, out, view);
}

function csrCard(reload: () => void): HTMLElement {
  const out = resultBox('csr-result');
  const sel = h('select', {}, h('option', { value: 'both', selected: true }, 'Server and client (mutual TLS)'), h('option', { value: 'server' }, 'Server only'), h('option', { value: 'client' }, 'Client only'));
  const form = h(
    'form',
    { class: 'form', id: 'csr-form' },
    field('csr-name', 'Name', text('name', { placeholder: 'e.g. iris.example.com 2026' })),
    field('csr-cn', 'Common name (CN)', text('cn')),
    field('csr-o', 'Organization (O)', text('o')),
    field('csr-ou', 'Organizational unit (OU)', text('ou')),
    field('csr-l', 'Locality (L)', text('l')),
    field('csr-st', 'State (ST)', text('st')),
    field('csr-c', 'Country (C, 2 letters)', text('c', { maxlength: '2' })),
    field('csr-san', 'Subject alternative names', h('textarea', { rows: 3, spellcheck: 'false', placeholder: 'iris.example.com\n10.0.0.5' }), 'DNS names and IP addresses, one a line or comma-separated. Host verification checks the address against these.'),
    field('csr-usage', 'Extended key usage', sel, 'Mutual TLS needs both serverAuth and clientAuth.'),
    field('csr-key', 'Key', keySelect({ type: 'rsa', bits: 2048 }), KEY_HINT),
    field('csr-pass', 'Encrypt the stored key with (recommended)', secretInput('storePassphrase'), 'If this key is lost the certificate is useless; if it is stolen, someone can impersonate this server.'),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn', id: 'csr-btn' }, 'Generate key and CSR')),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(out, 'Generating the key…');
    const subject: Record<string, string | undefined> = { commonName: opt(value(form, 'csr-cn')), organization: opt(value(form, 'csr-o')), organizationalUnit: opt(value(form, 'csr-ou')), locality: opt(value(form, 'csr-l')), state: opt(value(form, 'csr-st')), country: opt(value(form, 'csr-c')) };
    const body = {
      name: value(form, 'csr-name') || value(form, 'csr-cn') || 'New key',
      subject: Object.fromEntries(Object.entries(subject).filter(([, v]) => v !== undefined)),
      altNames: value(form, 'csr-san').split(/[\s,]+/).filter(Boolean),
      usage: value(form, 'csr-usage'),
      key: keyOf(form, 'csr-key'),
      ...(value(form, 'csr-pass') ? { storePassphrase: value(form, 'csr-pass') } : {}),
    };
    void call<{ id: string; csrPem: string }>('POST', 'api/certificates/csr', body).then(
      (r) => {
        out.className = 'result good';
        const pre = h('pre', { class: 'code', id: 'csr-pem', tabindex: 0 }, h('code', {}, r.csrPem));
        const copy = h('button', { type: 'button', class: 'btn small', onclick: () => void navigator.clipboard?.writeText(r.csrPem).then(() => (copy.textContent = 'Copied')).catch(() => (copy.textContent = 'Select and copy')) }, 'Copy CSR');
        render(out, h('p', {}, 'Key stored; send this CSR to your CA. When the signed certificate comes back, import it above: it is matched to this key. CAs often sign with serverAuth only; you will be warned if so.'), copy, pre);
        reload();
      },
      (err) => showError(out, err),
    );
  });
  return card('Generate a key and a CSR', form, out);
}

function storedSelect(id: string, list: Summary[], first: string, filter: (s: Summary) => boolean = () => true): HTMLSelectElement {
  return h('select', { id }, h('option', { value: '' }, first), list.filter(filter).map((s) => h('option', { value: s.id }, `${s.name}${s.subject ? ` — ${s.subject}` : ''}`)));
}

function verifyCard(list: Summary[]): HTMLElement {
  const out = resultBox('verify-result');
  const form = h(
    'form',
    { class: 'form', id: 'verify-form' },
    field('ver-cert', 'Certificate', storedSelect('ver-cert', list, 'Paste below…', (s) => s.certCount > 0)),
    field('ver-pem', 'Or paste the certificate (leaf first; intermediates may follow)', h('textarea', { rows: 4, spellcheck: 'false' })),
    field('ver-ca', 'CA bundle', storedSelect('ver-ca', list, 'Paste below…', (s) => s.certCount > 0)),
    field('ver-capem', 'Or paste the CA bundle (intermediate and root CAs)', h('textarea', { rows: 4, spellcheck: 'false' })),
    h('div', { class: 'field' }, h('label', {}, h('input', { type: 'checkbox', id: 'ver-system' }), ' Also trust the system root CAs')),
    field('ver-host', 'Host name or IP the peer connects to', text('host', { placeholder: 'iris.example.com or 10.0.0.5' })),
    field('ver-purpose', 'Used for', h('select', {}, h('option', { value: 'mtls' }, 'Mutual TLS (both EKUs)'), h('option', { value: 'server' }, 'Server'), h('option', { value: 'client' }, 'Client'))),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn', id: 'verify-btn' }, 'Verify')),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(out, 'Verifying…');
    const certId = value(form, 'ver-cert');
    const caId = value(form, 'ver-ca');
    const caPem = value(form, 'ver-capem');
    const body = {
      certificate: certId ? { id: certId } : { pem: value(form, 'ver-pem') },
      ...(caId ? { caBundle: { id: caId } } : caPem ? { caBundle: { pem: caPem } } : {}),
      useSystemRoots: form.querySelector<HTMLInputElement>('#ver-system')?.checked ?? false,
      ...(value(form, 'ver-host') ? { host: value(form, 'ver-host') } : {}),
      purpose: value(form, 'ver-purpose'),
    };
    void call<{ leaf: CertInfo; chain: Chain; host: { host: string; matches: boolean; matchedBy: string | null; checked: string[]; note?: string } | null; keyMatch: boolean | null; lint: Lint[]; status: string }>('POST', 'api/certificates/verify', body).then(
      (r) => {
        out.className = 'result';
        render(
          out,
          h('h3', {}, 'Chain ', statusBadge(r.status)),
          chainView(r.chain),
          r.host
            ? h('p', { class: r.host.matches ? 'result good' : 'result bad', 'data-host': String(r.host.matches) }, r.host.matches ? `✓ ${r.host.host} matches (${r.host.matchedBy}).` : `✗ ${r.host.host} is not in the certificate (checked: ${r.host.checked.join(', ') || 'nothing'}): the TLS handshake would fail host verification.`, r.host.note ? ` ${r.host.note}` : '')
            : null,
          r.keyMatch === null ? null : h('p', { class: r.keyMatch ? 'result good' : 'result bad' }, r.keyMatch ? '✓ The stored private key matches this certificate.' : '✗ The private key does not match this certificate.'),
          h('h3', {}, 'Lint'),
          lintList(r.lint),
        );
      },
      (err) => showError(out, err),
    );
  });
  return card('Verify a chain, a host name, a key', form, out);
}

function probeCard(list: Summary[]): HTMLElement {
  const out = resultBox('probe-result');
  const form = h(
    'form',
    { class: 'form', id: 'probe-form' },
    field('pr-host', 'Host', text('host', { placeholder: 'hl7.partner.example' })),
    field('pr-port', 'Port', h('input', { type: 'number', min: '1', max: '65535', value: '443' })),
    field('pr-sni', 'Server name (SNI, optional)', text('sni')),
    field('pr-ca', 'Verify against', storedSelect('pr-ca', list, 'System root CAs', (s) => s.certCount > 0)),
    field('pr-client', 'Client certificate (mutual TLS)', storedSelect('pr-client', list, 'None', (s) => s.hasKey && s.certCount > 0)),
    field('pr-pass', 'Its key passphrase (if encrypted)', secretInput('keyPassphrase')),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn', id: 'probe-btn' }, 'Test connection')),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(out, 'Connecting (up to 5 s)…');
    const body = {
      host: value(form, 'pr-host'),
      port: Number(value(form, 'pr-port')),
      ...(value(form, 'pr-sni') ? { servername: value(form, 'pr-sni') } : {}),
      ...(value(form, 'pr-ca') ? { caId: value(form, 'pr-ca') } : {}),
      ...(value(form, 'pr-client') ? { clientCertId: value(form, 'pr-client') } : {}),
      ...(value(form, 'pr-pass') ? { keyPassphrase: value(form, 'pr-pass') } : {}),
    };
    void call<{ connected: boolean; error: string | null; protocol: string | null; cipher: { name: string } | null; chain: CertInfo[]; verified: boolean; verifyError: string | null; hostCheck: { name: string; ok: boolean; error: string | null } | null; elapsedMs: number }>('POST', 'api/certificates/probe', body).then(
      (r) => {
        out.className = 'result';
        const step = (ok: boolean, msg: string) => h('li', { class: ok ? '' : 'bad-text' }, `${ok ? '✓' : '✗'} ${msg}`);
        render(
          out,
          h(
            'ol',
            { class: 'steps' },
            step(r.connected, r.connected ? `Handshake done in ${r.elapsedMs} ms: ${r.protocol}, ${r.cipher?.name ?? ''}` : `No TLS session: ${r.error}`),
            r.connected ? step(r.verified, r.verified ? 'The chain verifies.' : `The chain does not verify: ${r.verifyError}`) : null,
            r.hostCheck ? step(r.hostCheck.ok, r.hostCheck.ok ? `Host verification passes for ${r.hostCheck.name}.` : `Host verification fails: ${r.hostCheck.error}`) : null,
          ),
          r.chain.length ? h('h3', {}, 'Chain the server presented') : null,
          ...inspection(r.chain),
        );
      },
      (err) => showError(out, err),
    );
  });
  return card('Test a TLS endpoint', form, out);
}

function labCaCard(list: Summary[], reload: () => void): HTMLElement {
  const out = resultBox('ca-result');
  const create = h(
    'form',
    { class: 'form', id: 'ca-form' },
    field('ca-name', 'Name', text('name', { value: 'Lab CA' })),
    field('ca-cn', 'CA common name', text('cn', { value: 'IRIS Edge Lab CA' })),
    field('ca-key', 'Key', keySelect({ type: 'rsa', bits: 3072 }), KEY_HINT),
    field('ca-pass', 'Encrypt its key with (recommended)', secretInput('storePassphrase')),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn' }, 'Create lab CA')),
  );
  create.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(out, 'Creating…');
    void call<Detail>('POST', 'api/certificates/ca', { name: value(create, 'ca-name') || 'Lab CA', commonName: value(create, 'ca-cn') || 'IRIS Edge Lab CA', key: keyOf(create, 'ca-key'), ...(value(create, 'ca-pass') ? { storePassphrase: value(create, 'ca-pass') } : {}) }).then(
      (r) => {
        out.className = 'result good';
        render(out, `Created “${r.name}”.`);
        reload();
      },
      (err) => showError(out, err),
    );
  });
  const cas = list.filter((s) => s.kind === 'lab-ca');
  const issue = h(
    'form',
    { class: 'form', id: 'issue-form' },
    field('is-ca', 'Lab CA', storedSelect('is-ca', cas, cas.length ? 'Choose…' : 'Create one first')),
    field('is-capass', 'Its key passphrase (if encrypted)', secretInput('caPassphrase')),
    field('is-name', 'Name', text('name')),
    field('is-cn', 'Common name', text('cn')),
    field('is-san', 'DNS names and IPs', text('san', { placeholder: 'iris.lab, 192.168.1.50' })),
    field('is-usage', 'For', h('select', {}, h('option', { value: 'both' }, 'Server and client'), h('option', { value: 'server' }, 'Server'), h('option', { value: 'client' }, 'Client'))),
    field('is-key', 'Key of the new certificate', keySelect({ type: 'rsa', bits: 2048 })),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn' }, 'Issue certificate')),
  );
  issue.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(out, 'Issuing…');
    void call<Detail>('POST', 'api/certificates/ca/issue', {
      caId: value(issue, 'is-ca'),
      ...(value(issue, 'is-capass') ? { caPassphrase: value(issue, 'is-capass') } : {}),
      name: value(issue, 'is-name') || value(issue, 'is-cn') || 'Lab certificate',
      subject: value(issue, 'is-cn') ? { commonName: value(issue, 'is-cn') } : {},
      altNames: value(issue, 'is-san').split(/[\s,]+/).filter(Boolean),
      usage: value(issue, 'is-usage'),
      key: keyOf(issue, 'is-key'),
    }).then(
      (r) => {
        out.className = 'result good';
        render(out, `Issued “${r.name}”. `, h('a', { href: `#/certificates/${enc(r.id)}` }, 'Open it'));
        reload();
      },
      (err) => showError(out, err),
    );
  });
  return card(
    'Lab CA (optional)',
    h('p', { class: 'notice', id: 'lab-ca-note' }, 'For private networks and tests only. Nothing outside your lab trusts this CA, and whoever holds its key can impersonate any host to the machines that trust it. For production links, prefer certificates from your company’s CA.'),
    create,
    issue,
    out,
  );
}

export function certificatesPage(): Page {
  let alive = true;
  return {
    title: 'Certificates',
    leave() {
      alive = false;
    },
    render(main) {
      const listBox = h('div', { id: 'cert-inventory' }, h('p', { class: 'muted' }, 'Loading…'));
      const toolsBox = h('div', { id: 'cert-tools' });
      let first = true;
      const load = () =>
        void call<{ certificates: Summary[]; sslDir: string; storeAvailable: boolean }>('GET', 'api/certificates').then(
          (r) => {
            if (!alive) return;
            render(listBox, inventory(r.certificates, r.sslDir, r.storeAvailable));
            if (first) {
              first = false;
              render(toolsBox, importCard(load), csrCard(load), verifyCard(r.certificates), probeCard(r.certificates), labCaCard(r.certificates, load));
            } else {
              // Keep what the person typed; refresh only the selects that list stored certificates.
              for (const [id, filter] of [
                ['ver-cert', (s: Summary) => s.certCount > 0],
                ['ver-ca', (s: Summary) => s.certCount > 0],
                ['pr-ca', (s: Summary) => s.certCount > 0],
                ['pr-client', (s: Summary) => s.hasKey && s.certCount > 0],
                ['is-ca', (s: Summary) => s.kind === 'lab-ca'],
              ] as const) {
                const old = toolsBox.querySelector<HTMLSelectElement>(`#${id}`);
                if (!old) continue;
                const fresh = storedSelect(id, r.certificates, old.options[0]?.textContent ?? '', filter);
                fresh.value = old.value;
                old.replaceWith(fresh);
              }
            }
          },
          (err: Error) => render(listBox, h('p', { class: 'result bad' }, err.message)),
        );
      render(main, h('h1', { class: 'page-title' }, 'Certificates'), listBox, sslConfigsCard(), toolsBox);
      load();
    },
  };
}

// ---- the detail page -------------------------------------------------------------------------------

export function certificateDetailPage(id: string): Page {
  return {
    title: 'Certificate',
    render(main) {
      render(main, h('nav', { class: 'crumbs' }, h('a', { href: '#/certificates' }, 'Certificates')), h('p', { class: 'muted' }, 'Loading…'));
      void call<Detail>('GET', `api/certificates/${enc(id)}`).then(
        (d) => {
          const out = resultBox('export-result');
          const exp = (fmt: string, label: string) => h('a', { class: 'btn small', href: `api/certificates/${enc(id)}/export?format=${fmt}`, download: '' }, label);
          const p12 = h(
            'form',
            { class: 'form inline', id: 'p12-form' },
            field('p12-pass', 'PKCS#12 password', secretInput('password')),
            d.keyEncrypted ? field('p12-keypass', 'Key passphrase', secretInput('keyPassphrase')) : null,
            h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn small' }, 'Export PKCS#12')),
          );
          p12.addEventListener('submit', (e) => {
            e.preventDefault();
            busy(out, 'Exporting…');
            download(`api/certificates/${enc(id)}/export`, { format: 'p12', password: value(p12, 'p12-pass'), ...(value(p12, 'p12-keypass') ? { keyPassphrase: value(p12, 'p12-keypass') } : {}) }, `${id}.p12`).then(
              () => {
                out.className = 'result good';
                render(out, 'Downloaded.');
              },
              (err) => showError(out, err),
            );
          });
          const del = h('button', {
            type: 'button',
            class: 'btn danger small',
            id: 'delete-btn',
            onclick: () => {
              if (!confirm(`Delete “${d.name}”${d.hasKey ? ' and its private key' : ''}? This cannot be undone.`)) return;
              void call('DELETE', `api/certificates/${enc(id)}`).then(
                () => (location.hash = '#/certificates'),
                (err) => showError(out, err),
              );
            },
          }, 'Delete');
          render(
            main,
            h('nav', { class: 'crumbs' }, h('a', { href: '#/certificates' }, 'Certificates')),
            h('h1', { class: 'page-title' }, d.name, ' ', statusBadge(d.status)),
            d.note ? h('p', { class: 'notice' }, d.note) : null,
            d.path ? h('p', { class: 'muted small' }, `${d.path} — Home Assistant’s certificate, shown read-only.`) : null,
            d.csrPem ? card('Waiting for the signed certificate', h('p', {}, 'Send this CSR to your CA, then import the certificate it returns on the Certificates page: it is matched to this key.'), h('pre', { class: 'code' }, h('code', {}, d.csrPem))) : null,
            d.certs.length ? card('Certificates', h('p', { class: 'muted small' }, d.hasKey ? `Private key: stored${d.keyEncrypted ? ', encrypted with a passphrase' : ''} (never shown).` : 'No private key stored.'), ...inspection(d.certs)) : null,
            d.chain ? card('Chain', chainView(d.chain)) : null,
            d.certs.length ? card('Checks', lintList(d.lint)) : null,
            d.certs.length
              ? card(
                  'Export',
                  h('div', { class: 'actions' }, exp('pem', 'PEM'), exp('der', 'DER (leaf)'), d.certs.some((c) => c.isCa) ? exp('bundle', 'CA bundle') : null),
                  d.hasKey ? p12 : null,
                  out,
                )
              : null,
            !d.readOnly && d.certs.length ? applyToIrisCard({ id: d.id, name: d.name, hasKey: d.hasKey, keyEncrypted: d.keyEncrypted, status: d.status }) : null,
            d.readOnly ? null : h('div', { class: 'actions' }, del),
          );
        },
        (err: Error) => render(main, h('nav', { class: 'crumbs' }, h('a', { href: '#/certificates' }, 'Certificates')), h('p', { class: 'result bad' }, err.message)),
      );
    },
  };
}
