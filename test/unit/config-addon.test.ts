// What config/ resolves so that no other room reads the environment or knows /data: whether it
// runs in the add-on, the add-on's files, and environment values read by the option's own type.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/config/errors.ts';
import { loadConfig } from '../../src/config/load.ts';

const addonEnv = { SUPERVISOR_TOKEN: 't0k', IRIS_HOST: '127.0.0.1', IRIS_USER: 'iris_edge', IRIS_PASSWORD: 'pw' };
const noOptions = () => '{}';

describe('configuration of the add-on files', () => {
  it('knows the add-on by the Supervisor token and names its files there', () => {
    const c = loadConfig({ env: { ...addonEnv, IRIS_EDGE_IRIS_BIN: '/usr/irissys/bin/iris' }, argv: [], readFile: noOptions });
    assert.equal(c.inAddon, true);
    assert.deepEqual(c.addon, {
      passwordFile: '/data/secrets/iris_edge_password',
      adminUser: 'ha_admin',
      adminPasswordFile: '/data/secrets/iris_admin_password',
      messagesLog: '/data/iris/mgr/messages.log',
      irisBin: '/usr/irissys/bin/iris',
    });
    assert.equal(c.irisSslDir, '/data/iris-edge/ssl');
    assert.equal(c.certDir, '/data/iris-edge/certs');
  });

  it('has no add-on files outside Home Assistant, and keeps IRIS PEM files beside the store', () => {
    const c = loadConfig({ env: { IRIS_EDGE_CERT_DIR: '/srv/edge/certs', IRIS_EDGE_IRIS_BIN: '/usr/irissys/bin/iris' }, argv: [] });
    assert.equal(c.inAddon, false);
    assert.deepEqual(c.addon, { passwordFile: undefined, adminUser: undefined, adminPasswordFile: undefined, messagesLog: undefined, irisBin: undefined });
    assert.equal(c.irisSslDir, '/srv/edge/iris-ssl');
  });

  it('has no messages.log for the simulator, even in the add-on', () => {
    const c = loadConfig({ env: { SUPERVISOR_TOKEN: 't0k' }, argv: [], readFile: noOptions });
    assert.equal(c.iris.mode, 'simulator');
    assert.equal(c.addon.messagesLog, undefined);
    // The simulator's account for people is its own (compose/simulator-account.ts), not the add-on's.
    assert.equal(c.addon.adminPasswordFile, undefined);
  });

  it('takes another password file from IRIS_PASSWORD_FILE in the add-on', () => {
    const c = loadConfig({ env: { ...addonEnv, IRIS_PASSWORD_FILE: '/run/pw' }, argv: [], readFile: noOptions });
    assert.equal(c.addon.passwordFile, '/run/pw');
  });
});

describe('environment values, read by the type of their option', () => {
  it('reads whole numbers and true/false words for every numeric and boolean option', () => {
    const c = loadConfig({ env: { PANEL_PORT: ' 8123 ', HOST_DEVICE_THRESHOLD: '007', EXPOSE_TO_ASSIST: 'Off', IRIS_EDGE_SIMULATOR: 'YES' }, argv: [] });
    assert.equal(c.panel.port, 8123);
    assert.equal(c.hostDeviceThreshold, 7);
    assert.equal(c.exposeToAssist, false);
    assert.equal(c.iris.mode, 'simulator');
  });

  it('refuses what only looks like a number or a yes', () => {
    for (const [name, value, says] of [
      ['PANEL_PORT', '80.5', 'is not a whole number'],
      ['PANEL_PORT', '1e3', 'is not a whole number'],
      ['PANEL_PORT', '0x50', 'is not a whole number'],
      ['EXPOSE_TO_ASSIST', 'maybe', 'is not true or false'],
      ['EXPOSE_TO_ASSIST', 'y', 'is not true or false'],
    ] as const) {
      assert.throws(
        () => loadConfig({ env: { [name]: value }, argv: [] }),
        (e: unknown) => e instanceof ConfigError && e.message === `environment variable ${name}: "${value}" ${says}.`,
        `${name}=${value}`,
      );
    }
  });

  it('keeps text options as text', () => {
    const c = loadConfig({ env: { INSTANCE_ID: 'edge1', PANEL_HOST: '0.0.0.0' }, argv: [] });
    assert.equal(c.instanceId, 'edge1');
    assert.equal(c.panel.host, '0.0.0.0');
  });
});
