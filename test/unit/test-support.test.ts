/**
 * The waiting helpers every other test relies on (test/support/fixtures.ts): a wait that cannot
 * end must fail in time with what it awaited, and a held call must really be held.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { holdNextCall, waitFor, within } from '../support/fixtures.ts';

const never = () => new Promise<never>(() => undefined);

describe('test support: waiting', () => {
  it('waitFor returns what the probe found, once it finds it', async () => {
    let n = 0;
    assert.equal(await waitFor(() => ++n >= 3 && n, 2000, 'three probes'), 3);
  });

  it('waitFor fails at its deadline, naming what it awaited and, when asked, the last state', async () => {
    let last = 0;
    await assert.rejects(
      waitFor(() => ((last += 1), false), 100, () => `a miracle (${last > 1 ? 'probed again' : 'probed once'})`),
      /^Error: Timed out after 100 ms waiting for a miracle \(probed again\)$/,
    );
  });

  it('waitFor fails at its deadline even when a probe never answers', { timeout: 5000 }, async () => {
    await assert.rejects(waitFor(never, 100, 'a probe that hangs'), /Timed out after 100 ms waiting for a probe that hangs/);
  });

  it('within passes a result through and fails a promise that does not settle in time', { timeout: 5000 }, async () => {
    assert.equal(await within(Promise.resolve('done'), 100, 'nothing'), 'done');
    await assert.rejects(within(never(), 50, 'an event'), /Timed out after 50 ms waiting for an event/);
  });

  it('holdNextCall holds the next call until released, then runs the real method once, and only that call', async () => {
    const calls: string[] = [];
    class Target {
      async act(what: string): Promise<string> {
        calls.push(what);
        return `did ${what}`;
      }
    }
    const target = new Target();
    const held = holdNextCall(target, 'act');
    const first = target.act('first');
    await within(held.entered, 1000, 'the held call');
    assert.deepEqual(calls, [], 'the real method ran before release()');
    assert.equal(await target.act('second'), 'did second', 'only the next call is held');
    held.release();
    assert.equal(await first, 'did first');
    assert.deepEqual(calls, ['second', 'first']);
    assert.equal(Object.hasOwn(target, 'act'), false, 'the method is the class\'s again, not a copy on the object');
  });
});
