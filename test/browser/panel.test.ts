/**
 * The panel in Debian's Chromium (playwright-core, never a downloaded browser), served behind a
 * path prefix the way Home Assistant ingress serves it (harness.ts). Screenshots of every page at
 * phone and desktop width go to .artifacts/browser/.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startHarness, type Harness, launchChromium } from './harness.ts';

const ART = join(process.cwd(), '.artifacts/browser');
const PHONE = { width: 360, height: 740 };
const DESKTOP = { width: 1280, height: 800 };

let h: Harness;
let browser: Browser;
const consoleErrors: string[] = [];

async function newPage(viewport = DESKTOP, colorScheme: 'light' | 'dark' = 'light'): Promise<{ ctx: BrowserContext; page: Page }> {
  const ctx = await browser.newContext({ viewport, colorScheme });
  const page = await ctx.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`${page.url()}: ${e.message}`));
  page.on('requestfailed', (r) => {
    if (!r.url().includes('/api/feed')) consoleErrors.push(`request failed ${r.url()}`);
  });
  return { ctx, page };
}
const url = (hash = '#/') => `${h.ingress}${hash}`;
const shot = (page: Page, name: string) => page.screenshot({ path: join(ART, `${name}.png`), fullPage: true });
const noHorizontalScroll = async (page: Page) => {
  const [sw, cw] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  assert.ok((sw as number) <= (cw as number), `page is ${sw}px wide in a ${cw}px viewport`);
};
const ordersRow = (page: Page) => page.locator('[data-production="ORDERS/Orders.Production"]');

describe('panel in Chromium behind an ingress prefix', () => {
  before(async () => {
    mkdirSync(ART, { recursive: true });
    const dir = mkdtempSync(join(tmpdir(), 'panel-browser-'));
    writeFileSync(join(dir, 'messages.log'), '11/22/26-03:00:00:000 (1234) 0 [Utility.Event] Startup of InterSystems IRIS\n11/22/26-03:00:01:000 (1234) 0 [Utility.Event] Enabling logons\n');
    h = await startHarness({ mode: 'addon', proxy: true, messagesLogPath: join(dir, 'messages.log') });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await h?.close();
  });

  it('loads the overview with IRIS health and every production, at phone and desktop width', async () => {
    for (const [name, viewport] of [['phone', PHONE], ['desktop', DESKTOP]] as const) {
      const { ctx, page } = await newPage(viewport);
      await page.goto(url());
      await ordersRow(page).waitFor();
      assert.equal(await page.locator('.prow').count(), 3);
      assert.match((await ordersRow(page).textContent()) ?? '', /Running.*4 hosts · queue \d+ · errors \d+/);
      await page.getByText('2026.1.0.213.0').waitFor();
      for (const label of ['CPU', 'Memory', 'Disk', 'Licence']) await page.locator('dt', { hasText: label }).first().waitFor();
      await page.locator('#live.on').waitFor();
      if (viewport === PHONE) await noHorizontalScroll(page);
      await shot(page, `overview-${name}`);
      await ctx.close();
    }
  });

  it('shows a simulator change live, without a reload', async () => {
    const { ctx, page } = await newPage();
    await page.goto(url());
    await ordersRow(page).getByText('Running').waitFor();
    h.sim.makeTroubled('LAB', 'Lab.Results.Production');
    void h.monitor.poll();
    await page.locator('[data-production="LAB/Lab.Results.Production"]').getByText('Troubled').waitFor({ timeout: 2000 });
    await ctx.close();
  });

  it('stops a production only after confirmation, and shows what IRIS reports', async () => {
    const { ctx, page } = await newPage();
    await page.goto(url());
    await ordersRow(page).click();
    await page.locator('h1', { hasText: 'Orders.Production' }).waitFor();
    assert.equal(await page.locator('table.hosts tbody tr').count(), 4);
    await page.locator('tr[data-host="HL7.In.File"]').waitFor();

    await page.getByRole('button', { name: 'Stop' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    assert.match((await dialog.textContent()) ?? '', /Stop Orders\.Production\?/);
    await shot(page, 'production-confirm-desktop');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(h.sim.controlCalls.length, 0, 'cancel sends nothing');

    // Keyboard: focus Restart, Enter opens the dialog, Escape cancels.
    await page.getByRole('button', { name: 'Restart' }).focus();
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(h.sim.controlCalls.length, 0);

    await page.getByRole('button', { name: 'Stop' }).click();
    await dialog.getByRole('button', { name: 'Stop' }).click();
    await page.locator('#result', { hasText: 'Stop: done. IRIS reports Stopped.' }).waitFor();
    await page.locator('#prod-state', { hasText: 'Stopped' }).waitFor();
    assert.equal(h.sim.stateOf('ORDERS', 'Orders.Production'), 'stopped');
    assert.deepEqual(h.sim.controlCalls.map((c) => c.action), ['stop']);

    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await page.locator('#result', { hasText: 'Start: done. IRIS reports Running.' }).waitFor();
    await ctx.close();
  });

  it('enables and disables a host with a labelled switch', async () => {
    const { ctx, page } = await newPage();
    await page.goto(url('#/production/iris/ORDERS/Orders.Production'));
    const sw = page.getByRole('switch', { name: 'HL7.Out.Lab enabled' });
    await sw.waitFor();
    assert.equal(await sw.isChecked(), true);
    await sw.uncheck();
    await page.locator('#result', { hasText: 'HL7.Out.Lab: IRIS reports disabled' }).waitFor();
    await page.locator('tr[data-host="HL7.Out.Lab"] .badge', { hasText: 'Disabled' }).waitFor();
    await page.getByRole('switch', { name: 'HL7.Out.Lab enabled' }).check();
    await page.locator('#result', { hasText: 'HL7.Out.Lab: IRIS reports enabled' }).waitFor();
    await ctx.close();
  });

  it('takes the production page at phone and desktop width', async () => {
    for (const [name, viewport] of [['phone', PHONE], ['desktop', DESKTOP]] as const) {
      const { ctx, page } = await newPage(viewport);
      await page.goto(url('#/production/iris/ORDERS/Orders.Production'));
      await page.locator('tr[data-host="Orders.DB"]').waitFor();
      if (viewport === PHONE) await noHorizontalScroll(page);
      await shot(page, `production-${name}`);
      await ctx.close();
    }
  });

  it('shows connection details for the account for people', async () => {
    for (const [name, viewport] of [['phone', PHONE], ['desktop', DESKTOP]] as const) {
      const { ctx, page } = await newPage(viewport);
      await page.goto(url('#/connect'));
      await page.locator('#account-user', { hasText: 'ha_admin' }).waitFor();
      assert.ok(!((await page.content()).includes(h.password)), "the bridge's password is never in the page");
      await page.getByText('1972', { exact: true }).waitFor();
      const portal = page.getByRole('link', { name: /UtilHome\.csp/ });
      assert.equal(await portal.getAttribute('href'), 'http://127.0.0.1:52773/csp/sys/UtilHome.csp');
      await page.getByText('"objectscript.conn"').waitFor();
      await page.getByText('createConnection').waitFor();
      if (viewport === PHONE) await noHorizontalScroll(page);
      await shot(page, `connect-${name}`);
      await ctx.close();
    }
  });

  it('lists the bridge log with a level filter, live, and the messages.log tail', async () => {
    for (const [name, viewport] of [['phone', PHONE], ['desktop', DESKTOP]] as const) {
      const { ctx, page } = await newPage(viewport);
      await page.goto(url('#/logs'));
      await page.locator('#loglines li', { hasText: 'Panel: stop ORDERS/Orders.Production requested by Anna' }).waitFor();
      await page.locator('#messages', { hasText: 'Enabling logons' }).waitFor();
      h.logs.add({ time: new Date().toISOString(), level: 'warn', msg: `live warning ${name}` });
      await page.locator('#loglines li', { hasText: `live warning ${name}` }).waitFor();
      if (viewport === PHONE) await noHorizontalScroll(page);
      await shot(page, `logs-${name}`);
      await page.getByLabel('Lowest level').selectOption('warn');
      await page.locator('#loglines li', { hasText: 'requested by Anna' }).first().waitFor({ state: 'detached' });
      assert.ok((await page.locator('#loglines li', { hasText: `live warning ${name}` }).count()) === 1);
      await ctx.close();
    }
  });

  it('follows the colour scheme, and the toggle overrides it and is remembered', async () => {
    const bg = (page: Page) => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    // The system's scheme change reaches the page as a media-query event, a moment later.
    const bgBecomes = async (page: Page, want: string) => {
      await page.waitForFunction((w) => getComputedStyle(document.body).backgroundColor === w, want, { timeout: 2000 }).catch(() => undefined);
      assert.equal(await bg(page), want);
    };
    const { ctx, page } = await newPage(DESKTOP, 'dark');
    await page.goto(url());
    await ordersRow(page).waitFor();
    assert.equal(await bg(page), 'rgb(17, 17, 17)');
    await shot(page, 'overview-dark-desktop');
    await page.emulateMedia({ colorScheme: 'light' });
    await bgBecomes(page, 'rgb(250, 250, 250)');
    await page.emulateMedia({ colorScheme: 'dark' });
    const toggle = page.getByRole('button', { name: /^Theme: automatic/ });
    await toggle.click(); // auto -> light
    assert.equal(await bg(page), 'rgb(250, 250, 250)');
    await page.reload();
    await ordersRow(page).waitFor();
    assert.equal(await bg(page), 'rgb(250, 250, 250)', 'light kept after reload although the system is dark');
    await page.getByRole('button', { name: /^Theme: light/ }).click(); // light -> dark
    await page.emulateMedia({ colorScheme: 'light' });
    // A change of the system must not override the choice. The page hears of it in its next
    // rendering step (media-query events come before animation frames): two frames later it has.
    assert.equal(await page.evaluate(() => matchMedia('(prefers-color-scheme: light)').matches), true);
    await page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));
    assert.equal(await bg(page), 'rgb(17, 17, 17)');
    await ctx.close();
    const phone = await newPage(PHONE, 'dark');
    await phone.page.goto(url('#/production/iris/ORDERS/Orders.Production'));
    await phone.page.locator('tr[data-host="Orders.DB"]').waitFor();
    await shot(phone.page, 'production-dark-phone');
    await phone.ctx.close();
  });

  it('reconnects the live feed after the connection drops and shows fresh data', async () => {
    const { ctx, page } = await newPage();
    await page.goto(url());
    await page.locator('#live.on').waitFor();
    // Drop every websocket (as a restarting Supervisor would); the page reconnects on its own.
    h.dropWebsockets();
    await page.locator('#live', { hasText: 'Reconnecting' }).waitFor();
    h.sim.failMessage('ORDERS', 'Orders.Production', 'HL7.Out.Lab', 3);
    await h.monitor.poll();
    await page.locator('#live.on', { hasText: 'Live' }).waitFor({ timeout: 5000 });
    await ordersRow(page).getByText(/errors [1-9]/).waitFor();
    await ctx.close();
  });

  it('fetches a page only when it is opened, and says so when its script cannot be fetched', async () => {
    // Its own context: the failed fetch below is the point, not a console error of the panel.
    const ctx = await browser.newContext({ viewport: DESKTOP });
    const page = await ctx.newPage();
    const fetched: string[] = [];
    page.on('request', (r) => fetched.push(new URL(r.url()).pathname.split('/').pop() ?? ''));
    await ctx.route(/\/assets\/diagnostics-\w+\.js$/, (r) => r.abort());
    await page.goto(url());
    await ordersRow(page).waitFor();
    assert.ok(!fetched.some((f) => /^(certs|backups|diagnostics|connect|logs)-/.test(f)), `the Overview fetched ${fetched.join(', ')}`);
    await page.getByRole('link', { name: 'Diagnostics' }).click();
    await page.getByRole('heading', { name: 'This page could not be loaded' }).waitFor();
    await page.getByText(/Reload the panel to try again/).waitFor();
    // The rest of the panel goes on: back to the Overview, and on to a page whose script loads.
    await page.getByRole('link', { name: 'Overview' }).click();
    await ordersRow(page).waitFor();
    await page.getByRole('link', { name: 'Logs' }).click();
    await page.getByRole('heading', { name: 'Logs', level: 1 }).waitFor();
    assert.ok(fetched.some((f) => /^logs-\w+\.js$/.test(f)), 'the Logs page script was fetched when opened');
    await ctx.close();
  });

  it('wrote no console errors', () => {
    assert.deepEqual(consoleErrors, []);
  });
});
