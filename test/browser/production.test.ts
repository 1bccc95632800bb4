/**
 * The production page in Debian's Chromium, behind the ingress-style prefix: controls that follow
 * the state (one filled main command), the cooldown's live countdown and its confirmed override,
 * the SIMULATOR banner on every page, and the Event Log behind the error counts with links to the
 * Management Portal's Message Viewer. Each at 360 px and 1280 px, light and dark; screenshots go
 * to .artifacts/browser/.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, startHarness, type Harness } from './harness.ts';

const ART = join(process.cwd(), '.artifacts/browser');
const SIZES = { phone: { width: 360, height: 740 }, desktop: { width: 1280, height: 800 } } as const;
const MATRIX = (['phone', 'desktop'] as const).flatMap((size) => (['light', 'dark'] as const).map((scheme) => ({ size, scheme, name: `${size}-${scheme}` })));
const ORDERS_PAGE = '#/production/iris/ORDERS/Orders.Production';
const REPLAY_PAGE = '#/production/iris/ORDERS/Orders.Replay.Production';

let h: Harness;
let browser: Browser;
const consoleErrors: string[] = [];

async function open(hash: string, size: keyof typeof SIZES = 'desktop', colorScheme: 'light' | 'dark' = 'light'): Promise<{ ctx: BrowserContext; page: Page }> {
  const ctx = await browser.newContext({ viewport: SIZES[size], colorScheme });
  const page = await ctx.newPage();
  page.on('console', (m) => {
    // The failed resource's own URL, not the page's: a late 503 arrives after the next hash change.
    if (m.type() === 'error') consoleErrors.push(`${m.location().url || page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`${page.url()}: ${e.message}`));
  await page.goto(`${h.ingress}${hash}`);
  return { ctx, page };
}
const shot = (page: Page, name: string) => page.screenshot({ path: join(ART, `${name}.png`), fullPage: true });
const noHorizontalScroll = async (page: Page) => {
  const [sw, cw] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  assert.ok((sw as number) <= (cw as number), `page is ${sw}px wide in a ${cw}px viewport`);
};
/** [action, enabled, filled] of every control button, in order. */
const controls = (page: Page) =>
  page.locator('.actions[aria-label="Production commands"] button').evaluateAll((bs) =>
    bs.map((b) => [(b as HTMLButtonElement).dataset.action, !(b as HTMLButtonElement).disabled, b.classList.contains('filled')]),
  );

describe('the production page in Chromium', () => {
  before(async () => {
    mkdirSync(ART, { recursive: true });
    h = await startHarness({ mode: 'addon', proxy: true, cooldownMs: 30_000 });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await h?.close();
  });

  it('enables only the commands the state allows and fills the main one', async () => {
    for (const { size, scheme, name } of MATRIX) {
      const { ctx, page } = await open(ORDERS_PAGE, size, scheme);
      await page.locator('#prod-state', { hasText: 'Running' }).waitFor();
      assert.deepEqual(await controls(page), [
        ['start', false, false],
        ['stop', true, true],
        ['restart', true, false],
        ['update', false, false],
        ['recover', false, false],
      ]);
      if (size === 'phone') await noHorizontalScroll(page);
      await shot(page, `production-controls-${name}`);
      await page.goto(`${h.ingress}${REPLAY_PAGE}`);
      await page.locator('h1', { hasText: 'Orders.Replay.Production' }).waitFor();
      await page.locator('#prod-state', { hasText: 'Stopped' }).waitFor();
      assert.deepEqual(await controls(page), [
        ['start', true, true],
        ['stop', false, false],
        ['restart', false, false],
        ['update', false, false],
        ['recover', false, false],
      ]);
      await ctx.close();
    }
    // IRIS says the production needs an update: Update becomes the main command, live.
    const { ctx, page } = await open(ORDERS_PAGE);
    await page.locator('#prod-state', { hasText: 'Running' }).waitFor();
    h.sim.markNeedsUpdate('ORDERS', 'Orders.Production', 'Settings changed');
    void h.monitor.poll();
    await page.locator('button[data-action="update"].filled:not([disabled])').waitFor({ timeout: 5000 });
    // By its action, not its label: the label is the discovery's wording for it.
    await page.locator('button[data-action="update"]').click();
    await page.locator('#result', { hasText: /: done\. IRIS reports Running\./ }).waitFor();
    await page.locator('button[data-action="stop"].filled').waitFor();
    await ctx.close();
  });

  it('counts the cooldown down live, and a confirmed override stops the production within it', async () => {
    for (const { size, scheme, name } of MATRIX) {
      const { ctx, page } = await open(ORDERS_PAGE, size, scheme);
      await page.locator('#prod-state', { hasText: 'Running' }).waitFor();
      if (!(await page.locator('#cooldown').isVisible())) {
        await page.getByRole('button', { name: 'Restart' }).click();
        await page.getByRole('dialog').getByRole('button', { name: 'Restart' }).click();
        await page.locator('#result', { hasText: 'Restart: done' }).waitFor();
      }
      const left = page.locator('#cooldown-left');
      await left.waitFor();
      const first = (await left.textContent()) ?? '';
      assert.match(first, /^\d+ s$/);
      // Live: the number goes down without a feed message or a reload.
      await page.waitForFunction((t) => document.getElementById('cooldown-left')?.textContent !== t, first, { timeout: 5000 });
      assert.ok(Number.parseInt((await left.textContent()) ?? '', 10) < Number.parseInt(first, 10));
      if (size === 'phone') await noHorizontalScroll(page);
      await shot(page, `production-cooldown-${name}`);
      await ctx.close();
    }
    const { ctx, page } = await open(ORDERS_PAGE);
    await page.locator('#cooldown').waitFor();
    const calls = h.sim.controlCalls.length;
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.locator('#confirm-note', { hasText: /holds back another stop or restart for \d+ s more\. Confirming overrides it/ }).waitFor();
    await shot(page, 'production-override-dialog-desktop-light');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(h.sim.controlCalls.length, calls, 'cancel sends nothing');
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await dialog.getByRole('button', { name: 'Stop anyway' }).click();
    await page.locator('#result', { hasText: 'Stop: done. IRIS reports Stopped.' }).waitFor();
    assert.equal(h.logs.lines({ limit: 5000 }).filter((l) => /^Panel: stop ORDERS\/Orders\.Production requested by Anna, overriding the cooldown \(\d+ s left\)$/.test(l.msg)).length, 1);
    // A plain start has no cooldown to override; the dialog of a later stop still offers the override.
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await page.locator('#result', { hasText: 'Start: done' }).waitFor();
    await ctx.close();
  });

  it('shows the SIMULATOR banner on every page', async () => {
    const pages = ['#/', '#/connect', '#/logs', '#/certificates', '#/backups', '#/diagnostics', ORDERS_PAGE];
    for (const { size, scheme, name } of MATRIX) {
      const { ctx, page } = await open('#/', size, scheme);
      for (const hash of pages) {
        await page.goto(`${h.ingress}${hash}`);
        const banner = page.locator('#simulator-banner');
        await banner.waitFor();
        assert.match((await banner.textContent()) ?? '', /^SIMULATOR — No real IRIS is behind this panel/);
        assert.equal(await banner.getAttribute('role'), 'note');
      }
      if (size === 'phone') await noHorizontalScroll(page);
      await shot(page, `simulator-banner-${name}`);
      await ctx.close();
    }
  });

  it('lists the Event Log behind each error count, with each host linked to the Message Viewer', async () => {
    h.sim.failMessage('ORDERS', 'Orders.Production', 'HL7.Out.Lab', 2, 'ERROR #6059: Unable to open TCP/IP socket to server lab.example:2575');
    h.sim.logWarning('ORDERS', 'Orders.Production', 'Orders.DB', 'Slow reply from the database (12 s)');
    await h.monitor.poll();
    const viewer = 'http://127.0.0.1:52773/csp/orders/EnsPortal.MessageViewer.zen?$NAMESPACE=ORDERS&SOURCEORTARGET=HL7.Out.Lab';
    for (const { size, scheme, name } of MATRIX) {
      const { ctx, page } = await open(ORDERS_PAGE, size, scheme);
      const log = page.locator('#event-log');
      await log.locator('li.ev').first().waitFor();
      assert.equal(await log.locator('li.ev').count(), 3);
      const lab = log.locator('li.ev[data-host="HL7.Out.Lab"]').first();
      assert.match((await lab.textContent()) ?? '', /Error.*HL7\.Out\.Lab.*ERROR #6059: Unable to open TCP\/IP socket/);
      assert.equal(await lab.getByRole('link', { name: 'HL7.Out.Lab' }).getAttribute('href'), viewer);
      assert.match((await lab.locator('time').getAttribute('datetime')) ?? '', /Z$/);
      // Behind the count: that host alone.
      await page.getByRole('button', { name: /^2 errors: show the Event Log of HL7\.Out\.Lab$/ }).click();
      await log.getByRole('button', { name: /Showing HL7\.Out\.Lab only/ }).waitFor();
      assert.equal(await log.locator('li.ev').count(), 2);
      if (size === 'phone') await noHorizontalScroll(page);
      await shot(page, `production-event-log-${name}`);
      await log.getByRole('button', { name: /show all/ }).click();
      await log.locator('li.ev').nth(2).waitFor();
      await ctx.close();
    }
    // Read on Refresh, not by the live feed.
    const { ctx, page } = await open(ORDERS_PAGE);
    const log = page.locator('#event-log');
    await log.locator('li.ev').nth(2).waitFor();
    h.sim.logWarning('ORDERS', 'Orders.Production', 'Orders.Router', 'Rule matched nothing for message 42');
    await h.monitor.poll();
    assert.equal(await log.locator('li.ev').count(), 3);
    await log.getByRole('button', { name: 'Refresh' }).click();
    await log.locator('li.ev[data-host="Orders.Router"]', { hasText: 'Rule matched nothing' }).waitFor();
    await ctx.close();
  });

  it('wrote no console errors', () => {
    // This harness has no backup service: the Backups page's 503 (which it explains on the page) is expected.
    assert.deepEqual(consoleErrors.filter((e) => !/\/api\/backups[^:]*: Failed to load resource: .* 503 /.test(e)), []);
  });
});
