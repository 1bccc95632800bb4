/**
 * HostDiscoveryJson writes a host's discovery message from a template: it must be, byte for byte,
 * what serialising hostDiscovery gives, for any names IRIS may report (quotes, backslashes,
 * control characters, lone surrogates, text that looks like its own markers) and any context.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { HostKind } from '../../src/model/production.ts';
import { HostDiscoveryJson } from '../../src/mqtt/host-discovery-json.ts';
import { hostDiscovery, hostIds, hostRefs } from '../../src/mqtt/hosts.ts';
import { Topics } from '../../src/mqtt/topics.ts';
import { discoveryContext } from '../support/fixtures.ts';

const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom('Ens.X', 'EnsLib.HL7.Service.TCPService', '%Net.X', 'HS.Y', 'q00keyq', '"\\', 'a\u2028b'));

describe('a host discovery message written from its template', () => {
  it('is JSON.stringify(hostDiscovery(...)) for any host, production and context', () => {
    fc.assert(
      fc.property(
        fc.record({ namespace: text, name: text }),
        fc.array(fc.record({ name: text, className: text, kind: fc.constantFrom<HostKind>('service', 'process', 'operation') }), { minLength: 1, maxLength: 4 }),
        fc.record({ instanceId: fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/), entityPrefix: fc.constantFrom('', 'lab'), instanceName: text, bridgeVersion: text, panelUrl: fc.option(text), irisVersion: fc.option(text) }),
        (production, hosts, c) => {
          const ctx = discoveryContext({ topics: new Topics(c.instanceId), entityPrefix: c.entityPrefix, instanceName: c.instanceName, bridgeVersion: c.bridgeVersion, panelUrl: c.panelUrl, irisVersion: c.irisVersion });
          const json = new HostDiscoveryJson();
          const keyed = hostRefs(hosts);
          hosts.forEach((h, i) => {
            const ids = hostIds(ctx.topics, production, keyed[i]!.key);
            assert.equal(json.of(ctx, 1, ids, h), JSON.stringify(hostDiscovery(ctx, ids, h)));
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('escapes every UTF-16 code unit in a name as JSON.stringify does', () => {
    const ctx = discoveryContext();
    const json = new HostDiscoveryJson();
    const ids = hostIds(ctx.topics, { namespace: 'LAB', name: 'Lab' }, 'results_in');
    for (let c = 0; c < 0x10000; c++) {
      const host = { name: `a${String.fromCharCode(c)}b`, className: 'Lab.In', kind: 'service' as const };
      const want = JSON.stringify(hostDiscovery(ctx, ids, host));
      if (json.of(ctx, 1, ids, host) !== want) assert.fail(`U+${c.toString(16).padStart(4, '0')} is written differently`);
    }
  });

  it('takes a new template when the context changes', () => {
    const json = new HostDiscoveryJson();
    const p = { namespace: 'LAB', name: 'Lab.Production' };
    const host = { name: 'Results.In', className: 'EnsLib.HL7.Service.TCPService', kind: 'service' as const };
    const a = discoveryContext();
    const b = discoveryContext({ bridgeVersion: '9.9.9', panelUrl: null });
    const ids = hostIds(a.topics, p, 'results_in');
    assert.equal(json.of(a, 1, ids, host), JSON.stringify(hostDiscovery(a, ids, host)));
    assert.equal(json.of(b, 2, ids, host), JSON.stringify(hostDiscovery(b, ids, host)));
    assert.ok(json.of(b, 2, ids, host).includes('"sw":"9.9.9"'));
  });

  it('gives equal digests only to equal messages, and the same digest where a new context leaves the message alone', () => {
    const host = fc.record({ name: text, className: text, kind: fc.constantFrom<HostKind>('service', 'process', 'operation') });
    const production = fc.record({ namespace: fc.constantFrom('LAB', 'Lab', 'ORDERS'), name: fc.constantFrom('Lab.Production', 'Lab-Production', 'Orders') });
    const context = fc.record({ bridgeVersion: fc.constantFrom('1.0.0', '9.9.9'), instanceName: fc.constantFrom('IRIS', 'IRIS lab') });
    fc.assert(
      fc.property(fc.array(fc.tuple(context, production, host), { minLength: 2, maxLength: 6 }), (cases) => {
        const json = new HostDiscoveryJson();
        // One generation per distinct context, as the bridge numbers them.
        const generations = new Map<string, number>();
        const written = cases.map(([c, p, h]) => {
          const ctx = discoveryContext(c);
          const key = JSON.stringify(c);
          if (!generations.has(key)) generations.set(key, generations.size + 1);
          const generation = generations.get(key)!;
          const ids = hostIds(ctx.topics, p, hostRefs([h])[0]!.key);
          return { message: json.of(ctx, generation, ids, h), digest: json.digest(ctx, generation, ids, h) };
        });
        for (const a of written) for (const b of written) assert.equal(a.digest === b.digest, a.message === b.message);
      }),
      { numRuns: 300 },
    );
    const json = new HostDiscoveryJson();
    const ctx = discoveryContext();
    const ids = hostIds(ctx.topics, { namespace: 'LAB', name: 'Lab' }, 'results_in');
    const h = { name: 'Results.In', className: 'Lab.In', kind: 'service' as const };
    assert.equal(json.digest(ctx, 1, ids, h), json.digest({ ...ctx }, 2, ids, h), 'a new generation of the same template');
  });
});
