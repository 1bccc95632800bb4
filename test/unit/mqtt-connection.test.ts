// The bridge's MQTT client (src/mqtt/connection.ts): mqtt.js's debug logger only when DEBUG asks.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import { connectMqtt } from '../../src/mqtt/connection.ts';
import { captureLogger } from '../support/fixtures.ts';

const clients: MqttClient[] = [];
const connect = () => {
  // Nothing listens on port 1: the client is made, and ended before it retries.
  const client = connectMqtt({ url: 'mqtt://127.0.0.1:1', instanceId: 'test', will: { topic: 't/a', payload: 'offline' } }, captureLogger().log);
  clients.push(client);
  return client;
};

describe('the MQTT connection', () => {
  const debug = process.env.DEBUG;
  afterEach(async () => {
    if (debug === undefined) delete process.env.DEBUG;
    else process.env.DEBUG = debug;
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  });

  it("gives mqtt.js a logger that does nothing, unless DEBUG is set, where mqtt.js's own debug logger runs", () => {
    delete process.env.DEBUG;
    const quiet = connect();
    assert.equal((quiet.log as { namespace?: string }).namespace, undefined, 'not the debug package');
    process.env.DEBUG = 'mqttjs*';
    assert.equal((connect().log as { namespace?: string }).namespace, 'mqttjs:client');
  });
});
