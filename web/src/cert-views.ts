/** The certificate pages' pieces: the API's answers, every field of a certificate, chain and lint, the inventory, form helpers. */
import { ApiFailure } from './api.ts';
import { h, say, type Child } from './dom.ts';
import type { CertInfo, DnPart } from '../../src/model/cert-info.ts';
import { EC_CURVES, keySpecLabel, RSA_SIZES, type KeySpec } from '../../src/model/cert-key-spec.ts';

// ---- types (the API's answers) -----------------------------------------------------------------

export interface Lint { level: 'error' | 'warning' | 'info'; code: string; message: string }
interface ChainStep { subject: string; issuer: string; sha256: string; notAfter: string; isCa: boolean; selfSigned: boolean; source: string; problem?: string }
export interface Chain { steps: ChainStep[]; complete: boolean; trusted: boolean; breaksAt: string | null }
export interface Summary { id: string; name: string; source: 'store' | 'ha-ssl' | 'iris-ssl'; kind: string; status: string; subject: string | null; notAfter: string | null; daysLeft: number | null; hasKey: boolean; keyEncrypted: boolean; certCount: number; error?: string }
export interface Detail { id: string; name: string; source: string; kind: string; readOnly: boolean; status: string; hasKey: boolean; keyEncrypted: boolean; csrPem: string | null; certs: CertInfo[]; chain: Chain | null; lint: Lint[]; note?: string; path?: string; warnings?: string[]; matchedToKey?: boolean }

// ---- calls ---------------------------------------------------------------------------------------


/** A file from a POST (PKCS#12, key): fetched, then saved through a temporary link. */
export async function download(path: string, body: unknown, fallbackName: string): Promise<void> {
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

export const enc = encodeURIComponent;

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
export const statusBadge = (s: string) => h('span', { class: `badge ${STATUS[s]?.[1] ?? 'neutral'}`, 'data-status': s }, STATUS[s]?.[0] ?? s);
const date = (iso: string) => new Date(iso).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');

export function field(id: string, label: string, input: HTMLElement, hint?: string): HTMLElement {
  input.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, hint ? h('span', { class: 'muted small' }, hint) : null);
}
export const text = (name: string, attrs: Record<string, string> = {}) => h('input', { type: 'text', name, autocomplete: 'off', spellcheck: 'false', ...attrs });
export const secretInput = (name: string) => h('input', { type: 'password', name, autocomplete: 'new-password' });
export const value = (form: HTMLElement, id: string): string => (form.querySelector<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>(`#${id}`)?.value ?? '').trim();
export const opt = (s: string) => (s === '' ? undefined : s);

const KEY_SPECS: KeySpec[] = [...RSA_SIZES.map((bits): KeySpec => ({ type: 'rsa', bits })), ...EC_CURVES.map((curve): KeySpec => ({ type: 'ec', curve }))];
export const keySelect = (preselected: KeySpec) =>
  h('select', {}, KEY_SPECS.map((k) => h('option', { value: keySpecLabel(k), selected: keySpecLabel(k) === keySpecLabel(preselected) ? true : null }, keySpecLabel(k))));
export const keyOf = (form: HTMLElement, id: string): KeySpec => KEY_SPECS.find((k) => keySpecLabel(k) === value(form, id))!;
export const KEY_HINT = 'EC keys are smaller and faster; choose RSA for a peer that takes only RSA.';

/** A card inside one of the Certificates page's sections: its title is a level below the section's. */
export const subCard = (title: string, ...children: Child[]): HTMLElement => h('section', { class: 'card' }, h('h3', { class: 'card-title' }, title), ...children);

export const showError = (box: HTMLElement, err: unknown) => say(box, 'bad', (err as Error).message);
export const busy = (box: HTMLElement, msg: string) => say(box, 'busy', msg);

export function lintList(lint: Lint[]): HTMLElement | null {
  if (!lint.length) return h('p', { class: 'result good', 'data-lint': 'none' }, 'No problems found.');
  return h(
    'ul',
    { class: 'lint' },
    lint.map((l) => h('li', { class: `lint-${l.level}`, 'data-code': l.code }, h('span', { class: `badge ${l.level === 'error' ? 'bad' : l.level === 'warning' ? 'warn' : 'neutral'}` }, l.level), ' ', l.message)),
  );
}

/** Every field of one certificate, named the way the users' TLS guide explains them. */
function certFields(c: CertInfo): HTMLElement {
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

export function chainView(chain: Chain): HTMLElement {
  return h(
    'div',
    { class: 'chain', 'data-trusted': String(chain.trusted) },
    h('ol', {}, chain.steps.map((s) => h('li', { class: s.problem ? 'bad-text' : '' }, h('strong', {}, s.subject), h('span', { class: 'muted small' }, ` — ${s.selfSigned ? 'self-signed root' : s.isCa ? 'CA' : 'leaf'}${SOURCE[s.source] ?? ''}${s.problem ? `: ${s.problem}` : ''}`)))),
    chain.trusted ? h('p', { class: 'result good' }, '✓ Chain complete and trusted.') : h('p', { class: 'result bad', 'data-break': '1' }, `✗ ${chain.breaksAt ?? 'The chain is not trusted.'}`),
  );
}

export function inspection(certs: CertInfo[]): HTMLElement[] {
  return certs.map((c, i) =>
    h('details', { class: 'cert', open: i === 0 ? true : null, 'data-cert': String(i) }, h('summary', {}, h('strong', {}, c.subject.text || '(no subject)'), h('span', { class: 'muted small' }, ` ${c.isCa ? 'CA' : 'leaf'} · until ${c.notAfter.slice(0, 10)}`)), certFields(c)),
  );
}

/** Reads a chosen file into the right API field by its content. */
export async function fileMaterial(file: File): Promise<Record<string, string>> {
  if (file.size > 1024 * 1024) throw new Error('The file is larger than 1 MiB.');
  const buf = new Uint8Array(await file.arrayBuffer());
  const head = new TextDecoder('latin1').decode(buf.subarray(0, 4096));
  if (head.includes('-----BEGIN ')) return { pem: new TextDecoder().decode(buf) };
  let bin = '';
  for (let i = 0; i < buf.length; i += 0x8000) bin += String.fromCharCode(...buf.subarray(i, i + 0x8000));
  const b64 = btoa(bin);
  return /\.(p12|pfx)$/i.test(file.name) ? { pkcs12Base64: b64 } : { derBase64: b64 };
}

// ---- the inventory ---------------------------------------------------------------------------------

export function inventory(list: Summary[], sslDir: string, storeAvailable: boolean): HTMLElement {
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
  return subCard(
    'Certificates',
    storeAvailable ? null : h('p', { class: 'notice' }, 'No certificate store is configured: imports are not possible.'),
    list.length
      ? h('div', { class: 'table-wrap' }, h('table', { class: 'hosts certs' }, h('thead', {}, h('tr', {}, ['Name', 'Subject', 'Status', 'Expires', 'Private key'].map((t) => h('th', { scope: 'col' }, t)))), h('tbody', {}, rows)))
      : h('p', { class: 'muted' }, `No certificates yet (stored here or in ${sslDir}).`),
  );
}
