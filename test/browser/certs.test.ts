/**
 * The Certificates page in Chromium behind the ingress-style proxy: import, inspect (fields
 * checked against openssl's reading), generate an EC key and CSR (checked by openssl), a lab CA
 * that issues a certificate, its PEM and PKCS#12 downloads (read by openssl), a live TLS probe of
 * a server using that PKCS#12, and a chain to verify (broken, then complete). Screenshots:
 * .artifacts/browser/certs-*.png.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { decodeInput, keyMatchesCert } from '../../src/certs/decode.ts';
import { csrVerifies, makePki, opensslFields, opensslPkcs12, ossl, type Pki } from '../unit/certs-helpers.ts';
import { startHarness, type Harness, launchChromium } from './harness.ts';

const ART = join(process.cwd(), '.artifacts/browser');
let h: Harness;
let browser: Browser;
let pki: Pki;
const consoleErrors: string[] = [];

async function newPage(viewport = { width: 1280, height: 900 }, colorScheme: 'light' | 'dark' = 'light'): Promise<{ ctx: BrowserContext; page: Page }> {
  const ctx = await browser.newContext({ viewport, colorScheme });
  const page = await ctx.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) consoleErrors.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`${page.url()}: ${e.message}`));
  return { ctx, page };
}
const shot = async (page: Page, name: string) => {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(ART, `certs-${name}.png`), fullPage: true });
};

describe('Certificates page in Chromium', () => {
  before(async () => {
    mkdirSync(ART, { recursive: true });
    pki = makePki();
    const root = mkdtempSync(join(tmpdir(), 'certs-browser-'));
    mkdirSync(join(root, 'ssl'));
    writeFileSync(join(root, 'ssl', 'fullchain.pem'), pki.read('leaf.pem') + pki.read('int.pem'));
    h = await startHarness({ mode: 'addon', proxy: true, certStoreDir: join(root, 'certs'), haSslDir: join(root, 'ssl') });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await h?.close();
  });

  it('imports a pasted PEM bundle, lists it with its status, and inspects every field as openssl reads it', async () => {
    const { ctx, page } = await newPage();
    await page.goto(`${h.ingress}#/certificates`);
    await page.locator('[data-name="fullchain.pem"]').waitFor();
    assert.match((await page.locator('[data-name="fullchain.pem"]').textContent()) ?? '', /read-only.*Untrusted chain/);
    await page.fill('#imp-name', 'IRIS server');
    await page.fill('#imp-pem', `# leaf\n${pki.read('leaf.pem')}\n# intermediate\n${pki.read('int.pem')}\n# root\n${pki.read('root.pem')}\n${pki.read('leaf-enc.key')}`);
    await page.fill('#imp-keypass', 'key-secret');
    await page.click('#import-btn');
    await page.locator('#import-result.good').waitFor();
    const row = page.locator('[data-name="IRIS server"]');
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /CN=iris\.lab\.example.*Valid.*Encrypted/);
    await shot(page, 'list');
    await row.locator('a').click();
    await page.locator('[data-field="serial"]').first().waitFor();
    const o = opensslFields(pki.path('leaf.pem'));
    const fieldText = async (f: string) => ((await page.locator(`[data-cert="0"] [data-field="${f}"] dd`).textContent()) ?? '').trim();
    assert.equal(await fieldText('serial'), o.serial.toUpperCase());
    assert.equal(await fieldText('sha256'), o.sha256);
    assert.equal(await fieldText('sha1'), o.sha1);
    assert.equal(await fieldText('sanDns'), 'iris.lab.example, *.svc.lab.example');
    assert.equal(await fieldText('sanIp'), '10.0.0.5, fd00::5');
    assert.equal(await fieldText('eku'), 'serverAuth, clientAuth');
    assert.equal(await fieldText('keyUsage'), 'digitalSignature, keyEncipherment (critical)');
    assert.equal(await fieldText('ski'), o.ski);
    assert.equal(await fieldText('publicKey'), 'RSA 2048 bits');
    assert.equal(await fieldText('signatureAlgorithm'), o.sigAlg);
    assert.equal(await fieldText('selfSigned'), 'No');
    assert.match(await fieldText('subject'), /CN = iris\.lab\.example/);
    assert.match(await fieldText('issuer'), /CN = Lab Intermediate CA/);
    assert.match((await page.locator('.chain').textContent()) ?? '', /Chain complete and trusted/);
    assert.doesNotMatch(await page.content(), /PRIVATE KEY/);
    await shot(page, 'inspect');
    // Phone width: the fields stack, nothing scrolls sideways.
    await page.setViewportSize({ width: 360, height: 740 });
    const [sw, cw] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
    assert.ok((sw as number) <= (cw as number), `page is ${sw}px wide in ${cw}px`);
    await shot(page, 'inspect-phone');
    await ctx.close();
  });

  it('inspects a PKCS#12 file without storing it, and shows a wrong password clearly', async () => {
    const { ctx, page } = await newPage();
    await page.goto(`${h.ingress}#/certificates`);
    await page.locator('#import-form').waitFor();
    await page.setInputFiles('#imp-file', pki.path('ec.p12'));
    await page.fill('#imp-password', 'wrong');
    await page.click('#inspect-btn');
    await page.locator('#import-result.bad', { hasText: 'password is wrong' }).waitFor();
    await page.fill('#imp-password', 'p12-secret');
    await page.click('#inspect-btn');
    await page.locator('#import-result.good', { hasText: 'the key matches certificate 1' }).waitFor();
    assert.equal(((await page.locator('#inspect-view [data-field="publicKey"] dd').first().textContent()) ?? '').trim(), 'EC 256 bits (prime256v1)');
    await page.locator('#inspect-view [data-code="mtls-eku"]').waitFor();
    await shot(page, 'inspect-p12');
    await ctx.close();
  });

  it('generates an EC key and a CSR that openssl verifies, with both EKUs', async () => {
    const { ctx, page } = await newPage();
    await page.goto(`${h.ingress}#/certificates`);
    await page.locator('#csr-form').waitFor();
    await page.fill('#csr-name', 'edge 2026');
    await page.fill('#csr-cn', 'edge.lab.example');
    await page.fill('#csr-o', 'Lab Org');
    await page.fill('#csr-c', 'US');
    await page.fill('#csr-san', 'edge.lab.example\n10.0.0.9');
    await page.fill('#csr-pass', 'csr-secret');
    await page.selectOption('#csr-key', { label: 'EC P-384' });
    await page.click('#csr-btn');
    const pem = ((await page.locator('#csr-pem').textContent({ timeout: 15000 })) ?? '').trim();
    assert.match(pem, /^-----BEGIN CERTIFICATE REQUEST-----/);
    assert.ok(csrVerifies(pem + '\n'));
    const text = ossl(['req', '-noout', '-text'], pem + '\n');
    assert.match(text, /TLS Web Server Authentication, TLS Web Client Authentication/);
    assert.match(text, /DNS:edge\.lab\.example, IP Address:10\.0\.0\.9/);
    assert.match(text, /ASN1 OID: secp384r1[\s\S]*Signature Algorithm: ecdsa-with-SHA384/);
    await page.locator('[data-name="edge 2026"]', { hasText: 'Awaiting certificate' }).waitFor();
    await shot(page, 'csr');
    await ctx.close();
  });

  it('creates an EC lab CA, issues a server certificate, exports it as PEM and PKCS#12, and probes a TLS server using that export', async () => {
    const { ctx, page } = await newPage();
    await page.goto(`${h.ingress}#/certificates`);
    await page.locator('#ca-form').waitFor();
    await page.fill('#ca-name', 'Browser Lab CA');
    await page.fill('#ca-cn', 'Browser Lab CA');
    await page.selectOption('#ca-key', { label: 'EC P-256' });
    await page.click('#ca-form button[type="submit"]');
    await page.locator('#ca-result.good', { hasText: 'Created “Browser Lab CA”' }).waitFor();
    // The issue form offers the new CA once the page has reloaded its inventory, already chosen.
    const caOption = page.locator('#is-ca option', { hasText: 'Browser Lab CA' });
    await caOption.waitFor({ state: 'attached' });
    const caId = (await caOption.getAttribute('value')) ?? '';
    assert.match(caId, /./);
    assert.equal(await page.inputValue('#is-ca'), caId);
    assert.equal(await page.locator('#is-ca option').first().textContent(), 'Choose…');
    await page.fill('#is-name', 'tls-probe');
    await page.fill('#is-cn', 'localhost');
    await page.fill('#is-san', 'localhost, 127.0.0.1');
    await page.selectOption('#is-usage', 'server');
    await page.selectOption('#is-key', { label: 'EC P-384' });
    await page.click('#issue-form button[type="submit"]');
    const issued = page.locator('#issue-result.good', { hasText: 'Issued “tls-probe”' });
    await issued.waitFor();
    await issued.locator('a').click();
    await page.locator('#p12-form').waitFor();
    const fieldText = async (f: string) => ((await page.locator(`[data-cert="0"] [data-field="${f}"] dd`).textContent()) ?? '').trim();
    assert.equal(await fieldText('publicKey'), 'EC 384 bits (secp384r1)');
    assert.equal(await fieldText('signatureAlgorithm'), 'ecdsa-with-SHA256');

    const [pemDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'PEM', exact: true }).click()]);
    const certs = decodeInput({ pem: readFileSync((await pemDownload.path())!, 'utf8') }).certs;
    assert.deepEqual(certs.map((c) => c.info.subject.text), ['CN=localhost', 'CN=Browser Lab CA']);
    const caPath = pki.write('browser-lab-ca.pem', certs[1]!.x509.toString());
    assert.match(ossl(['verify', '-CAfile', caPath, '-purpose', 'sslserver', pki.write('browser-tls.pem', certs[0]!.x509.toString())]), /: OK/);
    await page.fill('#p12-pass', 'p12-browser');
    const [p12Download] = await Promise.all([page.waitForEvent('download'), page.click('#p12-form button[type="submit"]')]);
    assert.match(p12Download.suggestedFilename(), /\.p12$/);
    const pfx = readFileSync((await p12Download.path())!);
    await page.locator('#export-result.good').waitFor();
    const p12 = opensslPkcs12(pfx, 'p12-browser');
    assert.deepEqual(p12.certs.map((c) => c.info.fingerprints.sha256), certs.map((c) => c.info.fingerprints.sha256));
    assert.ok(keyMatchesCert(p12.keys[0]!, certs[0]!));
    await shot(page, 'export');

    // A TLS server whose identity is exactly the downloaded PKCS#12, probed through the page.
    const server = tls.createServer({ pfx, passphrase: 'p12-browser' }, (s) => s.end());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      await page.goto(`${h.ingress}#/certificates`);
      await page.locator('#probe-form').waitFor();
      await page.fill('#pr-host', '127.0.0.1');
      await page.fill('#pr-port', String((server.address() as AddressInfo).port));
      await page.fill('#pr-sni', 'localhost');
      await page.click('#probe-btn');
      await page.locator('#probe-result li.bad-text', { hasText: 'The chain does not verify' }).waitFor();
      await page.selectOption('#pr-ca', caId);
      await page.click('#probe-btn');
      await page.locator('#probe-result li', { hasText: 'The chain verifies.' }).waitFor();
      const steps = (await page.locator('#probe-result .steps').textContent()) ?? '';
      assert.match(steps, /Handshake done in \d+ ms: TLSv1\.3/);
      assert.match(steps, /Host verification passes for localhost/);
      // The page reached this server: it shows the certificate the server was given.
      assert.equal(((await page.locator('#probe-result [data-cert="0"] [data-field="sha256"] dd').textContent()) ?? '').trim(), certs[0]!.info.fingerprints.sha256);
      assert.equal(((await page.locator('#probe-result [data-cert="0"] [data-field="publicKey"] dd').textContent()) ?? '').trim(), 'EC 384 bits (secp384r1)');
      await shot(page, 'probe');
    } finally {
      server.close();
    }
    await ctx.close();
  });

  for (const [width, height, scheme] of [[360, 740, 'light'], [1280, 800, 'dark']] as const) it(`is in four parts a person can find, by keyboard, at ${width} px (${scheme}): each jump lands on its heading below the sticky bars`, async () => {
    const { ctx, page } = await newPage({ width, height }, scheme);
    await page.goto(`${h.ingress}#/certificates`);
    await page.locator('#ca-form').waitFor();
    assert.deepEqual(await page.locator('main h2').allTextContents(), ['Inventory', 'Request or import', 'Verify', 'Lab CA']);
    assert.deepEqual(await page.locator('nav.subnav button').allTextContents(), ['Inventory', 'Request or import', 'Verify', 'Lab CA']);
    // Every form sits under the part that names it.
    for (const [part, form] of [['inventory', '#cert-inventory'], ['request', '#import-form'], ['request', '#csr-form'], ['verify', '#verify-form'], ['verify', '#probe-form'], ['lab-ca', '#ca-form'], ['lab-ca', '#issue-form']] as const) {
      assert.equal(await page.locator(`#sec-${part} ${form}`).count(), 1, `${form} is in ${part}`);
    }
    for (const [part, title, next] of [['lab-ca', 'Lab CA', 'ca-name'], ['verify', 'Verify', 'ver-cert'], ['request', 'Request or import', 'imp-name']] as const) {
      await page.locator(`nav.subnav [data-section="${part}"]`).focus();
      await page.keyboard.press('Enter');
      await page.waitForFunction((id) => document.activeElement?.id === id, `sec-${part}-title`);
      const [top, covered] = await page.evaluate(() => {
        const bars = [...document.querySelectorAll('.bar, .nav')].filter((e) => getComputedStyle(e).position === 'sticky').map((e) => e.getBoundingClientRect().bottom);
        return [document.activeElement!.getBoundingClientRect().top, Math.max(...bars)];
      });
      assert.ok(top! >= covered! && top! < height, `${title}: heading at ${top} px, the sticky bars end at ${covered} px`);
      // Tab goes on from the heading into that part.
      await page.keyboard.press('Tab');
      let id = await page.evaluate(() => document.activeElement?.id ?? '');
      for (let i = 0; i < 5 && id !== next; i++) {
        assert.ok(await page.evaluate((p) => !!document.activeElement?.closest(`#sec-${p}`), part), `Tab from “${title}” stays in its part`);
        await page.keyboard.press('Tab');
        id = await page.evaluate(() => document.activeElement?.id ?? '');
      }
      assert.equal(id, next);
    }
    const [sw, cw] = await page.evaluate(() => [document.scrollingElement!.scrollWidth, document.scrollingElement!.clientWidth]);
    assert.ok(sw! <= cw!, `page is ${sw}px wide in ${cw}px`);
    await shot(page, `sections-${width}`);
    await ctx.close();
  });

  it('deletes a certificate only after the panel\'s dialog says OK: Esc and Cancel keep it', async () => {
    const r = await fetch(`${h.ingress}api/certificates`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-iris-edge': '1' }, body: JSON.stringify({ name: 'to delete', pem: pki.read('root.pem') }) });
    assert.equal(r.status, 201);
    const id = ((await r.json()) as { id: string }).id;
    const exists = async () => (await fetch(`${h.ingress}api/certificates/${id}`, { headers: { 'x-iris-edge': '1' } })).status;
    const { ctx, page } = await newPage({ width: 360, height: 740 });
    const native: string[] = [];
    page.on('dialog', (d) => {
      native.push(d.message());
      void d.dismiss();
    });
    await page.goto(`${h.ingress}#/certificates/${id}`);
    const dialog = page.locator('dialog#confirm');
    await page.click('#delete-btn');
    await dialog.waitFor();
    assert.equal(await page.locator('#confirm-title').textContent(), 'Delete “to delete”?');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    await page.click('#delete-btn');
    await dialog.waitFor();
    await page.click('#confirm-cancel');
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(await exists(), 200);
    assert.match(page.url(), new RegExp(`#/certificates/${id}$`));
    await page.click('#delete-btn');
    await page.click('#confirm-ok');
    await page.waitForURL(/#\/certificates$/);
    await page.locator('[data-name="fullchain.pem"]').waitFor();
    assert.equal(await page.locator('[data-name="to delete"]').count(), 0);
    assert.equal(await exists(), 404);
    assert.deepEqual(native, []);
    await ctx.close();
  });

  it('verifies a chain: shows where it breaks, then a complete chain with the host check', async () => {
    const { ctx, page } = await newPage();
    await page.goto(`${h.ingress}#/certificates`);
    await page.locator('#verify-form').waitFor();
    await page.fill('#ver-pem', pki.read('leaf.pem'));
    await page.fill('#ver-capem', `# root only\n${pki.read('root.pem')}`);
    await page.fill('#ver-host', 'iris.lab.example');
    await page.click('#verify-btn');
    await page.locator('#verify-result [data-break]').waitFor();
    assert.match((await page.locator('#verify-result [data-break]').textContent()) ?? '', /Lab Intermediate CA.*not in the CA bundle/);
    await shot(page, 'verify-broken');
    await page.fill('#ver-capem', `# intermediate\n${pki.read('int.pem')}\n# root\n${pki.read('root.pem')}`);
    await page.fill('#ver-host', '10.0.0.7');
    await page.click('#verify-btn');
    await page.locator('#verify-result .chain[data-trusted="true"]').waitFor();
    assert.match((await page.locator('#verify-result [data-host]').textContent()) ?? '', /10\.0\.0\.7 is not in the certificate/);
    await page.fill('#ver-host', '10.0.0.5');
    await page.click('#verify-btn');
    await page.locator('#verify-result [data-host="true"]').waitFor();
    await shot(page, 'verify');
    await ctx.close();
    assert.deepEqual(consoleErrors, []);
  });
});
