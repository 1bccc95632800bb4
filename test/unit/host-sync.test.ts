// The loops over a production's hosts at every sync (src/mqtt/host-sync.ts), with a publisher whose
// client records what it sends.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import type { HostSnapshot } from '../../src/model/production.ts';
import type { ProductionView } from '../../src/model/view.ts';
import { HostCache } from '../../src/mqtt/host-cache.ts';
import { HostDiscoveryJson } from '../../src/mqtt/host-discovery-json.ts';
import { DiscoveryPacer } from '../../src/mqtt/pacer.ts';
import { RetainedPublisher } from '../../src/mqtt/publisher.ts';
import { PublishWindow } from '../../src/mqtt/window.ts';
import { syncHostDiscovery, syncHostStates, type HostSync } from '../../src/mqtt/host-sync.ts';
import { Topics } from '../../src/mqtt/topics.ts';
import { discoveryContext, hostSnapshot } from '../support/fixtures.ts';

const topics = new Topics('iris');
const ctx = discoveryContext({ topics });
const production = (hosts: HostSnapshot[]): ProductionView =>
  ({ key: 'ORDERS/Orders.Production', namespace: 'ORDERS', name: 'Orders.Production', hosts }) as unknown as ProductionView;

function rig(holdoffMs = 0) {
  const sent: string[] = [];
  const payloads: [string, string][] = [];
  const client = {
    connected: true,
    publish: (topic: string, payload: string, _opts: unknown, done: () => void) => {
      sent.push(topic);
      payloads.push([topic, payload]);
      done();
    },
  } as unknown as MqttClient;
  const publisher = new RetainedPublisher(client);
  /** How often the loops asked whether a topic is current: one question per host looked at. */
  let asked = 0;
  const current = publisher.current.bind(publisher);
  publisher.current = (topic) => (asked++, current(topic));
  /** What the pacer handed over when a hold-off ended. */
  const due: [string, string][] = [];
  const window = new PublishWindow(64, publisher);
  const sync: HostSync = {
    publisher,
    pacer: new DiscoveryPacer(holdoffMs, (topic, payload) => due.push([topic, payload])),
    hostJson: new HostDiscoveryJson(),
    // As the bridge's publishState: the caller's digest, or the payload's where it changed.
    publish: (t, p, d) => {
      const digest = d ?? publisher.changedDigest(t, p);
      return digest === null ? undefined : window.add(t, p, digest);
    },
  };
  return { sent, payloads, due, publisher, sync, asked: () => asked, cache: new HostCache(topics) };
}

describe('host sync', () => {
  it('looks into no host of a production whose hosts array it found all current last time', async () => {
    const { sent, sync, asked, cache } = rig();
    const p = production([hostSnapshot('A'), hostSnapshot('B')]);
    await syncHostStates(sync, cache.of(p), p);
    await syncHostDiscovery(sync, cache.of(p), p, ctx, 1);
    assert.equal(sent.length, 4, 'two states and two devices');
    const before = asked();
    await syncHostStates(sync, cache.of(p), p);
    await syncHostDiscovery(sync, cache.of(p), p, ctx, 1);
    assert.equal(asked(), before, 'the same array: no host looked at');
    // A new array with the same hosts is looked into, and finds nothing to send.
    const again = production([...p.hosts]);
    await syncHostStates(sync, cache.of(again), again);
    assert.equal(asked(), before + 2);
    assert.equal(sent.length, 4);
    // A new discovery context is looked into too.
    await syncHostDiscovery(sync, cache.of(p), p, ctx, 2);
    assert.equal(asked(), before + 2, 'a new context rebuilds without asking: discoveryChanged says so');
    assert.equal(sent.length, 4, 'the same payloads: nothing sent');
  });

  it('sends everything again after the broker lost it, even for an unchanged hosts array', async () => {
    const { sent, publisher, sync, cache } = rig();
    const p = production([hostSnapshot('A'), hostSnapshot('B')]);
    await syncHostStates(sync, cache.of(p), p);
    sent.length = 0;
    await publisher.resend(() => true, () => syncHostStates(sync, cache.of(p), p));
    assert.deepEqual(sent.sort(), p.hosts.map((h) => topics.hostState(p, h.name.toLowerCase())).sort());
  });

  it('looks again at a production whose device discovery the pacer held back', async () => {
    const { sent, sync, asked, cache } = rig(60_000);
    const p = production([hostSnapshot('A')]);
    await syncHostDiscovery(sync, cache.of(p), p, ctx, 1);
    // The second context's payload differs (a new version): the pacer holds it for a minute.
    await syncHostDiscovery(sync, cache.of(p), p, { ...ctx, bridgeVersion: '9.9.9' }, 2);
    assert.equal(sent.length, 1);
    const before = asked();
    await syncHostDiscovery(sync, cache.of(p), p, { ...ctx, bridgeVersion: '9.9.9' }, 2);
    assert.equal(asked(), before + 1, 'held: the host is looked at again');
    sync.pacer.drain();
  });

  it('sends no device again when a host joins the production, but the new host\'s', async () => {
    const { sent, sync, cache } = rig();
    const p = production([hostSnapshot('A'), hostSnapshot('B')]);
    await syncHostDiscovery(sync, cache.of(p), p, ctx, 1);
    assert.equal(sent.length, 2);
    const more = production([hostSnapshot('A'), hostSnapshot('New'), hostSnapshot('B')]);
    await syncHostDiscovery(sync, cache.of(more), more, ctx, 1);
    assert.deepEqual(sent.slice(2), [topics.hostDiscovery(more, 'new')], 'each host looked at anew, only the new one sent');
  });

  it('lets the message the broker has replace the one the pacer holds, when a host changes back', async () => {
    const { payloads, due, sync, cache, publisher } = rig(60_000);
    const first = production([hostSnapshot('A', { className: 'Lab.In' })]);
    await syncHostDiscovery(sync, cache.of(first), first, ctx, 1);
    const changed = production([hostSnapshot('A', { className: 'Lab.Other' })]);
    await syncHostDiscovery(sync, cache.of(changed), changed, ctx, 1);
    const back = production([hostSnapshot('A', { className: 'Lab.In' })]);
    await syncHostDiscovery(sync, cache.of(back), back, ctx, 1);
    assert.equal(payloads.length, 1, 'the change is held');
    // The hold-off ends (the bridge stops, or its time is up): what goes out is what the host is now.
    const [[topic, held]] = sync.pacer.drain() as [[string, string]];
    assert.equal(held, payloads[0]![1]);
    assert.equal(due.length, 0);
    assert.ok(publisher.has(topic));
  });
});
