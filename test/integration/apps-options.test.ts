/**
 * Apps from the options at start, the whole path: the bridge on the simulator (through the same
 * compose code as `npm start`) with a real mosquitto, the registry settings in their 0600 file
 * pointing at the stand-in registry, IPM installed where missing, the declared packages installed
 * (a second start changing nothing is test/unit/apps-service.test.ts: the simulator forgets at a restart).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { startBridge } from '../../src/app.ts';
import { PINNED_IPM } from '../../src/ipm/apps-service.ts';
import { RegistrySettings } from '../../src/ipm/registry-settings.ts';
import { captureLogger, testConfig, waitFor } from '../support/fixtures.ts';
import { startStandInRegistry, type StandInRegistry } from '../support/ipm-registry.ts';
import { Mosquitto } from '../support/mosquitto.ts';

let broker: Mosquitto;
let reg: StandInRegistry;
let dir: string;

before(async () => {
  broker = await Mosquitto.start();
  reg = await startStandInRegistry({ zpm: { [PINNED_IPM]: {} }, webterminal: { '4.9.2': {} }, sslclient: { '1.0.4': {}, '1.1.0': {} } });
  dir = mkdtempSync(join(tmpdir(), 'apps-options-'));
});
after(async () => {
  await reg.close();
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
});

it('installs the declared apps at start, once', async () => {
  const registryFile = join(dir, 'secrets', 'ipm_registry.json');
  await new RegistrySettings(registryFile).save({ url: reg.url });
  const config = testConfig({
    mqtt: { source: 'default', url: broker.url },
    stateDir: join(dir, 'state'),
    certDir: join(dir, 'certs'),
    iris: { mode: 'simulator', scenario: 'demo', dataDir: join(dir, 'state', 'simulator'), writeIntervalMs: 0 },
    backups: { dir: join(dir, 'backups'), uploadLimitBytes: 1024 * 1024 },
    apps: { namespaces: ['TOOLS'], packages: [{ name: 'webterminal', namespace: 'APPS' }, { name: 'sslclient', version: '1.0.4', namespace: 'APPS' }], registryFile, workDir: join(dir, 'state', 'apps') },
  });
  const cap = captureLogger();
  const running = await startBridge(config, cap.log, { inventoryWindowMs: 200 });
  try {
    const done = await waitFor(() => cap.lines.find((l) => l.includes('Apps from the options: ') && l.includes('installed,')), 30_000, 'the options\' apps to be applied');
    assert.match(done, /2 namespace\(s\) created, 2 installed, 0 already there, 0 failed/);
    const apps = await running.apps!.list('APPS');
    assert.equal(apps.ipm, PINNED_IPM);
    assert.deepEqual(apps.packages.map((p) => `${p.name} ${p.version}`), ['sslclient 1.0.4', 'webterminal 4.9.2']);
    assert.ok(cap.lines.every((l) => !l.includes('ERROR!')), 'no IPM error in the log');
  } finally {
    await running.stop();
  }
});
