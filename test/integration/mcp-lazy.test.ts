/**
 * The MCP SDK is loaded at the first request that passed every check, not when the server starts
 * (src/mcp/server.ts lazySdk): a fresh Node process records every module of the SDK it resolves
 * (module.registerHooks) while the server starts, refuses a wrong token, then answers an
 * authorized initialize.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('../..', import.meta.url));

const child = `
import { registerHooks } from 'node:module';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
let sdkModules = 0;
registerHooks({
  resolve(specifier, context, next) {
    const r = next(specifier, context);
    if (r.url.includes('@modelcontextprotocol/sdk')) sdkModules++;
    return r;
  },
});
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
const atStart = sdkModules;
const post = (t) => fetch('http://127.0.0.1:' + server.port + '/mcp/' + t, {
  method: 'POST',
  headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
  body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'test', version: '1' } } }),
});
const refused = await post('not-the-token');
const afterRefusal = sdkModules;
const answered = await post(token.current);
const body = await answered.json();
await server.close();
console.log(JSON.stringify({ atStart, refused: refused.status, afterRefusal, answered: answered.status, serverName: body.result?.serverInfo?.name, afterAnswer: sdkModules }));
`;

it('loads the MCP SDK at the first authorized request, not at start nor for a refused one', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', child], { cwd: root });
  const r = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
  assert.equal(r.atStart, 0, 'nothing of the SDK at start');
  assert.equal(r.refused, 401);
  assert.equal(r.afterRefusal, 0, 'a refused request loads nothing');
  assert.equal(r.answered, 200);
  assert.equal(r.serverName, 'IRIS Edge');
  assert.ok(r.afterAnswer > 0, 'the authorized request loaded the SDK');
});
