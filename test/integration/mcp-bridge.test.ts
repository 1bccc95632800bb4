/**
 * The MCP server as the bridge process starts it (`npm start`, src/compose/mcp.ts): it listens
 * beside the panel, its token is kept 0600 in the state directory's secrets, the panel's AI
 * assistants routes show the URL only with {"confirm": true}, and that URL works with the MCP
 * SDK's client; the write tool is offered only with MCP_WRITE_TOOLS.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { runBridge, type BridgeProcess } from '../support/bridge-process.ts';
import { waitFor } from '../support/fixtures.ts';
import { JSON_POST } from '../support/http.ts';
import { Mosquitto } from '../support/mosquitto.ts';

let broker: Mosquitto;
before(async () => {
  broker = await Mosquitto.start();
});
after(async () => {
  await broker.close();
});

async function toolsAt(url: string): Promise<string[]> {
  const client = new Client({ name: 'bridge-test', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  const names = (await client.listTools()).tools.map((t) => t.name).sort();
  await client.close();
  return names;
}

async function started(env: Record<string, string>): Promise<{ b: BridgeProcess; panel: string; stateDir: string }> {
  const stateDir = mkdtempSync(join(tmpdir(), 'iris-edge-mcp-'));
  const b = runBridge({ MQTT_URL: broker.url, IRIS_EDGE_STATE_DIR: stateDir, IRIS_EDGE_BACKUP_DIR: join(stateDir, 'backups'), ...env });
  const panel = await waitFor(() => /Panel at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(b.output())?.[1], 30_000, () => `the panel address in:\n${b.output()}`);
  return { b, panel, stateDir };
}

describe('the MCP server of the bridge process', () => {
  it('answers with the URL the panel shows; its token is kept 0600; read tools only by default', async () => {
    const { b, panel, stateDir } = await started({ INSTANCE_ID: 'mcpread' });
    try {
      const port = await waitFor(() => /MCP server for AI assistants listening on 127\.0\.0\.1:(\d+) \(read-only tools\)/.exec(b.output())?.[1], 30_000, 'the MCP server line');
      const info = await (await fetch(new URL('api/mcp', panel))).json();
      assert.equal(info.endpoint, `http://127.0.0.1:${port}/mcp/`);
      assert.deepEqual([info.writeTools, info.anyNetwork], [false, false]);
      const refused = await fetch(new URL('api/mcp/token/reveal', panel), { method: 'POST', headers: JSON_POST, body: '{}' });
      assert.equal(refused.status, 400);
      const shown = await (await fetch(new URL('api/mcp/token/reveal', panel), { method: 'POST', headers: JSON_POST, body: '{"confirm":true}' })).json();
      const file = join(stateDir, 'secrets', 'mcp_token');
      assert.equal(readFileSync(file, 'utf8').trim(), shown.token);
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.equal(shown.url, info.endpoint + shown.token);
      assert.deepEqual(await toolsAt(shown.url), ['certificates_expiring', 'get_production', 'instance_health', 'list_backups', 'list_productions', 'production_event_log', 'query_sql', 'search_messages', 'user_sensors']);
      assert.ok(!b.output().includes(shown.token), 'the token is not in the log');
    } finally {
      b.proc.kill('SIGKILL');
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('offers control_production with MCP_WRITE_TOOLS, and keeps the token across a restart', async () => {
    const first = await started({ INSTANCE_ID: 'mcpwrite', MCP_WRITE_TOOLS: 'true' });
    const stateDir = first.stateDir;
    try {
      const shown = await (await fetch(new URL('api/mcp/token/reveal', first.panel), { method: 'POST', headers: JSON_POST, body: '{"confirm":true}' })).json();
      assert.ok((await toolsAt(shown.url)).includes('control_production'));
      first.b.proc.kill('SIGTERM');
      assert.equal(await first.b.exited(), 0);
      const again = runBridge({ MQTT_URL: broker.url, INSTANCE_ID: 'mcpwrite', IRIS_EDGE_STATE_DIR: stateDir, IRIS_EDGE_BACKUP_DIR: join(stateDir, 'backups') });
      try {
        const panel = await waitFor(() => /Panel at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(again.output())?.[1], 30_000, 'the panel address');
        const after = await (await fetch(new URL('api/mcp/token/reveal', panel), { method: 'POST', headers: JSON_POST, body: '{"confirm":true}' })).json();
        assert.equal(after.token, shown.token);
        assert.ok(!(await toolsAt(after.url)).includes('control_production'), 'write tools are off again without the option');
      } finally {
        again.proc.kill('SIGKILL');
      }
    } finally {
      first.b.proc.kill('SIGKILL');
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
