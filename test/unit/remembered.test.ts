import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { remembered } from '../../src/iris/agent/remembered.ts';

describe('remembered', () => {
  it('works a string out once while it is remembered, and starts over past its capacity', () => {
    const asked: string[] = [];
    const upper = remembered((s) => {
      asked.push(s);
      return s.toUpperCase();
    }, 3);
    assert.deepEqual(['a', 'b', 'a', 'c', 'b'].map(upper), ['A', 'B', 'A', 'C', 'B']);
    assert.deepEqual(asked, ['a', 'b', 'c']);
    // A fourth string: the three are forgotten, then it is remembered alone.
    assert.equal(upper('d'), 'D');
    assert.equal(upper('a'), 'A');
    assert.equal(upper('d'), 'D');
    assert.deepEqual(asked, ['a', 'b', 'c', 'd', 'a']);
  });

  it('remembers null answers, and nothing for a call that throws', () => {
    let calls = 0;
    const check = remembered((s) => {
      calls++;
      if (s === 'boom') throw new Error('no');
      return s === 'x' ? null : s.length;
    }, 10);
    assert.equal(check('x'), null);
    assert.equal(check('x'), null);
    assert.throws(() => check('boom'), /no/);
    assert.throws(() => check('boom'), /no/);
    assert.equal(calls, 3);
  });
});
