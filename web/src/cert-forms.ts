/** The certificate page's forms: import, CSR, verify, TLS probe, lab CA. */
import { call } from './api.ts';
import { h, render, resultBox, say } from './dom.ts';
import type { CertInfo } from '../../src/model/cert-info.ts';
import { KEY_HINT, subCard, busy, chainView, enc, field, fileMaterial, inspection, keyOf, keySelect, lintList, opt, secretInput, showError, statusBadge, text, type Chain, type Detail, type Lint, type Summary, value } from './cert-views.ts';

export function importCard(reload: () => void): HTMLElement {
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
  return subCard('Import or inspect', h('p', { class: 'muted small' }, 'A signed certificate for a key made here (CSR below) is matched to its key automatically.'), form, out, view);
}

export function csrCard(reload: () => void): HTMLElement {
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
  return subCard('Generate a key and a CSR', form, out);
}

export function storedSelect(id: string, list: Summary[], first: string, filter: (s: Summary) => boolean = () => true): HTMLSelectElement {
  return h('select', { id }, h('option', { value: '' }, first), list.filter(filter).map((s) => h('option', { value: s.id }, `${s.name}${s.subject ? ` — ${s.subject}` : ''}`)));
}

export function verifyCard(list: Summary[]): HTMLElement {
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
  return subCard('Verify a chain, a host name, a key', form, out);
}

export function probeCard(list: Summary[]): HTMLElement {
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
  return subCard('Test a TLS endpoint', form, out);
}

/** What the issue form's CA select says first: there is no CA to choose until one is created. */
export const caChoiceLabel = (list: Summary[]) => (list.some((s) => s.kind === 'lab-ca') ? 'Choose…' : 'Create one first');

/**
 * The lab CA section: the warning, creating a CA, issuing from one. `reload(choose)` refreshes the
 * page's inventory and selects the given entries, so a CA just created is the one offered.
 */
export function labCaCards(list: Summary[], reload: (choose?: Record<string, string>) => void): HTMLElement[] {
  const out = resultBox('ca-result');
  const issued = resultBox('issue-result');
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
        render(out, `Created “${r.name}”. It is chosen under “Issue a certificate” below.`);
        reload({ 'is-ca': r.id });
      },
      (err) => showError(out, err),
    );
  });
  const cas = list.filter((s) => s.kind === 'lab-ca');
  const issue = h(
    'form',
    { class: 'form', id: 'issue-form' },
    field('is-ca', 'Lab CA', storedSelect('is-ca', cas, caChoiceLabel(cas))),
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
    busy(issued, 'Issuing…');
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
        say(issued, 'good', `Issued “${r.name}”. `, h('a', { href: `#/certificates/${enc(r.id)}` }, 'Open it'));
        reload();
      },
      (err) => showError(issued, err),
    );
  });
  return [
    h('p', { class: 'notice', id: 'lab-ca-note' }, 'Optional, for private networks and tests only. Nothing outside your lab trusts this CA, and whoever holds its key can impersonate any host to the machines that trust it. For production links, prefer certificates from your company’s CA.'),
    subCard('Create a lab CA', create, out),
    subCard('Issue a certificate', issue, issued),
  ];
}
