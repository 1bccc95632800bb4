// The discovery documents as Home Assistant receives them, whole: every key, topic, template and
// payload word is part of the contract with HA, so the reviewed documents under
// test/fixtures/discovery are compared field for field, and each option of the builders is
// checked for what it changes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  entityId,
  instanceDiscovery,
  irisAvailability,
  NO_PRODUCTION,
  ORIGIN_URL,
  origin,
  productionDiscovery,
} from '../../src/mqtt/discovery.ts';
import { productionDisplayName } from '../../src/model/production.ts';
import { hostDiscovery, hostIds } from '../../src/mqtt/hosts.ts';
import { discoveryContext } from '../support/fixtures.ts';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/discovery/${name}`, import.meta.url), 'utf8'));
const ctx = discoveryContext();
const orders = { namespace: 'ORDERS', name: 'Orders.Production' };
const roundTrip = (v: unknown) => JSON.parse(JSON.stringify(v));

describe('discovery documents, whole', () => {
  it('a production device with interoperability metrics', () => {
    assert.deepEqual(roundTrip(productionDiscovery(ctx, orders, {}, true)), fixture('orders-production.json'));
  });

  it('a production device without them has no message sensor, and nothing else changes', () => {
    const want = fixture('orders-production.json');
    delete want.cmps.messages;
    assert.deepEqual(roundTrip(productionDiscovery(ctx, orders)), want);
  });

  it('a host on a device of its own, below its production', () => {
    const host = { name: 'HL7.In.File', key: 'hl7_in_file', className: 'EnsLib.HL7.Service.FileService', kind: 'service' as const };
    assert.deepEqual(roundTrip(hostDiscovery(ctx, hostIds(ctx.topics, orders, host.key), host)), fixture('orders-host-device.json'));
  });

  it('the instance device, its selects sorted by namespace and options by name', () => {
    const productions = [{ namespace: 'ORDERS', name: 'Orders.Replay.Production' }, { namespace: 'LAB', name: 'Lab.Production' }, orders];
    assert.deepEqual(roundTrip(instanceDiscovery(ctx, productions)), fixture('iris-instance.json'));
  });
});

describe('discovery options', () => {
  it('the instance document does not depend on the order IRIS lists productions in', () => {
    // Discovery is republished when its text changes: a reordered inventory must not change it.
    const productions = [orders, { namespace: 'ORDERS', name: 'Orders.Replay.Production' }, { namespace: 'LAB', name: 'Lab.Production' }];
    assert.equal(JSON.stringify(instanceDiscovery(ctx, productions)), JSON.stringify(instanceDiscovery(ctx, [...productions].reverse())));
  });

  it('no IRIS version yet: the instance device has no sw_version', () => {
    const dev = instanceDiscovery({ ...ctx, irisVersion: null }).dev;
    assert.equal('sw' in dev, false);
    assert.equal(instanceDiscovery(ctx).dev.sw, '2026.1.0.213.0');
  });

  it('no productions: no selects', () => {
    assert.deepEqual(Object.keys(instanceDiscovery(ctx).cmps), ['reachable', 'version', 'bridge_version', 'events']);
  });

  it('extra components join the instance device; host components join the production device', () => {
    const extra = { cpu: { p: 'sensor', name: 'CPU' } };
    assert.deepEqual(instanceDiscovery(ctx, [], extra).cmps.cpu, extra.cpu);
    assert.deepEqual(productionDiscovery(ctx, orders, extra).cmps.cpu, extra.cpu);
  });

  it('a remote instance prefixes its entity ids, for both id styles', () => {
    assert.deepEqual(entityId({ ...ctx, entityPrefix: 'lab' }, 'sensor', 'x_queue'), { default_entity_id: 'sensor.lab_x_queue', object_id: 'lab_x_queue' });
    assert.deepEqual(entityId(ctx, 'sensor', 'x_queue'), { default_entity_id: 'sensor.x_queue', object_id: 'x_queue' });
    const p = productionDiscovery({ ...ctx, entityPrefix: 'lab' }, orders);
    assert.equal(p.cmps.running?.default_entity_id, 'switch.lab_orders_production');
    assert.equal(p.cmps.running?.uniq_id, 'iris_edge_iris_orders_orders_production_running', 'unique ids come from the topics, not the prefix');
  });

  it('origin and availability', () => {
    assert.deepEqual(origin({ ...ctx, bridgeVersion: '9.9.9' }), { name: 'IRIS Edge', sw: '9.9.9', url: ORIGIN_URL });
    assert.equal(ORIGIN_URL, 'https://github.com/iris-edge/iris-edge');
    assert.deepEqual(irisAvailability(ctx), {
      avty: [{ t: 'iris-edge/iris/bridge/availability' }, { t: 'iris-edge/iris/availability' }],
      avty_mode: 'all',
    });
  });

  it('display names: class name parts joined by spaces, empty parts dropped', () => {
    assert.equal(productionDisplayName('Orders..Production.'), 'Orders Production');
    assert.equal(productionDisplayName('Single'), 'Single');
    assert.equal(NO_PRODUCTION, 'No production');
  });
});
