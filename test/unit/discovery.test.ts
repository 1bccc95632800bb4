import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PRODUCTION_STATES } from '../../src/model/production.ts';
import { instanceDiscovery, productionDiscovery, productionDisplayName, type DiscoveryContext } from '../../src/mqtt/discovery.ts';
import { productionState } from '../../src/mqtt/state.ts';
import { slug, Topics } from '../../src/mqtt/topics.ts';
import type { ProductionView } from '../../src/monitor/view.ts';
import { validateDiscovery } from '../support/discovery-validator.ts';

const topics = new Topics('iris');
const ctx: DiscoveryContext = {
  topics,
  bridgeVersion: '0.1.0',
  entityPrefix: '',
  instanceName: 'IRIS',
  instanceModel: 'IRIS simulator',
  irisVersion: '2026.1.0.213.0',
  useDefaultEntityId: true,
};
const orders = { namespace: 'ORDERS', name: 'Orders.Production' };
const lab = { namespace: 'LAB', name: 'Lab.Results.Production' };

function all(): Map<string, string> {
  return new Map([
    [topics.instanceDiscovery(), JSON.stringify(instanceDiscovery(ctx))],
    [topics.productionDiscovery(orders), JSON.stringify(productionDiscovery(ctx, orders))],
    [topics.productionDiscovery(lab), JSON.stringify(productionDiscovery(ctx, lab))],
  ]);
}

describe('discovery payloads', () => {
  it('pass the Home Assistant discovery rules', () => {
    assert.deepEqual(validateDiscovery(all()), []);
  });

  it('give each production a device below the instance, with a nameless main switch', () => {
    const p = productionDiscovery(ctx, orders);
    assert.equal(p.dev.name, 'Orders Production');
    assert.equal(p.dev.via_device, 'iris_edge_iris');
    assert.deepEqual(Object.keys(p.cmps).sort(), ['restart', 'running', 'status', 'troubled']);
    assert.equal(p.cmps.running?.name, null);
    assert.equal(p.cmps.running?.default_entity_id, 'switch.orders_production');
    assert.equal(p.cmps.status?.default_entity_id, 'sensor.orders_production_status');
    assert.deepEqual(p.cmps.status?.ops, [...PRODUCTION_STATES]);
    assert.equal(p.cmps.troubled?.dev_cla, 'problem');
    assert.equal(p.cmps.restart?.dev_cla, 'restart');
    assert.equal(topics.productionDiscovery(orders), 'homeassistant/device/iris_edge_iris/orders__orders_production/config');
  });

  it('uses object_id for Home Assistant releases before 2025.10', () => {
    const p = productionDiscovery({ ...ctx, useDefaultEntityId: false }, orders);
    assert.equal(p.cmps.running?.object_id, 'orders_production');
    assert.equal(p.cmps.running?.default_entity_id, undefined);
  });

  it('keeps unique ids stable and independent of display names', () => {
    const a = productionDiscovery(ctx, orders);
    const b = productionDiscovery({ ...ctx, bridgeVersion: '9.9.9', irisVersion: null }, orders);
    assert.deepEqual(
      Object.values(a.cmps).map((c) => c.uniq_id),
      Object.values(b.cmps).map((c) => c.uniq_id),
    );
  });

  it('publishes states the enum sensor accepts', () => {
    for (const state of PRODUCTION_STATES) {
      const doc = JSON.parse(
        productionState({ ...orders, key: 'ORDERS/Orders.Production', state, irisState: 'running', commandInFlight: null, hosts: [], needsUpdate: false, updateReason: '' } satisfies ProductionView),
      ) as { state: string };
      assert.ok(PRODUCTION_STATES.includes(doc.state as never));
    }
  });

  it('the validator catches the mistakes Home Assistant rejects', () => {
    const broken = productionDiscovery(ctx, orders) as { cmps: Record<string, Record<string, unknown>>; dev: Record<string, unknown> };
    broken.cmps.status = { ...broken.cmps.status, unit_of_meas: 'C' };
    broken.cmps.troubled = { ...broken.cmps.troubled, name: 'Orders Production troubled' };
    broken.cmps.extra = { p: 'sensor', name: 'Temp', uniq_id: 'iris_edge_iris_orders_orders_production_status', dev_cla: 'temperature', unit_of_meas: 'C' };
    broken.dev.support_url = 'https://x';
    const findings = validateDiscovery({ [topics.productionDiscovery(orders)]: JSON.stringify(broken), 'homeassistant/device/bad topic/config': '{}' });
    const problems = findings.map((f) => f.problem).join('\n');
    assert.match(problems, /device_class enum takes no unit/);
    assert.match(problems, /repeats the device name/);
    assert.match(problems, /unit C is not valid for device_class temperature/);
    assert.match(problems, /unique_id .* already used/);
    assert.match(problems, /unknown device key support_url/);
    assert.match(problems, /illegal discovery topic/);
  });
});

describe('topics', () => {
  it('slugs IRIS class names into topic- and id-safe words', () => {
    assert.equal(slug('Orders.Production'), 'orders_production');
    assert.equal(slug('%SYS'), 'sys');
    assert.equal(slug('Ünïcode..Prod'), 'n_code_prod');
    assert.equal(productionDisplayName('Lab.Results.Production'), 'Lab Results Production');
  });

  it('recognises only its own command topics', () => {
    assert.deepEqual(topics.parseCommand('iris-edge/iris/orders/orders_production/set'), { nsSlug: 'orders', prodSlug: 'orders_production', kind: 'set' });
    assert.deepEqual(topics.parseCommand('iris-edge/iris/orders/orders_production/restart')?.kind, 'restart');
    assert.equal(topics.parseCommand('iris-edge/other/orders/orders_production/set'), null);
    assert.equal(topics.parseCommand('iris-edge/iris/orders/orders_production/state'), null);
    assert.equal(topics.parseCommand('iris-edge/iris/orders/set'), null);
  });
});
