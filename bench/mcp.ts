/**
 * Bench: what a tool call of an AI assistant costs on the MCP server, on the simulator at 10
 * productions x 100 hosts. Each call is done as Home Assistant's integration does it: a new MCP
 * client (initialize, initialized) and one tools/call, over real sockets with the official SDK's
 * client. Prints the median and 95th percentile per tool and the size of its answer, and the
 * same for a client that stays connected (Claude Desktop, VS Code). Figures only; nothing passes
 * or fails. The machine may be shared: the load average is printed beside the figures.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { IrisSimulator, scaleScenario } from '../src/iris/simulator/index.ts';
import { createLogger } from '../src/log/logger.ts';
import { CallLog } from '../src/mcp/call-log.ts';
import { startMcpServer } from '../src/mcp/server.ts';
import { McpToken } from '../src/mcp/token.ts';
import { Monitor } from '../src/monitor/monitor.ts';
import { AttemptLimiter } from '../src/panel/attempts.ts';

const CALLS = Number(process.env.CALLS ?? 200);
const quiet = createLogger('error', process.stderr);
const pct = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))] ?? 0;
const ms = (n: number) => `${n.toFixed(1)} ms`;

async function connect(url: string): Promise<Client> {
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-mcp-'));
  const sim = new IrisSimulator({ productions: scaleScenario(10, 100) });
  const monitor = new Monitor(sim, { pollIntervalMs: 3_600_000, removalGracePolls: 2 }, quiet);
  await monitor.start();
  const token = new McpToken(join(dir, 'mcp_token'));
  await token.init();
  const server = await startMcpServer({
    sources: { instances: [{ id: 'iris', name: 'IRIS', monitor }], writeTools: false },
    token,
    calls: new CallLog(),
    host: '127.0.0.1',
    port: 0,
    anyNetwork: false,
    budget: () => new AttemptLimiter(1_000_000, 60_000),
    refused: () => undefined,
    log: quiet,
    serverVersion: 'bench',
  });
  const url = `http://127.0.0.1:${server.port}/mcp/${token.current}`;
  const first = monitor.view.productions[0];
  const cases: Array<{ name: string; arguments: Record<string, unknown> }> = [
    { name: 'list_productions', arguments: {} },
    { name: 'get_production', arguments: { namespace: first?.namespace, production: first?.name } },
    { name: 'instance_health', arguments: {} },
  ];
  try {
    console.log(`MCP tool calls on the simulator, ${monitor.view.productions.length} productions x ${first?.hosts.length ?? 0} hosts, ${CALLS} calls each; load average ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);
    const persistent = await connect(url);
    for (const c of cases) {
      const fresh: number[] = [];
      const kept: number[] = [];
      let bytes = 0;
      for (let n = 0; n < CALLS; n++) {
        const t0 = performance.now();
        const client = await connect(url);
        const r = (await client.callTool(c)) as CallToolResult;
        fresh.push(performance.now() - t0);
        await client.close();
        bytes = Buffer.byteLength((r.content[0] as { text: string }).text);
        const t1 = performance.now();
        await persistent.callTool(c);
        kept.push(performance.now() - t1);
      }
      console.log(`${c.name.padEnd(18)} new client per call (Home Assistant): p50 ${ms(pct(fresh, 0.5))}, p95 ${ms(pct(fresh, 0.95))}; connected client: p50 ${ms(pct(kept, 0.5))}, p95 ${ms(pct(kept, 0.95))}; answer ${bytes} bytes`);
    }
    await persistent.close();
  } finally {
    await server.close();
    monitor.stop();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
