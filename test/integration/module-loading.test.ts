/**
 * Libraries the bridge must not load for nothing, each checked in a fresh Node process that
 * counts the modules of a package it resolves (module.registerHooks): the MCP SDK, loaded at the
 * first request that passed every check (src/mcp/server.ts lazySdk), and Ajv, which the panel's
 * Fastify would load for its default compilers (src/panel/openapi.ts schemaController).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Runs `script` (an ES module, at the repository's root) after a hook that counts the modules of `pkg` it resolves as `loaded()`; returns its last line, parsed. */
async function counting(pkg: string, script: string): Promise<Record<string, unknown>> {
  const hook = `
import { registerHooks } from 'node:module';
let count = 0;
const loaded = () => count;
registerHooks({
  resolve(specifier, context, next) {
    const r = next(specifier, context);
    if (r.url.includes('/node_modules/${pkg}/')) count++;
    return r;
  },
});
`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', hook + script], { cwd: root });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
}

const mcpRequests = `
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const { startMcpServer } = await import('./src/mcp/server.ts');
const { McpToken } = await import('./src/mcp/token.ts');
const { CallLog } = await import('./src/mcp/call-log.ts');
const { captureLogger } = await import('./test/support/fixtures.ts');
const token = new McpToken(join(mkdtempSync(join(tmpdir(), 'mcp-lazy-')), 'mcp_token'));
await token.init();
const server = await startMcpServer({
  sources: { instances: [], certificates: async () => [], writeTools: false },
  token, calls: new CallLog(), host: '127.0.0.1', port: 0, anyNetwork: false,
  budget: () => ({ take: () => 0 }), refused: () => {}, log: captureLogger().log, serverVersion: 'test',
});
const atStart = loaded();
const post = (t) => fetch('http://127.0.0.1:' + server.port + '/mcp/' + t, {
  method: 'POST',
  headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
  body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'test', version: '1' } } }),
});
const refused = await post('not-the-token');
const afterRefusal = loaded();
const answered = await post(token.current);
const body = await answered.json();
await server.close();
console.log(JSON.stringify({ atStart, refused: refused.status, afterRefusal, answered: answered.status, serverName: body.result?.serverInfo?.name, afterAnswer: loaded() }));
`;

it('loads the MCP SDK at the first authorized request, not at start nor for a refused one', async () => {
  const r = await counting('@modelcontextprotocol/sdk', mcpRequests);
  assert.equal(r.atStart, 0, 'nothing of the SDK at start');
  assert.equal(r.refused, 401);
  assert.equal(r.afterRefusal, 0, 'a refused request loads nothing');
  assert.equal(r.answered, 200);
  assert.equal(r.serverName, 'IRIS Edge');
  assert.ok(Number(r.afterAnswer) > 0, 'the authorized request loaded the SDK');
});

const panelRequests = `
const { buildPanelServer } = await import('./src/panel/server.ts');
const { LogBuffer } = await import('./src/panel/log-buffer.ts');
const { captureLogger } = await import('./test/support/fixtures.ts');
const { app } = await buildPanelServer({
  monitors: [], mode: 'standalone', logs: new LogBuffer(10), log: captureLogger().log,
  connect: { superserverPort: null, webPort: null, portalPath: '/', serviceAccount: 'x' },
});
await app.listen({ port: 0, host: '127.0.0.1' });
const base = 'http://127.0.0.1:' + app.server.address().port;
const bad = await fetch(base + '/api/logs?limit=0');
const good = await fetch(base + '/api/logs?limit=1');
const doc = await fetch(base + '/api/openapi.json');
await app.close();
console.log(JSON.stringify({ bad: bad.status, message: (await bad.json()).message, good: good.status, lines: (await good.json()).lines, doc: doc.status, ajv: loaded() }));
`;

it('validates and documents the panel API without loading Ajv', async () => {
  const r = await counting('ajv', panelRequests);
  assert.equal(r.doc, 200);
  assert.equal(r.good, 200);
  assert.deepEqual(r.lines, []);
  assert.equal(r.bad, 400);
  assert.match(String(r.message), /^Invalid query: .*limit/);
  assert.equal(r.ajv, 0);
});
