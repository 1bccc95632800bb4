/**
 * The AI assistants page in Chromium, behind the ingress-style proxy, with a real MCP server on
 * the simulator: the URL's token appears only after a warning, New token replaces it (the old one
 * is refused at once), and the last calls show a tool call and a refusal, at 360 px in dark mode
 * without sideways scrolling. Screenshots: .artifacts/browser/mcp-*.png.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import pino from 'pino';
import { CallLog } from '../../src/mcp/call-log.ts';
import { startMcpServer, type RunningMcpServer } from '../../src/mcp/server.ts';
import { McpToken } from '../../src/mcp/token.ts';
import { AttemptLimiter } from '../../src/panel/attempts.ts';
import type { McpAccess } from '../../src/panel/context.ts';
import { startHarness, type Harness, launchChromium } from './harness.ts';

const ART = join(process.cwd(), '.artifacts/browser');
let h: Harness;
let browser: Browser;
let server: RunningMcpServer;
let endpoint: string;
const dir = mkdtempSync(join(tmpdir(), 'mcp-page-'));
const token = new McpToken(join(dir, 'mcp_token'));
const calls = new CallLog();
const errors: string[] = [];

async function open(viewport: { width: number; height: number }, colorScheme: 'light' | 'dark' = 'light'): Promise<{ page: Page; close(): Promise<void> }> {
  const ctx = await browser.newContext({ viewport, colorScheme });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${h.ingress}#/assistants`);
  await page.locator('#mcp-url').waitFor();
  return { page, close: () => ctx.close() };
}

async function listTools(url: string): Promise<number> {
  const client = new Client({ name: 'page-test', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  const n = (await client.listTools()).tools.length;
  await client.callTool({ name: 'list_productions', arguments: {} });
  await client.close();
  return n;
}

describe('the AI assistants page in Chromium', () => {
  before(async () => {
    mkdirSync(ART, { recursive: true });
    await token.init();
    // The panel needs the server's access and the server the harness's monitor: the access is bound once both exist.
    const lazy: McpAccess = {
      get endpoint() {
        return endpoint;
      },
      writeTools: false,
      anyNetwork: false,
      token: () => token.current,
      rotate: () => token.rotate(),
      calls: () => calls.list(),
    };
    h = await startHarness({ mode: 'addon', proxy: true, mcp: lazy });
    server = await startMcpServer({
      sources: { instances: [{ id: 'iris', name: 'IRIS', monitor: h.monitor }], writeTools: false },
      token,
      calls,
      host: '127.0.0.1',
      port: 0,
      anyNetwork: false,
      budget: () => new AttemptLimiter(1000, 60_000),
      refused: () => undefined,
      log: pino({ level: 'silent' }),
      serverVersion: 'test',
    });
    endpoint = `http://127.0.0.1:${server.port}/mcp/`;
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(errors, []);
  });

  it('shows the URL with its token only after the warning, and lists the last calls', async () => {
    assert.ok((await listTools(endpoint + token.current)) >= 6);
    assert.equal((await fetch(endpoint + 'wrong', { method: 'POST' })).status, 401);
    const { page, close } = await open({ width: 1280, height: 900 });
    assert.ok(!(await page.content()).includes(token.current), 'not in the page before it is asked for');
    assert.equal(await page.locator('#mcp-url').innerText(), `${endpoint}••••••••`);
    await page.locator('#mcp-reveal').click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /lets whoever has it read your productions/);
    await page.locator('#confirm-cancel').click();
    await dialog.waitFor({ state: 'hidden' });
    assert.ok(!(await page.content()).includes(token.current));
    await page.locator('#mcp-reveal').click();
    await page.locator('#confirm-ok', { hasText: 'Show URL' }).click();
    await page.locator('#mcp-url', { hasText: endpoint + token.current }).waitFor();
    const rows = await page.locator('#mcp-calls tbody tr').allInnerTexts();
    assert.ok(rows.some((r) => /list_productions/.test(r) && /\bok\b/.test(r)), rows.join('\n'));
    assert.ok(rows.some((r) => /unauthenticated/.test(r) && /wrong token/.test(r)), rows.join('\n'));
    assert.match(await page.locator('#mcp-write').innerText(), /Read only/);
    await page.screenshot({ path: join(ART, 'mcp-desktop.png'), fullPage: true });
    await page.locator('#mcp-hide').click();
    assert.equal(await page.locator('#mcp-url').innerText(), `${endpoint}••••••••`);
    await close();
  });

  it('replaces the token: the page shows the new URL and the old one is refused', async () => {
    const old = token.current;
    const { page, close } = await open({ width: 1280, height: 900 });
    await page.locator('#mcp-rotate').click();
    await page.locator('#confirm-ok', { hasText: 'New token' }).click();
    await page.locator('#mcp-result', { hasText: 'A new token is in place' }).waitFor();
    assert.notEqual(token.current, old);
    assert.equal(await page.locator('#mcp-url').innerText(), endpoint + token.current);
    await assert.rejects(listTools(endpoint + old), /401|Unauthorized|token/i);
    assert.ok((await listTools(endpoint + token.current)) >= 6);
    await close();
  });

  it('fits a 360 px phone in dark mode', async () => {
    const { page, close } = await open({ width: 360, height: 740 }, 'dark');
    await page.locator('#mcp-calls').waitFor();
    await page.locator('#mcp-reveal').click();
    await page.locator('#confirm-ok', { hasText: 'Show URL' }).click();
    await page.locator('#mcp-copy').waitFor();
    const [sw, cw] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
    assert.ok((sw as number) <= (cw as number), `no sideways scrolling (${sw} > ${cw})`);
    await page.screenshot({ path: join(ART, 'mcp-phone-dark.png'), fullPage: true });
    await close();
  });
});
