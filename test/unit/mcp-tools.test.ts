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
import type { MessageSearch } from '../../src/model/message-search.ts';

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
    assert.deepEqual([...t.keys()].sort(), ['certificates_expiring', 'get_production', 'instance_health', 'list_backups', 'list_productions', 'production_event_log', 'query_sql', 'search_messages', 'user_sensors']);
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

  it('search_messages: a closed, bounded schema; each field out of bounds is refused by name', () => {
    const s = schemaOf(tools({}).get('search_messages')!);
    assert.deepEqual(s.parse({ namespace: 'ORDERS' }), { namespace: 'ORDERS', errors_only: false, limit: 20 });
    assert.ok(s.safeParse({ namespace: 'ORDERS', production: 'Orders.Production', since: '2026-01-31T08:00:00Z', until: '2026-02-01T08:00:00+01:00', host: 'HL7.Out.Lab', status: 'error', errors_only: true, limit: 50 }).success);
    const bad: Array<[string, Record<string, unknown>]> = [
      ['limit', { limit: 51 }],
      ['limit', { limit: 0 }],
      ['since', { since: '2026-01-31 08:00:00' }], // no zone: whose local time?
      ['since', { since: 'yesterday' }],
      ['until', { until: 1769846400000 }],
      ['status', { status: 'failed' }],
      ['host', { host: 'x'.repeat(129) }],
      ['errors_only', { errors_only: 'yes' }],
      ['sql', { sql: 'SELECT 1' }],
    ];
    for (const [field, extra] of bad) {
      const r = s.safeParse({ namespace: 'ORDERS', ...extra });
      assert.equal(r.success, false, field);
      assert.ok(JSON.stringify(r.error?.issues).includes(field), `${field}: ${JSON.stringify(r.error?.issues)}`);
    }
  });

  it('search_messages: the window defaults to the last day and is bounded; the scope is checked before IRIS is asked', async () => {
    const asked: Array<[string, MessageSearch]> = [];
    const view = { reachable: true, inventoried: true, instance: null, metrics: null, productions: [{ ...productionView('Orders.Production', 'running'), hosts: [{ name: 'HL7.Out.Lab' }] }] };
    const monitor = { view } as unknown as Monitor;
    const searchMessages = async (ns: string, search: MessageSearch) => {
      asked.push([ns, search]);
      return { more: true, messages: [{ id: 9, timeCreated: '2026-01-31T08:00:00.000Z', source: 'Orders.Router', target: 'HL7.Out.Lab', bodyClass: 'EnsLib.HL7.Message', status: 'error' as const, isError: true, sessionId: 8 }] };
    };
    const t = tools({ instances: [{ id: 'iris', name: 'IRIS', monitor, searchMessages }] }).get('search_messages')!;
    const s = schemaOf(t);
    const run = async (args: Record<string, unknown>) => t.run(s.parse({ namespace: 'ORDERS', ...args }));

    const before = Date.now();
    const ok = JSON.parse((await run({ namespace: 'orders' })).content[0]!.text);
    assert.equal(ok.namespace, 'ORDERS');
    assert.equal(ok.more, true);
    assert.deepEqual(ok.messages[0], { id: 9, time: '2026-01-31T08:00:00.000Z', source: 'Orders.Router', target: 'HL7.Out.Lab', body_class: 'EnsLib.HL7.Message', status: 'error', error: true, session: 8 });
    const [ns, first] = asked[0]!;
    assert.equal(ns, 'ORDERS');
    assert.equal(Date.parse(first.until) - Date.parse(first.since), 86_400_000);
    assert.ok(Date.parse(first.until) >= before - 1000 && Date.parse(first.until) <= Date.now());
    assert.deepEqual({ ...first, since: 0, until: 0 }, { production: null, since: 0, until: 0, host: null, status: null, errorsOnly: false, limit: 20 });

    await run({ production: 'orders.production', host: 'HL7.Out.Lab', since: '2026-01-31T09:00:00+01:00', until: '2026-02-01T08:00:00Z', status: 'error', errors_only: true, limit: 5 });
    assert.deepEqual(asked[1], ['ORDERS', { production: 'Orders.Production', since: '2026-01-31T08:00:00.000Z', until: '2026-02-01T08:00:00.000Z', host: 'HL7.Out.Lab', status: 'error', errorsOnly: true, limit: 5 }]);

    const refusals: Array<[Record<string, unknown>, RegExp]> = [
      [{ since: '2026-02-01T00:00:00Z', until: '2026-02-01T00:00:00Z' }, /"since" must be before "until"/],
      [{ since: '2026-01-01T00:00:00Z', until: '2026-02-01T00:00:01Z' }, /at most 31 days/],
      [{ since: '2020-01-01T00:00:00Z' }, /at most 31 days/],
      [{ namespace: 'LAB' }, /no interoperability namespace LAB\. Known: ORDERS/],
      [{ production: 'Lab.Production' }, /no production Lab\.Production in namespace ORDERS/],
      [{ production: 'Orders.Production', host: 'Orders.DB' }, /has no host Orders\.DB\. Its hosts: HL7\.Out\.Lab/],
    ];
    for (const [args, message] of refusals) {
      const r = await run(args);
      assert.equal(r.isError, true, JSON.stringify(args));
      assert.match(r.content[0]!.text, message);
    }
    assert.equal(asked.length, 2, 'a refused search reached IRIS');
    const unwired = tools({ instances: [{ id: 'iris', name: 'IRIS', monitor }] }).get('search_messages')!;
    assert.match((await unwired.run(s.parse({ namespace: 'ORDERS' }))).content[0]!.text, /cannot be searched from here/);
  });

  it('certificates_expiring keeps those within the days asked, with the days left', async () => {
    const now = Date.now();
    const t = tools({ certificates: async () => [{ id: 'x', name: 'expired', notAfter: new Date(now - 86_400_000 * 2 + 3_600_000).toISOString() }, { id: 'y', name: 'later', notAfter: new Date(now + 86_400_000 * 90).toISOString() }] });
    const r = JSON.parse((await t.get('certificates_expiring')!.run({ within_days: 30 })).content[0]!.text);
    assert.deepEqual(r.certificates.map((c: { name: string; days_left: number }) => [c.name, c.days_left]), [['expired', -2]]);
  });
});
