/**
 * The Sensors page in Chromium, behind the ingress-style proxy, on the simulator's sensors user:
 * a sensor is created after a Test that shows its value, type, time and what Home Assistant
 * would show; a field the rules refuse is named; it is edited and tested again, then deleted
 * through the panel's own dialog; the grants its namespace needs are shown; it is put on a
 * production's device, and one IRIS does not have is marked. At 360 px in dark
 * mode without sideways scrolling. Screenshots: .artifacts/browser/sensors-*.png.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, startHarness, type Harness } from './harness.ts';

const ART = join(process.cwd(), '.artifacts/browser');
const NS = 'ORDERS';
let h: Harness;
let browser: Browser;
const errors: string[] = [];

async function open(viewport: { width: number; height: number }, colorScheme: 'light' | 'dark' = 'light'): Promise<{ page: Page; close(): Promise<void> }> {
  const ctx = await browser.newContext({ viewport, colorScheme });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${h.ingress}#/sensors`);
  await page.locator('#sensor-form').waitFor();
  return { page, close: () => ctx.close() };
}

async function saved(): Promise<Array<{ key: string; name: string; definition: Record<string, unknown> }>> {
  return ((await (await fetch(`${h.ingress}api/sensors`)).json()) as { sensors: Array<{ key: string; name: string; definition: Record<string, unknown> }> }).sensors;
}

describe('the Sensors page in Chromium', () => {
  before(async () => {
    mkdirSync(ART, { recursive: true });
    h = await startHarness({ mode: 'addon', proxy: true });
    h.sim.iris.userData.define(NS, { tables: { 'Orders.Open': [{ Id: 'A-1' }, { Id: 'A-2' }, { Id: 'A-3' }] } });
    h.sim.iris.security.grantSelect('IrisEdgeSensors', 'Orders.Open');
    h.sim.iris.security.grant('IrisEdgeSensors', `%DB_${NS}`, 'R');
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await h?.close();
    assert.deepEqual(errors, []);
  });

  it('creates, tests, edits and deletes a sensor', async () => {
    const { page, close } = await open({ width: 1280, height: 900 });
    assert.match(await page.locator('#sensors-empty').innerText(), /No sensors yet/);
    await page.locator('#sensor-name').fill('Open orders');
    await page.locator('#sensor-source-kind').selectOption('sql');
    await page.locator('#sensor-source').fill('SELECT COUNT(*) FROM Orders.Open');
    await page.locator('#sensor-namespace').fill(NS);
    await page.locator('#sensor-state-class').selectOption('measurement');
    await page.locator('#sensor-display-precision').fill('1');
    // Test before saving: the value, its type, the time, and what Home Assistant shows.
    await page.locator('#sensor-test').click();
    await page.locator('#sensor-test-result').waitFor();
    const shown = await page.locator('#sensor-test-result').innerText();
    assert.match(shown, /Value\s+3/);
    assert.match(shown, /Type\s+number/);
    assert.match(shown, /Took\s+[\d.]+ ms/);
    assert.equal(await page.locator('#sensor-test-state').innerText(), '3.0');
    // A field the rules refuse is named, and nothing is saved.
    await page.locator('#sensor-unit').fill('C');
    await page.locator('#sensor-device-class').fill('temperature');
    await page.locator('#sensor-save').click();
    await page.locator('#sensor-result', { hasText: 'Not saved' }).waitFor();
    assert.match(await page.locator('#sensor-result').innerText(), /unit: "C" is not a unit of device class temperature/);
    assert.deepEqual(await saved(), []);
    await page.locator('#sensor-unit').fill('');
    await page.locator('#sensor-device-class').fill('');
    await page.locator('#sensor-save').click();
    await page.locator('tr[data-sensor="open_orders"]').waitFor();
    assert.deepEqual((await saved()).map((s) => s.key), ['open_orders']);
    // What the role needs for it: the database resource and the GRANT of the table the query names.
    assert.match(await page.locator(`[data-namespace="${NS}"]`).innerText(), /%DB_ORDERS/);
    assert.equal(await page.locator(`[data-namespace="${NS}"] .grant-sql`).innerText(), 'GRANT SELECT ON Orders.Open TO IrisEdgeSensors');
    await page.screenshot({ path: join(ART, 'sensors-desktop.png'), fullPage: true });

    // Edit: the form holds the saved definition; a failing source tests as unavailable with IRIS's reason.
    await page.locator('tr[data-sensor="open_orders"] [data-edit]').click();
    await page.locator('#sensor-save', { hasText: 'Save changes' }).waitFor();
    assert.equal(await page.locator('#sensor-source').inputValue(), 'SELECT COUNT(*) FROM Orders.Open');
    await page.locator('#sensor-source').fill('SELECT COUNT(*) FROM Orders.Secret');
    await page.locator('#sensor-test').click();
    await page.locator('#sensor-test-state', { hasText: 'unavailable' }).waitFor();
    assert.match(await page.locator('#sensor-test-state').innerText(), /IRIS answered/);
    await page.locator('#sensor-name').fill('Orders waiting');
    await page.locator('#sensor-source').fill('SELECT COUNT(*) FROM Orders.Open');
    await page.locator('#sensor-interval').fill('60');
    // On the production's device: the productions IRIS has are offered while typing.
    assert.deepEqual(await page.locator('#sensor-productions option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value).sort()), ['Lab.Results.Production', 'Orders.Production', 'Orders.Replay.Production']);
    await page.locator('#sensor-production').fill('Orders.Production');
    await page.locator('#sensor-save').click();
    await page.locator('tr[data-sensor="orders_waiting"]').waitFor();
    assert.deepEqual((await saved()).map((s) => [s.name, s.definition.interval, s.definition.production]), [['Orders waiting', 60, 'Orders.Production']]);
    assert.equal(await page.locator('tr[data-sensor="orders_waiting"] td[data-label="Device"]').innerText(), 'Orders.Production');

    // Delete, through the panel's own dialog: Cancel keeps it, Delete removes it.
    await page.locator('tr[data-sensor="orders_waiting"] [data-delete]').click();
    await page.locator('dialog#confirm').waitFor();
    await page.locator('#confirm-cancel').click();
    assert.equal((await saved()).length, 1);
    await page.locator('tr[data-sensor="orders_waiting"] [data-delete]').click();
    await page.locator('#confirm-ok', { hasText: 'Delete' }).click();
    await page.locator('#sensors-empty').waitFor();
    assert.deepEqual(await saved(), []);
    await close();
  });

  it('fits a 360 px phone in dark mode', async () => {
    const { page, close } = await open({ width: 360, height: 740 }, 'dark');
    await page.locator('#sensor-name').fill('Newest order');
    await page.locator('#sensor-source').fill('SELECT TOP 1 Id FROM Orders.Open');
    await page.locator('#sensor-namespace').fill(NS);
    await page.locator('#sensor-test').click();
    await page.locator('#sensor-test-state', { hasText: 'A-1' }).waitFor();
    // A production IRIS does not have (a typo): saved, and marked, since it is not shown until IRIS has it.
    await page.locator('#sensor-production').fill('Orders.Productoin');
    await page.locator('#sensor-save').click();
    await page.locator('tr[data-sensor="newest_order"]').waitFor();
    assert.match(await page.locator('tr[data-sensor="newest_order"] td[data-label="Device"]').innerText(), /Orders\.Productoin\s*not in IRIS/);
    const [sw, cw] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
    assert.ok((sw as number) <= (cw as number), `no sideways scrolling (${sw} > ${cw})`);
    await page.screenshot({ path: join(ART, 'sensors-phone-dark.png'), fullPage: true });
    await close();
  });
});
