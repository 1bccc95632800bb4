/**
 * RetainedPublisher (src/mqtt/publisher.ts) with a client double: it skips unchanged payloads by
 * their digest, keeps what changes while the broker is away for the rebuild after the reconnect,
 * and sends an unchanged payload again once its topic was marked unsent.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import { RetainedPublisher } from '../../src/mqtt/publisher.ts';

function fakeClient() {
  const sent: [topic: string, payload: string][] = [];
  const client = {
    connected: true,
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
    assert.equal(publisher.changed('a', '{"q":1}'), false);
    assert.equal(publisher.changed('a', '{"q":2}'), true);
    assert.equal(await publisher.publish('a', '{"q":2}'), true);
    // Back to an earlier payload: a change again.
    assert.equal(await publisher.publish('a', '{"q":1}'), true);
    assert.equal(await publisher.publish('a', '{"q":1}', true), true);
    assert.deepEqual(sent, [['a', '{"q":1}'], ['a', '{"q":2}'], ['a', '{"q":1}'], ['a', '{"q":1}']]);
    assert.equal(publisher.sent, 4);
  });

  it('tells payloads of one length apart, and the empty payload from none', async () => {
    const { publisher } = fakeClient();
    await publisher.publish('a', 'ab');
    assert.equal(publisher.changed('a', 'ba'), true);
    assert.equal(publisher.changed('b', ''), true);
    await publisher.publish('b', '');
    assert.equal(publisher.changed('b', ''), false);
  });

  it('sends an unchanged payload again after markUnsent, only for the topics the filter takes', async () => {
    const { publisher, sent } = fakeClient();
    await publisher.publish('home/discovery', 'd');
    await publisher.publish('state/a', 's');
    await publisher.markUnsent((t) => t.startsWith('state/'));
    assert.equal(publisher.has('state/a'), true, 'still ours, so a clear still clears it');
    assert.equal(publisher.current('state/a'), false);
    assert.equal(publisher.current('home/discovery'), true);
    assert.equal(publisher.changed('state/a', 's'), true);
    assert.equal(await publisher.publish('state/a', 's'), true);
    assert.equal(await publisher.publish('home/discovery', 'd'), false);
    assert.equal(publisher.current('state/a'), true);
    assert.deepEqual(sent.slice(2), [['state/a', 's']]);
  });

  it('while disconnected keeps only the latest of a topic, sends clears on markUnsent, and a rebuild sends the latest', async () => {
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
    await publisher.markUnsent();
    assert.deepEqual(sent.slice(2), [['gone', '']], 'the pending clear goes out at once');
    // The caller builds its messages again from what it has now: the latest only.
    assert.equal(await publisher.publish('a', '3'), true);
    assert.deepEqual(sent.slice(3), [['a', '3']]);
  });

  it('a publish after a pending clear takes the topic back: the clear is not sent', async () => {
    const { client, publisher, sent } = fakeClient();
    client.connected = false;
    await publisher.clear('t');
    await publisher.publish('t', 'back');
    client.connected = true;
    await publisher.markUnsent();
    assert.deepEqual(sent, []);
    assert.equal(await publisher.publish('t', 'back'), true);
    assert.deepEqual(sent, [['t', 'back']]);
  });
});
