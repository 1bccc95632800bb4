/**
 * `npm run simulator`: the simulated IRIS alone in a process, and a bridge process reaching it as
 * it reaches a real IRIS (IRIS_HOST and the rest) with the simulator's driver, against a real
 * mosquitto.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runBridge } from '../support/bridge-process.ts';
import { Mosquitto } from '../support/mosquitto.ts';
import { Observer } from '../support/observer.ts';
import { runSimulator } from '../support/simulator-process.ts';

let broker: Mosquitto;
before(async () => {
  broker = await Mosquitto.start();
});
after(async () => {
  await broker.close();
});

const stateDir = () => mkdtempSync(join(tmpdir(), 'iris-edge-simulator-process-'));

describe('the IRIS simulator in a process of its own', () => {
  it('prints what a bridge needs, keeps the passwords in files only it can read, and a bridge process mirrors it, saying it is a simulator', async () => {
    const simulator = runSimulator({ IRIS_EDGE_STATE_DIR: stateDir(), IRIS_EDGE_SIMULATOR_SCENARIO: '2x3', IRIS_EDGE_SIMULATOR_WRITE_MS: '0' });
    const observer = await Observer.connect(broker.url);
    let bridge: ReturnType<typeof runBridge> | undefined;
    try {
      const env = await simulator.env();
      assert.deepEqual(Object.keys(env), ['IRIS_HOST', 'IRIS_PORT', 'IRIS_WEB_PORT', 'IRIS_USER', 'IRIS_PASSWORD_FILE', 'IRIS_SENSORS_USER', 'IRIS_SENSORS_PASSWORD_FILE', 'IRIS_EDGE_IRIS_DRIVER']);
      assert.equal(env.IRIS_HOST, '127.0.0.1');
      assert.equal(env.IRIS_EDGE_IRIS_DRIVER, 'simulator');
      for (const file of [env.IRIS_PASSWORD_FILE!, env.IRIS_SENSORS_PASSWORD_FILE!]) {
        assert.equal(statSync(file).mode & 0o777, 0o600, file);
        const password = readFileSync(file, 'utf8').trim();
        assert.match(password, /^[0-9a-f]{32}$/);
        assert.ok(!simulator.output().includes(password), 'a password appears in the simulator\'s output');
      }

      bridge = runBridge({ ...env, MQTT_URL: broker.url, INSTANCE_ID: 'apart', POLL_INTERVAL: '2', IRIS_EDGE_STATE_DIR: stateDir() });
      await observer.waitFor('iris-edge/apart/availability', (p) => p === 'online', 30_000);
      const production = await observer.waitFor('iris-edge/apart/scale02/scale2_production/state', () => true, 30_000);
      assert.equal(JSON.parse(production.payload).state, 'running');
      assert.match(bridge.output(), /IRIS_EDGE_IRIS_DRIVER=simulator: 127\.0\.0\.1:\d+ is an IRIS SIMULATOR \(npm run simulator\), not a real IRIS/);
      assert.match(bridge.output(), /reached through IRIS simulator \(built-in, not a real IRIS\), in a separate process/);

      // The simulator gone is an IRIS that stopped answering: the bridge says so and keeps running.
      simulator.proc.kill('SIGKILL');
      await observer.waitFor('iris-edge/apart/availability', (p) => p === 'offline', 30_000);
      assert.equal(bridge.proc.exitCode, null);
    } finally {
      bridge?.proc.kill('SIGKILL');
      simulator.proc.kill('SIGKILL');
      await observer.close();
    }
  });

  it('stops on SIGTERM with exit code 0', async () => {
    const simulator = runSimulator({ IRIS_EDGE_STATE_DIR: stateDir(), IRIS_EDGE_SIMULATOR_SCENARIO: '1x1' });
    try {
      await simulator.env();
      simulator.proc.kill('SIGTERM');
      assert.equal(await simulator.exited(), 0);
    } finally {
      simulator.proc.kill('SIGKILL');
    }
  });

  it('refuses bad flags and settings with a message that names them, exit code 2, and prints no environment', async () => {
    const refused = async (env: Record<string, string>, args: string[], message: RegExp) => {
      const simulator = runSimulator({ IRIS_EDGE_STATE_DIR: stateDir(), ...env }, { args });
      try {
        assert.equal(await simulator.exited(), 2, simulator.output());
        assert.match(simulator.output(), message);
        assert.doesNotMatch(simulator.output(), /^IRIS_HOST=/m);
      } finally {
        simulator.proc.kill('SIGKILL');
      }
    };
    await refused({}, ['--port', '70000'], /The IRIS simulator cannot start\. --port must be a port number from 0 \(any free port\) to 65535, not "70000"/);
    await refused({}, ['--web-port', 'http'], /--web-port must be a port number/);
    await refused({}, ['--verbose'], /Unknown option '--verbose'[\s\S]*usage: npm run simulator -- \[--port/);
    await refused({ IRIS_EDGE_SIMULATOR_SCENARIO: 'everything' }, [], /option "simulator_scenario" is "everything"; allowed: demo, home, or productions x hosts/);
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = taken.address() as AddressInfo;
      await refused({}, ['--web-port', String(port)], new RegExp(`The IRIS simulator cannot start\\. Port ${port} is in use: choose another with --port or --web-port`));
      await refused({}, ['--port', String(port)], new RegExp(`Port ${port} is in use`));
    } finally {
      taken.close();
    }
  });
});
