/**
 * The Diagnostics page in Chromium behind the ingress-style proxy, against the simulator: every
 * check of the self-check, a missing privilege shown with its fix after "Check again", the file to
 * attach to a bug report, at phone and desktop width. Screenshots: .artifacts/browser/diagnostics-*.png.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { startHarness, type Harness, launchChromium } from './harness.ts';

const ART = join(process.cwd(), '.artifacts/browser');
let h: Harness;
let browser: Browser;
const errors: string[] = [];

describe('Diagnostics page in Chromium', () => {
  before(async () => {
    mkdirSync(ART, { recursive: true });
    h = await startHarness({ mode: 'addon', proxy: true });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await h?.close();
  });

  it('lists every check as passed, fits a phone, and links the diagnostics file', async () => {
    for (const [name, viewport] of [['phone', { width: 360, height: 740 }], ['desktop', { width: 1280, height: 900 }]] as const) {
      const ctx = await browser.newContext({ viewport });
      const page = await ctx.newPage();
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${h.ingress}#/diagnostics`);
      await page.locator('#summary-iris').waitFor();
      assert.match(await page.locator('#summary-iris').innerText(), /All \d+ checks passed/);
      assert.ok((await page.locator('tr.check.ok').count()) > 5);
      assert.equal(await page.locator('nav a[aria-current="page"]').innerText(), 'Diagnostics');
      assert.equal(await page.locator('#download').getAttribute('href'), 'api/diagnostics/download');
      const [sw, cw] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
      assert.ok((sw as number) <= (cw as number), `page is ${sw}px wide in a ${cw}px viewport`);
      await page.screenshot({ path: join(ART, `diagnostics-${name}.png`), fullPage: true });
      await ctx.close();
    }
  });

  it('shows a privilege taken away after "Check again", with what to do about it', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${h.ingress}#/diagnostics`);
    await page.locator('#summary-iris').waitFor();
    h.sim.iris.security.revoke('IrisEdgeSecure', '%Admin_Secure');
    try {
      await page.locator('#run-again').click();
      const row = page.locator('tr[data-check="escalation"]');
      await row.locator('.badge.bad').waitFor();
      assert.match(await row.innerText(), /SSL\/TLS configurations cannot be listed or changed/);
      assert.match(await row.locator('.fix').innerText(), /Fix: Restart the add-on/);
      assert.match(await page.locator('#summary-iris').innerText(), /\d+ failed/);
      assert.equal(await page.locator('#diag-result').innerText(), 'Checked again.');
      await page.screenshot({ path: join(ART, 'diagnostics-failed.png'), fullPage: true });
    } finally {
      h.sim.iris.security.grant('IrisEdgeSecure', '%Admin_Secure', 'U');
      await ctx.close();
    }
  });

  it('showed no script errors', () => {
    assert.deepEqual(errors, []);
  });
});
