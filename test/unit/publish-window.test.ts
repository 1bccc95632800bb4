// QoS 1 publishes in a bounded window (src/mqtt/window.ts): order per topic, the bound, failures.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PublishWindow } from '../../src/mqtt/window.ts';

/** A send whose acknowledgement the test gives (or refuses) by hand. */
function acks() {
  const log: string[] = [];
  const pending = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  let inFlight = 0;
  let most = 0;
  const send = (id: string) => () => {
    log.push(`sent ${id}`);
    inFlight++;
    most = Math.max(most, inFlight);
    return new Promise<void>((resolve, reject) => {
      pending.set(id, {
        resolve: () => {
          inFlight--;
          log.push(`acked ${id}`);
          resolve();
        },
        reject: (e) => {
          inFlight--;
          reject(e);
        },
      });
    });
  };
  const ack = (id: string) => {
    const p = pending.get(id);
    assert.ok(p, `${id} was not sent`);
    pending.delete(id);
    p.resolve();
  };
  return { log, send, ack, pending, most: () => most };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('publish window', () => {
  it('never has more than its bound in flight, and starts the next as soon as one is acknowledged', async () => {
    const w = new PublishWindow(3);
    const a = acks();
    const adding = (async () => {
      for (let i = 0; i < 10; i++) await w.add(`t/${i}`, a.send(String(i)));
    })();
    await settle();
    assert.deepEqual([...a.pending.keys()], ['0', '1', '2'], 'three in flight, the fourth waits');
    a.ack('1');
    await settle();
    assert.deepEqual([...a.pending.keys()], ['0', '2', '3']);
    while (a.log.filter((l) => l.startsWith('sent')).length < 10) {
      assert.ok(a.pending.size <= 3);
      const [oldest] = a.pending.keys();
      a.ack(oldest as string);
      await settle();
    }
    await adding;
    for (const id of [...a.pending.keys()]) a.ack(id);
    await w.drain();
    assert.equal(a.most(), 3);
    assert.equal(a.log.filter((l) => l.startsWith('sent')).length, 10);
    assert.equal(w.size, 0);
  });

  it('sends a topic again only after its previous message was acknowledged, others meanwhile', async () => {
    const w = new PublishWindow(8);
    const a = acks();
    await w.add('state/x', a.send('x-old'));
    await w.add('state/y', a.send('y'));
    await w.add('state/x', a.send('x-new'));
    await settle();
    assert.deepEqual(a.log, ['sent x-old', 'sent y'], 'the newer x waits for the older');
    a.ack('y');
    await settle();
    assert.ok(!a.log.includes('sent x-new'));
    a.ack('x-old');
    await settle();
    assert.deepEqual(a.log, ['sent x-old', 'sent y', 'acked y', 'acked x-old', 'sent x-new']);
    a.ack('x-new');
    await w.drain();
  });

  it('surfaces a failed publish in drain and refuses what comes after it', async () => {
    const w = new PublishWindow(4);
    const a = acks();
    await w.add('a', a.send('a'));
    await w.add('b', a.send('b'));
    a.pending.get('a')?.reject(new Error('connection lost'));
    a.ack('b');
    await settle();
    await assert.rejects(w.add('c', a.send('c')), /connection lost/);
    assert.ok(!a.log.includes('sent c'));
    await assert.rejects(w.drain(), /connection lost/);
  });

  it('waits in drain for every acknowledgement', async () => {
    const w = new PublishWindow(4);
    const a = acks();
    await w.add('a', a.send('a'));
    let drained = false;
    const d = w.drain().then(() => (drained = true));
    await settle();
    assert.equal(drained, false);
    a.ack('a');
    await d;
    assert.equal(drained, true);
  });

  it('refuses a bound that is not a whole number >= 1', () => {
    for (const n of [0, -1, 1.5, Number.NaN]) assert.throws(() => new PublishWindow(n), RangeError);
  });
});
