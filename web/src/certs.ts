/**
 * The Certificates page, in four parts with a navigation between them: Inventory (every
 * certificate with its status, IRIS's SSL/TLS configurations), Request or import (file or paste,
 * key + CSR generation), Verify (chain/host/key, a live TLS test) and Lab CA. A certificate's own
 * page shows every field the users' TLS guide explains, exports, and Apply to IRIS. Relative URLs
 * only (ingress).
 */
import { call } from './api.ts';
import { card, h, render, resultBox } from './dom.ts';
import { confirmDialog, type Page } from './pages.ts';
import { applyToIrisCard, sslConfigsCard } from './ssl.ts';
import { caChoiceLabel, csrCard, importCard, labCaCards, probeCard, storedSelect, verifyCard } from './cert-forms.ts';
import { busy, chainView, download, enc, field, inspection, inventory, lintList, secretInput, showError, statusBadge, type Detail, type Summary, value } from './cert-views.ts';

// ---- the list page ---------------------------------------------------------------------------------

/** The page's four parts, in the order a person meets the work: what is here, get one, check one, a lab CA. */
const SECTIONS = [
  { id: 'inventory', title: 'Inventory', hint: 'Every certificate IRIS Edge stores or finds, and IRIS’s SSL/TLS configurations.' },
  { id: 'request', title: 'Request or import', hint: 'Bring a certificate in, or make a key and a request for your CA.' },
  { id: 'verify', title: 'Verify', hint: 'Check a chain, a host name, a key, or a live TLS endpoint.' },
  { id: 'lab-ca', title: 'Lab CA', hint: 'A small certificate authority of your own, for a private network.' },
] as const;
type SectionId = (typeof SECTIONS)[number]['id'];

/**
 * The in-page navigation. Buttons, not #anchors: the fragment is the router's. A button scrolls
 * to its section and moves the keyboard focus to the section's heading, so Tab continues there.
 */
function sectionNav(sections: Map<SectionId, HTMLElement>): HTMLElement {
  return h(
    'nav',
    { class: 'subnav', 'aria-label': 'Parts of this page' },
    SECTIONS.map((s) =>
      h(
        'button',
        {
          type: 'button',
          class: 'chip',
          'data-section': s.id,
          onclick: () => {
            // The heading's scroll-margin keeps it clear of the sticky bars.
            const heading = sections.get(s.id)?.querySelector<HTMLElement>('h2');
            heading?.scrollIntoView({ block: 'start' });
            heading?.focus({ preventScroll: true });
          },
        },
        s.title,
      ),
    ),
  );
}

/** Selects to keep in step with the inventory, which stored entries each offers, and its first line (default: as it was). */
const STORED_SELECTS: [string, (s: Summary) => boolean, ((list: Summary[]) => string)?][] = [
  ['ver-cert', (s) => s.certCount > 0],
  ['ver-ca', (s) => s.certCount > 0],
  ['pr-ca', (s) => s.certCount > 0],
  ['pr-client', (s) => s.hasKey && s.certCount > 0],
  ['is-ca', (s) => s.kind === 'lab-ca', caChoiceLabel],
];

export function certificatesPage(): Page {
  let alive = true;
  return {
    title: 'Certificates',
    leave() {
      alive = false;
    },
    render(main) {
      const listBox = h('div', { id: 'cert-inventory' }, h('p', { class: 'muted' }, 'Loading…'));
      const boxes = new Map<SectionId, HTMLElement>(SECTIONS.map((s) => [s.id, h('div', { class: 'section-body' })]));
      const sections = new Map<SectionId, HTMLElement>(
        SECTIONS.map((s) => [
          s.id,
          h(
            'section',
            { class: 'page-section', id: `sec-${s.id}`, 'aria-labelledby': `sec-${s.id}-title` },
            h('h2', { class: 'section-title', id: `sec-${s.id}-title`, tabindex: -1 }, s.title),
            h('p', { class: 'muted' }, s.hint),
            boxes.get(s.id),
          ),
        ]),
      );
      render(boxes.get('inventory') as HTMLElement, listBox, sslConfigsCard());
      let first = true;
      /** `choose`: select these entries (select id -> entry id), e.g. the lab CA just created. */
      const load = (choose: Record<string, string> = {}) =>
        void call<{ certificates: Summary[]; sslDir: string; storeAvailable: boolean }>('GET', 'api/certificates').then(
          (r) => {
            if (!alive) return;
            render(listBox, inventory(r.certificates, r.sslDir, r.storeAvailable));
            if (first) {
              first = false;
              render(boxes.get('request') as HTMLElement, importCard(load), csrCard(load));
              render(boxes.get('verify') as HTMLElement, verifyCard(r.certificates), probeCard(r.certificates));
              render(boxes.get('lab-ca') as HTMLElement, labCaCards(r.certificates, load));
              return;
            }
            // Keep what the person typed; refresh only the selects that list stored certificates.
            for (const [id, filter, firstLine] of STORED_SELECTS) {
              const old = main.querySelector<HTMLSelectElement>(`#${id}`);
              if (!old) continue;
              const fresh = storedSelect(id, r.certificates, firstLine ? firstLine(r.certificates) : (old.options[0]?.textContent ?? ''), filter);
              const wanted = choose[id];
              fresh.value = wanted !== undefined && [...fresh.options].some((o) => o.value === wanted) ? wanted : old.value;
              old.replaceWith(fresh);
            }
          },
          (err: Error) => render(listBox, h('p', { class: 'result bad' }, err.message)),
        );
      render(main, h('h1', { class: 'page-title' }, 'Certificates'), sectionNav(sections), [...sections.values()]);
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
