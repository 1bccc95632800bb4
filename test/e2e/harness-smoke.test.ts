/**
 * Proves the real-Home-Assistant harness with hand-written MQTT messages, independent of the
 * bridge: a device-based discovery payload becomes a device with entities, names and ids as
 * intended; state, commands, Assist and an HA restart work; the log check is clean and CAN fail.
 *
 * Needs: bash test/e2e/harness/prepare.sh (as root), mosquitto.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { Mosquitto } from '../support/mosquitto.ts';
import { artifactDirFor, logEntries, startHomeAssistant, type HomeAssistant } from './harness/home-assistant.ts';

const artifactDir = artifactDirFor('harness-smoke');

const NODE = 'iris_edge_smoke';
const DEVICE_ID = `${NODE}_orders_orders_production`;
const DISCOVERY_TOPIC = `homeassistant/device/${NODE}/orders__orders_production/config`;
const BASE = `${NODE}/orders/orders_production`;
const STATE_TOPIC = `${BASE}/state`;
const COMMAND_TOPIC = `${BASE}/set`;
const AVAILABILITY_TOPIC = `${NODE}/availability`;

const discovery = {
  dev: { ids: [DEVICE_ID], name: 'Orders Production', mf: 'InterSystems', mdl: 'IRIS interoperability production' },
  o: { name: 'IRIS Edge', sw: '0.0.0-smoke' },
  avty_t: AVAILABILITY_TOPIC,
  qos: 1,
  cmps: {
    production: {
      p: 'switch',
      name: null,
      uniq_id: `${DEVICE_ID}_switch`,
      default_entity_id: 'switch.orders_production',
      cmd_t: COMMAND_TOPIC,
      stat_t: STATE_TOPIC,
      val_tpl: "{{ 'ON' if value_json.status == 'running' else 'OFF' }}",
      pl_on: 'START',
      pl_off: 'STOP',
      stat_on: 'ON',
      stat_off: 'OFF',
    },
    status: {
      p: 'sensor',
      name: 'Status',
      uniq_id: `${DEVICE_ID}_status`,
      default_entity_id: 'sensor.orders_production_status',
      dev_cla: 'enum',
      ops: ['running', 'stopped', 'troubled', 'suspended'],
      stat_t: STATE_TOPIC,
      val_tpl: '{{ value_json.status }}',
    },
    troubled: {
      p: 'binary_sensor',
      name: 'Troubled',
      uniq_id: `${DEVICE_ID}_troubled`,
      default_entity_id: 'binary_sensor.orders_production_troubled',
      dev_cla: 'problem',
      stat_t: STATE_TOPIC,
      val_tpl: "{{ 'ON' if value_json.troubled else 'OFF' }}",
    },
    restart: {
      p: 'button',
      name: 'Restart',
      uniq_id: `${DEVICE_ID}_restart`,
      default_entity_id: 'button.orders_production_restart',
      dev_cla: 'restart',
      cmd_t: COMMAND_TOPIC,
      pl_prs: 'RESTART',
    },
  },
};

const EXPECTED = [
  { entity_id: 'switch.orders_production', unique_id: `${DEVICE_ID}_switch`, friendly_name: 'Orders Production' },
  { entity_id: 'sensor.orders_production_status', unique_id: `${DEVICE_ID}_status`, friendly_name: 'Orders Production Status' },
  { entity_id: 'binary_sensor.orders_production_troubled', unique_id: `${DEVICE_ID}_troubled`, friendly_name: 'Orders Production Troubled' },
  { entity_id: 'button.orders_production_restart', unique_id: `${DEVICE_ID}_restart`, friendly_name: 'Orders Production Restart' },
];

describe('e2e harness: a real Home Assistant with hand-written MQTT discovery', () => {
  let broker: Mosquitto;
  let ha: HomeAssistant;
  let client: mqtt.MqttClient;
  const commands: string[] = [];

  const nextCommand = async (what: string): Promise<string> => {
    const seen = commands.length;
    return ha.waitFor(() => commands[seen], 15_000, what);
  };

  before(async () => {
    broker = await Mosquitto.start();
    ha = await startHomeAssistant({ mqttPort: broker.port, artifactDir });
    client = await mqtt.connectAsync(broker.url, { clientId: 'iris-edge-smoke-bridge' });
    client.on('message', (topic, payload, packet) => {
      if (topic === COMMAND_TOPIC && !packet.retain) commands.push(payload.toString());
    });
    await client.subscribeAsync(COMMAND_TOPIC, { qos: 1 });
  });

  after(async () => {
    await client?.endAsync().catch(() => undefined);
    await ha?.stop();
    await broker?.close();
  });

  it('creates the device and its entities with the intended ids and names', async () => {
    assert.match(ha.version, /^\d{4}\.\d+\.\d+/);
    await client.publishAsync(AVAILABILITY_TOPIC, 'online', { retain: true, qos: 1 });
    await client.publishAsync(DISCOVERY_TOPIC, JSON.stringify(discovery), { retain: true, qos: 1 });

    const entities = await ha.waitFor(
      async () => {
        const mine = (await ha.entityRegistry()).filter((e) => e.unique_id.startsWith(DEVICE_ID));
        return mine.length === EXPECTED.length ? mine : undefined;
      },
      30_000,
      'the four discovered entities in the entity registry',
    );
    const device = (await ha.deviceRegistry()).find((d) => d.identifiers.some(([domain, id]) => domain === 'mqtt' && id === DEVICE_ID));
    assert.ok(device, 'the production device is in the device registry');
    assert.equal(device.name, 'Orders Production');
    assert.equal(device.manufacturer, 'InterSystems');
    for (const want of EXPECTED) {
      const entry = entities.find((e) => e.unique_id === want.unique_id);
      assert.ok(entry, `registry entry for ${want.unique_id}`);
      assert.equal(entry.entity_id, want.entity_id);
      assert.equal(entry.platform, 'mqtt');
      assert.equal(entry.device_id, device.id);
    }
    const states = await ha.states();
    for (const want of EXPECTED) {
      const s = states.find((x) => x.entity_id === want.entity_id);
      assert.ok(s, `state of ${want.entity_id}`);
      assert.equal(s.attributes.friendly_name, want.friendly_name);
    }
  });

  it('shows a state published on the state topic', async () => {
    await client.publishAsync(STATE_TOPIC, JSON.stringify({ status: 'running', troubled: false }), { retain: true, qos: 1 });
    await ha.waitFor(async () => (await ha.state('sensor.orders_production_status'))?.state === 'running', 10_000, 'status running');
    assert.equal((await ha.state('switch.orders_production'))?.state, 'on');
    assert.equal((await ha.state('binary_sensor.orders_production_troubled'))?.state, 'off');

    await client.publishAsync(STATE_TOPIC, JSON.stringify({ status: 'troubled', troubled: true }), { retain: true, qos: 1 });
    await ha.waitFor(async () => (await ha.state('binary_sensor.orders_production_troubled'))?.state === 'on', 10_000, 'troubled on');
    assert.equal((await ha.state('sensor.orders_production_status'))?.state, 'troubled');
    assert.equal((await ha.state('switch.orders_production'))?.state, 'off');

    await client.publishAsync(STATE_TOPIC, JSON.stringify({ status: 'running', troubled: false }), { retain: true, qos: 1 });
    await ha.waitFor(async () => (await ha.state('switch.orders_production'))?.state === 'on', 10_000, 'switch on again');
  });

  it('sends STOP on the command topic for switch.turn_off, RESTART for the button', async () => {
    const stop = nextCommand('STOP after switch.turn_off');
    await ha.callService('switch', 'turn_off', { entity_id: 'switch.orders_production' });
    assert.equal(await stop, 'STOP');

    const restart = nextCommand('RESTART after button.press');
    await ha.callService('button', 'press', { entity_id: 'button.orders_production_restart' });
    assert.equal(await restart, 'RESTART');
  });

  it('stops the production through Assist: "turn off the Orders production"', async () => {
    const stop = nextCommand('STOP after the Assist sentence');
    const result = await ha.converse('turn off the Orders production');
    assert.equal(result.response.response_type, 'action_done', JSON.stringify(result));
    assert.ok(
      result.response.data?.success?.some((t) => t.id === 'switch.orders_production'),
      `Assist acted on switch.orders_production: ${JSON.stringify(result.response.data)}`,
    );
    assert.equal(await stop, 'STOP');
  });

  it('keeps the entities available across an HA restart (after the birth message)', async () => {
    await ha.restart();
    await ha.waitFor(
      async () => {
        const states = await ha.states();
        return EXPECTED.every((want) => {
          const s = states.find((x) => x.entity_id === want.entity_id);
          return s !== undefined && s.state !== 'unavailable';
        });
      },
      30_000,
      'all four entities available after the restart',
    );
    assert.equal((await ha.state('switch.orders_production'))?.state, 'on');
    assert.equal((await ha.state('sensor.orders_production_status'))?.state, 'running');
    // The websocket was re-established.
    const entities = (await ha.entityRegistry()).filter((e) => e.unique_id.startsWith(DEVICE_ID));
    assert.equal(entities.length, EXPECTED.length);
  });

  it('has a clean log', async () => {
    // The log is really parsed (an unparsed log would make this check pass vacuously).
    const mqttEntries = logEntries(ha.logText()).filter((e) => e.logger.startsWith('homeassistant.components.mqtt'));
    assert.ok(mqttEntries.length > 20, `the MQTT debug log is captured and parsed (${mqttEntries.length} entries)`);
    assert.deepEqual(await ha.problems(), []);
  });

  it('reports an invalid discovery payload in problems() (the log check can fail)', async () => {
    const topic = `homeassistant/sensor/${NODE}/bad_temperature/config`;
    await client.publishAsync(
      topic,
      JSON.stringify({
        name: 'Bad temperature',
        uniq_id: `${NODE}_bad_temperature`,
        stat_t: `${NODE}/bad_temperature`,
        dev_cla: 'temperature',
        unit_of_meas: 'C',
        dev: { ids: [`${NODE}_bad`], name: 'Smoke bad device' },
      }),
      { retain: true, qos: 1 },
    );
    const problems = await ha.waitFor(
      async () => {
        const p = (await ha.problems()).filter((line) => line.includes('bad_temperature'));
        return p.length > 0 ? p : undefined;
      },
      15_000,
      'a log line about the invalid temperature sensor',
    );
    assert.match(problems[0]!, /ERROR|WARNING/);
    await client.publishAsync(topic, '', { retain: true, qos: 1 });
    const registry = await ha.entityRegistry();
    assert.ok(!registry.some((e) => e.unique_id === `${NODE}_bad_temperature`), 'the invalid sensor was not created');
  });
});
