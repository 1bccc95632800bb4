import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PRODUCTION_STATES } from '../../src/model/production.ts';
import { productionDisplayName } from '../../src/model/production.ts';
import { instanceDiscovery, productionDiscovery } from '../../src/mqtt/discovery.ts';
import { productionState } from '../../src/mqtt/state.ts';
import { slug, uniqueSlugs } from '../../src/model/ids.ts';
import { hostComponentsForProduction, hostDiscovery, hostIds, hostRefs, hostsOnOwnDevices } from '../../src/mqtt/hosts.ts';
import { manufacturerOf } from '../../src/mqtt/discovery.ts';
import { roundQueue, namespaceState } from '../../src/mqtt/state.ts';
import type { ProductionView } from '../../src/model/view.ts';
import { RESERVED_SEGMENTS } from '../../src/mqtt/topics.ts';
import { toIrisTopicBase } from '../../src/mqtt/to-iris.ts';
import { validateDiscovery } from '../support/discovery-validator.ts';
import { discoveryContext } from '../support/fixtures.ts';

const ctx = discoveryContext();
const topics = ctx.topics;
const orders = { namespace: 'ORDERS', name: 'Orders.Production' };
const lab = { namespace: 'LAB', name: 'Lab.Results.Production' };

const host = (name: string, kind: 'service' | 'process' | 'operation') => ({
  name, className: `EnsLib.${kind}`, kind, enabled: true, status: 'ok' as const, queue: 0, errors: 0, lastActivity: null,
});
const ordersFull = { ...orders, hosts: [host('HL7.In.File', 'service'), host('Orders.Router', 'process')] };
const labFull = { ...lab, hosts: [host('Results.In.TCP', 'service')] };

function all(): Map<string, string> {
  return new Map([
    [topics.instanceDiscovery(), JSON.stringify(instanceDiscovery(ctx, [orders, lab, { namespace: 'ORDERS', name: 'Orders.Replay.Production' }]))],
    // Hosts on the production's device...
    [topics.productionDiscovery(orders), JSON.stringify(productionDiscovery(ctx, orders, hostComponentsForProduction(ctx, ordersFull)))],
    // ...or on devices of their own.
    [topics.productionDiscovery(lab), JSON.stringify(productionDiscovery(ctx, lab))],
    [topics.hostDiscovery(lab, 'Results.In.TCP'), JSON.stringify(hostDiscovery(ctx, hostIds(topics, lab, 'results_in_tcp'), labFull.hosts[0]!))],
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
    assert.deepEqual(Object.keys(p.cmps).sort(), ['apply_update', 'config_pending', 'errors', 'events', 'queue', 'recover', 'restart', 'running', 'status', 'troubled']);
    assert.equal(p.cmps.running?.name, null);
    assert.equal(p.cmps.running?.default_entity_id, 'switch.orders_production');
    assert.equal(p.cmps.status?.default_entity_id, 'sensor.orders_production_status');
    assert.deepEqual(p.cmps.status?.ops, PRODUCTION_STATES.filter((s) => s !== 'unknown'), 'unknown is Home Assistant\'s own state, not an option');
    assert.equal(p.cmps.troubled?.dev_cla, 'problem');
    assert.equal(p.cmps.restart?.dev_cla, 'restart');
    assert.equal(topics.productionDiscovery(orders), 'homeassistant/device/iris_edge_iris/orders__orders_production/config');
  });

  it('names hosts after themselves on their own device, prefixed by the host on the production device', () => {
    const shared = productionDiscovery(ctx, orders, hostComponentsForProduction(ctx, ordersFull));
    assert.equal(shared.cmps.h_hl7_in_file_queue?.name, 'HL7.In.File queue');
    assert.equal(shared.cmps.h_hl7_in_file_queue?.default_entity_id, 'sensor.orders_production_hl7_in_file_queue');
    assert.equal(shared.cmps.h_hl7_in_file_last_activity?.en, false, 'noisy host entities are off by default');
    // The production's own Status, Queue and Troubled come first; the hosts' figures are in the
    // Diagnostic section of the production's device, and main entities of a device of their own.
    for (const m of ['status', 'queue', 'errors', 'last_activity']) assert.equal(shared.cmps[`h_hl7_in_file_${m}`]?.ent_cat, 'diagnostic', m);
    assert.equal(shared.cmps.h_hl7_in_file_enabled?.ent_cat, 'config');
    assert.equal(shared.cmps.status?.ent_cat, undefined);
    const own = hostDiscovery(ctx, hostIds(topics, lab, 'results_in_tcp'), labFull.hosts[0]!);
    assert.equal(own.dev.via_device, topics.productionDeviceId(lab));
    assert.equal(own.cmps.queue?.name, 'Queue');
    assert.equal(own.cmps.queue?.ent_cat, undefined);
    assert.equal(own.cmps.queue?.uniq_id, 'iris_edge_iris_lab_lab_results_production_host_results_in_tcp_queue');
    assert.equal(hostsOnOwnDevices(20, 20), false);
    assert.equal(hostsOnOwnDevices(21, 20), true);
  });

  it('keeps hosts whose names slug alike apart, whatever order IRIS lists them in', () => {
    assert.deepEqual([...uniqueSlugs(['HL7_In', 'HL7.In', 'HL7-In', 'Other']).entries()], [
      ['HL7-In', 'hl7_in'], ['HL7.In', 'hl7_in_2'], ['HL7_In', 'hl7_in_3'], ['Other', 'other'],
    ]);
    const hosts = [host('HL7_In', 'service'), host('HL7.In', 'service')];
    assert.deepEqual(hostRefs(hosts), hostRefs([...hosts].reverse()).reverse());
    const p = { ...orders, hosts };
    const shared = productionDiscovery(ctx, orders, hostComponentsForProduction(ctx, p));
    assert.deepEqual(validateDiscovery({ [topics.productionDiscovery(orders)]: JSON.stringify(shared) }), []);
    assert.equal(shared.cmps.h_hl7_in_queue?.name, 'HL7.In queue');
    assert.equal(shared.cmps.h_hl7_in_2_queue?.name, 'HL7_In queue');
    assert.notEqual(shared.cmps.h_hl7_in_queue?.stat_t, shared.cmps.h_hl7_in_2_queue?.stat_t);
    const own = hostRefs(hosts).map((h) => hostDiscovery(ctx, hostIds(topics, orders, h.key), { ...h, className: 'EnsLib.X', kind: 'service' }));
    assert.notEqual(own[0]?.dev.ids, own[1]?.dev.ids);
    assert.deepEqual(validateDiscovery(Object.fromEntries(hostRefs(hosts).map((h, n) => [topics.hostDiscovery(orders, h.key), JSON.stringify(own[n])]))), []);
  });

  it('names InterSystems the maker of its own classes only, and links every device to the panel', () => {
    assert.deepEqual(manufacturerOf('EnsLib.HL7.Service.FileService'), { mf: 'InterSystems' });
    assert.deepEqual(manufacturerOf('HS.FHIRServer.Interop.Service'), { mf: 'InterSystems' });
    assert.deepEqual(manufacturerOf('Orders.Production'), {});
    assert.deepEqual(manufacturerOf('EnsLibrary.Mine'), {}, 'a prefix, not a package, does not make it InterSystems\'');
    assert.equal(productionDiscovery(ctx, orders).dev.mf, undefined);
    assert.equal(instanceDiscovery(ctx).dev.mf, 'InterSystems');
    for (const d of [instanceDiscovery(ctx), productionDiscovery(ctx, orders), hostDiscovery(ctx, hostIds(topics, lab, 'results_in_tcp'), labFull.hosts[0]!)]) {
      assert.equal(d.dev.cu, 'homeassistant://hassio/ingress/iris_edge');
    }
    const noPanel = { ...ctx, panelUrl: null };
    assert.equal('cu' in instanceDiscovery(noPanel).dev || 'cu' in productionDiscovery(noPanel, orders).dev, false);
  });

  it('offers one select per namespace with its productions and None', () => {
    const inst = instanceDiscovery(ctx, [orders, { namespace: 'ORDERS', name: 'Orders.Replay.Production' }, lab]);
    assert.deepEqual(inst.cmps.ns_orders_production?.ops, ['Orders Production', 'Orders Replay Production', 'No production']);
    assert.deepEqual(inst.cmps.ns_lab_production?.ops, ['Lab Results Production', 'No production']);
    const view = (name: string, ns: string, irisState: 'running' | 'stopped') =>
      ({ namespace: ns, name, key: `${ns}/${name}`, state: irisState, irisState, commandInFlight: null, hosts: [], needsUpdate: false, updateReason: '' }) satisfies ProductionView;
    assert.equal(namespaceState('ORDERS', [view('Orders.Production', 'ORDERS', 'stopped'), view('Orders.Replay.Production', 'ORDERS', 'running')]), '{"option":"Orders Replay Production"}');
    assert.equal(namespaceState('ORDERS', [view('Orders.Production', 'ORDERS', 'stopped')]), '{"option":"No production"}');
  });

  it('rounds queue depths so the recorder is not flooded', () => {
    assert.deepEqual([0, 7, 9, 12, 13, 99, 100, 104, 105, 1234, 98765].map(roundQueue), [0, 7, 9, 10, 15, 100, 100, 100, 110, 1200, 99000]);
  });

  it('sends object_id (HA 2024.11 to 2025.9) and default_entity_id (2025.10 on) in every component', () => {
    const p = productionDiscovery(ctx, orders, hostComponentsForProduction(ctx, ordersFull));
    assert.equal(p.cmps.running?.object_id, 'orders_production');
    assert.equal(p.cmps.running?.default_entity_id, 'switch.orders_production');
    for (const [key, c] of Object.entries(p.cmps)) assert.equal(c.default_entity_id, `${String(c.p)}.${String(c.object_id)}`, key);
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
    const ops = productionDiscovery(ctx, orders).cmps.status?.ops as string[];
    for (const state of PRODUCTION_STATES) {
      const doc = JSON.parse(
        productionState({ ...orders, key: 'ORDERS/Orders.Production', state, irisState: 'running', commandInFlight: null, hosts: [], needsUpdate: false, updateReason: '' } satisfies ProductionView),
      ) as { state: string };
      // The state shown is the one given, word for word, and the sensor's options name it; an
      // unknown state is "None", which the MQTT sensor shows as Home Assistant's own unknown.
      if (state === 'unknown') {
        assert.equal(doc.state, 'None');
        assert.ok(!ops.includes('unknown'));
        continue;
      }
      assert.equal(doc.state, state);
      assert.ok(ops.includes(doc.state), `${doc.state} is not an option of the status sensor`);
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
    assert.match(problems, /unit_of_measurement: device class enum takes no unit/);
    assert.match(problems, /repeats the device name/);
    assert.match(problems, /unit_of_measurement: "C" is not a unit of device class temperature/);
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

  it("keeps a namespace named like one of the bridge's own segments off the bridge's topics", () => {
    const apps = { namespace: 'APPS', name: 'Apps.Webterminal' };
    assert.equal(topics.productionUpdate(apps), 'iris-edge/iris/_apps/apps_webterminal/update');
    assert.notEqual(topics.productionUpdate(apps), topics.appUpdateState('apps_webterminal'));
    assert.equal(topics.namespaceSelect('to-iris'), 'iris-edge/iris/_to_iris/select');
    assert.equal(topics.namespaceState('Bridge'), 'iris-edge/iris/_bridge/running');
    assert.equal(topics.productionState({ namespace: 'ORDERS', name: 'Orders.Production' }), 'iris-edge/iris/orders/orders_production/state');
    // Every fixed topic of the instance starts with a reserved segment.
    const fixed = [topics.bridgeAvailability, topics.irisAvailability, topics.instanceState, topics.instanceMetrics, topics.instanceSensors, topics.instanceCertificates, topics.instanceBackups, topics.backupCommand, topics.appsState, topics.appsInstallCommand, topics.appUpdateState('x'), topics.instanceEvent, toIrisTopicBase(topics.base)];
    for (const t of fixed) assert.ok(RESERVED_SEGMENTS.has(t.slice(topics.base.length + 1).split('/')[0] as string), t);
  });

  it('takes no reserved segment for a namespace, and reads the escaped one back', () => {
    assert.deepEqual(topics.parseCommand('iris-edge/iris/_apps/apps_webterminal/update'), { kind: 'update', nsSlug: 'apps', prodSlug: 'apps_webterminal' });
    assert.deepEqual(topics.parseCommand('iris-edge/iris/_to_iris/select'), { kind: 'select', nsSlug: 'to_iris' });
    assert.equal(topics.parseCommand('iris-edge/iris/apps/apps_webterminal/update'), null, "an app's update state is no command");
    assert.equal(topics.parseCommand('iris-edge/iris/to_iris/select'), null, 'data for IRIS is no command');
    assert.equal(topics.parseCommand('iris-edge/iris/backup/x/set'), null);
    assert.equal(topics.parseCommand('iris-edge/iris/_orders/orders_production/set'), null, 'no slug starts with _');
    assert.deepEqual(topics.parseCommand(topics.backupCommand), { kind: 'backup' });
    assert.deepEqual(topics.parseCommand(topics.appsInstallCommand), { kind: 'apps' });
  });
});
