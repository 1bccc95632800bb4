/**
 * The bridge's side of agent sensors: which sensors are due, one call per namespace, the order
 * that keeps a slow sensor from holding up the others, each sensor's outcome on its own, and an
 * unavailable sensor said once.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AgentSensorReader, isNumericSensor, type SensorSource } from '../../src/monitor/agent-sensors.ts';
import type { SensorReading, SensorRequest } from '../../src/iris/agent/sensors.ts';
import { readSensorDefinitions, type UserSensor } from '../../src/model/sensor-definition.ts';

function sensors(raws: unknown[]): UserSensor[] {
  const { sensors: list, problems } = readSensorDefinitions(raws, { pollIntervalS: 10, packages: ['Orders'] });
  assert.deepEqual(problems, []);
  return list;
}

/** A source answering each request with `answer(request)`, recording the calls. */
function fake(answer: (r: SensorRequest, ns: string) => SensorReading): SensorSource & { calls: Array<{ ns: string; keys: string[] }> } {
  const calls: Array<{ ns: string; keys: string[] }> = [];
  return {
    calls,
    readSensors: async (ns, requests) => {
      calls.push({ ns, keys: requests.map((r) => r.key) });
      return requests.map((r) => answer(r, ns));
    },
  };
}

const ok = (key: string, value: string | number): SensorReading => ({ key, ok: true, value, ms: 1 });

describe('AgentSensorReader', () => {
  it('reads the due sensors of each namespace in one call, and a sensor again only after its interval', async () => {
    const list = sensors([
      { name: 'A', namespace: 'ORDERS', sql: 'SELECT 1 FROM Orders.Open', unit: 'h' },
      { name: 'B', namespace: 'ORDERS', global: '^Orders("n")' },
      { name: 'C', namespace: 'LAB', method: 'Orders.Stats.N', interval: 30 },
      { name: 'M', metric: 'iris_cpu_usage' },
    ]);
    let t = 0;
    const src = fake((r) => ok(r.key, '7'));
    const reader = new AgentSensorReader(src, list, ['Orders'], { unavailable: () => {}, available: () => {} }, () => t);
    assert.equal(reader.count, 3, 'the metric sensor comes from the scrape');
    await reader.tick();
    assert.deepEqual(src.calls.map((c) => c.ns).sort(), ['LAB', 'ORDERS']);
    assert.deepEqual(src.calls.find((c) => c.ns === 'ORDERS')?.keys, ['a', 'b']);
    assert.deepEqual(Object.fromEntries(reader.current()), { a: { value: 7 }, b: { value: '7' }, c: { value: '7' } });
    t = 10_000;
    await reader.tick();
    assert.deepEqual(src.calls.slice(2), [{ ns: 'ORDERS', keys: ['a', 'b'] }], 'C waits for its 30 s');
  });

  it('a failing sensor is unavailable, said once, goes last in the next batch; deferred ones go first; each comes back on its own', async () => {
    const list = sensors([
      { name: 'Slow', namespace: 'ORDERS', sql: 'SELECT 1 FROM Orders.Big' },
      { name: 'Late', namespace: 'ORDERS', global: '^Orders("late")' },
      { name: 'Fine', namespace: 'ORDERS', global: '^Orders("fine")' },
    ]);
    let t = 0;
    let round = 0;
    const said: string[] = [];
    const src = fake((r) => {
      if (r.key === 'slow' && round < 3) return { key: r.key, ok: false, code: '<SENSOR>', text: `SLOW took ${2100 + round} ms`, ms: 2100 };
      if (r.key === 'late' && round === 0) return { key: r.key, deferred: true };
      return ok(r.key, 'x');
    });
    const reader = new AgentSensorReader(src, list, [], { unavailable: (s, why) => said.push(`${s.name} off: ${why}`), available: (s) => said.push(`${s.name} on`) }, () => t);
    await reader.tick();
    assert.deepEqual([...reader.current().keys()], ['fine']);
    for (round = 1; round < 4; round++) {
      t += 10_000;
      await reader.tick();
    }
    assert.deepEqual(src.calls[1]?.keys, ['late', 'fine', 'slow'], 'deferred first, the failing one last');
    assert.deepEqual(said, ['Slow off: IRIS answered <SENSOR>: SLOW took 2100 ms', 'Slow on'], 'said once, then once when back');
    assert.deepEqual([...reader.current().keys()].sort(), ['fine', 'late', 'slow']);
  });

  it('a numeric sensor whose value is not a number is unavailable with that reason; a text sensor keeps any text', async () => {
    const list = sensors([
      { name: 'Count', namespace: 'ORDERS', global: '^Orders("n")', state_class: 'measurement' },
      { name: 'Word', namespace: 'ORDERS', global: '^Orders("w")' },
    ]);
    const said: string[] = [];
    const reader = new AgentSensorReader(fake((r) => ok(r.key, 'twelve')), list, [], { unavailable: (_s, why) => said.push(why), available: () => {} });
    await reader.tick();
    assert.deepEqual(Object.fromEntries(reader.current()), { word: { value: 'twelve' } });
    assert.match(said[0] ?? '', /"twelve", which is not a number/);
    assert.equal(isNumericSensor(list[0]!), true);
    assert.equal(isNumericSensor(list[1]!), false);
  });

  it('a namespace whose call fails costs only its own sensors; a tick still running is not doubled', async () => {
    const list = sensors([
      { name: 'A', namespace: 'ORDERS', global: '^Orders("n")' },
      { name: 'B', namespace: 'LAB', global: '^Lab("n")' },
    ]);
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    let calls = 0;
    const src: SensorSource = {
      readSensors: async (ns, requests) => {
        calls++;
        await gate;
        if (ns === 'LAB') throw new Error('<PROTECT> *^Lab');
        return requests.map((r) => ok(r.key, 1));
      },
    };
    const said: string[] = [];
    const reader = new AgentSensorReader(src, list, [], { unavailable: (s, why) => said.push(`${s.name}: ${why}`), available: () => {} });
    const first = reader.tick();
    const second = reader.tick();
    assert.equal(first, second);
    release();
    await first;
    assert.equal(calls, 2);
    assert.deepEqual([...reader.current().keys()], ['a']);
    assert.deepEqual(said, ['B: the sensors of namespace LAB could not be read: <PROTECT> *^Lab']);
  });

  it('any mix of answers leaves exactly the ok, well-typed sensors with a value', async () => {
    const list = sensors(Array.from({ length: 6 }, (_, i) => ({ name: `S${i}`, namespace: i % 2 ? 'A' : 'B', global: `^G(${i})`, ...(i % 3 === 0 ? { state_class: 'measurement' } : {}) })));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.constant('fail'), fc.constant('defer'), fc.string({ maxLength: 8 }), fc.double()), { minLength: 6, maxLength: 6 }), async (answers) => {
        const reader = new AgentSensorReader(
          fake((r) => {
            const a = answers[Number(r.key.slice(1))];
            if (a === 'fail') return { key: r.key, ok: false, code: 'x', text: 'y', ms: 0 };
            if (a === 'defer') return { key: r.key, deferred: true };
            return ok(r.key, a as string | number);
          }),
          list,
          [],
          { unavailable: () => {}, available: () => {} },
        );
        await reader.tick();
        for (const [k, v] of reader.current()) {
          const s = list.find((x) => x.key === k)!;
          if (isNumericSensor(s)) assert.ok(typeof v.value === 'number' && Number.isFinite(v.value));
          assert.ok(!['fail', 'defer'].includes(String(answers[Number(k.slice(1))])));
        }
      }),
      { numRuns: 100 },
    );
  });
});
