/**
 * The Backups page in Chromium, on the whole bridge (startBridge: the simulator with real
 * database files that keep changing, its backup service, MQTT to a real mosquitto) behind the
 * ingress-style proxy. Everything is done through the page; what it shows is checked against
 * what the API and the files on disk say. Screenshots: .artifacts/browser/backups-*.png.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execFileSync } from 'node:child_process';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { startBridge, type RunningBridge } from '../../src/app.ts';
import type { JobStatus } from '../../src/model/backup.ts';
import type { RestorePlan } from '../../src/model/backup.ts';
import type { Config } from '../../src/config/config.ts';
import { LogBuffer } from '../../src/panel/log-buffer.ts';
import { startPanel, type RunningPanel } from '../../src/panel/server.ts';
import { CertService } from '../../src/certs/service.ts';
import { CertStore } from '../../src/certs/store.ts';
import { captureLogger, testConfig } from '../support/fixtures.ts';
import { writeLargeArchive } from '../support/backups.ts';
import { SUPERVISOR_MAX_BODY } from '../support/ingress-proxy.ts';
import { formatBytes } from '../../src/model/bytes.ts';
import { Mosquitto } from '../support/mosquitto.ts';
import { launchChromium, startHarness, startIngressFor, SUPERVISOR_STANDIN } from './harness.ts';

const ART = join(process.cwd(), '.artifacts/browser');
/** Above the Supervisor's 16 MiB, so an upload from the page over 16 MiB is tested to be accepted. */
const UPLOAD_LIMIT = 40_000_000;

let broker: Mosquitto;
let bridge: RunningBridge;
let panel: RunningPanel;
let ingress: { url: string; close(): Promise<void> };
let browser: Browser;
let config: Config;
let manualId: string;
const consoleErrors: string[] = [];

async function newPage(viewport = { width: 1280, height: 900 }, colorScheme: 'light' | 'dark' = 'light'): Promise<{ ctx: BrowserContext; page: Page }> {
  const ctx = await browser.newContext({ viewport, colorScheme, acceptDownloads: true });
  const page = await ctx.newPage();
  // Refusals (400, 409, 413, 503) are answers the page shows; Chromium logs each as a console error.
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of (4\d\d|503)/.test(m.text())) consoleErrors.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`${page.url()}: ${e.message}`));
  return { ctx, page };
}
const shot = async (page: Page, name: string) => {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(ART, `backups-${name}.png`), fullPage: true });
};
const noHorizontalScroll = async (page: Page) => {
  const [sw, cw] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  assert.ok((sw as number) <= (cw as number), `page is ${sw}px wide in a ${cw}px viewport`);
};

/** The API as the page reaches it (through the proxy), for the expected values. */
async function api<T>(method: string, path: string, body?: Buffer | object): Promise<{ status: number; data: T }> {
  const raw = Buffer.isBuffer(body);
  const res = await fetch(new URL(path, ingress.url), {
    method,
    headers: { 'x-iris-edge': '1', 'content-type': raw ? 'application/octet-stream' : 'application/json' },
    ...(body ? { body: raw ? new Uint8Array(body) : JSON.stringify(body) } : {}),
  });
  return { status: res.status, data: (await res.json()) as T };
}
const lastJob = async () => (await api<{ job: JobStatus }>('GET', 'api/backups/job')).data.job;
const row = (page: Page, id: string) => page.locator(`tr[data-backup="${id}"]`);
const jobCard = (page: Page, kind: string, state: string) => page.locator(`#backup-job[data-kind="${kind}"][data-state="${state}"]`);

/** The steps the page lists, as "text: state", with the detail the server gave. */
async function shownSteps(card: Locator): Promise<string[]> {
  return card.locator('.job-steps li').evaluateAll((lis) => lis.map((li) => `${li.children[1]?.textContent ?? ''}: ${(li as HTMLElement).dataset.state}`));
}
const serverSteps = (job: JobStatus) => job.steps.map((s) => `${s.text}${s.detail ? ` — ${s.detail}` : ''}: ${s.state}`);

describe('Backups page in Chromium, on the whole bridge', () => {
  before(async () => {
    mkdirSync(ART, { recursive: true });
    broker = await Mosquitto.start();
    const root = mkdtempSync(join(tmpdir(), 'backups-browser-'));
    mkdirSync(join(root, 'state'));
    // The schedule starts off: a test that happens to run at the default time must not race it.
    writeFileSync(join(root, 'state', 'backup-settings.json'), JSON.stringify({ enabled: false, cron: '30 3 * * *', retention: 7, homeAssistantBackup: false }));
    config = testConfig({
      mqtt: { source: 'default', url: broker.url },
      stateDir: join(root, 'state'),
      certDir: join(root, 'certs'),
      iris: { mode: 'simulator', scenario: 'demo', dataDir: join(root, 'iris'), writeIntervalMs: 5 },
      backups: { dir: join(root, 'backups'), uploadLimitBytes: UPLOAD_LIMIT },
    });
    const { log } = captureLogger();
    bridge = await startBridge(config, log);
    assert.ok(bridge.backups, 'the simulated local instance has backups');
    // As startPanelFor wires it, but as the add-on: only the (stand-in) Supervisor connects.
    panel = await startPanel({
      monitors: bridge.instances.map((i) => ({ id: i.id, monitor: i.monitor, instanceName: i.instanceName })),
      mode: 'addon',
      host: '127.0.0.1',
      port: 0,
      connect: { superserverPort: null, webPort: null, portalPath: '/csp/sys/UtilHome.csp', serviceAccount: 'iris_edge' },
      logs: new LogBuffer(100),
      certs: new CertService({ store: new CertStore(config.certDir) }),
      backups: bridge.backups,
      log,
      trustedPeers: [SUPERVISOR_STANDIN],
    });
    ingress = await startIngressFor(panel.url);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await ingress?.close();
    await panel?.close();
    await bridge?.stop();
    await broker?.close();
  });

  it('Back up now: the steps come live and the new backup is listed, verified', async () => {
    const { ctx, page } = await newPage();
    await page.goto(`${ingress.url}#/backups`);
    await page.locator('#no-backups').waitFor();
    assert.deepEqual(await page.locator('main h2').allTextContents(), ['Status', 'Backups', 'Upload a backup', 'Schedule and retention']);
    assert.match((await page.locator('#backup-status').textContent()) ?? '', /None yet.*None: the schedule is off.*0 \(0 B\)/);
    assert.equal(((await page.locator('#upload-limit').textContent()) ?? '').trim(), `Largest upload accepted: ${formatBytes(UPLOAD_LIMIT)}.`);
    await page.click('#backup-now');
    const done = jobCard(page, 'backup', 'ok');
    await done.waitFor();
    const job = await lastJob();
    assert.equal(job.state, 'ok');
    manualId = job.backupId!;
    assert.deepEqual(await shownSteps(done), serverSteps(job));
    assert.ok(job.steps.every((s) => s.state === 'done'));
    assert.match((await done.textContent()) ?? '', /IRIS was frozen for \d+ ms/);
    const r = row(page, manualId);
    await r.locator('[data-verify="verified"]', { hasText: 'Verified' }).waitFor();
    const record = (await api<{ backup: { databases: string[] } }>('GET', `api/backups/${manualId}`)).data.backup;
    assert.ok(record.databases.includes('ORDERS'));
    assert.equal(await r.locator('td.dbs').textContent(), record.databases.join(', '));
    assert.match((await r.locator('[data-label="Kind"]').textContent()) ?? '', /^Manual$/);
    await page.locator('#last-result', { hasText: 'OK' }).waitFor();
    // The list and the header follow the feed: no reload, the button is enabled again.
    assert.equal(await page.locator('#backup-now').isEnabled(), true);
    await page.locator('#backup-status', { hasText: /Backups kept1 \(\d/ }).waitFor();
    await shot(page, 'after-backup');
    await ctx.close();
  });

  it('schedule: a bad cron shows the server’s reason, a good one the next run it computes', async () => {
    const { ctx, page } = await newPage();
    await page.goto(`${ingress.url}#/backups`);
    await page.locator('#schedule-form').waitFor();
    await page.check('#sched-enabled');
    await page.fill('#sched-cron', 'every night');
    await page.click('#sched-save');
    await page.locator('#schedule-result.bad').waitFor();
    const refusal = await api<{ message: string }>('PUT', 'api/backups/schedule', { enabled: true, cron: 'every night', retention: 7, homeAssistantBackup: false });
    assert.equal(refusal.status, 400);
    assert.match(refusal.data.message, /five fields/);
    assert.equal(((await page.locator('#schedule-result').textContent()) ?? '').trim(), refusal.data.message);

    await page.fill('#sched-cron', '15 4 * * *');
    await page.fill('#sched-retention', '5');
    await page.click('#sched-save');
    await page.locator('#schedule-result.good').waitFor();
    const saved = (await api<{ settings: { cron: string; retention: number; enabled: boolean }; nextRun: string }>('GET', 'api/backups/schedule')).data;
    assert.deepEqual([saved.settings.enabled, saved.settings.cron, saved.settings.retention], [true, '15 4 * * *', 5]);
    const shown = await page.locator('#schedule-next time').getAttribute('datetime');
    assert.equal(shown, saved.nextRun);
    // The bridge reads cron in its own time zone, which is this process's.
    const next = new Date(saved.nextRun);
    assert.deepEqual([next.getHours(), next.getMinutes()], [4, 15]);
    await page.locator(`#backup-status time[datetime="${saved.nextRun}"]`).waitFor();
    await shot(page, 'schedule');

    await page.uncheck('#sched-enabled');
    await page.click('#sched-save');
    await page.locator('#schedule-next', { hasText: 'Scheduled backups are off' }).waitFor();
    await page.locator('#backup-status', { hasText: 'None: the schedule is off' }).waitFor();
    assert.equal((await api<{ nextRun: string | null }>('GET', 'api/backups/schedule')).data.nextRun, null);
    await ctx.close();
  });

  it('verify: a flipped byte shows as damaged with the reason, the intact archive as verified', async () => {
    const { ctx, page } = await newPage();
    await page.goto(`${ingress.url}#/backups`);
    const r = row(page, manualId);
    await r.waitFor();
    const path = join(config.backups.dir, `${manualId}.tar.zst`);
    const good = readFileSync(path);
    const flipped = Buffer.from(good);
    const at = Math.floor(flipped.length / 2);
    flipped[at] = flipped[at]! ^ 0x10;
    writeFileSync(path, flipped);
    try {
      await r.locator('[data-action="verify"]').click();
      const failed = jobCard(page, 'verify', 'failed');
      await failed.waitFor();
      const job = await lastJob();
      assert.equal(job.state, 'failed');
      assert.equal(((await failed.locator('#job-error').textContent()) ?? '').trim(), `Why it failed: ${job.error}`);
      assert.deepEqual(await shownSteps(failed), serverSteps(job));
      await r.locator('[data-verify="damaged"]', { hasText: 'Damaged' }).waitFor();
      await shot(page, 'damaged');
    } finally {
      writeFileSync(path, good);
    }
    await r.locator('[data-action="verify"]').click();
    await jobCard(page, 'verify', 'ok').waitFor();
    await r.locator('[data-verify="verified"]').waitFor();
    await ctx.close();
  });

  it('restore: the dialog says what is replaced and how; Cancel does nothing; confirmed, every step is done', async () => {
    const { ctx, page } = await newPage();
    await page.goto(`${ingress.url}#/backups`);
    const r = row(page, manualId);
    await r.waitFor();
    const plan = (await api<{ plan: RestorePlan }>('GET', `api/backups/${manualId}/restore`)).data.plan;
    assert.ok(plan.replace.length > 0);

    await r.locator('[data-action="restore"]').click();
    const dialog = page.locator('#restore-dialog');
    await dialog.waitFor();
    const replaced = await dialog.locator('tr[data-replace]').evaluateAll((trs) => trs.map((tr) => [(tr as HTMLElement).dataset.replace, tr.children[1]?.textContent]));
    assert.deepEqual(replaced, plan.replace.map((d) => [d.name, d.directory]));
    const text = (await dialog.textContent()) ?? '';
    assert.match(text, /Meanwhile a safety backup is made of the databases that were set aside/);
    assert.match(text, /IRIS is stopped/);
    assert.match(text, /Productions set to start automatically start again/);
    assert.equal(((await page.locator('#restore-confirm').textContent()) ?? '').trim(), `Restore ${plan.replace.length} databases`);
    // Cancel has the focus: Enter on a tired keyboard does not restore.
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'restore-cancel');
    await shot(page, 'restore-dialog');
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    assert.equal((await lastJob()).kind, 'verify', 'Cancel started nothing');

    await r.locator('[data-action="restore"]').click();
    await page.click('#restore-confirm');
    const done = jobCard(page, 'restore', 'ok');
    await done.waitFor({ timeout: 60_000 });
    const job = await lastJob();
    assert.equal(job.kind, 'restore');
    assert.deepEqual(await shownSteps(done), serverSteps(job));
    const states = await done.locator('.job-steps li').evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset.state));
    assert.ok(states.length >= 6 && states.every((s) => s === 'done'), states.join(', '));
    for (const step of ['Stop IRIS', 'Replace the database files', 'Start IRIS', 'Safety backup of the replaced databases, from the files set aside', 'Productions after the start']) {
      await done.locator('.job-steps li', { hasText: step }).waitFor();
    }
    const safetyId = job.steps.find((s) => s.text.startsWith('Safety backup'))?.detail ?? '';
    await row(page, safetyId).locator('[data-verify="verified"]').waitFor();
    assert.equal(await row(page, safetyId).getAttribute('data-kind'), 'safety');
    await shot(page, 'restored');
    await ctx.close();
  });

  it('download gives the zstd archive; a non-archive upload shows the refusal; the archive uploaded back is listed, verified', async () => {
    const { ctx, page } = await newPage();
    await page.goto(`${ingress.url}#/backups`);
    const r = row(page, manualId);
    await r.waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), r.locator('[data-action="download"]').click()]);
    assert.equal(download.suggestedFilename(), `${manualId}.tar.zst`);
    const archive = readFileSync((await download.path())!);
    assert.deepEqual([...archive.subarray(0, 4)], [0x28, 0xb5, 0x2f, 0xfd]);
    assert.match(execFileSync('zstd', ['-dc'], { input: archive, maxBuffer: 1 << 28 }).subarray(0, 100).toString('latin1'), /^manifest\.json/);
    assert.deepEqual(archive, readFileSync(join(config.backups.dir, `${manualId}.tar.zst`)));

    const root = mkdtempSync(join(tmpdir(), 'backups-upload-'));
    const notes = join(root, 'notes.txt');
    writeFileSync(notes, 'Not a backup, just notes.\n'.repeat(50));
    const refusal = await api<{ message: string }>('POST', 'api/backups/upload', readFileSync(notes));
    assert.equal(refusal.status, 400);
    assert.match(refusal.data.message, /not a zstd .* compressed tar|not an IRIS Edge backup/);
    await page.setInputFiles('#upload-file', notes);
    await page.click('#upload-btn');
    await page.locator('#upload-result.bad').waitFor();
    assert.equal(((await page.locator('#upload-result').textContent()) ?? '').trim(), `Not accepted: ${refusal.data.message}`);

    // Deleted through the confirmation, then uploaded back from the downloaded file.
    await r.locator('[data-action="delete"]').click();
    await page.locator('#confirm[open]').waitFor();
    assert.match((await page.locator('#confirm-text').textContent()) ?? '', /cannot be undone/);
    await page.click('#confirm-ok');
    await r.waitFor({ state: 'detached' });
    assert.equal((await api('GET', `api/backups/${manualId}`)).status, 404);
    await page.setInputFiles('#upload-file', { name: `${manualId}.tar.zst`, mimeType: 'application/zstd', buffer: archive });
    await page.click('#upload-btn');
    await page.locator('#upload-result.good', { hasText: `Accepted: ${manualId}` }).waitFor();
    await r.locator('[data-uploaded]').waitFor();
    await r.locator('[data-verify="verified"]').waitFor();
    await shot(page, 'uploaded');
    await ctx.close();
  });

  it('through ingress the page uploads an archive over the Supervisor’s 16 MiB; a file over the limit it refuses without sending', async () => {
    const { ctx, page } = await newPage();
    const sent: string[] = [];
    page.on('request', (r) => r.url().includes('api/backups/upload') && sent.push(r.url()));
    await page.goto(`${ingress.url}#/backups`);
    await page.locator('#upload-form').waitFor();
    const root = mkdtempSync(join(tmpdir(), 'backups-large-upload-'));
    const big = join(root, 'large.tar.gz');
    const { id, bytes } = await writeLargeArchive(big, 20 * 1024 * 1024, new Date('2026-10-01T08:00:00Z'));
    assert.ok(bytes > SUPERVISOR_MAX_BODY);
    await page.setInputFiles('#upload-file', big);
    await page.click('#upload-btn');
    // Whatever the answer, it is shown: a refusal fails here with its words, not after a timeout.
    await page.locator('#upload-result.good, #upload-result.bad').waitFor({ timeout: 60_000 });
    assert.match(((await page.locator('#upload-result').textContent()) ?? '').trim(), new RegExp(`^Accepted: ${id} `));
    await row(page, id).locator('[data-uploaded]').waitFor();
    assert.equal(sent.length, 1);

    // One byte over: the page says so, and nothing is sent.
    const over = join(root, 'over.tar.gz');
    writeFileSync(over, '');
    truncateSync(over, UPLOAD_LIMIT + 1);
    await page.setInputFiles('#upload-file', over);
    await page.click('#upload-btn');
    await page.locator('#upload-result.bad').waitFor();
    assert.equal(
      ((await page.locator('#upload-result').textContent()) ?? '').trim(),
      `Not sent: over.tar.gz is ${formatBytes(UPLOAD_LIMIT + 1)}, larger than ${formatBytes(UPLOAD_LIMIT)}, the largest upload accepted.`,
    );
    assert.equal(sent.length, 1, 'the page sent the file over the limit');
    await ctx.close();
  });

  it('fits a 360 px phone in dark mode, the restore dialog too', async () => {
    const { ctx, page } = await newPage({ width: 360, height: 740 }, 'dark');
    await page.goto(`${ingress.url}#/backups`);
    await row(page, manualId).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
    await noHorizontalScroll(page);
    await shot(page, 'phone-dark');
    await row(page, manualId).locator('[data-action="restore"]').click();
    const dialog = page.locator('#restore-dialog');
    await dialog.waitFor();
    const box = await dialog.boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 360, `the dialog spans ${box?.x}..${(box?.x ?? 0) + (box?.width ?? 0)} px`);
    const [dsw, dcw] = await dialog.evaluate((d) => [d.scrollWidth, d.clientWidth]);
    assert.ok((dsw as number) <= (dcw as number), `the dialog's content is ${dsw}px wide in ${dcw}px`);
    await page.screenshot({ path: join(ART, 'backups-phone-dark-dialog.png') });
    await page.click('#restore-cancel');
    await ctx.close();
    assert.deepEqual(consoleErrors, []);
  });
});

describe('Backups page where the bridge has no backups', () => {
  it('says why instead of the page', async () => {
    const h = await startHarness({ mode: 'addon', proxy: true });
    const b = await launchChromium();
    try {
      const res = await fetch(new URL('api/backups', h.ingress));
      assert.equal(res.status, 503);
      const { message } = (await res.json()) as { message: string };
      const page = await b.newPage();
      await page.goto(`${h.ingress}#/backups`);
      await page.locator('#unavailable-reason').waitFor();
      assert.equal(await page.locator('#unavailable-reason').textContent(), message);
      assert.equal(await page.locator('main button, main input').count(), 0);
    } finally {
      await b.close();
      await h.close();
    }
  });
});
