/**
 * byText (src/model/text-order.ts), the order of names, keys and times in lists without ICU:
 * case-insensitive first, a total order (every list sorts the same whatever order it came in),
 * and ISO times in time order.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { byText } from '../../src/model/text-order.ts';

describe('byText', () => {
  it('orders names case-insensitively, then upper case first, and equal strings as equal', () => {
    assert.deepEqual(['beta', 'Alpha', 'alpha', 'Gamma.Production', 'ALPHA', 'b'].sort(byText), ['ALPHA', 'Alpha', 'alpha', 'b', 'beta', 'Gamma.Production']);
    assert.equal(byText('Demo/Prod', 'Demo/Prod'), 0);
  });

  it('is a total order: antisymmetric, and a list sorts the same from any starting order', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme-ascii', maxLength: 8 }), { maxLength: 30 }), (xs) => {
        const sorted = [...xs].sort(byText);
        assert.deepEqual([...xs].reverse().sort(byText), sorted);
        for (let i = 1; i < sorted.length; i++) assert.ok(byText(sorted[i - 1]!, sorted[i]!) <= 0);
        for (const a of xs) for (const b of xs) assert.equal(Math.sign(byText(a, b)) + Math.sign(byText(b, a)), 0);
      }),
    );
  });

  it('puts ISO times in time order', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }), fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }), (a, b) => {
        assert.equal(Math.sign(byText(a.toISOString(), b.toISOString())), Math.sign(a.getTime() - b.getTime()));
      }),
    );
  });
});
