/**
 * "Apply to IRIS" in Chromium behind the ingress-style proxy, against the simulator: a stored
 * certificate with its key becomes an IRIS server configuration (files written, key 0600), the
 * list shows IRIS's configurations with the hosts that use them, and "Restart these hosts" and
 * applying an expired certificate ask first, in the panel's own dialog (never the browser's).
 * Screenshots: .artifacts/browser/ssl-*.png.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { expiredCertPem, makePki, type Pki } from '../unit/certs-helpers.ts';
import { startHarness, type Harness, launchChromium } from './harness.ts';

const ART = join(process.cwd(), '.artifacts/browser');
let h: Harness;
let browser: Browser;
let pki: Pki;
let sslDir: string;
const errors: string[] = [];

async function importCert(name: string, pem: string): Promise<string> {
  const r = await fetch(`${h.ingress}api/certificates`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-iris-edge': '1' }, body: JSON.stringify({ name, pem }) });
  assert.equal(r.status, 201);
  return ((await r.json()) as { id: string }).id;
}

/** A page whose script errors are collected and whose browser pop-ups (none expected) are recorded and dismissed. */
async function pageWatchingDialogs(viewport: { width: number; height: number }) {
  const ctx = await browser.newContext({ viewport });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  const native: string[] = [];
  page.on('dialog', (d) => {
    native.push(d.message());
    void d.dismiss();
  });
  return { ctx, page, native };
}

describe('Apply to IRIS in Chromium', () => {
  before(async () => {
    mkdirSync(ART, { recursive: true });
    pki = makePki();
    const root = mkdtempSync(join(tmpdir(), 'ssl-browser-'));
    sslDir = join(root, 'iris-ssl');
    h = await startHarness({ mode: 'addon', proxy: true, certStoreDir: join(root, 'certs'), irisSslDir: sslDir });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await h?.close();
  });

  it('applies a stored certificate as a server configuration and shows what IRIS reports', async () => {
    const leafId = await importCert('IRIS server', pki.read('leaf.pem') + pki.read('int.pem') + pki.read('leaf.key'));
    await importCert('Lab root', pki.read('root.pem'));
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${h.ingress}#/certificates/${leafId}`);
    await page.locator('#ssl-name').waitFor();
    await page.fill('#ssl-name', 'IrisEdgeWeb');
    await page.selectOption('#ssl-type', 'server');
    await page.locator('#ssl-ca label', { hasText: 'Lab root' }).locator('input').check();
    await page.selectOption('#ssl-verify', '3');
    await page.click('#ssl-apply-btn');
    await page.locator('#ssl-apply-result.good').waitFor();
    const text = (await page.locator('#ssl-apply-result').textContent()) ?? '';
    assert.match(text, /IrisEdgeWeb/);
    assert.match(text, /server/);
    assert.equal(statSync(join(sslDir, 'IrisEdgeWeb', 'key.pem')).mode & 0o777, 0o600);
    const cfg = (await h.sim.sslConfigs()).find((c) => c.name === 'IrisEdgeWeb');
    assert.equal(cfg?.verifyPeer, 3);
    assert.match(cfg?.caFile ?? '', /ca\.pem$/);
    await page.screenshot({ path: join(ART, 'ssl-apply.png'), fullPage: true });
    await ctx.close();
  });

  it('lists IRIS configurations with "used by" and restarts the hosts only after the panel\'s own dialog says OK (Esc and Cancel send nothing)', async () => {
    const { ctx, page, native } = await pageWatchingDialogs({ width: 1280, height: 900 });
    const restarts: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith('/api/ssl-configs/restart-hosts')) restarts.push(r.postData() ?? '');
    });
    await page.goto(`${h.ingress}#/certificates`);
    const row = page.locator('[data-ssl="LabTLS"]');
    await row.waitFor();
    assert.match((await row.locator('[data-used-by]').textContent()) ?? '', /HL7\.Out\.Lab/);
    const dialog = page.locator('dialog#confirm');
    await row.locator('[data-restart]').click();
    await dialog.waitFor();
    assert.match((await page.locator('#confirm-title').textContent()) ?? '', /^Restart the business host that uses “LabTLS”\?$/);
    assert.match((await page.locator('#confirm-text').textContent()) ?? '', /HL7\.Out\.Lab \(ORDERS\/Orders\.Production\)/);
    // The safe choice has the focus: Enter does not restart anything by accident.
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'confirm-cancel');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    await row.locator('[data-restart]').click();
    await dialog.waitFor();
    await page.click('#confirm-cancel');
    await dialog.waitFor({ state: 'hidden' });
    assert.equal((await page.locator('#ssl-restart-result').textContent()) ?? '', '');
    await row.locator('[data-restart]').click();
    await page.click('#confirm-ok');
    await page.locator('#ssl-restart-result.good').waitFor();
    assert.match((await page.locator('#ssl-restart-result').textContent()) ?? '', /HL7\.Out\.Lab: restarted/);
    // Had Esc or Cancel sent anything, its request would have left before this one.
    assert.deepEqual(restarts, [JSON.stringify({ name: 'LabTLS' })]);
    assert.deepEqual(native, []);
    await page.screenshot({ path: join(ART, 'ssl-list.png'), fullPage: true });
    await ctx.close();
  });

  it('applies an expired certificate only after the panel\'s dialog says OK; Cancel leaves IRIS untouched', async () => {
    const oldId = await importCert('Old one', expiredCertPem({ withKey: true, hash: 'sha256' }));
    const { ctx, page, native } = await pageWatchingDialogs({ width: 360, height: 740 });
    await page.goto(`${h.ingress}#/certificates/${oldId}`);
    await page.locator('#ssl-name').waitFor();
    await page.fill('#ssl-name', 'OldOne');
    await page.selectOption('#ssl-type', 'server');
    await page.check('#ssl-allow-expired');
    const dialog = page.locator('dialog#confirm');
    await page.click('#ssl-apply-btn');
    await dialog.waitFor();
    assert.match((await page.locator('#confirm-text').textContent()) ?? '', /expired or not yet valid/);
    await page.click('#confirm-cancel');
    await dialog.waitFor({ state: 'hidden' });
    assert.equal((await page.locator('#ssl-apply-result').textContent()) ?? '', '');
    await page.click('#ssl-apply-btn');
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    assert.equal((await h.sim.sslConfigs()).find((c) => c.name === 'OldOne'), undefined, 'nothing reached IRIS');
    await page.click('#ssl-apply-btn');
    await page.click('#confirm-ok');
    await page.locator('#ssl-apply-result.warn, #ssl-apply-result.good').waitFor();
    assert.match((await page.locator('#ssl-apply-result').textContent()) ?? '', /IRIS reports “OldOne”: server/);
    assert.equal((await h.sim.sslConfigs()).find((c) => c.name === 'OldOne')?.type, 'server');
    assert.deepEqual(native, []);
    await ctx.close();
    assert.deepEqual(errors, []);
  });
});
