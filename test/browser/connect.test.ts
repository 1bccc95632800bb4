/**
 * The Connect page's account for people in Chromium, behind the ingress-style proxy, on the
 * simulator: the password appears only after a warning that it is full administrator access
 * (Cancel shows nothing and asks nothing), it can be hidden again, and a new password set from the
 * page is IRIS's to accept: a refusal shows IRIS's words and changes nothing. The snippets name
 * the account for people, never the bridge's service account. Screenshots: .artifacts/browser/account-*.png.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startHarness, type Harness, launchChromium } from './harness.ts';

const ART = join(process.cwd(), '.artifacts/browser');
let h: Harness;
let browser: Browser;
const errors: string[] = [];

async function open(viewport: { width: number; height: number }): Promise<{ page: Page; reveals: string[]; close(): Promise<void> }> {
  const ctx = await browser.newContext({ viewport });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  const reveals: string[] = [];
  page.on('request', (r) => {
    if (r.url().endsWith('api/connect/account/reveal')) reveals.push(r.url());
  });
  await page.goto(`${h.ingress}#/connect`);
  await page.locator('#account-user', { hasText: 'ha_admin' }).waitFor();
  return { page, reveals, close: () => ctx.close() };
}

describe('the account for people on the Connect page in Chromium', () => {
  before(async () => {
    mkdirSync(ART, { recursive: true });
    h = await startHarness({ mode: 'addon', proxy: true });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await h?.close();
    assert.deepEqual(errors, []);
  });

  it('names ha_admin in the snippets and iris_edge only as the service account', async () => {
    const { page, close } = await open({ width: 1280, height: 900 });
    await page.getByText('"username": "ha_admin"').waitFor();
    await page.getByText("user: 'ha_admin'").waitFor();
    assert.match(await page.locator('#service-account').innerText(), /iris_edge is the IRIS user IRIS Edge itself logs in with.*not an account for people/);
    assert.doesNotMatch(await page.locator('pre').allInnerTexts().then((t) => t.join('\n')), /iris_edge/);
    assert.match(await page.locator('#account-remote').innerText(), /Remote instances \(office\): not available there/);
    await close();
  });

  it('shows the password only after the warning; Cancel asks nothing; Hide hides it', async () => {
    const stored = await h.account!.readPassword();
    for (const [name, viewport] of [['phone', { width: 360, height: 740 }], ['desktop', { width: 1280, height: 900 }]] as const) {
      const { page, reveals, close } = await open(viewport);
      assert.ok(!(await page.content()).includes(stored), 'not in the page before it is asked for');
      await page.locator('#account-reveal').click();
      const dialog = page.getByRole('dialog');
      await dialog.waitFor();
      assert.match(await dialog.innerText(), /ha_admin is a full IRIS administrator \(role %All\)/);
      await page.locator('#confirm-cancel').click();
      await dialog.waitFor({ state: 'hidden' });
      assert.equal(await page.locator('#account-password').innerText(), '••••••••');
      assert.deepEqual(reveals, [], 'Cancel sends nothing');

      await page.locator('#account-reveal').click();
      await page.locator('#confirm-ok', { hasText: 'Show password' }).click();
      await page.locator('#account-password', { hasText: stored }).waitFor();
      assert.equal(reveals.length, 1);
      await page.locator('#account-copy').waitFor();
      const [sw, cw] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
      assert.ok((sw as number) <= (cw as number), `no sideways scrolling at ${name}`);
      await page.screenshot({ path: join(ART, `account-${name}.png`), fullPage: true });
      await page.locator('#account-hide').click();
      assert.equal(await page.locator('#account-password').innerText(), '••••••••');
      assert.ok(!(await page.content()).includes(stored), 'hidden again');
      await close();
    }
  });

  it("sets a new password: two different ones and IRIS's refusal change nothing; an accepted one is IRIS's and stored", async () => {
    const { page, close } = await open({ width: 1280, height: 900 });
    const before = readFileSync(h.accountFile!, 'utf8');
    const set = async (a: string, b: string) => {
      await page.locator('#account-new').fill(a);
      await page.locator('#account-repeat').fill(b);
      await page.locator('#account-set').click();
    };
    await set('Garden-Hose-42', 'Garden-Hose-24');
    await page.locator('#account-result', { hasText: 'The two passwords are not the same.' }).waitFor();
    await set('ab', 'ab');
    await page.locator('#account-result', { hasText: 'ERROR #845: Password does not match length or pattern requirements' }).waitFor();
    assert.match(await page.locator('#account-result').innerText(), /Nothing was changed\./);
    assert.equal(readFileSync(h.accountFile!, 'utf8'), before);

    await set('Garden-Hose-42', 'Garden-Hose-42');
    await page.locator('#account-result', { hasText: 'IRIS took the new password of ha_admin' }).waitFor();
    assert.equal(await page.locator('#account-new').inputValue(), '', 'the fields are emptied');
    assert.ok(h.sim.iris.security.passwordIs('ha_admin', 'Garden-Hose-42'));
    assert.equal(readFileSync(h.accountFile!, 'utf8'), 'Garden-Hose-42\n');
    await page.locator('#account-reveal').click();
    await page.locator('#confirm-ok').click();
    await page.locator('#account-password', { hasText: 'Garden-Hose-42' }).waitFor();
    assert.ok(!JSON.stringify(h.logs.lines({ minLevel: 'trace', limit: 5000 })).includes('Garden-Hose-42'), 'never logged');
    await close();
  });
});
