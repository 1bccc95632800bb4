/**
 * Sensors attached to a production IRIS does not have are said once when they lose it and once
 * when they find it again, never on every poll.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readSensorDefinitions } from '../../src/model/sensor-definition.ts';
import { AbsentProductions } from '../../src/sensors/absent-productions.ts';

const { sensors } = readSensorDefinitions(
  [
    { name: 'Queue', namespace: 'USER', global: '^Q', production: 'Demo.Orders.Production' },
    { name: 'Typo', namespace: 'USER', global: '^Q', production: 'Demo.Order.Production' },
    { name: 'Here', namespace: 'USER', global: '^Q' },
  ],
  { pollIntervalS: 10, packages: [] },
);
const orders = { namespace: 'USER', name: 'Demo.Orders.Production' };
const keys = (r: { lost: { key: string }[]; found: { key: string }[] }) => ({ lost: r.lost.map((s) => s.key), found: r.found.map((s) => s.key) });

describe('sensors on a production IRIS does not have', () => {
  it('are said once when they lose it and once when they find it', () => {
    const a = new AbsentProductions();
    assert.deepEqual(keys(a.update(sensors, [orders])), { lost: ['typo'], found: [] }, 'the sensor on the IRIS device waits for nothing');
    assert.deepEqual(keys(a.update(sensors, [orders])), { lost: [], found: [] }, 'not again on the next poll');
    assert.deepEqual(keys(a.update(sensors, [])), { lost: ['queue'], found: [] });
    assert.deepEqual(keys(a.update(sensors, [{ namespace: 'user', name: 'Demo.Orders.Production' }, { namespace: 'USER', name: 'Demo.Order.Production' }])), { lost: [], found: ['queue', 'typo'] });
  });

  it('forget a sensor deleted while it waited, so that a new one of that name is said again', () => {
    const a = new AbsentProductions();
    a.update(sensors, []);
    a.update(sensors.slice(2), []);
    assert.deepEqual(keys(a.update(sensors, [])), { lost: ['queue', 'typo'], found: [] });
  });
});
