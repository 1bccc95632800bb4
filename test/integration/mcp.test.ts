/**
 * The MCP server over real sockets with the MCP SDK's own client, on the simulator: the tools it
 * lists, each one called, the command guards, and what it refuses (no token, a wrong one, a web
 * page of another site, an oversized body, arguments outside the schemas, a flood).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { IrisSimulator } from '../../src/iris/simulator/index.ts';
import { CallLog } from '../../src/mcp/call-log.ts';
import { startMcpServer, MAX_BODY_BYTES, type RunningMcpServer } from '../../src/mcp/server.ts';
import { McpToken } from '../../src/mcp/token.ts';
import { Monitor } from '../../src/monitor/monitor.ts';
import { RefusalLog } from '../../src/monitor/refusals.ts';
import { AttemptLimiter } from '../../src/panel/attempts.ts';
import { captureLogger, holdNextCall } from '../support/fixtures.ts';

const DAY = 86_400_000;
const READ_TOOLS = ['certificates_expiring', 'get_production', 'instance_health', 'list_backups', 'list_productions', 'production_event_log', 'query_sql', 'search_messages', 'user_sensors'];

interface Rig {
  sim: IrisSimulator;
  monitor: Monitor;
  server: RunningMcpServer;
  token: McpToken;
  calls: CallLog;
  lines: string[];
  url: string;
  close(): Promise<void>;
}

async function rig(o: { writeTools: boolean; perMinute?: number }): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-'));
  const sim = new IrisSimulator({ transitionMs: 10 });
  const { log, lines } = captureLogger();
  const monitor = new Monitor(sim, { pollIntervalMs: 3_600_000, removalGracePolls: 2, commandCooldownMs: 60_000 }, log);
  await monitor.start();
  const token = new McpToken(join(dir, 'secrets', 'mcp_token'));
  await token.init();
  const calls = new CallLog();
  const refusals = new RefusalLog(log);
  const now = Date.now();
  const server = await startMcpServer({
    sources: {
      instances: [{ id: 'iris', name: 'IRIS', monitor, eventLog: (ns, p) => sim.eventLog(ns, p), searchMessages: (ns, q) => sim.searchMessages(ns, q) }],
      certificates: async () => [
        { id: 'a', name: 'mqtt broker', notAfter: new Date(now + 5 * DAY + 3_600_000).toISOString() },
        { id: 'b', name: 'portal', notAfter: new Date(now + 200 * DAY).toISOString() },
      ],
      writeTools: o.writeTools,
    },
    token,
    calls,
    host: '127.0.0.1',
    port: 0,
    anyNetwork: false,
    budget: () => new AttemptLimiter(o.perMinute ?? 1000, 60_000),
    refused: (production, action, err) => refusals.report({ path: 'mcp', production, action }, err),
    log,
    serverVersion: 'test',
  });
  return {
    sim,
    monitor,
    server,
    token,
    calls,
    lines,
    url: `http://127.0.0.1:${server.port}/mcp/`,
    async close() {
      await server.close();
      monitor.stop();
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function connect(url: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: 'iris-edge-test', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

function data(r: unknown): any {
  const res = r as CallToolResult;
  assert.notEqual(res.isError, true, JSON.stringify(res.content));
  return JSON.parse((res.content[0] as { text: string }).text);
}

function errorText(r: unknown): string {
  const res = r as CallToolResult;
  assert.equal(res.isError, true, JSON.stringify(res.content));
  return (res.content[0] as { text: string }).text;
}

const rpc = (method: string, params: unknown = {}) => JSON.stringify({ jsonrpc: '2.0', id: 1, method, params });
const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

describe('MCP server: read-only tools with the SDK client', () => {
  let r: Rig;
  let client: Client;
  before(async () => {
    r = await rig({ writeTools: false });
    client = await connect(r.url + r.token.current);
  });
  after(async () => {
    await client.close();
    await r.close();
  });

  it('lists the read tools only, each with a description and a closed object schema', async () => {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), READ_TOOLS);
    for (const t of tools) {
      assert.ok((t.description ?? '').length > 40, t.name);
      assert.equal(t.inputSchema.type, 'object', t.name);
      assert.equal(t.annotations?.readOnlyHint, true, t.name);
    }
    const get = tools.find((t) => t.name === 'get_production');
    assert.deepEqual((get?.inputSchema.required ?? []).sort(), ['namespace', 'production']);
  });

  it('answers every tool from the simulator', async () => {
    const list = data(await client.callTool({ name: 'list_productions', arguments: {} }));
    assert.equal(list.iris_reachable, true);
    const orders = list.productions.find((p: any) => p.production === 'Orders.Production');
    assert.equal(orders.namespace, 'ORDERS');
    assert.equal(orders.hosts, 4);

    const one = data(await client.callTool({ name: 'get_production', arguments: { namespace: 'orders', production: 'orders.production' } }));
    assert.equal(one.production, 'Orders.Production');
    assert.deepEqual(one.hosts.map((h: any) => h.name).sort(), ['HL7.In.File', 'HL7.Out.Lab', 'Orders.DB', 'Orders.Router']);

    r.sim.failMessage('ORDERS', 'Orders.Production', 'HL7.Out.Lab');
    r.sim.logWarning('ORDERS', 'Orders.Production', 'Orders.DB', 'Slow reply');
    const events = data(await client.callTool({ name: 'production_event_log', arguments: { namespace: 'ORDERS', production: 'Orders.Production', type: 'error' } }));
    const e = events.entries[0];
    assert.equal(e.host, 'HL7.Out.Lab');
    assert.ok(e.text.length > 0);
    assert.ok(Date.parse(e.time) > 0);
    assert.ok(events.entries.every((x: any) => x.type === 'error'));

    r.sim.sendMessages('ORDERS', 'Orders.Production', 2);
    const found = data(await client.callTool({ name: 'search_messages', arguments: { namespace: 'ORDERS', production: 'Orders.Production', host: 'HL7.Out.Lab' } }));
    assert.deepEqual(
      found.messages.map((m: any) => [m.source, m.target, m.status, m.error]),
      [
        ['Orders.Router', 'HL7.Out.Lab', 'error', true], // the operation is in error since the failure above
        ['Orders.Router', 'HL7.Out.Lab', 'error', true],
        ['Orders.Router', 'HL7.Out.Lab', 'error', true],
      ],
    );
    assert.equal(found.more, false);
    assert.ok(found.messages.every((m: any) => m.time.endsWith('Z') && Date.now() - Date.parse(m.time) < 86_400_000));
    assert.equal(Date.parse(found.until) - Date.parse(found.since), 86_400_000);
    const done = data(await client.callTool({ name: 'search_messages', arguments: { namespace: 'ORDERS', status: 'completed', limit: 1 } }));
    assert.deepEqual([done.messages.length, done.messages[0].status, done.more], [1, 'completed', true]);

    const health = data(await client.callTool({ name: 'instance_health', arguments: {} }));
    assert.equal(health.iris_reachable, true);
    assert.ok(health.licence && health.licence.units_limit > 0, JSON.stringify(health.licence));

    const certs = data(await client.callTool({ name: 'certificates_expiring', arguments: { within_days: 30 } }));
    assert.deepEqual(certs.certificates.map((c: any) => [c.name, c.days_left]), [['mqtt broker', 5]]);

    // This rig has no backups (as a bridge whose IRIS files are out of reach): the tool says so.
    assert.match(errorText(await client.callTool({ name: 'list_backups', arguments: {} })), /not available here/);
  });

  it('answers bad arguments with MCP errors that name the problem, and keeps serving', async () => {
    assert.match(errorText(await client.callTool({ name: 'get_production', arguments: { namespace: 'ORDERS', production: 'No.Such' } })), /no production No\.Such.*Known: .*Orders\.Production/);
    const cases: Array<Record<string, unknown>> = [
      {},
      { namespace: 'ORDERS' },
      { namespace: 'ORDERS', production: 'x'.repeat(10_000) },
      { namespace: 42, production: 'Orders.Production' },
      { namespace: 'ORDERS', production: 'Orders.Production', instance: 'nope' },
    ];
    for (const args of cases) {
      const failed = await client.callTool({ name: 'get_production', arguments: args }).then(
        (res) => (res as CallToolResult).isError === true,
        () => true,
      );
      assert.ok(failed, JSON.stringify(args).slice(0, 80));
    }
    const unknown = await client.callTool({ name: 'drop_database', arguments: {} }).then(
      (res) => (res as CallToolResult).isError === true,
      () => true,
    );
    assert.ok(unknown);
    const limit = await client.callTool({ name: 'production_event_log', arguments: { namespace: 'ORDERS', production: 'Orders.Production', limit: 10_000 } }).then(
      (res) => (res as CallToolResult).isError === true,
      () => true,
    );
    assert.ok(limit);
    // search_messages: each field out of bounds is refused by name, a window too wide in words.
    for (const [field, args] of [
      ['limit', { namespace: 'ORDERS', limit: 51 }],
      ['since', { namespace: 'ORDERS', since: '2026-01-31 08:00:00' }],
      ['status', { namespace: 'ORDERS', status: 'lost' }],
      ['errors_only', { namespace: 'ORDERS', errors_only: 'yes' }],
      ['host', { namespace: 'ORDERS', host: 'x'.repeat(1000) }],
      ['namespace', { host: 'HL7.Out.Lab' }],
    ] as const) {
      const text = await client.callTool({ name: 'search_messages', arguments: args }).then(
        (res) => ((res as CallToolResult).isError === true ? errorText(res) : ''),
        (err: Error) => err.message,
      );
      assert.ok(text.includes(field), `${field}: ${text.slice(0, 200)}`);
    }
    assert.match(errorText(await client.callTool({ name: 'search_messages', arguments: { namespace: 'ORDERS', since: '2020-01-01T00:00:00Z' } })), /at most 31 days/);
    // Still answering.
    assert.equal(data(await client.callTool({ name: 'list_productions', arguments: {} })).iris_reachable, true);
    const log = r.calls.list();
    assert.ok(log.some((c) => c.tool === 'get_production' && c.outcome === 'error'));
    assert.ok(log.some((c) => c.tool === 'drop_database' && c.outcome === 'bad-request'));
  });

  it('accepts the token as a bearer token too, and refuses a missing or wrong one', async () => {
    const bearer = await connect(r.url, { authorization: `Bearer ${r.token.current}` });
    assert.ok((await bearer.listTools()).tools.length > 0);
    await bearer.close();
    await assert.rejects(connect(r.url), /401|Unauthorized|token/i);
    await assert.rejects(connect(r.url + 'x'.repeat(43)), /401|Unauthorized|token/i);
    const plain = await fetch(r.url, { method: 'POST', headers: MCP_HEADERS, body: rpc('tools/list') });
    assert.equal(plain.status, 401);
    assert.equal(plain.headers.get('www-authenticate'), 'Bearer');
    const elsewhere = await fetch(r.url.replace('/mcp/', '/other/') + r.token.current, { method: 'POST', headers: MCP_HEADERS, body: rpc('tools/list') });
    assert.equal(elsewhere.status, 404);
    assert.ok(r.calls.list().some((c) => c.outcome === 'unauthenticated'));
  });

  it("refuses a web page of another site, an oversized body and a body that is not JSON", async () => {
    const url = r.url + r.token.current;
    const foreign = await fetch(url, { method: 'POST', headers: { ...MCP_HEADERS, origin: 'https://evil.example' }, body: rpc('tools/list') });
    assert.equal(foreign.status, 403);
    const own = await fetch(url, { method: 'POST', headers: { ...MCP_HEADERS, origin: new URL(url).origin }, body: rpc('tools/list') });
    assert.notEqual(own.status, 403);
    const big = await fetch(url, { method: 'POST', headers: MCP_HEADERS, body: rpc('tools/call', { name: 'list_productions', arguments: { pad: 'x'.repeat(MAX_BODY_BYTES) } }) });
    assert.equal(big.status, 413);
    const junk = await fetch(url, { method: 'POST', headers: MCP_HEADERS, body: '{"jsonrpc": "2.0", ' });
    assert.equal(junk.status, 400);
    const get = await fetch(url, { headers: { accept: 'text/event-stream' } });
    assert.equal(get.status, 405);
  });

  it('keeps the token out of the log and the call records, and stores it 0600', () => {
    const t = r.token.current;
    assert.ok(!r.lines.some((l) => l.includes(t)));
    assert.ok(!JSON.stringify(r.calls.list()).includes(t));
    assert.equal(statSync(r.token.file).mode & 0o777, 0o600);
  });
});

describe('MCP server: the write tool and its guards', () => {
  let r: Rig;
  let client: Client;
  before(async () => {
    r = await rig({ writeTools: true });
    client = await connect(r.url + r.token.current);
  });
  after(async () => {
    await client.close();
    await r.close();
  });

  it('offers control_production only when write tools are on', async () => {
    const { tools } = await client.listTools();
    const control = tools.find((t) => t.name === 'control_production');
    assert.ok(control);
    assert.equal(control.annotations?.destructiveHint, true);
    assert.deepEqual((control.inputSchema.properties as any).action.enum, ['start', 'stop', 'restart', 'update', 'recover']);
  });

  it('runs a command and answers what IRIS reports afterwards; the cooldown and a running command refuse', async () => {
    const args = { namespace: 'ORDERS', production: 'Orders.Production' };
    const stopped = data(await client.callTool({ name: 'control_production', arguments: { ...args, action: 'stop' } }));
    assert.equal(stopped.outcome, 'done');
    assert.equal(stopped.production.state, 'stopped');

    const again = errorText(await client.callTool({ name: 'control_production', arguments: { ...args, action: 'restart' } }));
    assert.match(again, /cooldown/);
    assert.equal(r.lines.filter((l) => l.includes('Refused restart ORDERS/Orders.Production from an AI assistant (MCP)')).length, 1);

    const held = holdNextCall(r.sim, 'control');
    const lab = { namespace: 'LAB', production: 'Lab.Results.Production' };
    const first = client.callTool({ name: 'control_production', arguments: { ...lab, action: 'restart' } });
    await held.entered;
    assert.match(errorText(await client.callTool({ name: 'control_production', arguments: { ...lab, action: 'stop' } })), /still running; this one was refused/);
    held.release();
    assert.equal(data(await first).outcome, 'done');

    const nothing = data(await client.callTool({ name: 'control_production', arguments: { ...args, action: 'recover' } }));
    assert.equal(nothing.outcome, 'nothing-to-do');
    assert.ok(r.calls.list().some((c) => c.tool === 'control_production' && c.outcome === 'refused'));
  });
});

describe('MCP server: a flood of calls', () => {
  it('answers 429 with Retry-After once the budget of a minute is spent, and logs one line for the flood', async () => {
    const r = await rig({ writeTools: false, perMinute: 20 });
    try {
      const url = r.url + r.token.current;
      const statuses: number[] = [];
      for (let n = 0; n < 60; n++) {
        const res = await fetch(url, { method: 'POST', headers: MCP_HEADERS, body: rpc('tools/list') });
        statuses.push(res.status);
        if (res.status === 429) assert.ok(Number(res.headers.get('retry-after')) >= 1);
        await res.arrayBuffer();
      }
      assert.equal(statuses.filter((s) => s === 429).length, 40);
      assert.equal(r.lines.filter((l) => l.includes('Too many requests')).length, 1);
    } finally {
      await r.close();
    }
  });
});
