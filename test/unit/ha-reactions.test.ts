import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { productionTransitions, reachabilityChange } from '../../src/model/diff.ts';
import type { MonitorView, ProductionView } from '../../src/model/view.ts';
import { productionView } from '../support/fixtures.ts';

const prod = productionView;

function view(productions: ProductionView[], reachable = true): MonitorView {
  return { reachable, inventoried: true, instance: null, metrics: null, productions } as MonitorView;
}

describe('productionTransitions', () => {
  it('reports nothing for the first view and nothing when no IRIS state changed', () => {
    assert.deepEqual(productionTransitions(null, view([prod('A', 'running')])), []);
    assert.deepEqual(productionTransitions(view([prod('A', 'running')]), view([prod('A', 'running', 'stop')])), [], 'a command starting is no IRIS change');
  });

  it('records a commanded stop with from, to and the production', () => {
    const [t, ...rest] = productionTransitions(view([prod('A', 'running', 'stop')]), view([prod('A', 'stopped')]));
    assert.equal(rest.length, 0);
    assert.deepEqual(t, {
      key: 'ORDERS/A',
      namespace: 'ORDERS',
      name: 'A',
      from: 'running',
      to: 'stopped',
      commanded: true,
      troubled: false,
      stoppedUnexpectedly: false,
      recovered: false,
    });
  });

  it('counts a command in flight in the next view as commanded too', () => {
    const [t] = productionTransitions(view([prod('A', 'running')]), view([prod('A', 'stopped', 'restart')]));
    assert.equal(t?.commanded, true);
    assert.equal(t?.stoppedUnexpectedly, false);
  });

  it('flags a stop nobody asked the bridge for', () => {
    for (const from of ['running', 'suspended', 'troubled'] as const) {
      const [t] = productionTransitions(view([prod('A', from)]), view([prod('A', 'stopped')]));
      assert.equal(t?.stoppedUnexpectedly, true, from);
      assert.equal(t?.commanded, false);
    }
    const [fromUnknown] = productionTransitions(view([prod('A', 'unknown')]), view([prod('A', 'stopped')]));
    assert.equal(fromUnknown?.stoppedUnexpectedly, false, 'unknown -> stopped is no stop');
  });

  it('flags entering troubled, and recovering from it', () => {
    const [t] = productionTransitions(view([prod('A', 'running')]), view([prod('A', 'troubled')]));
    assert.equal(t?.troubled, true);
    for (const [to, cmd, recovered] of [
      ['running', null, true],
      ['suspended', null, true],
      ['stopped', 'stop', true],
      ['stopped', null, false],
      ['network_stopped', null, false],
    ] as const) {
      const [r] = productionTransitions(view([prod('A', 'troubled', cmd)]), view([prod('A', to)]));
      assert.equal(r?.recovered, recovered, `troubled -> ${to} ${cmd ?? 'without command'}`);
      assert.equal(r?.troubled, false);
    }
  });

  it('ignores new and removed productions, and handles several at once', () => {
    const prev = view([prod('A', 'running'), prod('B', 'running'), prod('C', 'stopped')]);
    const next = view([prod('A', 'troubled'), prod('C', 'running'), prod('D', 'running')]);
    assert.deepEqual(
      productionTransitions(prev, next).map((t) => `${t.name}:${t.from}->${t.to}`),
      ['A:running->troubled', 'C:stopped->running'],
    );
  });

  it('tells the same class in two namespaces apart', () => {
    const prev = view([prod('A', 'running', null, 'N1'), prod('A', 'running', null, 'N2')]);
    const next = view([prod('A', 'running', null, 'N1'), prod('A', 'stopped', null, 'N2')]);
    assert.deepEqual(productionTransitions(prev, next).map((t) => t.key), ['N2/A']);
  });
});

describe('reachabilityChange', () => {
  it('reports IRIS going away and coming back, nothing otherwise', () => {
    assert.equal(reachabilityChange(null, view([], false)), null);
    assert.equal(reachabilityChange(view([]), view([])), null);
    assert.equal(reachabilityChange(view([]), view([], false)), false);
    assert.equal(reachabilityChange(view([], false), view([])), true);
    assert.equal(reachabilityChange(view([], false), view([], false)), null);
  });
});
