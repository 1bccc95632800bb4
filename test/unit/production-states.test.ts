// Ens.Director's production state codes and the vocabularies Home Assistant is given: the enum
// sensor's options and the host statuses are part of the discovery contract, so they are pinned
// word for word.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  APPLY_CONFIGURATION,
  CONFIRMED_ACTIONS,
  HOST_STATUSES,
  IRIS_PRODUCTION_STATES,
  PRODUCTION_ACTIONS,
  PRODUCTION_STATES,
  productionDisplayName,
  productionKey,
  productionStateFromCode,
  TRANSITIONAL,
} from '../../src/model/production.ts';

describe('production state codes', () => {
  // $$$eProductionState*: 1 running, 2 stopped, 3 suspended, 4 troubled, 5 network stopped; a
  // mirror backup member reports the same codes negated. Anything else is not a state we know.
  const table: [number, string][] = [
    [1, 'running'], [2, 'stopped'], [3, 'suspended'], [4, 'troubled'], [5, 'network_stopped'],
    [-1, 'running'], [-2, 'stopped'], [-3, 'suspended'], [-4, 'troubled'], [-5, 'network_stopped'],
    [0, 'unknown'], [6, 'unknown'], [-6, 'unknown'], [7, 'unknown'], [1.5, 'unknown'], [Number.NaN, 'unknown'],
  ];
  for (const [code, want] of table) it(`${code} -> ${want}`, () => assert.equal(productionStateFromCode(code), want));
});

describe('vocabularies', () => {
  it('the enum sensor offers the IRIS states, then the transitional ones', () => {
    assert.deepEqual(PRODUCTION_STATES, [
      'running', 'stopped', 'suspended', 'troubled', 'network_stopped', 'unknown',
      'starting', 'stopping', 'restarting', 'updating', 'recovering',
    ]);
  });

  it('host statuses are EnumerateHostStatus words, lower-cased', () => {
    assert.deepEqual(HOST_STATUSES, ['ok', 'error', 'inactive', 'retry', 'stopped', 'disabled', 'unconfigured']);
  });

  it('a production is keyed by namespace and class', () => {
    assert.equal(productionKey({ namespace: 'ORDERS', name: 'Orders.Production' }), 'ORDERS/Orders.Production');
  });
});

describe('the words every room shares about productions', () => {
  it('tells the states IRIS reports from the ones only a command of the bridge shows', () => {
    assert.deepEqual(IRIS_PRODUCTION_STATES, ['running', 'stopped', 'suspended', 'troubled', 'network_stopped', 'unknown']);
    assert.deepEqual(TRANSITIONAL, { start: 'starting', stop: 'stopping', restart: 'restarting', update: 'updating', recover: 'recovering' });
  });

  it('names the actions, and the two the panel asks a person to confirm', () => {
    assert.deepEqual(PRODUCTION_ACTIONS, ['start', 'stop', 'restart', 'update', 'recover']);
    assert.deepEqual(CONFIRMED_ACTIONS, ['stop', 'restart']);
    // UpdateProduction's one name, in Home Assistant, the panel and the docs.
    assert.equal(APPLY_CONFIGURATION, 'Apply configuration');
  });

  it('shows a class name as words, whatever dots it has', () => {
    assert.equal(productionDisplayName('Orders.Production'), 'Orders Production');
    assert.equal(productionDisplayName('.Orders..Replay.Production.'), 'Orders Replay Production');
  });
});

