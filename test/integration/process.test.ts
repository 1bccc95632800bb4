/** The bridge as a user runs it (`npm start`): a separate process, killed, stopped, misconfigured. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runBridge } from '../support/bridge-process.ts';
import { waitFor } from '../support/fixtures.ts';
import { freePort, Mosquitto } from '../support/mosquitto.ts';
import { Observer } from '../support/observer.ts';

let broker: Mosquitto;
before(async () => {
  broker = await Mosquitto.start();
});
after(async () => {
  await broker.close();
});

describe('the bridge process', () => {
  it('says it runs on the simulator, and its Last Will marks it offline when it is killed', async () => {
    const observer = await Observer.connect(broker.url);
    const b = runBridge({ MQTT_URL: broker.url, INSTANCE_ID: 'killed' });
    try {
      await observer.waitFor('iris-edge/killed/bridge/availability', (p) => p === 'online', 20_000);
      assert.match(b.output(), /running against the built-in IRIS SIMULATOR/);
      b.proc.kill('SIGKILL');
      await observer.waitFor('iris-edge/killed/bridge/availability', (p) => p === 'offline', 5000);
    } finally {
      b.proc.kill('SIGKILL');
      await observer.close();
    }
  });

  it('stops cleanly on SIGTERM, exit code 0, marking itself offline', async () => {
    const observer = await Observer.connect(broker.url);
    const b = runBridge({ MQTT_URL: broker.url, INSTANCE_ID: 'stopped' });
    try {
      await observer.waitFor('iris-edge/stopped/bridge/availability', (p) => p === 'online', 20_000);
      b.proc.kill('SIGTERM');
      assert.equal(await b.exited, 0);
      await observer.waitFor('iris-edge/stopped/bridge/availability', (p) => p === 'offline', 5000);
    } finally {
      b.proc.kill('SIGKILL');
      await observer.close();
    }
  });

  it('keeps retrying while the broker is away, saying so, and connects when it appears', async () => {
    const port = await freePort();
    const b = runBridge({ MQTT_URL: `mqtt://127.0.0.1:${port}`, INSTANCE_ID: 'patient' });
    try {
      await waitFor(() => /not reachable.*retrying in \d+ s/.test(b.output()), 20_000, 'a retry message');
      await waitFor(() => (b.output().match(/retrying in/g) ?? []).length >= 2, 10_000, 'a second retry');
      assert.match(b.output(), /retrying in 1 s[\s\S]*retrying in 2 s/, 'backs off');
      assert.equal(b.proc.exitCode, null, 'still running');
      assert.doesNotMatch(b.output(), /Connected to the MQTT broker/);
    } finally {
      b.proc.kill('SIGKILL');
    }
  });

  it('refuses to start with a bad option, naming it and what is allowed', async () => {
    const b = runBridge({ POLL_INTERVAL: '1', LOG_LEVEL: 'chatty' });
    assert.equal(await b.exited, 2);
    assert.match(b.output(), /option "poll_interval" is 1; allowed: at least 2/);
    assert.match(b.output(), /option "log_level" is "chatty"; allowed: one of trace, debug, info, warning, error/);
  });
});
