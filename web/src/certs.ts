/**
 * The Certificates page: inventory with status, import (file or paste), inspection of every field
 * the users' TLS guide explains, key + CSR generation, chain/host/key verification, a live TLS
 * test, exports and the lab CA. Relative URLs only (ingress).
 */
import { call } from './api.ts';
import { card, h, render, resultBox } from './dom.ts';
import { confirmDialog, type Page } from './pages.ts';
import { applyToIrisCard, sslConfigsCard } from './ssl.ts';
import { csrCard, importCard, labCaCard, probeCard, storedSelect, verifyCard } from './cert-forms.ts';
import { busy, chainView, download, enc, field, inspection, inventory, lintList, secretInput, showError, statusBadge, type Detail, type Summary, value } from './cert-views.ts';

// ---- the list page ---------------------------------------------------------------------------------

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
            onclick: async () => {
              const what = d.hasKey ? 'The certificate and its private key are deleted from the add-on' : 'The certificate is deleted from the add-on';
              if (!(await confirmDialog(`Delete “${d.name}”?`, `${what}; IRIS configurations that use copies of them keep their files. This cannot be undone.`, 'Delete'))) return;
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
