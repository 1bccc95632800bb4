/**
 * What the MCP server checks before any tool, as pure functions: which peers are Home
 * Assistant's network, where the token is read from, which Origin is this server's own; the
 * token file (0600, made when missing or damaged, replaced on rotation, compared whole); the
 * bounded call log; and the options that turn it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { loadConfig } from '../../src/config/load.ts';
import { CallLog } from '../../src/mcp/call-log.ts';
import { isHomeAssistantPeer, MAX_BODY_BYTES, presentedToken, REQUESTS_PER_MINUTE, sameOrigin } from '../../src/mcp/server.ts';
import { McpToken } from '../../src/mcp/token.ts';
import { MCP_CALLS_KEPT, MCP_PORT } from '../../src/model/mcp.ts';

describe('MCP access checks', () => {
  it("knows Home Assistant's network: loopback and the Supervisor's 172.30.32.0/23, plain or IPv4-mapped", () => {
    for (const a of ['127.0.0.1', '::1', '172.30.32.1', '172.30.33.7', '::ffff:172.30.32.1', '::ffff:127.0.0.1']) assert.ok(isHomeAssistantPeer(a), a);
    for (const a of ['192.168.1.20', '172.30.34.1', '10.0.0.1', '::ffff:192.168.1.20', 'fe80::1', '', undefined, 'not-an-ip']) assert.ok(!isHomeAssistantPeer(a), String(a));
  });

  it('reads the token from the last path segment, or from a bearer header on the bare endpoint', () => {
    assert.deepEqual(presentedToken('/mcp/abc', undefined), { token: 'abc', pathOk: true });
    assert.deepEqual(presentedToken('/mcp/abc?x=1', undefined), { token: 'abc', pathOk: true });
    assert.deepEqual(presentedToken('/mcp', 'Bearer abc'), { token: 'abc', pathOk: true });
    assert.deepEqual(presentedToken('/mcp/', 'bearer abc'), { token: 'abc', pathOk: true });
    assert.deepEqual(presentedToken('/mcp', 'Basic abc'), { token: null, pathOk: true });
    assert.deepEqual(presentedToken('/mcp/a/b', undefined), { token: null, pathOk: true });
    assert.deepEqual(presentedToken(`/mcp/${'x'.repeat(300)}`, undefined), { token: null, pathOk: true });
    assert.deepEqual(presentedToken('/other/abc', 'Bearer abc'), { token: null, pathOk: false });
    assert.deepEqual(presentedToken('/mcpx', undefined), { token: null, pathOk: false });
  });

  it("accepts no Origin or this server's own, and refuses any other or a malformed one", () => {
    assert.ok(sameOrigin(undefined, 'local-iris-edge:8098'));
    assert.ok(sameOrigin('http://local-iris-edge:8098', 'local-iris-edge:8098'));
    assert.ok(!sameOrigin('http://evil.example', 'local-iris-edge:8098'));
    assert.ok(!sameOrigin('http://local-iris-edge:8099', 'local-iris-edge:8098'));
    assert.ok(!sameOrigin('null', 'local-iris-edge:8098'));
    assert.ok(!sameOrigin('http://a', undefined));
    fc.assert(fc.property(fc.string(), fc.option(fc.string(), { nil: undefined }), (o, h) => void sameOrigin(o, h)));
  });
});

describe('MCP token', () => {
  it('is made 0600 at the first start, kept across starts, replaced by rotate, and compared whole', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-token-'));
    try {
      const file = join(dir, 'secrets', 'mcp_token');
      const t = new McpToken(file);
      await t.init();
      assert.match(t.current, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.equal(statSync(join(dir, 'secrets')).mode & 0o777, 0o700);
      const again = new McpToken(file);
      await again.init();
      assert.equal(again.current, t.current);
      assert.ok(t.matches(t.current));
      assert.ok(!t.matches(t.current.slice(0, -1)));
      assert.ok(!t.matches(`${t.current}x`));
      assert.ok(!t.matches(''));
      const old = t.current;
      await t.rotate();
      assert.notEqual(t.current, old);
      assert.ok(!t.matches(old));
      assert.equal(readFileSync(file, 'utf8').trim(), t.current);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('replaces a damaged token file, and never matches before it has a token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-token-'));
    try {
      mkdirSync(join(dir, 's'));
      const file = join(dir, 's', 'mcp_token');
      writeFileSync(file, 'short\n');
      const t = new McpToken(file);
      assert.ok(!t.matches(''));
      await t.init();
      assert.match(t.current, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(statSync(file).mode & 0o777, 0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('MCP call log and options', () => {
  it("holds DOCS.md's figures: the port, the requests a minute, the body limit, the calls kept", () => {
    const docs = readFileSync(new URL('../../DOCS.md', import.meta.url), 'utf8');
    for (const promise of [`port ${MCP_PORT}`, `${REQUESTS_PER_MINUTE} requests a minute from one address`, `body over ${MAX_BODY_BYTES / 1024} KiB gets 413`, `last ${MCP_CALLS_KEPT} calls`]) {
      assert.ok(docs.replace(/\s+/g, ' ').includes(promise), `DOCS.md says "${promise}"`);
    }
  });

  it('keeps the newest calls only', () => {
    const log = new CallLog(3);
    for (let n = 0; n < 10; n++) log.add({ tool: `t${n}`, outcome: 'ok', detail: null, peer: '127.0.0.1' });
    assert.deepEqual(log.list().map((c) => c.tool), ['t7', 't8', 't9']);
  });

  it('reads mcp_write_tools and mcp_any_network (off by default), the port, and keeps the token under the secrets', () => {
    const off = loadConfig({ env: {}, argv: [] });
    assert.deepEqual([off.mcp.writeTools, off.mcp.anyNetwork, off.mcp.port], [false, false, MCP_PORT]);
    assert.equal(off.mcp.tokenFile, join('.iris-edge', 'secrets', 'mcp_token'));
    const on = loadConfig({ env: { IRIS_EDGE_OPTIONS_FILE: '/o.json', MCP_PORT: '0' }, argv: [], readFile: () => '{"mcp_write_tools": true, "mcp_any_network": true}' });
    assert.deepEqual([on.mcp.writeTools, on.mcp.anyNetwork, on.mcp.port], [true, true, 0]);
    const addon = loadConfig({ env: { SUPERVISOR_TOKEN: 'x', IRIS_EDGE_OPTIONS_FILE: '/o.json' }, argv: [], readFile: () => '{}' });
    assert.equal(addon.mcp.tokenFile, '/data/secrets/mcp_token');
    assert.throws(() => loadConfig({ env: { IRIS_EDGE_OPTIONS_FILE: '/o.json' }, argv: [], readFile: () => '{"mcp_write_tools": "yes"}' }), /mcp_write_tools/);
  });
});
