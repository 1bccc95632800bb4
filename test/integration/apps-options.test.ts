/**
 * Apps end to end on the bridge's side, the whole path: the bridge on the simulator (through the
 * same compose code as `npm start`) with a real mosquitto, the registry settings in their 0600 file
 * pointing at the stand-in registry. At start the options' namespaces and packages are made true
 * (IPM installed where missing); Home Assistant gets an update entity per installed app and a
 * sensor of them; Install on the update entity installs the registry's newest version; hostile
 * command payloads are ignored. (A second start changing nothing is test/unit/apps-service.test.ts:
 * the simulator forgets at a restart.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBridge, type RunningBridge } from '../../src/app.ts';
import { PINNED_IPM } from '../../src/ipm/apps-service.ts';
import { RegistrySettings } from '../../src/ipm/registry-settings.ts';
import { Topics } from '../../src/mqtt/topics.ts';
import { validateDiscovery } from '../support/discovery-validator.ts';
import { captureLogger, testConfig, waitFor } from '../support/fixtures.ts';
import { startStandInRegistry, type StandInRegistry } from '../support/ipm-registry.ts';
import { Mosquitto } from '../support/mosquitto.ts';
import { Observer } from '../support/observer.ts';

const topics = new Topics('iris');
let broker: Mosquitto;
let reg: StandInRegistry;
let dir: string;
let running: RunningBridge;
let observer: Observer;
let lines: string[];

before(async () => {
  broker = await Mosquitto.start();
  reg = await startStandInRegistry({ zpm: { [PINNED_IPM]: {} }, webterminal: { '4.9.2': {}, '4.9.3': {} }, sslclient: { '1.0.4': {}, '1.1.0': {} } });
  dir = mkdtempSync(join(tmpdir(), 'apps-options-'));
  const registryFile = join(dir, 'secrets', 'ipm_registry.json');
  await new RegistrySettings(registryFile).save({ url: reg.url });
  observer = await Observer.connect(broker.url);
  const cap = captureLogger();
  lines = cap.lines;
  running = await startBridge(
    testConfig({
      mqtt: { source: 'default', url: broker.url },
      stateDir: join(dir, 'state'),
      certDir: join(dir, 'certs'),
      iris: { mode: 'simulator', scenario: 'demo', dataDir: join(dir, 'state', 'simulator'), writeIntervalMs: 0 },
      backups: { dir: join(dir, 'backups'), uploadLimitBytes: 1024 * 1024 },
      apps: {
        namespaces: ['TOOLS'],
        packages: [{ name: 'webterminal', version: '4.9.2', namespace: 'APPS' }, { name: 'sslclient', version: '1.1.0', namespace: 'APPS' }],
        registryFile,
        workDir: join(dir, 'state', 'apps'),
      },
    }),
    cap.log,
    { inventoryWindowMs: 200 },
  );
});
after(async () => {
  await running.stop();
  await observer.close();
  await reg.close();
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
});

const updateState = (ns: string, name: string) => JSON.parse(observer.latest(topics.appUpdateState(`${ns.toLowerCase()}_${name}`)) ?? '{}') as Record<string, unknown>;

describe('apps from the options, in Home Assistant', () => {
  it('installs the declared apps at start', async () => {
    const done = await waitFor(() => lines.find((l) => l.includes('Apps from the options: ') && l.includes('installed,')), 30_000, "the options' apps to be applied");
    assert.match(done, /2 namespace\(s\) created, 2 installed, 0 already there, 0 failed/);
    const apps = await running.apps!.list('APPS');
    assert.equal(apps.ipm, PINNED_IPM);
    assert.deepEqual(apps.packages.map((p) => `${p.name} ${p.version}`), ['sslclient 1.1.0', 'webterminal 4.9.2']);
  });

  it('an update entity per installed app, valid for Home Assistant, with the registry\'s newest version; a sensor of the apps', async () => {
    await waitFor(() => updateState('APPS', 'webterminal').latest_version === '4.9.3' || undefined, 15_000, 'the update state of webterminal');
    assert.deepEqual(updateState('APPS', 'webterminal'), { installed_version: '4.9.2', latest_version: '4.9.3', title: 'webterminal', in_progress: false });
    assert.deepEqual(updateState('APPS', 'sslclient'), { installed_version: '1.1.0', latest_version: '1.1.0', title: 'sslclient', in_progress: false });
    const discovery = await waitFor(() => {
      const d = observer.retained('homeassistant/device/');
      const instance = JSON.parse(d.get(topics.instanceDiscovery()) ?? '{}') as { cmps?: Record<string, Record<string, unknown>> };
      return instance.cmps?.app_apps_webterminal ? { d, instance } : undefined;
    }, 10_000, 'the update entities in the instance device');
    assert.deepEqual(validateDiscovery(discovery.d), []);
    const wt = discovery.instance.cmps!.app_apps_webterminal!;
    assert.equal(wt.p, 'update');
    assert.equal(wt.pl_inst, 'APPS/webterminal');
    assert.equal(wt.cmd_t, topics.appsInstallCommand);
    assert.equal(JSON.parse(observer.latest(topics.appsState) ?? '{}').count, 2);
  });

  it('Install on the update entity installs the newest version', async () => {
    await observer.client.publishAsync(topics.appsInstallCommand, 'APPS/webterminal');
    await waitFor(() => updateState('APPS', 'webterminal').installed_version === '4.9.3' || undefined, 20_000, 'webterminal 4.9.3 installed');
    assert.equal(updateState('APPS', 'webterminal').in_progress, false);
    assert.ok(lines.some((l) => l.includes('Apps: webterminal 4.9.3 is installed in APPS.')));
  });

  it('hostile install payloads are ignored with a warning and install nothing', async () => {
    const before = JSON.stringify((await running.apps!.list('APPS')).packages);
    for (const p of ['APPS/no-such-app', 'APPS/../../x', 'apps/webterminal; halt', '', 'x'.repeat(300), 'APPS"/webterminal']) {
      await observer.client.publishAsync(topics.appsInstallCommand, p);
    }
    await waitFor(() => lines.some((l) => l.includes('ignored an update of APPS/no-such-app')) || undefined, 5000, 'the unknown app refused');
    // One warning per window for the malformed ones (the command handler's throttle), naming what is allowed.
    await waitFor(() => lines.some((l) => /Ignored ".*" on .*apps\/install: allowed are <NAMESPACE>\/<package>/.test(l)) || undefined, 5000, 'the malformed payloads refused');
    assert.equal(JSON.stringify((await running.apps!.list('APPS')).packages), before);
  });
});
