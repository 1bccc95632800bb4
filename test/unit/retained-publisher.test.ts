/**
 * RetainedPublisher (src/mqtt/publisher.ts) with a client double: it skips unchanged payloads by
 * their digest, keeps what changes while the broker is away for the rebuild after the reconnect,
 * and on `resend` sends an unchanged payload again, built anew by the caller.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import { RetainedPublisher } from '../../src/mqtt/publisher.ts';

function fakeClient() {
  const sent: [topic: string, payload: string][] = [];
  const client = {
    connected: true,
    publish(topic: string, payload: string, _opts: unknown, done: () => void) {
      sent.push([topic, payload]);
      done();
    },
    async publishAsync(topic: string, payload: string) {
      sent.push([topic, payload]);
    },
  };
  return { client, sent, publisher: new RetainedPublisher(client as unknown as MqttClient) };
}

describe('RetainedPublisher', () => {
  it('sends a payload once, again when it changes, and again when forced', async () => {
    const { publisher, sent } = fakeClient();
    assert.equal(await publisher.publish('a', '{"q":1}'), true);
    assert.equal(await publisher.publish('a', '{"q":1}'), false);
    assert.equal(publisher.changedDigest('a', '{"q":1}'), null, 'unchanged');
    assert.notEqual(publisher.changedDigest('a', '{"q":2}'), null, 'changed');
    assert.equal(await publisher.publish('a', '{"q":2}'), true);
    // Back to an earlier payload: a change again.
    assert.equal(await publisher.publish('a', '{"q":1}'), true);
    assert.equal(await publisher.publish('a', '{"q":1}', true), true);
    assert.deepEqual(sent, [['a', '{"q":1}'], ['a', '{"q":2}'], ['a', '{"q":1}'], ['a', '{"q":1}']]);
  });

  it('takes the digest changedDigest gave, so that what it remembers is that payload\'s', async () => {
    const { publisher, sent } = fakeClient();
    const d = publisher.changedDigest('a', 'x');
    assert.ok(d);
    assert.equal(await publisher.publish('a', 'x', false, d), true);
    assert.equal(publisher.changedDigest('a', 'x'), null);
    assert.equal(await publisher.publish('a', 'x'), false);
    assert.deepEqual(sent, [['a', 'x']]);
  });

  it('tells payloads of one length apart, and the empty payload from none', async () => {
    const { publisher } = fakeClient();
    await publisher.publish('a', 'ab');
    assert.notEqual(publisher.changedDigest('a', 'ba'), null);
    assert.notEqual(publisher.changedDigest('b', ''), null);
    await publisher.publish('b', '');
    assert.equal(publisher.changedDigest('b', ''), null);
  });

  it('on resend sends an unchanged payload again, only for the topics the filter takes, and counts what the rebuild sent', async () => {
    const { publisher, sent } = fakeClient();
    await publisher.publish('home/discovery', 'd');
    await publisher.publish('state/a', 's');
    await publisher.publish('state/b', 'x');
    const n = await publisher.resend(
      (t) => t.startsWith('state/'),
      async () => {
        assert.equal(publisher.has('state/a'), true, 'still ours, so a clear still clears it');
        assert.equal(publisher.current('state/a'), false);
        assert.equal(publisher.current('home/discovery'), true);
        assert.notEqual(publisher.changedDigest('state/a', 's'), null);
        assert.equal(await publisher.publish('state/a', 's'), true);
        assert.equal(await publisher.publish('home/discovery', 'd'), false);
      },
    );
    assert.equal(n, 1);
    assert.equal(publisher.current('state/a'), true);
    assert.equal(publisher.current('state/b'), false, 'not rebuilt: sent with its next publish');
    assert.deepEqual(sent.slice(3), [['state/a', 's']]);
  });

  it('while disconnected keeps only the latest of a topic; resend sends the clears first, then what the rebuild has now', async () => {
    const { client, publisher, sent } = fakeClient();
    await publisher.publish('a', '1');
    await publisher.publish('gone', 'x');
    client.connected = false;
    assert.equal(await publisher.publish('a', '2'), true);
    assert.equal(await publisher.publish('a', '3'), true);
    await publisher.clear('gone');
    assert.equal(publisher.has('gone'), false);
    assert.deepEqual(sent, [['a', '1'], ['gone', 'x']]);
    client.connected = true;
    // The caller builds its messages again from what it has now: the latest only.
    await publisher.resend(() => true, async () => void (await publisher.publish('a', '3')));
    assert.deepEqual(sent.slice(2), [['gone', ''], ['a', '3']]);
  });

  it('a publish after a pending clear takes the topic back: the clear is not sent', async () => {
    const { client, publisher, sent } = fakeClient();
    client.connected = false;
    await publisher.clear('t');
    await publisher.publish('t', 'back');
    client.connected = true;
    assert.equal(await publisher.resend(() => true, async () => void (await publisher.publish('t', 'back'))), 1);
    assert.deepEqual(sent, [['t', 'back']]);
  });
});
