// What the bridge keeps per production and host between polls (src/mqtt/host-cache.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HostSnapshot } from '../../src/model/production.ts';
import type { ProductionView } from '../../src/model/view.ts';
import { hostRefs } from '../../src/mqtt/hosts.ts';
import { HostCache, discoveryChanged, stateChanged } from '../../src/mqtt/host-cache.ts';
import { Topics } from '../../src/mqtt/topics.ts';
import { hostSnapshot } from '../support/fixtures.ts';

const topics = new Topics('iris');
const host = hostSnapshot;
const production = (hosts: HostSnapshot[]): ProductionView =>
  ({ key: 'ORDERS/Orders.Production', namespace: 'ORDERS', name: 'Orders.Production', hosts }) as unknown as ProductionView;

describe('host cache', () => {
  it('computes topics and keys once, and again when the hosts change', () => {
    const cache = new HostCache(topics);
    const p = production([host('HL7.In'), host('HL7_In')]);
    const a = cache.of(p);
    assert.deepEqual(a.hosts.map((h) => h.ref), hostRefs(p.hosts));
    assert.notEqual(a.hosts[0]?.ref.key, a.hosts[1]?.ref.key, 'colliding slugs get keys of their own');
    assert.equal(a.hosts[0]?.ids.stateTopic, topics.hostState(p, a.hosts[0]?.ref.key as string));
    assert.equal(a.hosts[1]?.ids.discoveryTopic, topics.hostDiscovery(p, a.hosts[1]?.ref.key as string));
    assert.equal(a.stateTopic, topics.productionState(p));
    // New snapshot objects with the same names: the same entry.
    assert.equal(cache.of(production([host('HL7.In', { queue: 5 }), host('HL7_In')])), a);
    const renamed = cache.of(production([host('HL7.In'), host('HL7.Out')]));
    assert.notEqual(renamed, a);
    assert.equal(renamed.hosts[1]?.ids.stateTopic, topics.hostState(p, 'hl7_out'));
    cache.forget(p.key);
    assert.notEqual(cache.of(production([host('HL7.In'), host('HL7.Out')])), renamed, 'forgotten: built afresh');
  });

  it('tells a changed host state from an unchanged one, field by field', () => {
    const [c] = new HostCache(topics).of(production([host('A')])).hosts;
    assert.ok(c);
    assert.equal(stateChanged(c, host('A')), true, 'never built: must be');
    assert.equal(stateChanged(c, host('A')), false);
    for (const change of [{ status: 'error' }, { queue: 1 }, { errors: 2 }, { lastActivity: '2026-12-02T10:00:00.000Z' }, { enabled: false }] as Partial<HostSnapshot>[]) {
      assert.equal(stateChanged(c, host('A', change)), true, JSON.stringify(change));
      assert.equal(stateChanged(c, host('A', change)), false, `${JSON.stringify(change)} again`);
      assert.equal(stateChanged(c, host('A')), true, 'and back');
    }
  });

  it('looks at a host device again when the context, class or kind changes', () => {
    const [c] = new HostCache(topics).of(production([host('A')])).hosts;
    assert.ok(c);
    assert.equal(discoveryChanged(c, 1, host('A')), true);
    assert.equal(discoveryChanged(c, 1, host('A')), false);
    assert.equal(discoveryChanged(c, 2, host('A')), true, 'a new discovery context');
    assert.equal(discoveryChanged(c, 2, host('A', { className: 'Demo.Service' })), true);
    assert.equal(discoveryChanged(c, 2, host('A', { className: 'Demo.Service', kind: 'process' })), true);
    assert.equal(discoveryChanged(c, 2, host('A', { className: 'Demo.Service', kind: 'process' })), false);
  });
});
