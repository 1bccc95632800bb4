/**
 * What the panel's "Home Assistant ↔ IRIS" page is fed: the bounded record of outcomes each way,
 * previews that stay short and mask secret-sounding keys whatever the data (property), and the
 * outcomes the bridge's own pipelines record: delivered, waiting (no outcome, queue depth and
 * reason instead), dropped by a full queue, failed at IRIS, refused by an allow-list.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HaFlowRecord } from '../../src/ha/flow-record.ts';
import { IrisToHa } from '../../src/ha/iris-to-ha.ts';
import { AllowList } from '../../src/model/allow-list.ts';
import { homeProduction } from '../../src/iris/simulator/ha-event-service.ts';
import { IrisSimulator } from '../../src/iris/simulator/index.ts';
import { flowPreview, HA_FLOW_DETAIL_CHARS, HA_FLOW_PREVIEW_CHARS } from '../../src/model/ha-flow.ts';
import { captureLogger, waitFor } from '../support/fixtures.ts';
import { startHaFlowsRig } from '../support/ha-flows-rig.ts';

describe('previews', () => {
  it('show the start of the data as JSON, mask secret-sounding keys at any depth, and nothing for no data', () => {
    assert.equal(flowPreview({ value: 7 }), '{"value":7}');
    assert.equal(flowPreview({ a: { password: 'p', Access_Token: 't', list: [{ api_key: 'k' }] } }), '{"a":{"password":"••••","Access_Token":"••••","list":[{"api_key":"••••"}]}}');
    assert.equal(flowPreview({ entity_picture: '/api/camera_proxy/camera.door?token=abc' }), '{"entity_picture":"••••"}');
    assert.equal(flowPreview(null), null);
    assert.equal(flowPreview({}), null);
    const long = flowPreview({ text: 'x'.repeat(70_000) }) ?? '';
    assert.equal(long.length, HA_FLOW_PREVIEW_CHARS);
    assert.ok(long.endsWith('…'));
  });

  it('whatever the data, a preview is bounded, never throws, and never shows a value under a secret key (property)', () => {
    const secret = 'SECRET-VALUE-123';
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom('password', 'token', 'client_secret', 'Authorization'), (v, key) => {
        const p = flowPreview({ data: v, nested: { [key]: secret } }, 10_000);
        assert.ok(p === null || p.length <= 10_000);
        assert.ok(!p?.includes(secret));
        assert.ok((flowPreview(v) ?? '').length <= HA_FLOW_PREVIEW_CHARS);
      }),
    );
  });

  it('a deeply nested value costs a bounded walk', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 10_000; i += 1) deep = { d: deep };
    assert.ok((flowPreview(deep) ?? '').length <= HA_FLOW_PREVIEW_CHARS);
  });
});

describe('the record', () => {
  it('keeps the newest first, up to its bound, counts every outcome, and clips long details', () => {
    const r = new HaFlowRecord(3, () => new Date('2026-12-02T18:00:00Z'));
    let changes = 0;
    r.on('change', () => (changes += 1));
    for (let i = 0; i < 5; i += 1) r.add('to-iris', { outcome: i % 2 ? 'failed' : 'delivered', subject: `input_boolean.n${i}`, target: 'HomeAssistant in USER', detail: null, preview: null });
    r.add('from-iris', { outcome: 'refused', subject: 'lock.unlock', target: 'HOME', detail: 'y'.repeat(5000), preview: null });
    assert.deepEqual(r.recent('to-iris').map((e) => e.subject), ['input_boolean.n4', 'input_boolean.n3', 'input_boolean.n2']);
    assert.deepEqual(r.counters('to-iris'), { delivered: 3, refused: 0, dropped: 0, failed: 2 });
    assert.deepEqual(r.counters('from-iris'), { delivered: 0, refused: 1, dropped: 0, failed: 0 });
    assert.equal(r.recent('from-iris')[0]?.detail?.length, HA_FLOW_DETAIL_CHARS);
    assert.equal(r.recent('from-iris')[0]?.at, '2026-12-02T18:00:00.000Z');
    assert.equal(changes, 6);
  });
});

describe("the bridge's pipelines record", () => {
  it('a delivery; while the production is stopped no outcome but the queue depth and why; drops when full; then deliveries', async () => {
    const sim = new IrisSimulator({ transitionMs: 1, productions: [homeProduction()] });
    const rig = await startHaFlowsRig(sim, { maxQueue: 10 });
    rig.stateChange('input_boolean.porch', 'off', 'on');
    await waitFor(() => rig.record.counters('to-iris').delivered === 1, 5000, 'the first delivery');
    await sim.control({ namespace: 'HOME', production: 'Home.Production', action: 'stop' });
    await waitFor(async () => (await sim.snapshot()).productions.find((p) => p.namespace === 'HOME')?.state === 'stopped', 5000, 'HOME to stop');
    rig.stateChange('input_boolean.porch', 'on', 'off');
    rig.stateChange('input_boolean.porch', 'off', 'on');
    const waiting = await waitFor(() => rig.source.view().toIris.queues.find((q) => q.waiting !== null), 5000, 'the queue to wait');
    assert.equal(waiting.service, 'HomeAssistant');
    assert.ok(waiting.queued >= 1);
    assert.match(waiting.waiting ?? '', /not running/i);
    assert.deepEqual(rig.record.counters('to-iris'), { delivered: 1, refused: 0, dropped: 0, failed: 0 }, 'waiting is no outcome');
    for (let i = 0; i < 10; i += 1) rig.stateChange('input_boolean.porch', 'on', 'off');
    assert.equal(rig.source.view().toIris.queues[0]?.queued, 10);
    assert.equal(rig.record.counters('to-iris').dropped, 2);
    assert.deepEqual(rig.record.recent('to-iris')[0], { ...rig.record.recent('to-iris')[0], outcome: 'dropped', subject: 'input_boolean.porch', detail: 'The queue was full' });
    await sim.control({ namespace: 'HOME', production: 'Home.Production', action: 'start' });
    await waitFor(() => rig.record.counters('to-iris').delivered === 11, 30_000, 'the queued events to be delivered');
    assert.equal(rig.source.view().toIris.queues[0]?.waiting, null);
    rig.close();
    await sim.close();
  });

  it('an event IRIS refuses fails, a malformed one is refused; IRIS -> HA refusals and deliveries', async () => {
    const home = homeProduction();
    // Home.Other is no IrisEdge.HA.EventService: IRIS refuses what it is given.
    const sim = new IrisSimulator({ transitionMs: 1, productions: [{ ...home, hosts: [...home.hosts, { name: 'Home.Other', className: 'Demo.FileService', kind: 'service' }] }] });
    const rig = await startHaFlowsRig(sim, { actions: ['input_number.*'], service: 'Home.Other' });
    rig.stateChange('input_boolean.porch', 'off', 'on');
    const failed = await waitFor(() => rig.record.recent('to-iris').find((e) => e.outcome === 'failed'), 5000, 'the refusal of IRIS');
    assert.equal(failed.target, 'Home.Other in HOME');
    assert.match(failed.detail ?? '', /ERROR #5001/);
    rig.stateChange('input_boolean.big', 'off', 'x'.repeat(300));
    const refused = rig.record.recent('to-iris')[0];
    assert.equal(refused?.outcome, 'refused');
    assert.equal(refused?.subject, 'input_boolean.big');
    assert.match(refused?.detail ?? '', /does not have the shape/);
    assert.equal((await sim.callHomeAssistant('HOME', { kind: 'action', domain: 'input_number', service: 'set_value', data: { value: 1 } }, 5)).ok, true);
    assert.equal((await sim.callHomeAssistant('HOME', { kind: 'state', entity_id: 'sun.sun' }, 5)).ok, false);
    assert.deepEqual(rig.record.recent('from-iris').map((e) => [e.outcome, e.subject]), [
      ['refused', 'sun.sun'],
      ['delivered', 'input_number.set_value'],
    ]);
    rig.close();
    await sim.close();
  });

  it('a call from IRIS whose caller stopped waiting is dropped, and one IRIS wrote badly is refused', async () => {
    const record = new HaFlowRecord();
    const calls = [
      { namespace: 'HOME', id: 1, request: JSON.stringify({ kind: 'action', domain: 'light', service: 'turn_on' }), pid: '1', deadline: 999 },
      { namespace: 'HOME', id: 2, request: '{not json', pid: '2', deadline: 2000 },
    ];
    let taken = false;
    const outbox = { takeHaCalls: async () => ({ now: 1000, calls: taken ? [] : ((taken = true), calls), problems: [] }), answerHaCall: async () => true };
    const ha = { call: async () => null, fireEvent: async () => {} };
    const flow = new IrisToHa(ha as never, outbox, { actions: new AllowList(['*']), events: new AllowList([]), states: new AllowList([]) }, captureLogger().log, 5, record.sink('from-iris'));
    flow.start();
    await waitFor(() => record.recent('from-iris').length === 2, 5000, 'both outcomes');
    flow.stop();
    assert.deepEqual(record.recent('from-iris').map((e) => [e.outcome, e.subject]), [
      ['refused', 'call'],
      ['dropped', 'light.turn_on'],
    ]);
    assert.match(record.recent('from-iris')[0]?.detail ?? '', /not JSON/);
  });
});
