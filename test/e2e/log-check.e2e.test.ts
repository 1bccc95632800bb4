/**
 * Meta-tests of the harness's Home Assistant check (problems(), logProblemsIn): each mistake below
 * was once made against the real Home Assistant and passed the MQTT-only log check, although HA
 * dropped the entity or invented a device. Each is made here on purpose, with hand-written MQTT
 * messages, and the check must report it.
 *
 * Needs: bash test/e2e/harness/prepare.sh (as root), mosquitto.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import mqtt from 'mqtt';
import { Mosquitto } from '../support/mosquitto.ts';
import { artifactDirFor, logEntries, logProblemsIn, startHomeAssistant, type HomeAssistant } from './harness/home-assistant.ts';

const NODE = 'iris_edge_meta';

describe('the log check parses every entry of a Home Assistant log', () => {
  // Printed by HA's own HomeAssistantLogFormatter(LOG_FORMAT) in the chroot (2026.11.0): a thread
  // started without a name is "Thread-N (<target>)".
  const LOG = [
    '2026-12-02 11:13:24.510+00:00 DEBUG (MainThread) [homeassistant.components.mqtt.client] 127.0.0.1: register write 20',
    '2026-12-02 11:13:24.511+00:00 WARNING (Thread-1 (_misc_loop)) [homeassistant.components.mqtt.client] Unexpected disconnect from the broker',
    '2026-12-02 11:13:24.512+00:00 ERROR (MainThread) [homeassistant.components.sensor] Something failed',
    'Traceback (most recent call last):',
    '  File "x.py", line 1, in <module>',
    '2026-12-02 11:13:24.513+00:00 WARNING an entry whose thread and logger cannot be read',
    // helpers/entity_platform.py, when two entities race for one entity id (logged by the entity's
    // domain, not by MQTT): the second entity is dropped.
    '2026-12-02 11:13:24.514+00:00 ERROR (MainThread) [homeassistant.components.switch] Entity id already exists - ignoring: switch.orders_production',
  ].join('\n');

  it('keeps an entry whose thread name has parentheses, with its level and logger', () => {
    const entries = logEntries(LOG);
    assert.equal(entries.length, 5);
    assert.deepEqual(
      entries.map((e) => [e.level, e.logger]),
      [
        ['DEBUG', 'homeassistant.components.mqtt.client'],
        ['WARNING', 'homeassistant.components.mqtt.client'],
        ['ERROR', 'homeassistant.components.sensor'],
        ['WARNING', ''],
        ['ERROR', 'homeassistant.components.switch'],
      ],
    );
    assert.match(entries[2]!.text, /Traceback[\s\S]*x\.py/, 'a traceback stays with its entry');
  });

  it('reports every WARNING or worse, from any logger and whatever its thread', () => {
    const problems = logProblemsIn(LOG);
    assert.equal(problems.length, 4, problems.join('\n'));
    assert.match(problems[0]!, /\(Thread-1 \(_misc_loop\)\).*Unexpected disconnect/);
    assert.match(problems[1]!, /Something failed\nTraceback/);
    assert.match(problems[2]!, /cannot be read/);
    assert.match(problems[3]!, /Entity id already exists - ignoring: switch\.orders_production$/);
  });
});

describe('the check reports what Home Assistant drops or invents', () => {
  let broker: Mosquitto;
  let ha: HomeAssistant;
  let client: mqtt.MqttClient;

  before(async () => {
    broker = await Mosquitto.start();
    ha = await startHomeAssistant({ mqttPort: broker.port, artifactDir: artifactDirFor('log-check') });
    client = await mqtt.connectAsync(broker.url, { clientId: 'iris-edge-log-check' });
  });

  after(async () => {
    await client?.endAsync().catch(() => undefined);
    await ha?.stop();
    await broker?.close();
  });

  const publish = (topic: string, payload: unknown) =>
    client.publishAsync(topic, typeof payload === 'string' ? payload : JSON.stringify(payload), { retain: true, qos: 1 });

  /** The first problem matching `pattern`: the check reports it within the deadline, or the test fails. */
  const reported = (pattern: RegExp, what: string) =>
    ha.waitFor(async () => (await ha.problems()).find((p) => pattern.test(p)), 20_000, `problems() to report ${what}`);

  const device = (id: string) => ({ ids: [id], name: `Meta ${id}`, mf: 'IRIS Edge tests' });
  const origin = { name: 'IRIS Edge log-check' };

  it('reports a unique id used twice (HA drops the second entity)', async () => {
    const sensor = (suffix: string) => ({
      p: 'sensor',
      name: 'Twin',
      uniq_id: `${NODE}_twin`,
      default_entity_id: `sensor.meta_twin_${suffix}`,
      stat_t: `${NODE}/twin/${suffix}`,
    });
    await publish(`homeassistant/device/${NODE}/twin_a/config`, { dev: device(`${NODE}_twin_a`), o: origin, cmps: { twin: sensor('a') } });
    await ha.waitFor(async () => (await ha.entityRegistry()).some((e) => e.unique_id === `${NODE}_twin`), 20_000, 'the first twin');
    await publish(`homeassistant/device/${NODE}/twin_b/config`, { dev: device(`${NODE}_twin_b`), o: origin, cmps: { twin: sensor('b') } });
    const problem = await reported(/does not generate unique IDs.*iris_edge_meta_twin/, 'the duplicate unique id');
    assert.match(problem, /ERROR/);
    assert.equal((await ha.entityRegistry()).filter((e) => e.unique_id === `${NODE}_twin`).length, 1, 'HA kept one of the two');
  });

  it('reports an entity id used twice (HA renames the second entity)', async () => {
    const sensor = (n: string) => ({ p: 'sensor', name: `Same ${n}`, uniq_id: `${NODE}_same_${n}`, default_entity_id: 'sensor.meta_same', stat_t: `${NODE}/same/${n}` });
    await publish(`homeassistant/device/${NODE}/same/config`, { dev: device(`${NODE}_same`), o: origin, cmps: { a: sensor('a'), b: sensor('b') } });
    await reported(/^sensor\.meta_same_2 \(unique id iris_edge_meta_same_[ab]\) was given a suffix: sensor\.meta_same is taken$/, 'the duplicate entity id');
  });

  it('reports a unit the device class does not allow (the sensor platform warns, not MQTT)', async () => {
    // MQTT's schema checks a unit against the device class only when a unit is given: a data_size
    // sensor without one passes discovery, and the sensor platform complains at its first number.
    await publish(`homeassistant/device/${NODE}/unitless/config`, {
      dev: device(`${NODE}_unitless`),
      o: origin,
      cmps: { size: { p: 'sensor', name: 'Size', uniq_id: `${NODE}_unitless_size`, default_entity_id: 'sensor.meta_unitless_size', dev_cla: 'data_size', stat_t: `${NODE}/unitless` } },
    });
    await ha.waitFor(async () => (await ha.state('sensor.meta_unitless_size')) !== undefined, 20_000, 'the unitless sensor');
    await publish(`${NODE}/unitless`, '5');
    const problem = await reported(/sensor\.meta_unitless_size.*not a valid unit for the device class \('data_size'\)/, 'the missing unit');
    assert.match(problem, /WARNING/);
  });

  it('reports a via_device that nothing announces (HA makes a placeholder device with no entities)', async () => {
    await publish(`homeassistant/device/${NODE}/orphan/config`, {
      dev: { ...device(`${NODE}_orphan`), via_device: `${NODE}_nobody` },
      o: origin,
      cmps: { state: { p: 'sensor', name: 'State', uniq_id: `${NODE}_orphan_state`, default_entity_id: 'sensor.meta_orphan_state', stat_t: `${NODE}/orphan` } },
    });
    const problem = await reported(/^MQTT device iris_edge_meta_nobody has no entities/, 'the placeholder device');
    assert.match(problem, /via_device/);
    // HA logs it at DEBUG only: without the device registry the check would not see it.
    assert.ok(!logProblemsIn(ha.logText()).some((p) => p.includes(`${NODE}_nobody`)));
  });
});
