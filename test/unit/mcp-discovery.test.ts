/**
 * The MCP server offered to Home Assistant through Supervisor discovery: what is posted (the
 * service config.yaml lists, and the `url` that the Model Context Protocol integration's
 * async_step_hassio reads, token included), a new token offered again, and a Supervisor that
 * refuses costing only a log line that never holds the token. No Supervisor runs here: a fake
 * fetch stands in for it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { announcer } from '../../src/compose/mcp.ts';
import { announceService } from '../../src/ha/supervisor.ts';
import { captureLogger } from '../support/fixtures.ts';

interface Posted {
  url: string;
  method: string;
  auth: string | null;
  body: unknown;
}

function supervisor(status = 200, answer: unknown = { result: 'ok', data: { uuid: 'a'.repeat(32) } }): { fetchImpl: typeof fetch; posted: Posted[] } {
  const posted: Posted[] = [];
  const fetchImpl = (async (url: string | URL | Request, init?: RequestInit) => {
    posted.push({ url: String(url), method: init?.method ?? 'GET', auth: new Headers(init?.headers).get('authorization'), body: JSON.parse(String(init?.body)) });
    return new Response(JSON.stringify(answer), { status, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
  return { fetchImpl, posted };
}

const ENDPOINT = 'http://5c53de3b-iris-edge:8098/mcp/';
const TOKEN = 'T'.repeat(43);

describe('MCP server offered through Supervisor discovery', () => {
  it('posts service "mcp" with the whole URL, a service config.yaml lists for discovery', async () => {
    const { fetchImpl, posted } = supervisor();
    const { log, lines } = captureLogger();
    await announcer('sup-token', ENDPOINT, log, fetchImpl)(TOKEN);
    assert.deepEqual(posted, [{ url: 'http://supervisor/discovery', method: 'POST', auth: 'Bearer sup-token', body: { service: 'mcp', config: { url: `${ENDPOINT}${TOKEN}` } } }]);
    // The Supervisor refuses (403) a service the add-on's config.yaml does not list (api/discovery.py set_discovery).
    const config = parse(readFileSync(new URL('../../config.yaml', import.meta.url), 'utf8')) as { discovery?: string[] };
    assert.ok(config.discovery?.includes('mcp'), 'config.yaml lists mcp under discovery');
    assert.match(lines.join('\n'), /offered the MCP server/);
    assert.doesNotMatch(lines.join('\n'), new RegExp(TOKEN));
  });

  it('offers the new URL after each new token (Home Assistant updates the entry it made from it)', async () => {
    const { fetchImpl, posted } = supervisor();
    const announce = announcer('sup-token', ENDPOINT, captureLogger().log, fetchImpl);
    await announce(TOKEN);
    await announce('N'.repeat(43));
    assert.deepEqual(
      posted.map((p) => (p.body as { config: { url: string } }).config.url),
      [`${ENDPOINT}${TOKEN}`, `${ENDPOINT}${'N'.repeat(43)}`],
    );
  });

  it('announces nothing outside the add-on or without the host name Home Assistant reaches', async () => {
    const { fetchImpl, posted } = supervisor();
    await announcer(undefined, ENDPOINT, captureLogger().log, fetchImpl)(TOKEN);
    await announcer('sup-token', undefined, captureLogger().log, fetchImpl)(TOKEN);
    assert.deepEqual(posted, []);
  });

  it('a refusing, garbled or silent Supervisor is one warning without the token, and no failure', async () => {
    const refusing = supervisor(403, { result: 'error', message: 'Apps must list services they provide via discovery in their config!' });
    const garbled = supervisor(200, 'not json at all');
    const silent = (async () => {
      throw new TypeError('fetch failed');
    }) as typeof fetch;
    for (const fetchImpl of [refusing.fetchImpl, garbled.fetchImpl, silent]) {
      const { log, lines } = captureLogger();
      await announcer('sup-token', ENDPOINT, log, fetchImpl)(TOKEN);
      const warnings = lines.filter((l) => /could not be offered the MCP server/.test(l));
      assert.equal(warnings.length, 1, lines.join('\n'));
      assert.doesNotMatch(lines.join('\n'), new RegExp(`${TOKEN}|sup-token`));
    }
    await assert.rejects(announceService('sup-token', 'mcp', {}, refusing.fetchImpl), /403: Apps must list services/);
  });
});
