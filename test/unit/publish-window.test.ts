// QoS 1 publishes in a bounded window (src/mqtt/window.ts): order per topic, the bound, the room a
// caller waits for, sends started together after acknowledgements, failures.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { PublishWindow, type Sender } from '../../src/mqtt/window.ts';

/** A sender whose acknowledgements the test gives (or refuses) by hand; payloads name the sends. */
function acks() {
  const log: string[] = [];
  const pending = new Map<string, (err?: Error) => void>();
  let most = 0;
  const sender: Sender = {
    send(_topic, payload, _digest, done) {
      log.push(`sent ${payload}`);
      pending.set(payload, done);
      most = Math.max(most, pending.size);
    },
  };
  const ack = (id: string, err?: Error) => {
    const done = pending.get(id);
    assert.ok(done, `${id} was not sent`);
    pending.delete(id);
    if (!err) log.push(`acked ${id}`);
    done(err);
  };
  const sent = () => log.filter((l) => l.startsWith('sent')).length;
  return { log, sender, ack, pending, sent, most: () => most };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('publish window', () => {
  it('never has more than its bound in flight, and starts the next as soon as one is acknowledged', async () => {
    const a = acks();
    const w = new PublishWindow(3, a.sender);
    const adding = (async () => {
      for (let i = 0; i < 10; i++) {
        const room = w.add(`t/${i}`, String(i), 'd');
        if (room) await room;
      }
    })();
    await settle();
    assert.deepEqual([...a.pending.keys()], ['0', '1', '2'], 'three in flight, the others wait');
    a.ack('1');
    await settle();
    assert.deepEqual([...a.pending.keys()], ['0', '2', '3']);
    while (a.sent() < 10) {
      assert.ok(a.pending.size <= 3);
      a.ack([...a.pending.keys()][0] as string);
      await settle();
    }
    await adding;
    for (const id of [...a.pending.keys()]) a.ack(id);
    await w.drain();
    assert.equal(a.most(), 3);
    assert.equal(a.sent(), 10);
    assert.equal(w.size, 0);
  });

  it('makes the caller wait once `limit` messages are queued, until half of them started', async () => {
    const a = acks();
    const w = new PublishWindow(4, a.sender);
    for (let i = 0; i < 7; i++) assert.equal(w.add(`t/${i}`, String(i), 'd'), undefined, `message ${i}`);
    const room = w.add('t/7', '7', 'd');
    assert.ok(room, 'four in flight and four queued: wait');
    let roomy = false;
    void room.then(() => (roomy = true));
    a.ack('0');
    await settle();
    assert.equal(roomy, false, 'three still queued: more than half');
    a.ack('1');
    await settle();
    assert.equal(roomy, true, 'two queued: half');
    for (let i = 2; i < 8; i++) {
      a.ack(String(i));
      await settle();
    }
    await w.drain();
    assert.equal(a.sent(), 8);
  });

  it('starts the sends that the acknowledgements of one read allow together, after them, not one by one inside them', async () => {
    const a = acks();
    const w = new PublishWindow(4, a.sender);
    for (let i = 0; i < 8; i++) w.add(`t/${i}`, String(i), 'd');
    // mqtt.js flushes what a packet's handler wrote at the next tick: a send started inside each
    // acknowledgement would be a socket write of its own.
    for (let i = 0; i < 4; i++) {
      a.ack(String(i));
      assert.equal(a.sent(), 4, `nothing started inside acknowledgement ${i}`);
    }
    await Promise.resolve();
    assert.equal(a.sent(), 8, 'all four started in one microtask');
    for (let i = 4; i < 8; i++) a.ack(String(i));
    await w.drain();
  });

  it('sends a topic again only after its previous message was acknowledged, others meanwhile', async () => {
    const a = acks();
    const w = new PublishWindow(8, a.sender);
    w.add('state/x', 'x-old', 'd');
    w.add('state/y', 'y', 'd');
    w.add('state/x', 'x-new', 'd');
    w.add('state/z', 'z', 'd');
    await settle();
    assert.deepEqual(a.log, ['sent x-old', 'sent y', 'sent z'], 'the newer x waits for the older');
    a.ack('y');
    await settle();
    assert.ok(!a.log.includes('sent x-new'));
    a.ack('x-old');
    await settle();
    assert.deepEqual(a.log, ['sent x-old', 'sent y', 'sent z', 'acked y', 'acked x-old', 'sent x-new']);
    a.ack('x-new');
    a.ack('z');
    await w.drain();
  });

  it('surfaces a failed publish in drain and refuses what comes after it, queued messages included', async () => {
    const a = acks();
    const w = new PublishWindow(2, a.sender);
    w.add('a', 'a', 'd');
    w.add('b', 'b', 'd');
    w.add('c', 'c', 'd');
    a.ack('a', new Error('connection lost'));
    a.ack('b');
    await settle();
    assert.throws(() => w.add('d', 'd', 'd'), /connection lost/);
    assert.ok(!a.log.includes('sent c'), 'queued before the failure, not sent after it');
    await assert.rejects(w.drain(), /connection lost/);
  });

  it('takes a sender that throws as a failed send', async () => {
    const w = new PublishWindow(2, {
      send: () => {
        throw new Error('not a valid topic');
      },
    });
    assert.equal(w.add('a', 'a', 'd'), undefined);
    await assert.rejects(w.drain(), /not a valid topic/);
    assert.throws(() => w.add('b', 'b', 'd'), /not a valid topic/);
  });

  it('rejects the room a caller waits for when a send fails', async () => {
    const a = acks();
    const w = new PublishWindow(1, a.sender);
    w.add('a', 'a', 'd');
    const room = w.add('b', 'b', 'd');
    assert.ok(room);
    a.ack('a', new Error('broker went away'));
    await assert.rejects(room, /broker went away/);
    await assert.rejects(w.drain(), /broker went away/);
  });

  it('waits in drain for every acknowledgement, and takes a sender that acknowledges at once', async () => {
    const a = acks();
    const w = new PublishWindow(4, a.sender);
    w.add('a', 'a', 'd');
    let drained = false;
    const d = w.drain().then(() => (drained = true));
    await settle();
    assert.equal(drained, false);
    a.ack('a');
    await d;
    assert.equal(drained, true);
    // The publisher acknowledges at once while the broker is away.
    const sent: string[] = [];
    const eager = new PublishWindow(2, { send: (t, _p, _d, done) => (sent.push(t), done()) });
    for (const t of ['x', 'y', 'x', 'z', 'x']) await eager.add(t, t, 'd');
    await eager.drain();
    assert.deepEqual(sent, ['x', 'y', 'x', 'z', 'x']);
  });

  it('keeps its rules for any interleaving of adds, acknowledgements and one failure', async () => {
    type Step = { add: number } | { ack: number } | { fail: number } | { tick: true };
    const step = fc.oneof(
      { weight: 5, arbitrary: fc.record({ add: fc.integer({ min: 0, max: 2 }) }) },
      { weight: 4, arbitrary: fc.record({ ack: fc.nat() }) },
      { weight: 1, arbitrary: fc.record({ fail: fc.nat() }) },
      { weight: 2, arbitrary: fc.constant({ tick: true as const }) },
    );
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.array(step, { maxLength: 60 }), async (limit, steps: Step[]) => {
        const inFlight = new Map<string, { topic: string; done: (err?: Error) => void }>();
        const sentOrder: string[] = [];
        const w = new PublishWindow(limit, {
          send(topic, payload, _d, done) {
            assert.ok(inFlight.size < limit, 'within the bound');
            assert.ok(![...inFlight.values()].some((f) => f.topic === topic), `no second send for ${topic} in flight`);
            inFlight.set(payload, { topic, done });
            sentOrder.push(payload);
          },
        });
        const added: string[] = [];
        let failed = false;
        let sentAtFailure = 0;
        let n = 0;
        /** The room the window asked to wait for: no add until it resolves, as a caller does. */
        let waiting = false;
        for (const s of steps) {
          if ('add' in s) {
            if (waiting) continue;
            const id = `${s.add}:${n++}`;
            try {
              const room = w.add(`t/${s.add}`, id, 'd');
              added.push(id);
              if (room) {
                waiting = true;
                room.then(
                  () => (waiting = false),
                  () => (waiting = false),
                );
              }
            } catch {
              assert.ok(failed, 'refused only after a failure');
            }
          } else if ('tick' in s) await Promise.resolve();
          else {
            const ids = [...inFlight.keys()];
            if (ids.length === 0) continue;
            const id = ids[('ack' in s ? s.ack : s.fail) % ids.length] as string;
            const f = inFlight.get(id)!;
            inFlight.delete(id);
            if ('fail' in s && !failed) {
              failed = true;
              sentAtFailure = sentOrder.length;
              f.done(new Error('lost'));
            } else f.done();
          }
        }
        const drained = w.drain().then(
          () => 'ok',
          () => 'failed',
        );
        for (;;) {
          await settle();
          if (inFlight.size === 0) break;
          for (const [id, f] of [...inFlight]) {
            inFlight.delete(id);
            f.done();
          }
        }
        assert.equal(await drained, failed ? 'failed' : 'ok');
        // Sends of one topic start in the order they were added.
        for (let t = 0; t <= 2; t++) {
          const ofTopic = (ids: string[]) => ids.filter((id) => id.startsWith(`${t}:`));
          const sentOfTopic = ofTopic(sentOrder);
          assert.deepEqual(sentOfTopic, ofTopic(added).slice(0, sentOfTopic.length));
        }
        if (failed) assert.equal(sentOrder.length, sentAtFailure, 'nothing started after the failure');
        else assert.deepEqual([...sentOrder].sort(), [...added].sort(), 'everything added was sent');
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a bound that is not a whole number >= 1', () => {
    const sender: Sender = { send: (_t, _p, _d, done) => done() };
    for (const n of [0, -1, 1.5, Number.NaN]) assert.throws(() => new PublishWindow(n, sender), RangeError);
  });
});
