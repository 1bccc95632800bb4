/**
 * The MCP tools without a transport: their schemas (closed, bounded, the instance ids as an
 * enum), what each schema accepts and refuses, the write tool only with mcp_write_tools, and the
 * guards: a refusal of the monitor is reported once and answered as a tool error with its words,
 * an unexpected failure is answered without its internals.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { z } from 'zod';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { registerTools, type McpSources } from '../../src/mcp/tools.ts';
import { CommandCooldownError } from '../../src/monitor/errors.ts';
import type { Monitor } from '../../src/monitor/monitor.ts';
import { productionView } from '../support/fixtures.ts';

interface Registered {
  config: { description?: string; inputSchema?: Record<string, z.ZodType>; annotations?: Record<string, unknown> };
  run: (args: unknown) => Promise<{ isError?: boolean; content: Array<{ text: string }> }>;
}

function tools(sources: Partial<McpSources> & { monitor?: Partial<Monitor> }, reports: unknown[][] = [], refusals: unknown[][] = []): Map<string, Registered> {
  const found = new Map<string, Registered>();
  const server = { registerTool: (name: string, config: Registered['config'], run: Registered['run']) => void found.set(name, { config, run }) } as unknown as McpServer;
  const view = { reachable: true, inventoried: true, instance: null, metrics: null, productions: [productionView('Orders.Production', 'running')] };
  const monitor = { view, execute: async () => ({ outcome: 'done' as const }), ...sources.monitor } as unknown as Monitor;
  registerTools(
    server,
    { instances: sources.instances ?? [{ id: 'iris', name: 'IRIS', monitor }, { id: 'office', name: 'IRIS office', monitor }], writeTools: sources.writeTools ?? false, ...(sources.certificates ? { certificates: sources.certificates } : {}) },
    (...r) => void reports.push(r),
    (...r) => void refusals.push(r),
  );
  return found;
}

const schemaOf = (t: Registered) => z.object(t.config.inputSchema ?? {}).strict();

describe('MCP tools', () => {
  it('are the read tools, each described, read-only, with the instance ids as an enum', () => {
    const t = tools({});
    assert.deepEqual([...t.keys()].sort(), ['certificates_expiring', 'get_production', 'instance_health', 'list_backups', 'list_productions', 'production_event_log']);
    for (const [name, r] of t) {
      assert.ok((r.config.description ?? '').length > 40, name);
      assert.equal(r.config.annotations?.readOnlyHint, true, name);
    }
    const json = z.toJSONSchema(schemaOf(t.get('list_productions')!)) as unknown as { properties: { instance: { enum: string[] } } };
    assert.deepEqual(json.properties.instance.enum, ['iris', 'office']);
  });

  it('offer control_production only with mcp_write_tools, marked destructive', () => {
    assert.ok(!tools({ writeTools: false }).has('control_production'));
    const control = tools({ writeTools: true }).get('control_production')!;
    assert.equal(control.config.annotations?.destructiveHint, true);
    const s = schemaOf(control);
    assert.ok(s.safeParse({ namespace: 'ORDERS', production: 'Orders.Production', action: 'restart' }).success);
    for (const bad of [{ namespace: 'ORDERS', production: 'Orders.Production' }, { namespace: 'ORDERS', production: 'Orders.Production', action: 'delete' }, { namespace: 'ORDERS', production: 'Orders.Production', action: 'stop', overrideCooldown: true }]) {
      assert.equal(s.safeParse(bad).success, false, JSON.stringify(bad));
    }
  });

  it('schemas refuse what is out of bounds: long names, unknown fields, limits, wrong types', () => {
    const t = tools({});
    const get = schemaOf(t.get('get_production')!);
    const events = schemaOf(t.get('production_event_log')!);
    const certs = schemaOf(t.get('certificates_expiring')!);
    assert.equal(get.safeParse({ namespace: 'ORDERS', production: 'x'.repeat(129) }).success, false);
    assert.equal(get.safeParse({ namespace: '  ', production: 'Orders.Production' }).success, false);
    assert.equal(get.safeParse({ namespace: 'ORDERS', production: 'Orders.Production', sql: 'DROP' }).success, false);
    assert.equal(get.safeParse({ namespace: 'ORDERS', production: 'Orders.Production', instance: 'elsewhere' }).success, false);
    assert.equal(events.safeParse({ namespace: 'ORDERS', production: 'P', limit: 51 }).success, false);
    assert.equal(events.safeParse({ namespace: 'ORDERS', production: 'P', limit: 2.5 }).success, false);
    assert.deepEqual(events.parse({ namespace: 'ORDERS', production: 'P' }), { namespace: 'ORDERS', production: 'P', type: 'any', limit: 20 });
    assert.equal(certs.safeParse({ within_days: -1 }).success, false);
    assert.equal(certs.safeParse({ within_days: '30' }).success, false);
  });

  it('every schema survives any JSON value without throwing (fuzz)', () => {
    const schemas = [...tools({ writeTools: true }).values()].map(schemaOf);
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        for (const s of schemas) s.safeParse(v);
      }),
      { numRuns: 300 },
    );
  });

  it('find a production however its names are written, and name the known ones when there is none', async () => {
    const reports: unknown[][] = [];
    const t = tools({}, reports);
    const ok = await t.get('get_production')!.run({ namespace: 'orders', production: 'ORDERS.PRODUCTION' });
    assert.equal(JSON.parse(ok.content[0]!.text).production, 'Orders.Production');
    const missing = await t.get('get_production')!.run({ namespace: 'LAB', production: 'Lab.Production' });
    assert.equal(missing.isError, true);
    assert.match(missing.content[0]!.text, /no production Lab\.Production in namespace LAB of IRIS\. Known: ORDERS\/Orders\.Production/);
    assert.deepEqual(reports, [['get_production', 'ok', null], ['get_production', 'error', missing.content[0]!.text]]);
  });

  it('report a refused command once and answer it with the refusal; an unexpected failure without its internals', async () => {
    const reports: unknown[][] = [];
    const refusals: unknown[][] = [];
    const refusing = tools({ writeTools: true, monitor: { execute: async () => Promise.reject(new CommandCooldownError('ORDERS/Orders.Production', 12)) } }, reports, refusals);
    const r = await refusing.get('control_production')!.run({ namespace: 'ORDERS', production: 'Orders.Production', action: 'stop' });
    assert.equal(r.isError, true);
    assert.match(r.content[0]!.text, /cooldown refuses another stop or restart for 12 s/);
    assert.equal(refusals.length, 1);
    assert.deepEqual(refusals[0]!.slice(0, 2), ['ORDERS/Orders.Production', 'stop']);
    assert.equal(reports.at(-1)![1], 'refused');

    const failing = tools({ writeTools: true, monitor: { execute: async () => Promise.reject(new TypeError('secret internals at /data/x')) } });
    const f = await failing.get('control_production')!.run({ namespace: 'ORDERS', production: 'Orders.Production', action: 'start' });
    assert.equal(f.isError, true);
    assert.doesNotMatch(f.content[0]!.text, /internals/);
  });

  it('certificates_expiring keeps those within the days asked, with the days left', async () => {
    const now = Date.now();
    const t = tools({ certificates: async () => [{ id: 'x', name: 'expired', notAfter: new Date(now - 86_400_000 * 2).toISOString() }, { id: 'y', name: 'later', notAfter: new Date(now + 86_400_000 * 90).toISOString() }] });
    const r = JSON.parse((await t.get('certificates_expiring')!.run({ within_days: 30 })).content[0]!.text);
    assert.deepEqual(r.certificates.map((c: { name: string; days_left: number }) => [c.name, c.days_left]), [['expired', -2]]);
  });
});
