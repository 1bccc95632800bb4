/**
 * Apps as a Home Assistant user sees them, against a REAL Home Assistant Core and mosquitto, the
 * bridge on the simulator through the same compose code as `npm start` and the stand-in registry:
 * an app from the options installed at start shows as an update entity with the registry's newer
 * version, Install in Home Assistant updates it, the Apps installed sensor counts the apps, and a
 * failing install (a version the registry does not have) leaves the namespace unchanged. Home
 * Assistant logs no warning about any of it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBridge, type RunningBridge } from '../../src/app.ts';
import { PINNED_IPM } from '../../src/ipm/apps-service.ts';
import { RegistrySettings } from '../../src/ipm/registry-settings.ts';
import { captureLogger, testConfig } from '../support/fixtures.ts';
import { LogBuffer } from '../../src/panel/log-buffer.ts';
import { fetchBody, JSON_POST } from '../support/http.ts';
import { startStandInRegistry, type StandInRegistry } from '../support/ipm-registry.ts';
import { Mosquitto } from '../support/mosquitto.ts';
import { artifactDirFor, endRun, startHomeAssistant, type HomeAssistant } from './harness/home-assistant.ts';

const artifactDir = artifactDirFor('apps');
let broker: Mosquitto;
let ha: HomeAssistant;
let reg: StandInRegistry;
let bridge: RunningBridge | undefined;
let logLines: string[] = [];

before(async () => {
  broker = await Mosquitto.start();
  reg = await startStandInRegistry({
    zpm: { [PINNED_IPM]: {} },
    webterminal: { '4.9.2': { description: 'Web terminal' }, '4.9.3': { description: 'Web terminal' } },
    sslclient: { '1.0.4': {} },
    'demo-app': { '1.0.0': { description: 'Demo', dependencies: { sslclient: '^1.0.0' } }, '1.1.0': { description: 'Demo', dependencies: { sslclient: '^1.0.0' } } },
  });
  ha = await startHomeAssistant({ mqttPort: broker.port, artifactDir });
  const root = mkdtempSync(join(tmpdir(), 'iris-edge-apps-e2e-'));
  const registryFile = join(root, 'secrets', 'ipm_registry.json');
  await new RegistrySettings(registryFile).save({ url: reg.url });
  const cap = captureLogger();
  logLines = cap.lines;
  bridge = await startBridge(
    testConfig({
      mqtt: { source: 'default', url: broker.url },
      pollIntervalMs: 1000,
      homeAssistant: { url: ha.url, token: ha.token },
      stateDir: join(root, 'state'),
      certDir: join(root, 'certs'),
      iris: { mode: 'simulator', scenario: 'demo', dataDir: join(root, 'state', 'simulator'), writeIntervalMs: 0 },
      backups: { dir: join(root, 'backups'), uploadLimitBytes: 1 << 20 },
      apps: {
        namespaces: [],
        packages: [{ name: 'webterminal', version: '4.9.2', namespace: 'APPS' }, { name: 'sslclient', version: '9.9.9', namespace: 'APPS' }],
        registryFile,
        workDir: join(root, 'state', 'apps'),
      },
    }),
    cap.log,
    { birthJitterMs: 500, panelLogs: new LogBuffer(100) },
  );
});

after(async () => {
  await endRun({ stopBridge: async () => void (await bridge?.stop()), ha, broker, artifactDir, bridgeLog: logLines });
  await reg?.close();
});

describe('apps in Home Assistant', () => {
  it('an app from the options shows as an update entity on the IRIS device, the registry\'s newer version available', async () => {
    const state = await ha.waitFor(async () => {
      const s = await ha.state('update.iris_app_apps_webterminal');
      return s?.attributes.latest_version === '4.9.3' ? s : undefined;
    }, 60_000, 'the update entity of webterminal with 4.9.3');
    assert.equal(state.state, 'on');
    assert.equal(state.attributes.installed_version, '4.9.2');
    assert.equal(state.attributes.friendly_name, 'IRIS webterminal (APPS)');
    const entry = (await ha.entityRegistry()).find((e) => e.entity_id === 'update.iris_app_apps_webterminal');
    const device = (await ha.deviceRegistry()).find((d) => d.id === entry?.device_id);
    assert.equal(device?.name, 'IRIS');
  });

  it('the failing install (a version the registry does not have) left the namespace unchanged', async () => {
    const count = await ha.waitFor(async () => (await ha.state('sensor.iris_apps_installed')) ?? undefined, 30_000, 'the Apps installed sensor');
    assert.equal(count.state, '1');
    assert.deepEqual(count.attributes.apps, ['webterminal 4.9.2 (APPS)']);
    assert.ok(logLines.some((l) => l.includes('sslclient 9.9.9 in APPS') && l.includes('Nothing was changed in IRIS')));
    assert.equal((await ha.entityRegistry()).some((e) => e.entity_id.includes('sslclient')), false);
    assert.deepEqual((await bridge!.apps!.list('APPS')).packages.map((p) => `${p.name} ${p.version}`), ['webterminal 4.9.2']);
  });

  it('Install in Home Assistant updates the app to the newest version', async () => {
    await ha.callService('update', 'install', { entity_id: 'update.iris_app_apps_webterminal' });
    const s = await ha.waitFor(async () => {
      const st = await ha.state('update.iris_app_apps_webterminal');
      return st?.attributes.installed_version === '4.9.3' ? st : undefined;
    }, 60_000, 'webterminal 4.9.3 installed');
    assert.equal(s.state, 'off');
    assert.equal(s.attributes.in_progress, false);
  });

  it('an app installed through the panel\'s API shows its update entity when the registry has a newer version', async () => {
    const api = `${bridge!.panel!.url}api/apps/install`;
    const started = await fetchBody(api, { method: 'POST', headers: JSON_POST, body: JSON.stringify({ namespace: 'APPS', name: 'demo-app', version: '1.0.0' }) });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const state = await ha.waitFor(async () => {
      const s = await ha.state('update.iris_app_apps_demo_app');
      return s?.attributes.installed_version === '1.0.0' ? s : undefined;
    }, 60_000, 'the update entity of demo-app');
    assert.equal(state.state, 'on');
    assert.equal(state.attributes.latest_version, '1.1.0');
    assert.equal((await ha.state('sensor.iris_apps_installed'))?.state, '3', 'webterminal, demo-app and its dependency sslclient');
  });
});
