/**
 * The MCP tools over the user-defined sensors, through the MCP SDK's own client on real sockets:
 * user_sensors reports each sensor and its value now (null when unavailable); query_sql runs one
 * read-only query as the sensors' own IRIS user on the simulator, with the user sensors' rules
 * (the bridge's own check of a single SELECT, then IRIS's statement type and SQL privileges).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { sensorSources } from '../../src/compose/mcp.ts';
import type { AgentIrisClient } from '../../src/iris/agent/client.ts';
import { IrisSimulator } from '../../src/iris/simulator/index.ts';
import { CallLog } from '../../src/mcp/call-log.ts';
import { startMcpServer, type RunningMcpServer } from '../../src/mcp/server.ts';
import { McpToken } from '../../src/mcp/token.ts';
import { readSensorDefinitions } from '../../src/model/sensor-definition.ts';
import { SQL_MAX_CHARS } from '../../src/model/sensor-source.ts';
import { Monitor } from '../../src/monitor/monitor.ts';
import { UserSensorFeature } from '../../src/mqtt/user-sensors.ts';
import { AttemptLimiter } from '../../src/panel/attempts.ts';
import { captureLogger } from '../support/fixtures.ts';

const NS = 'ORDERS';

function result(r: unknown): { error: boolean; text: string } {
  const res = r as CallToolResult;
  return { error: res.isError === true, text: (res.content[0] as { text: string }).text };
}

describe('MCP tools over user-defined sensors, on the simulator', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-sensors-'));
  let sim: IrisSimulator;
  let monitor: Monitor;
  let sensorsClient: AgentIrisClient;
  let feature: UserSensorFeature;
  const servers: RunningMcpServer[] = [];
  const clients: Client[] = [];

  async function serve(withSensors: boolean): Promise<Client> {
    const token = new McpToken(join(dir, `token-${servers.length}`));
    await token.init();
    const { log } = captureLogger();
    const server = await startMcpServer({
      sources: {
        instances: [{ id: 'iris', name: 'IRIS', monitor }],
        writeTools: false,
        ...(withSensors ? sensorSources({ feature, connection: sensorsClient }, ['Orders']) : {}),
      },
      token,
      calls: new CallLog(),
      host: '127.0.0.1',
      port: 0,
      anyNetwork: false,
      budget: () => new AttemptLimiter(1000, 60_000),
      refused: () => {},
      log,
      serverVersion: 'test',
    });
    servers.push(server);
    const client = new Client({ name: 'iris-edge-test', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${server.port}/mcp/${token.current}`)));
    clients.push(client);
    return client;
  }

  before(async () => {
    sim = new IrisSimulator({ transitionMs: 1 });
    sim.iris.userData.define(NS, { tables: { 'Orders.Open': [{ Id: 'A-1', Total: 9.5 }, { Id: 'A-2', Total: 3 }], 'Orders.Secret': [{ Pin: 1234 }] } });
    sim.iris.security.grantSelect('IrisEdgeSensors', 'Orders.Open');
    sim.iris.security.grant('IrisEdgeSensors', `%DB_${NS}`, 'R');
    sensorsClient = sim.sensorClient();
    monitor = new Monitor(sim, { pollIntervalMs: 3_600_000, removalGracePolls: 2, commandCooldownMs: 60_000 }, captureLogger().log);
    await monitor.start();
    const { sensors, problems } = readSensorDefinitions(
      [
        { name: 'Open orders', namespace: NS, sql: 'SELECT COUNT(*) FROM Orders.Open', unit: 'orders', state_class: 'measurement' },
        { name: 'Backlog', namespace: NS, method: 'Orders.Stats.Backlog', production: 'Orders.Production' },
      ],
      { pollIntervalS: 10, packages: ['Orders'] },
    );
    assert.deepEqual(problems, []);
    feature = new UserSensorFeature('iris-edge/iris/sensors', sensors, []);
    feature.updateRead(new Map([[sensors[0]!.key, { value: 2 }]]));
  });
  after(async () => {
    for (const c of clients) await c.close();
    for (const s of servers) await s.close();
    monitor.stop();
    await sensorsClient.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists both tools; user_sensors gives each sensor, its unit and value, null when unavailable', async () => {
    const client = await serve(true);
    const names = (await client.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes('user_sensors') && names.includes('query_sql'), names.join(', '));
    const r = result(await client.callTool({ name: 'user_sensors', arguments: {} }));
    assert.equal(r.error, false, r.text);
    assert.deepEqual(JSON.parse(r.text), {
      sensors: [
        { name: 'Open orders', source: 'sql', namespace: NS, unit: 'orders', deviceClass: null, production: null, value: 2 },
        { name: 'Backlog', source: 'method', namespace: NS, unit: null, deviceClass: null, production: 'Orders.Production', value: null },
      ],
    });
  });

  it("query_sql answers the first row of a granted table, as the sensors' user", async () => {
    const client = await serve(true);
    const r = result(await client.callTool({ name: 'query_sql', arguments: { namespace: 'orders', query: 'SELECT Id, Total FROM Orders.Open' } }));
    assert.equal(r.error, false, r.text);
    const got = JSON.parse(r.text) as { namespace: string; first_column: unknown; row: Record<string, string> };
    assert.equal(got.namespace, NS);
    assert.equal(String(got.first_column), 'A-1');
    assert.deepEqual(got.row, { Id: 'A-1', Total: '9.5' });
  });

  it("refuses writes, two statements and tables the role was not granted, each with IRIS's or the bridge's reason", async () => {
    const client = await serve(true);
    const cases: [string, RegExp][] = [
      ["UPDATE Orders.Open SET Total = 0", /^query: only a SELECT/],
      ['SELECT 1; DELETE FROM Orders.Open', /^query: only one statement/],
      ['SELECT Pin FROM Orders.Secret', /^IRIS refused the query: .*-99/],
    ];
    for (const [query, why] of cases) {
      const r = result(await client.callTool({ name: 'query_sql', arguments: { namespace: NS, query } }));
      assert.equal(r.error, true, query);
      assert.match(r.text, why, query);
    }
    // Arguments outside the schema are the SDK's errors naming the field; nothing reaches IRIS.
    const long = result(await client.callTool({ name: 'query_sql', arguments: { namespace: NS, query: `SELECT ${'1,'.repeat(SQL_MAX_CHARS)}1` } }));
    assert.equal(long.error, true);
    assert.match(long.text, /query/);
  });

  it('without user sensors or a sensors login, both tools say why instead of failing', async () => {
    const client = await serve(false);
    const list = result(await client.callTool({ name: 'user_sensors', arguments: {} }));
    assert.equal(list.error, true);
    assert.match(list.text, /No user-defined sensors/);
    const sql = result(await client.callTool({ name: 'query_sql', arguments: { namespace: NS, query: 'SELECT 1' } }));
    assert.equal(sql.error, true);
    assert.match(sql.text, /no login for IRIS Edge's sensors user/);
  });
});
