/**
 * The Apps page in Chromium behind the ingress-style proxy, against the simulator's IPM and the
 * stand-in registry: search, a package's details, install into a namespace with IPM's output
 * arriving live on the feed, update offered when the registry has a newer version, uninstall
 * asked in the panel's own dialog, a namespace deleted only once its name is typed, and a private
 * registry (a second stand-in that asks for a login) set in the page's registry form, and the
 * offline folder of package archives chosen there, searched and installed from.
 * Screenshots: .artifacts/browser/apps-*.png.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { PINNED_IPM } from '../../src/ipm/apps-service.ts';
import { COMMUNITY_REGISTRY } from '../../src/model/ipm-package.ts';
import { RegistryClient } from '../../src/ipm/registry-client.ts';
import { IrisSimulator } from '../../src/iris/simulator/index.ts';
import { readArchiveManifest } from '../../src/ipm/package-archive.ts';
import { buildArchive, startStandInRegistry, type StandInRegistry } from '../support/ipm-registry.ts';
import { startHarness, type Harness, launchChromium } from './harness.ts';

const ART = join(process.cwd(), '.artifacts/browser');
let h: Harness;
let browser: Browser;
let reg: StandInRegistry;
let priv: StandInRegistry;
let folder: string;
const errors: string[] = [];

describe('Apps page in Chromium', () => {
  before(async () => {
    mkdirSync(ART, { recursive: true });
    reg = await startStandInRegistry({
      zpm: { [PINNED_IPM]: {} },
      webterminal: { '4.9.2': { description: 'A web terminal for IRIS' }, '4.9.3': { description: 'A web terminal for IRIS' } },
      sslclient: { '1.0.4': { description: 'SSL client configuration' } },
      'demo-app': { '1.0.0': { description: 'Demo', dependencies: { sslclient: '^1.0.0' } } },
    });
    reg.archiveDelayMs = 600;
    priv = await startStandInRegistry({ 'house-app': { '2.0.0': { description: 'Only on the private registry' } } });
    priv.login = { username: 'edge', password: 'pr1vate-Secret' };
    const sim = new IrisSimulator({ transitionMs: 60, ipm: { sourceFor: (repo) => new RegistryClient({ url: repo.url, credentials: repo.credentials }), readArchive: (path) => readArchiveManifest(path) } });
    sim.iris.createNamespace('APPS', true);
    folder = mkdtempSync(join(tmpdir(), 'iris-edge-packages-'));
    writeFileSync(join(folder, 'offline-tool-3.1.0.tgz'), await buildArchive('offline-tool', '3.1.0', { description: 'Installed without a network', dependencies: { 'offline-lib': '^1.0.0' } }));
    writeFileSync(join(folder, 'offline-lib-1.2.0.tgz'), await buildArchive('offline-lib', '1.2.0', { description: 'What offline-tool needs' }));
    writeFileSync(join(folder, 'broken.tgz'), 'not an archive');
    h = await startHarness({ mode: 'addon', proxy: true, sim, appsRegistry: reg.url, appsOfflineFolder: folder });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await h?.close();
    await h?.sim.close();
    await reg?.close();
    await priv?.close();
    if (folder) rmSync(folder, { recursive: true, force: true });
    assert.deepEqual(errors, []);
  });

  it('search, details, install with live output, update offered, uninstall in the panel\'s dialog', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${h.ingress}#/apps`);
    await page.locator('[data-namespace="APPS"]').waitFor();
    assert.equal(await page.locator('nav a[aria-current="page"]').innerText(), 'Apps');

    await page.locator('#apps-q').fill('web');
    await page.locator('#apps-search').click();
    const row = page.locator('tr[data-package="webterminal"]');
    await row.waitFor();
    assert.equal(await page.locator('#apps-results tbody tr').count(), 1);
    await row.getByRole('button', { name: 'Details' }).click();
    await page.locator('#apps-description').waitFor();
    assert.equal(await page.locator('#apps-description').innerText(), 'A web terminal for IRIS');
    assert.equal(await page.locator('#apps-source').getAttribute('href'), 'https://github.com/example/webterminal');

    // The feed's lines, not a reload, fill the output: count what arrives before the job ends.
    const seen = await page.evaluate(() => {
      const w = window as unknown as { __lines: number[] };
      w.__lines = [];
      new MutationObserver(() => w.__lines.push(document.querySelector('#apps-output')?.textContent?.split('\n').length ?? 0)).observe(document.querySelector('#apps-job')!, { subtree: true, childList: true, characterData: true });
      return true;
    });
    assert.ok(seen);
    await page.locator('#apps-version').selectOption('4.9.2');
    await page.locator('#apps-namespace').selectOption('APPS');
    await page.locator('#apps-install').click();
    await page.locator('#apps-job-state', { hasText: ': done' }).waitFor({ timeout: 30_000 });
    const output = await page.locator('#apps-output').innerText();
    assert.match(output, /\[APPS\|webterminal\]\tActivate SUCCESS/);
    const updates = await page.evaluate(() => (window as unknown as { __lines: number[] }).__lines);
    assert.ok(new Set(updates).size > 2, `the output grew step by step (${updates.join(',')})`);
    assert.match(await page.locator('#apps-job-message').innerText(), /webterminal 4\.9\.2 is installed in APPS/);

    const app = page.locator('[data-namespace="APPS"] li[data-app="webterminal"]');
    await app.waitFor();
    assert.match(await app.innerText(), /webterminal 4\.9\.2/);
    assert.equal(await app.locator('[data-update="webterminal"]').innerText(), 'Update to 4.9.3');
    await page.screenshot({ path: join(ART, 'apps-installed.png'), fullPage: true });

    await app.locator('[data-uninstall="webterminal"]').click();
    const dialog = page.locator('dialog#confirm');
    await dialog.waitFor();
    assert.match(await page.locator('#confirm-title').innerText(), /Uninstall webterminal\?/);
    await page.locator('#confirm-ok').click();
    await page.locator('#apps-job-state', { hasText: 'uninstall webterminal (APPS): done' }).waitFor({ timeout: 30_000 });
    await page.locator('[data-namespace="APPS"] li[data-app="webterminal"]').waitFor({ state: 'detached' });
    assert.deepEqual(h.sim.iris.ipm.installed('APPS').map((m) => m.name), ['zpm']);
    await ctx.close();
  });

  it('creates a namespace, and deletes it only once its name is typed', async () => {
    const ctx = await browser.newContext({ viewport: { width: 360, height: 740 } });
    const page = await ctx.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${h.ingress}#/apps`);
    await page.locator('#ns-name').fill('scratch');
    await page.locator('#ns-create').click();
    const ns = page.locator('[data-namespace="SCRATCH"]');
    await ns.waitFor({ timeout: 30_000 });
    await ns.locator('[data-delete-ns="SCRATCH"]').click();
    await page.locator('#typed-dialog').waitFor();
    assert.equal(await page.locator('#typed-ok').isDisabled(), true);
    await page.locator('#typed-confirm').fill('scratch');
    assert.equal(await page.locator('#typed-ok').isDisabled(), true, 'the name must be typed exactly');
    await page.locator('#typed-confirm').fill('SCRATCH');
    await page.locator('#typed-ok').click();
    await ns.waitFor({ state: 'detached', timeout: 30_000 });
    assert.ok(!h.sim.iris.namespaces().some((n) => n.name === 'SCRATCH'));
    const [sw, cw] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
    assert.ok((sw as number) <= (cw as number), `page is ${sw}px wide in a ${cw}px viewport`);
    await page.screenshot({ path: join(ART, 'apps-phone.png'), fullPage: true });
    await ctx.close();
  });

  it('sets a private registry with a password never shown back, searches it, switches to the offline folder and installs from it, and goes back to the community registry', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${h.ingress}#/apps`);
    await page.locator('#apps-registry-url', { hasText: reg.url }).click();
    assert.match(await page.locator('#reg-folder-help').innerText(), new RegExp(`put IPM package archives \\(\\.tgz.*in ${folder}`));
    assert.equal(await page.locator('#reg-community').isVisible(), true, 'the harness uses a registry of its own');

    await page.locator('#reg-url').fill('ftp://example.com/');
    await page.locator('#reg-save').click();
    await page.locator('#reg-result.bad', { hasText: 'starts with https:// or http://' }).waitFor();

    // A wrong password: saved, and the search at once says the registry refused it.
    await page.locator('#reg-url').fill(priv.url);
    await page.locator('#reg-user').fill('edge');
    await page.locator('#reg-pass').fill('wrong');
    await page.locator('#reg-save').click();
    await page.locator('#apps-result.bad', { hasText: 'refused the user name and password' }).waitFor();

    await page.locator('#reg-pass').fill(priv.login!.password);
    await page.locator('#reg-save').click();
    await page.locator('#reg-result.good', { hasText: `${priv.url} as edge` }).waitFor();
    await page.locator('tr[data-package="house-app"]').waitFor();
    assert.equal(await page.locator('#apps-results tbody tr').count(), 1);
    assert.equal(await page.locator('#reg-pass').inputValue(), '', 'the password is not shown back');
    assert.match(await page.locator('#reg-pass-hint').innerText(), /A password is stored/);
    assert.equal(await page.locator('#apps-registry-url').innerText(), `Apps from ${priv.url} as edge`);

    // Saved again with the field empty: the stored password stays, and the registry still answers.
    await page.locator('#reg-save').click();
    await page.locator('#apps-result', { hasText: '1 package found' }).waitFor();
    const sent = priv.requests.at(-1)?.authorization;
    assert.equal(sent, `Basic ${Buffer.from(`edge:${priv.login!.password}`).toString('base64')}`);
    await page.reload();
    await page.locator('#apps-registry-url', { hasText: priv.url }).click();
    assert.ok(!(await page.content()).includes(priv.login!.password), 'the page never holds the password');
    const overview = await page.evaluate(async () => (await fetch('api/apps')).text());
    assert.ok(!overview.includes(priv.login!.password), 'GET api/apps never answers the password');
    assert.match(overview, /"hasPassword":true/);

    // The offline folder: its archives listed from their module.xml, the refused one named with why.
    await page.locator('#reg-offline').click();
    await page.locator('#reg-result.good', { hasText: `the offline folder ${folder}.` }).waitFor();
    await page.locator('#apps-result', { hasText: '2 packages found in the offline folder.' }).waitFor();
    assert.match(await page.locator('#apps-problems').innerText(), /broken\.tgz: refused: it is not a gzip-compressed archive/);
    assert.equal(await page.locator('#reg-offline').isVisible(), false);
    await page.locator('tr[data-package="offline-tool"]').getByRole('button', { name: 'Details' }).click();
    await page.locator('#apps-from', { hasText: 'From the offline folder' }).waitFor();
    assert.equal(await page.locator('#apps-deps').innerText(), 'offline-lib ^1.0.0');
    await page.locator('#apps-namespace').selectOption('APPS');
    await page.locator('#apps-install').click();
    await page.locator('#apps-job-state', { hasText: 'install offline-tool 3.1.0 (APPS): done' }).waitFor({ timeout: 30_000 });
    assert.match(await page.locator('#apps-output').innerText(), /\[APPS\|offline-lib\]\tActivate SUCCESS[^]*\[APPS\|offline-tool\]\tActivate SUCCESS/);
    await page.locator('[data-namespace="APPS"] li[data-app="offline-tool"]').waitFor();
    assert.deepEqual(h.sim.iris.ipm.installed('APPS').map((m) => `${m.name} ${m.version}`).filter((m) => m.startsWith('offline')), ['offline-lib 1.2.0', 'offline-tool 3.1.0']);
    await page.screenshot({ path: join(ART, 'apps-offline.png'), fullPage: true });

    await page.locator('#reg-community').click();
    await page.locator('#reg-result.good', { hasText: `${COMMUNITY_REGISTRY}.` }).waitFor();
    assert.equal(await page.locator('#reg-community').isVisible(), false);
    assert.equal(await page.locator('#reg-user').inputValue(), '');
    assert.equal(await page.locator('#apps-results tbody tr').count(), 0, 'what the private registry listed is gone');
    const now = await page.evaluate(async () => ((await (await fetch('api/apps')).json()) as { registry: unknown }).registry);
    assert.deepEqual(now, { source: 'registry', url: COMMUNITY_REGISTRY, username: '', hasPassword: false, folder });
    await page.screenshot({ path: join(ART, 'apps-registry.png'), fullPage: true });
    await ctx.close();
  });
});
