import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/config/errors.ts';
import { loadConfig } from '../../src/config/load.ts';
import { BACKUP_UPLOAD_LIMIT_BYTES } from '../../src/model/backup.ts';

const files = (content: Record<string, string>) => (p: string) => {
  if (!(p in content)) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
  return content[p] as string;
};

describe('configuration', () => {
  it('runs on the simulator with the default broker when nothing is configured', () => {
    const c = loadConfig({ env: {}, argv: [] });
    assert.deepEqual(c.iris, { mode: 'simulator', scenario: 'demo', dataDir: '.iris-edge/simulator', writeIntervalMs: 250 });
    assert.equal(c.stateDir, '.iris-edge');
    assert.deepEqual(c.backups, { dir: '.iris-edge/backups', uploadLimitBytes: BACKUP_UPLOAD_LIMIT_BYTES });
    assert.deepEqual(c.mqtt, { source: 'default', url: 'mqtt://127.0.0.1:1883', username: undefined, password: undefined });
    assert.equal(c.pollIntervalMs, 10_000);
    assert.equal(c.instanceId, 'iris');
  });

  it('reads the add-on options and asks the Supervisor for MQTT inside Home Assistant', () => {
    const c = loadConfig({
      env: { SUPERVISOR_TOKEN: 't0k', IRIS_HOST: '127.0.0.1', IRIS_USER: 'iris_edge', IRIS_PASSWORD: 'pw' },
      argv: [],
      readFile: files({ '/data/options.json': JSON.stringify({ poll_interval: 30, log_level: 'debug', memory_profile: 'small', instances: [] }) }),
    });
    assert.equal(c.pollIntervalMs, 30_000);
    assert.equal(c.logLevel, 'debug');
    assert.deepEqual(c.mqtt, { source: 'supervisor' });
    assert.equal(c.iris.mode, 'native');
    assert.equal(c.supervisorToken, 't0k');
    // Backups outside /data: they survive uninstalling and do not bloat Home Assistant's backups.
    assert.equal(c.backups.dir, '/backup/iris-edge');
    assert.equal(c.stateDir, '/data/iris-edge');
  });

  it('takes the sensors\' own IRIS login from IRIS_SENSORS_USER and its password file; an unreadable file costs the agent sensors only, without showing a password', () => {
    const env = { IRIS_HOST: '127.0.0.1', IRIS_USER: 'iris_edge', IRIS_PASSWORD: 'pw', IRIS_SENSORS_USER: 'iris_edge_sensors', IRIS_SENSORS_PASSWORD_FILE: '/data/secrets/s' };
    const ok = loadConfig({ env, argv: [], readFile: files({ '/data/secrets/s': 'S3cretSensors\n' }) });
    assert.deepEqual(ok.userSensors.login, { username: 'iris_edge_sensors', password: 'S3cretSensors' });
    const missing = loadConfig({ env, argv: [], readFile: files({}) });
    assert.equal(missing.userSensors.login, undefined);
    assert.deepEqual(missing.userSensors.problems.map((p) => p.field), ['IRIS_SENSORS_PASSWORD_FILE']);
    assert.match(missing.userSensors.problems[0]?.message ?? '', /cannot read \/data\/secrets\/s \(ENOENT\), so SQL, global and method sensors are not read/);
    assert.equal(loadConfig({ env: {}, argv: [] }).userSensors.login, undefined);
  });

  it('takes the backup and simulator directories and limits from the environment', () => {
    const c = loadConfig({
      env: { IRIS_EDGE_STATE_DIR: '/s', IRIS_EDGE_BACKUP_DIR: '/b', IRIS_EDGE_BACKUP_UPLOAD_LIMIT_MB: '10', IRIS_EDGE_SIMULATOR_WRITE_MS: '0' },
      argv: [],
    });
    assert.deepEqual(c.backups, { dir: '/b', uploadLimitBytes: 10_000_000 });
    assert.deepEqual(c.iris, { mode: 'simulator', scenario: 'demo', dataDir: '/s/simulator', writeIntervalMs: 0 });
    assert.throws(() => loadConfig({ env: { IRIS_EDGE_BACKUP_UPLOAD_LIMIT_MB: '0' }, argv: [] }), /backup_upload_limit_mb/);
  });

  it('lets the environment override options and the command line override both', () => {
    const c = loadConfig({
      env: { IRIS_EDGE_OPTIONS_FILE: '/o.json', POLL_INTERVAL: '20' },
      argv: ['--poll-interval', '5', '--mqtt-url', 'mqtt://broker:1884'],
      readFile: files({ '/o.json': '{"poll_interval": 60, "mqtt_url": "mqtt://x:1"}' }),
    });
    assert.equal(c.pollIntervalMs, 5000);
    assert.equal(c.mqtt.source, 'environment');
    assert.equal((c.mqtt as { url: string }).url, 'mqtt://broker:1884');
  });

  it('reaches IRIS through the SDK unless IRIS_EDGE_IRIS_DRIVER names the simulator\'s driver, which the add-on refuses', () => {
    const native = { IRIS_HOST: '127.0.0.1', IRIS_USER: 'iris_edge', IRIS_PASSWORD: 'pw' };
    const driverOf = (env: Record<string, string>) => {
      const { iris } = loadConfig({ env, argv: [], readFile: files({ '/data/options.json': '{}' }) });
      return iris.mode === 'native' ? iris.driver : iris.mode;
    };
    assert.equal(driverOf(native), 'sdk');
    assert.equal(driverOf({ ...native, IRIS_EDGE_IRIS_DRIVER: 'simulator' }), 'simulator');
    assert.equal(driverOf({ IRIS_EDGE_IRIS_DRIVER: 'simulator' }), 'simulator', 'without IRIS_HOST the built-in simulator runs, driver or not');
    assert.throws(() => driverOf({ ...native, IRIS_EDGE_IRIS_DRIVER: 'odbc' }), (e: unknown) => e instanceof ConfigError && /option "iris_driver" is "odbc"; allowed: one of sdk, simulator/.test(e.message));
    assert.throws(
      () => driverOf({ ...native, SUPERVISOR_TOKEN: 't0k', IRIS_EDGE_IRIS_DRIVER: 'simulator' }),
      (e: unknown) => e instanceof ConfigError && /IRIS_EDGE_IRIS_DRIVER=simulator is for a bridge outside Home Assistant/.test(e.message),
    );
  });

  it('names the option and what is allowed when a value is bad', () => {
    const bad = (env: Record<string, string>, re: RegExp) =>
      assert.throws(() => loadConfig({ env, argv: [] }), (e: unknown) => e instanceof ConfigError && re.test(e.message));
    bad({ POLL_INTERVAL: '1' }, /option "poll_interval" is 1; allowed: at least 2/);
    bad({ POLL_INTERVAL: 'soon' }, /POLL_INTERVAL: "soon" is not a whole number/);
    bad({ LOG_LEVEL: 'loud' }, /option "log_level" is "loud"; allowed: one of trace, debug, info, warning, error/);
    bad({ MQTT_URL: 'http://x' }, /option "mqtt_url" is "http:\/\/x"; allowed: an URL like mqtt:\/\/host:1883/);
    bad({ IRIS_HOST: 'iris' }, /IRIS_USER is not/);
    bad({ IRIS_EDGE_SIMULATOR_SCENARIO: 'huge' }, /option "simulator_scenario" is "huge"; allowed: demo, home, or productions x hosts/);
    bad({ IRIS_HOST: 'iris', IRIS_USER: 'u' }, /neither IRIS_PASSWORD nor IRIS_PASSWORD_FILE/);
  });

  it('reports bad add-on options by their option names, never showing passwords', () => {
    const options = { poll_interval: 10, instances: [{ id: 'Remote-1', host: 'h', superserver_port: 99999, username: 'u', password: 'hunter2' }] };
    assert.throws(
      () => loadConfig({ env: { IRIS_EDGE_OPTIONS_FILE: '/o.json' }, argv: [], readFile: files({ '/o.json': JSON.stringify(options) }) }),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, /option "instances\.0\.id" is "Remote-1"/);
        assert.match(e.message, /option "instances\.0\.superserver_port" is 99999; allowed: at most 65535/);
        assert.doesNotMatch(e.message, /hunter2/);
        return true;
      },
    );
  });

  it('refuses two instances with the same id', () => {
    const inst = { host: 'h', superserver_port: 1972, username: 'u', password: 'p' };
    const opts = { instances: [{ id: 'lab', ...inst }, { id: 'lab', ...inst }] };
    assert.throws(() => loadConfig({ env: { IRIS_EDGE_OPTIONS_FILE: '/o.json' }, argv: [], readFile: files({ '/o.json': JSON.stringify(opts) }) }), /the id "lab" is used twice/);
    const clash = { instances: [{ id: 'iris', ...inst }] };
    assert.throws(() => loadConfig({ env: { IRIS_EDGE_OPTIONS_FILE: '/o.json' }, argv: [], readFile: files({ '/o.json': JSON.stringify(clash) }) }), /the id "iris" is used twice/);
  });

  it('refuses unknown options and unreadable or malformed options files', () => {
    assert.throws(() => loadConfig({ env: { IRIS_EDGE_OPTIONS_FILE: '/o.json' }, argv: [], readFile: files({ '/o.json': '{"pol_interval": 5}' }) }), /unknown option\(s\) pol_interval/);
    assert.throws(() => loadConfig({ env: { IRIS_EDGE_OPTIONS_FILE: '/o.json' }, argv: [], readFile: files({ '/o.json': '{oops' }) }), /not valid JSON/);
    assert.throws(() => loadConfig({ env: { IRIS_EDGE_OPTIONS_FILE: '/missing.json' }, argv: [], readFile: files({}) }), /Cannot read the add-on options/);
    assert.throws(() => loadConfig({ env: {}, argv: ['--bogus'] }), /Command line: Unknown option '--bogus'/);
  });
});
