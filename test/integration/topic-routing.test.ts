/**
 * Which handler a message on the bridge's topics reaches, over a real mosquitto: a namespace named
 * like one of the bridge's own segments (APPS, TO_IRIS) is commanded on topics of its own, and the
 * bridge's fixed topics (an app's update state, Install, Backup now) still do what they do, each
 * seen once.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, it } from 'node:test';
import { IrisSimulator } from '../../src/iris/simulator/index.ts';
import { productionDisplayName } from '../../src/model/production.ts';
import { FeatureSignal, type InstanceFeature, type StateMessage } from '../../src/mqtt/feature.ts';
import { MqttToIris, toIrisTopicBase } from '../../src/mqtt/to-iris.ts';
import { Topics } from '../../src/mqtt/topics.ts';
import { startBridgeRig, type BridgeRig } from '../support/bridge-rig.ts';
import { waitFor } from '../support/fixtures.ts';
import { Mosquitto } from '../support/mosquitto.ts';
import { stateIs } from '../support/observer.ts';

const topics = new Topics('iris');
const APPS = { namespace: 'APPS', name: 'Apps.Webterminal' };
const TO_IRIS = { namespace: 'TO_IRIS', name: 'Demo.Production' };
const host = { name: 'In.File', className: 'EnsLib.File.PassthroughService', kind: 'service' as const };

/** A button on the instance device with, optionally, a retained state of its own. */
class Button extends FeatureSignal implements InstanceFeature<null> {
  readonly got: string[] = [];
  readonly press: { topic: string; run: (payload: string) => void };
  constructor(
    topic: string,
    private readonly retained: StateMessage[] = [],
  ) {
    super();
    this.press = { topic, run: (payload) => this.got.push(payload) };
  }
  discoveryInputs(): null {
    return null;
  }
  components() {
    return {};
  }
  states(): StateMessage[] {
    return this.retained;
  }
}

let broker: Mosquitto;
let rig: BridgeRig | undefined;
before(async () => {
  broker = await Mosquitto.start();
});
after(async () => broker.close());
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
  await broker.restart();
});

it('commands a production in a namespace named APPS or TO_IRIS, and the bridge topics of those names still work', async () => {
  const sim = new IrisSimulator({ productions: [{ ...APPS, running: false, hosts: [host] }, { ...TO_IRIS, running: false, hosts: [host] }], transitionMs: 10 });
  // The app's update state is apps/<namespace>_<package>/update: the Update button topic of
  // Apps.Webterminal in APPS, were the namespace's segment its bare slug.
  const appKey = 'apps_webterminal';
  const appState = JSON.stringify({ installed_version: '1.0.0', latest_version: '1.1.0' });
  const install = new Button(topics.appsInstallCommand, [{ topic: topics.appUpdateState(appKey), payload: appState }]);
  const backup = new Button(topics.backupCommand);
  rig = await startBridgeRig(broker, { sim, pollIntervalMs: 200, features: [install, backup] });
  const { observer, lines } = rig;
  await observer.waitFor(topics.appUpdateState(appKey), (p) => p === appState);

  await observer.publish(topics.productionSet(APPS), 'START');
  await observer.waitFor(topics.productionState(APPS), stateIs('running'));
  await observer.publish(topics.productionUpdate(APPS), 'PRESS');
  await waitFor(() => lines.some((l) => l.includes('update Apps Webterminal (APPS): ')), 5000, 'the Update press handled');
  assert.equal(observer.latest(topics.appUpdateState(appKey)), appState, "the press did not land on the app's update state");

  await observer.publish(topics.namespaceSelect(TO_IRIS.namespace), productionDisplayName(TO_IRIS.name));
  await observer.waitFor(topics.productionState(TO_IRIS), stateIs('running'));

  await observer.publish(topics.appsInstallCommand, 'APPS/webterminal');
  await observer.publish(topics.backupCommand, 'PRESS');
  await waitFor(() => backup.got.length > 0, 5000, 'the Backup now press');
  assert.deepEqual([install.got, backup.got], [['APPS/webterminal'], ['PRESS']]);
  // The app's retained state, which the command wildcard <ns>/<production>/update matches, is no command.
  assert.deepEqual(lines.filter((l) => / WARN: /.test(l)), []);
});

it('hands data for IRIS on a topic that also matches a command wildcard to its service once', async () => {
  rig = await startBridgeRig(broker);
  const delivered: Array<[string, unknown]> = [];
  // A business service named "select": to_iris/select is also what <ns>/select, the namespace select's wildcard, matches.
  const intake = new MqttToIris(rig.client, topics.base, new Set(['select', 'Orders']), (service, item) => delivered.push([service, JSON.parse(item.json).data]), rig.log);
  await intake.start();
  try {
    await rig.observer.publish(`${toIrisTopicBase(topics.base)}/select`, JSON.stringify({ n: 1 }));
    await rig.observer.publish(`${toIrisTopicBase(topics.base)}/Orders`, JSON.stringify({ n: 2 }));
    // One connection delivers in order: once Orders is in, every copy of the first message is too.
    await waitFor(() => delivered.some(([s]) => s === 'Orders'), 5000, 'the message for Orders');
    assert.deepEqual(delivered, [
      ['select', { n: 1 }],
      ['Orders', { n: 2 }],
    ]);
    assert.deepEqual(rig.lines.filter((l) => / WARN: /.test(l)), []);
  } finally {
    intake.stop();
  }
});
