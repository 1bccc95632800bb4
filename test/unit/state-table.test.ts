// The retained state documents Home Assistant reads, one table row per production state and
// command: the whole JSON is compared, so a flipped flag or a renamed key fails the row.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HostSnapshot, IrisProductionState, ProductionAction } from '../../src/model/production.ts';
import type { MonitorView } from '../../src/model/view.ts';
import { hostState, instanceState, namespaceState, productionState, roundQueue } from '../../src/mqtt/state.ts';
import { hostSnapshot, productionView } from '../support/fixtures.ts';

const host = (over: Partial<HostSnapshot> = {}): HostSnapshot => hostSnapshot('HL7.In.File', { className: 'EnsLib.HL7.Service.FileService', ...over });

describe('production state document', () => {
  // The switch shows what IRIS reports: ON while it runs, troubled included; "troubled" is its own
  // binary sensor. A command in flight changes the shown state, never the switch.
  const rows: [IrisProductionState, ProductionAction | null, { state: string; running: boolean; troubled: boolean }][] = [
    ['running', null, { state: 'running', running: true, troubled: false }],
    ['troubled', null, { state: 'troubled', running: true, troubled: true }],
    ['stopped', null, { state: 'stopped', running: false, troubled: false }],
    ['suspended', null, { state: 'suspended', running: false, troubled: false }],
    ['network_stopped', null, { state: 'network_stopped', running: false, troubled: false }],
    // "None": Home Assistant's own unknown, not an option of the status enum.
    ['unknown', null, { state: 'None', running: false, troubled: false }],
    ['running', 'stop', { state: 'stopping', running: true, troubled: false }],
    ['stopped', 'start', { state: 'starting', running: false, troubled: false }],
    ['troubled', 'restart', { state: 'restarting', running: true, troubled: true }],
    ['troubled', 'recover', { state: 'recovering', running: true, troubled: true }],
    ['running', 'update', { state: 'updating', running: true, troubled: false }],
  ];
  for (const [irisState, cmd, want] of rows) {
    it(`IRIS ${irisState}${cmd ? `, ${cmd} in flight` : ''}`, () => {
      const doc = JSON.parse(productionState(productionView('Orders.Production', irisState, cmd)));
      assert.deepEqual(doc, { ...want, command: cmd, queue: 0, errors: 0, config_pending: false, config_reason: null });
    });
  }

  it('sums queues and errors over the hosts, the queue rounded after summing', () => {
    const p = { ...productionView('Orders.Production', 'running'), hosts: [host({ queue: 6, errors: 2 }), host({ queue: 6, errors: 3 })] };
    const doc = JSON.parse(productionState(p));
    assert.equal(doc.queue, 10, '6 + 6 = 12, published as 10');
    assert.equal(doc.errors, 5);
  });

  it('adds the message count only when the namespace publishes interoperability metrics', () => {
    const p = productionView('Orders.Production', 'running');
    assert.equal('messages' in JSON.parse(productionState(p)), false);
    const interop = { production: 'Orders.Production', namespace: 'ORDERS', queued: 0, errored: 0, messages: 42 };
    assert.equal(JSON.parse(productionState(p, interop)).messages, 42);
    assert.equal(JSON.parse(productionState(p, { ...interop, messages: null })).messages, 'None');
  });
});

describe('configuration pending', () => {
  it('is off, without a reason, when nothing waits', () => {
    const doc = JSON.parse(productionState(productionView('Orders.Production', 'running')));
    assert.equal(doc.config_pending, false);
    assert.equal(doc.config_reason, null);
  });

  it('gives IRIS\'s reason, cut to what Home Assistant keeps', () => {
    const p = { ...productionView('Orders.Production', 'running'), needsUpdate: true, updateReason: 'x'.repeat(300) };
    const doc = JSON.parse(productionState(p));
    assert.equal(doc.config_pending, true);
    assert.equal(doc.config_reason, 'x'.repeat(255));
  });

  it('says why when IRIS gives no reason', () => {
    const p = { ...productionView('Orders.Production', 'running'), needsUpdate: true };
    assert.equal(JSON.parse(productionState(p)).config_reason, 'The production was changed since it started.');
  });
});

describe('instance, host and namespace documents', () => {
  it('instance: reachability and versions, "None" before IRIS answered', () => {
    const view: MonitorView = { reachable: false, inventoried: false, instance: null, metrics: null, productions: [] };
    assert.deepEqual(JSON.parse(instanceState(view, '1.2.3')), { reachable: false, iris_version: 'None', bridge_version: '1.2.3' });
    const up = { ...view, reachable: true, instance: { version: 'IRIS for UNIX 2026.1', versionNumber: '2026.1.0.213.0' } };
    assert.deepEqual(JSON.parse(instanceState(up, '1.2.3')), { reachable: true, iris_version: '2026.1.0.213.0', bridge_version: '1.2.3' });
  });

  it('host: status, rounded queue, errors, activity ("None" when it never ran), enabled', () => {
    assert.deepEqual(JSON.parse(hostState(host({ status: 'error', queue: 123, errors: 4, enabled: false }))), {
      status: 'error', queue: 120, errors: 4, last_activity: 'None', enabled: false,
    });
    assert.equal(JSON.parse(hostState(host({ lastActivity: '2026-11-22T03:30:00Z' }))).last_activity, '2026-11-22T03:30:00Z');
  });

  // Suspended holds the namespace too (isActive): the select shows what choosing another would stop.
  it('namespace: the production that holds it (troubled and suspended count), else "No production"', () => {
    const option = (...ps: ReturnType<typeof productionView>[]) => JSON.parse(namespaceState('ORDERS', ps)).option;
    assert.equal(option(productionView('Orders.Production', 'troubled')), 'Orders Production');
    assert.equal(option(productionView('Orders.Production', 'suspended')), 'Orders Production');
    assert.equal(option(productionView('Orders.Production', 'stopped')), 'No production');
    assert.equal(option(productionView('Lab.Production', 'running', null, 'LAB')), 'No production', 'another namespace');
  });
});

describe('queue rounding', () => {
  // Boundaries of each band: exact below 10, steps of 5 to 100, two significant digits above.
  const table: [number, number][] = [
    [0, 0], [9, 9], [10, 10], [12, 10], [13, 15], [97, 95], [98, 100], [99, 100],
    [100, 100], [104, 100], [105, 110], [999, 1000], [1049, 1000], [1050, 1100], [98765, 99000],
  ];
  for (const [n, want] of table) it(`${n} -> ${want}`, () => assert.equal(roundQueue(n), want));
});
