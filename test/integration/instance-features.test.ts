/**
 * A feature plugs into an instance's device through InstanceFeature alone (backups and certificates
 * do; the features to come will): its components join the device's one discovery message, which is
 * republished exactly when the feature's discovery inputs change, its states are published, and a
 * press on its button reaches it. Against a real mosquitto, with the simulated IRIS.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, it } from 'node:test';
import type { DiscoveryContext } from '../../src/mqtt/discovery.ts';
import { FeatureSignal, type InstanceFeature, type StateMessage } from '../../src/mqtt/feature.ts';
import { Topics } from '../../src/mqtt/topics.ts';
import { validateDiscovery } from '../support/discovery-validator.ts';
import { startBridgeRig } from '../support/bridge-rig.ts';
import { waitFor } from '../support/fixtures.ts';
import { Mosquitto } from '../support/mosquitto.ts';

const topics = new Topics('iris');
const gaugeTopic = `${topics.base}/gauges`;

/** A feature with a gauge per name: names shape discovery, values only the state. */
class Gauges extends FeatureSignal implements InstanceFeature<string[]> {
  readonly presses: number[] = [];
  readonly press = { topic: topics.backupCommand, run: () => this.presses.push(Date.now()) };
  constructor(private values: Record<string, number>) {
    super();
  }
  set(values: Record<string, number>): void {
    this.values = values;
    this.changed();
  }
  discoveryInputs(): string[] {
    return Object.keys(this.values).sort();
  }
  components(ctx: DiscoveryContext, names: string[]) {
    return Object.fromEntries(
      names.map((n) => [
        `gauge_${n}`,
        { p: 'sensor', name: `Gauge ${n}`, uniq_id: `${ctx.topics.instanceDeviceId}_gauge_${n}`, stat_t: gaugeTopic, val_tpl: `{{ value_json.${n} }}`, avty: [{ t: ctx.topics.bridgeAvailability }] },
      ]),
    );
  }
  states(): StateMessage[] {
    return [{ topic: gaugeTopic, payload: JSON.stringify(this.values) }];
  }
}

let broker: Mosquitto;
let stopAll: (() => Promise<void>) | undefined;
before(async () => {
  broker = await Mosquitto.start();
});
after(async () => broker.close());
afterEach(async () => {
  await stopAll?.();
  stopAll = undefined;
});

const HOLDOFF_MS = 400;

async function start(feature: Gauges) {
  const rig = await startBridgeRig(broker, { pollIntervalMs: 60_000, discoveryHoldoffMs: HOLDOFF_MS, features: [feature] });
  stopAll = async () => {
    await rig.stop();
    await broker.restart();
  };
  return rig;
}

it('puts a feature on the instance device and republishes its discovery only when its inputs change', async () => {
  const feature = new Gauges({ a: 1 });
  const { bridge, observer } = await start(feature);
  const first = await observer.waitFor(topics.instanceDiscovery(), (p) => 'gauge_a' in JSON.parse(p).cmps);
  assert.deepEqual(validateDiscovery(new Map([[topics.instanceDiscovery(), first.payload]])), []);
  assert.deepEqual(JSON.parse(observer.latest(gaugeTopic) ?? '{}'), { a: 1 });

  // A new value is a state, not a new device message.
  const before = observer.count(topics.instanceDiscovery());
  feature.set({ a: 2 });
  await observer.waitFor(gaugeTopic, (p) => JSON.parse(p).a === 2);
  await bridge.settled();
  assert.equal(observer.count(topics.instanceDiscovery()), before);

  // A new gauge changes what the builder is handed: the device message is sent again, with it.
  feature.set({ a: 2, b: 5 });
  await observer.waitFor(topics.instanceDiscovery(), (p) => 'gauge_b' in JSON.parse(p).cmps, 5000, Date.now() - 1);
  assert.equal(observer.count(topics.instanceDiscovery()), before + 1);
});

it('sends a device changed right after its last message once more, with the latest, after the hold-off', async () => {
  // At start the certificate list arrived ~110 ms after the device's first message, and Home
  // Assistant, still setting that one up, dropped the components only the second one carried.
  const feature = new Gauges({ a: 1 });
  const { bridge, observer } = await start(feature);
  const first = await observer.waitFor(topics.instanceDiscovery(), (p) => 'gauge_a' in JSON.parse(p).cmps);
  const count = observer.count(topics.instanceDiscovery());
  feature.set({ a: 1, b: 2 });
  feature.set({ a: 1, b: 2, c: 3 });
  await bridge.settled();
  await observer.flush();
  const sentAt = observer.messages.filter((m) => m.topic === topics.instanceDiscovery()).map((m) => m.at);
  // Nothing yet unless the hold-off has already passed since the first message.
  if (Date.now() - first.at < HOLDOFF_MS - 50) assert.equal(observer.count(topics.instanceDiscovery()), count, `held: ${sentAt.join(', ')}`);
  const next = await observer.waitFor(topics.instanceDiscovery(), (p) => 'gauge_c' in JSON.parse(p).cmps, 5000, first.at + 1);
  assert.ok('gauge_b' in JSON.parse(next.payload).cmps);
  assert.equal(observer.count(topics.instanceDiscovery()), count + 1, 'the two changes went out as one message');
  // The state was not held: only discovery is paced.
  assert.deepEqual(JSON.parse(observer.latest(gaugeTopic) ?? '{}'), { a: 1, b: 2, c: 3 });
});

it('hands a press on the feature button to the feature, and only a valid one', async () => {
  const feature = new Gauges({ a: 1 });
  const { observer } = await start(feature);
  // One connection delivers in order: once the PRESS is handled, the bad payload before it was too.
  await observer.publish(topics.backupCommand, 'press it now');
  await observer.publish(topics.backupCommand, 'PRESS');
  await waitFor(() => feature.presses.length >= 1, 5000, 'the press reaching the feature');
  assert.equal(feature.presses.length, 1);
});
