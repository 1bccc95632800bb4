// A device's discovery messages are kept apart (src/mqtt/pacer.ts): Home Assistant drops the
// components of a device message that arrives while it still sets up the previous one.
import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { DiscoveryPacer } from '../../src/mqtt/pacer.ts';

function pacer(holdoffMs = 1000) {
  mock.timers.enable({ apis: ['setTimeout'], now: 0 });
  let now = 0;
  const sent: [string, string][] = [];
  const p = new DiscoveryPacer(holdoffMs, (topic, payload) => sent.push([topic, payload]), () => now);
  const tick = (ms: number) => {
    now += ms;
    mock.timers.tick(ms);
  };
  return { p, sent, tick };
}

describe('discovery pacer', () => {
  it('lets the first message of a topic through at once', () => {
    const { p, sent } = pacer();
    try {
      assert.equal(p.admit('a', '1'), true);
      assert.equal(p.admit('b', '1'), true, 'another device is not held by the first');
      assert.deepEqual(sent, []);
    } finally {
      mock.timers.reset();
    }
  });

  it('holds a second message until the hold-off has passed, and sends only the latest', () => {
    const { p, sent, tick } = pacer(1000);
    try {
      assert.equal(p.admit('a', '1'), true);
      tick(110);
      assert.equal(p.admit('a', '2'), false);
      assert.equal(p.admit('a', '3'), false);
      assert.equal(p.held, 1);
      tick(889);
      assert.deepEqual(sent, [], 'not before the hold-off ends');
      tick(1);
      assert.deepEqual(sent, [['a', '3']]);
      assert.equal(p.held, 0);
      // The held message counts as sent: the next one waits again.
      assert.equal(p.admit('a', '4'), false);
      tick(1000);
      assert.deepEqual(sent, [['a', '3'], ['a', '4']]);
    } finally {
      mock.timers.reset();
    }
  });

  it('lets a message through once the hold-off has passed since the last one', () => {
    const { p, sent, tick } = pacer(1000);
    try {
      assert.equal(p.admit('a', '1'), true);
      tick(1000);
      assert.equal(p.admit('a', '2'), true);
      assert.deepEqual(sent, []);
    } finally {
      mock.timers.reset();
    }
  });

  it('forgets a cleared topic: nothing held is sent, and the next message goes out at once', () => {
    const { p, sent, tick } = pacer(1000);
    try {
      p.admit('a', '1');
      p.admit('a', '2');
      p.forget('a');
      tick(5000);
      assert.deepEqual(sent, []);
      assert.equal(p.admit('a', '3'), true);
    } finally {
      mock.timers.reset();
    }
  });

  it('counts every topic as just sent when Home Assistant starts reading them all again', () => {
    const { p, sent, tick } = pacer(1000);
    try {
      p.admit('a', '1');
      p.admit('b', '1');
      tick(900);
      p.admit('b', '2');
      // Home Assistant restarts: it reads a and b (retained) now.
      p.receivedAll();
      tick(100);
      assert.deepEqual(sent, [], 'b waits for a whole hold-off after the restart');
      assert.equal(p.admit('a', '2'), false, 'a too');
      tick(900);
      assert.deepEqual(sent.sort(), [['a', '2'], ['b', '2']]);
    } finally {
      mock.timers.reset();
    }
  });

  it('hands over everything held when drained, and sends nothing later', () => {
    const { p, sent, tick } = pacer(1000);
    try {
      p.admit('a', '1');
      p.admit('b', '1');
      p.admit('a', '2');
      p.admit('b', '2');
      assert.deepEqual(p.drain().sort(), [['a', '2'], ['b', '2']]);
      tick(5000);
      assert.deepEqual(sent, []);
    } finally {
      mock.timers.reset();
    }
  });
});
