/**
 * The MCP server against a REAL Home Assistant (test/e2e/harness): its "Model Context Protocol"
 * integration is added through its config flow with the URL the panel shows, the entry loads,
 * and the tools Home Assistant lists (its diagnostics of the entry) are the bridge's. Without the
 * token in the URL the flow does not create an entry. The MCP server runs on the simulator as
 * src/compose/mcp.ts wires it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { IrisSimulator } from '../../src/iris/simulator/index.ts';
import { CallLog } from '../../src/mcp/call-log.ts';
import { startMcpServer, type RunningMcpServer } from '../../src/mcp/server.ts';
import { McpToken } from '../../src/mcp/token.ts';
import { Monitor } from '../../src/monitor/monitor.ts';
import { AttemptLimiter } from '../../src/panel/attempts.ts';
import { captureLogger } from '../support/fixtures.ts';
import { Mosquitto } from '../support/mosquitto.ts';
import { artifactDirFor, startHomeAssistant, type HomeAssistant } from './harness/home-assistant.ts';

const artifactDir = artifactDirFor('mcp');
const BRIDGE_TOOLS = ['certificates_expiring', 'control_production', 'get_production', 'instance_health', 'list_backups', 'list_productions', 'production_event_log', 'query_sql', 'search_messages', 'user_sensors'];

type Flow = { flow_id: string; type: string; title?: string; step_id?: string; errors?: Record<string, string>; reason?: string; result?: { entry_id: string } };

let broker: Mosquitto;
let ha: HomeAssistant;
let sim: IrisSimulator;
let monitor: Monitor;
let server: RunningMcpServer;
const dir = mkdtempSync(join(tmpdir(), 'mcp-e2e-'));
const token = new McpToken(join(dir, 'mcp_token'));
const calls = new CallLog();

async function addThroughConfigFlow(url: string): Promise<Flow> {
  const flow = await ha.api<Flow>('POST', '/api/config/config_entries/flow', { handler: 'mcp', show_advanced_options: false });
  assert.equal(flow.type, 'form', JSON.stringify(flow));
  return ha.api<Flow>('POST', `/api/config/config_entries/flow/${flow.flow_id}`, { url });
}

before(async () => {
  broker = await Mosquitto.start();
  ha = await startHomeAssistant({ mqttPort: broker.port, artifactDir });
  sim = new IrisSimulator({ transitionMs: 50 });
  const { log } = captureLogger();
  monitor = new Monitor(sim, { pollIntervalMs: 3_600_000, removalGracePolls: 2 }, log);
  await monitor.start();
  await token.init();
  server = await startMcpServer({
    sources: { instances: [{ id: 'iris', name: 'IRIS', monitor, eventLog: (ns, p) => sim.eventLog(ns, p), searchMessages: (ns, q) => sim.searchMessages(ns, q) }], writeTools: true },
    token,
    calls,
    // Home Assistant runs in its chroot on this machine's network: it connects from loopback.
    host: '127.0.0.1',
    port: 0,
    anyNetwork: false,
    budget: () => new AttemptLimiter(240, 60_000),
    refused: () => undefined,
    log,
    serverVersion: 'e2e',
  });
});

after(async () => {
  const problems = ha ? await ha.problems() : [];
  await ha?.stop();
  await server?.close();
  monitor?.stop();
  await sim?.close();
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
  assert.deepEqual(problems, []);
});

describe("Home Assistant's Model Context Protocol integration and the bridge's MCP server", () => {
  it('does not create an entry for the URL without its token', async () => {
    const done = await addThroughConfigFlow(`http://127.0.0.1:${server.port}/mcp/wrong-token`);
    assert.notEqual(done.type, 'create_entry', JSON.stringify(done));
    assert.ok(calls.list().some((c) => c.outcome === 'unauthenticated'));
  });

  it('is added with the URL the panel shows, loads, and lists the tools of the bridge', async () => {
    const done = await addThroughConfigFlow(`http://127.0.0.1:${server.port}/mcp/${token.current}`);
    assert.equal(done.type, 'create_entry', JSON.stringify(done));
    assert.equal(done.title, 'IRIS Edge');
    const entryId = done.result!.entry_id;
    const state = await ha.waitFor(
      async () => {
        const entries = await ha.connection.sendMessagePromise<Array<{ entry_id: string; state: string }>>({ type: 'config_entries/get', domain: 'mcp' });
        const e = entries.find((x) => x.entry_id === entryId);
        return e && e.state !== 'setup_in_progress' && e.state !== 'not_loaded' ? e.state : undefined;
      },
      60_000,
      'the mcp config entry to finish its setup',
    );
    assert.equal(state, 'loaded');
    const diag = await ha.api<{ data: { tools: Array<{ name: string; description: string; input_schema: { required?: string[] } }>; server: { serverInfo: { name: string } } } }>('GET', `/api/diagnostics/config_entry/${entryId}`);
    assert.equal(diag.data.server.serverInfo.name, 'IRIS Edge');
    assert.deepEqual(diag.data.tools.map((t) => t.name).sort(), BRIDGE_TOOLS);
    assert.ok(diag.data.tools.every((t) => t.description.length > 40));
    // Home Assistant turned each JSON schema into its own (voluptuous): the required arguments survive.
    const control = diag.data.tools.find((t) => t.name === 'control_production');
    assert.deepEqual([...(control?.input_schema.required ?? [])].sort(), ['action', 'namespace', 'production']);
    // search_messages' times (ISO date-time strings) and status enum survive too.
    const search = diag.data.tools.find((t) => t.name === 'search_messages');
    assert.deepEqual([...(search?.input_schema.required ?? [])], ['namespace']);
  });
});
