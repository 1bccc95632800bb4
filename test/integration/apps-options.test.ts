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
import { slug } from '../../src/model/ids.ts';
import { validateDiscovery } from '../support/discovery-validator.ts';
import { captureLogger, testConfig, waitFor } from '../support/fixtures.ts';
import { startStandInRegistry, type StandInRegistry } from '../support/ipm-registry.ts';
import { Mosquitto } from '../support/mosquitto.ts';
import { Observer } from '../support/observer.ts';
import { LogBuffer } from '../../src/panel/log-buffer.ts';
import { fetchBody, JSON_POST } from '../support/http.ts';
import { statSync, readFileSync } from 'node:fs';

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
    { inventoryWindowMs: 200, panelLogs: new LogBuffer(100) },
  );
});
after(async () => {
  await running.stop();
  await observer.close();
  await reg.close();
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
});

const updateState = (ns: string, name: string) => JSON.parse(observer.latest(topics.appUpdateState(`${slug(ns)}_${slug(name)}`)) ?? '{}') as Record<string, unknown>;

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

const api = (path: string) => `${running.panel!.url}api/${path}`;
const post = (path: string, body: unknown) => fetchBody(api(path), { method: 'POST', headers: JSON_POST, body: JSON.stringify(body) });

async function jobEnd(): Promise<{ state: string; message: string; lines: string[]; phasesDone: number }> {
  return waitFor(async () => {
    const j = (await fetchBody(api('apps/job'))).body.job;
    return j && j.state !== 'running' ? j : undefined;
  }, 30_000, 'the apps job to end');
}

describe('the panel\'s apps API', () => {
  it('search and details come from the registry: versions, description, dependencies, source', async () => {
    const found = await fetchBody(api('apps/search?q=ssl'));
    assert.equal(found.status, 200);
    assert.deepEqual(found.body.packages.map((p: { name: string }) => p.name), ['sslclient']);
    const details = await fetchBody(api('apps/packages/webterminal'));
    assert.equal(details.body.package.version, '4.9.3');
    assert.deepEqual(details.body.package.versions, ['4.9.3', '4.9.2']);
    assert.equal(details.body.package.repository, 'https://github.com/example/webterminal');
    assert.equal((await fetchBody(api('apps/packages/no-such-app'))).status, 404);
  });

  it('installs through the owner\'s path with live output and progress, and Home Assistant gets its update entity', async () => {
    await reg.publish('demo-app', '1.0.0', { description: 'Demo', dependencies: { sslclient: '^1.0.0' } });
    const started = await post('apps/install', { namespace: 'APPS', name: 'demo-app' });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const job = await jobEnd();
    assert.equal(job.state, 'done', job.message);
    assert.ok(job.lines.includes('[APPS|demo-app]\tActivate SUCCESS'));
    assert.ok(job.phasesDone >= 5);
    await waitFor(() => updateState('APPS', 'demo-app').installed_version === '1.0.0' || undefined, 15_000, 'the update entity of demo-app');
  });

  it('uninstall needs the package\'s name typed; IPM declining a required one is a failed job with its message', async () => {
    assert.equal((await post('apps/uninstall', { namespace: 'APPS', name: 'demo-app', confirm: 'yes' })).status, 400);
    assert.equal((await post('apps/uninstall', { namespace: 'APPS', name: 'sslclient', confirm: 'sslclient' })).status, 202);
    const declined = await jobEnd();
    assert.equal(declined.state, 'failed');
    assert.match(declined.message, /Clean SKIPPED - required by 1 other module\. \(demo-app\)/);
    assert.equal((await post('apps/uninstall', { namespace: 'APPS', name: 'demo-app', confirm: 'demo-app' })).status, 202);
    assert.equal((await jobEnd()).state, 'done');
  });

  it('namespaces: created; deleted only with the name typed', async () => {
    assert.equal((await post('apps/namespaces', { name: 'scratch' })).status, 202);
    assert.equal((await jobEnd()).state, 'done');
    assert.equal((await post('apps/namespaces/SCRATCH/delete', { confirm: 'scratch' })).status, 400);
    assert.equal((await post('apps/namespaces/SCRATCH/delete', { confirm: 'SCRATCH' })).status, 202);
    assert.equal((await jobEnd()).state, 'done');
    const all = (await fetchBody(api('apps'))).body.namespaces.map((n: { namespace: string }) => n.namespace);
    assert.ok(!all.includes('SCRATCH') && all.includes('APPS'));
  });

  it('registry credentials: stored 0600, never answered, never logged', async () => {
    const secret = 'Pa55-word-for-the-registry';
    const saved = await fetchBody(api('apps/registry'), { method: 'PUT', headers: JSON_POST, body: JSON.stringify({ url: reg.url, username: 'edge', password: secret }) });
    assert.equal(saved.status, 200);
    assert.deepEqual(saved.body.registry, { source: 'registry', url: reg.url, username: 'edge', hasPassword: true, folder: null });
    const file = join(dir, 'secrets', 'ipm_registry.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.ok(readFileSync(file, 'utf8').includes(secret));
    const overview = await fetchBody(api('apps'));
    assert.ok(!overview.raw.toString().includes(secret));
    assert.ok(lines.every((l) => !l.includes(secret)), 'not in the log');
    // The stand-in asks for them now: the search goes through with them.
    reg.login = { username: 'edge', password: secret };
    try {
      assert.equal((await fetchBody(api('apps/search?q=web'))).status, 200);
    } finally {
      reg.login = undefined;
    }
    await fetchBody(api('apps/registry'), { method: 'PUT', headers: JSON_POST, body: JSON.stringify({ url: reg.url }) });
  });

  it('hostile input is refused with 400 and nothing runs', async () => {
    const before = (await fetchBody(api('apps/job'))).body.job?.id;
    for (const body of [
      { namespace: 'APPS"; halt', name: 'x' },
      { namespace: 'APPS', name: '../x' },
      { namespace: 'APPS', name: 'x', version: '1.0"' },
      { namespace: 'APPS', name: 'x', extra: 1 },
      { namespace: 'A'.repeat(65), name: 'x' },
    ]) {
      const r = await post('apps/install', body);
      assert.equal(r.status, 400, JSON.stringify(body));
    }
    // This bridge has no offline folder: choosing it is refused, as is anything but `true`.
    const noFolder = await fetchBody(api('apps/registry'), { method: 'PUT', headers: JSON_POST, body: JSON.stringify({ offlineFolder: true }) });
    assert.equal(noFolder.status, 400);
    assert.match(String(noFolder.body.message), /no offline folder/);
    for (const body of [{ url: 'ftp://x/' }, { url: 'https://u:p@x/' }, { url: reg.url, username: 'a:b', password: 'x' }, { offlineFolder: false }, { offlineFolder: true, url: reg.url }]) {
      assert.equal((await fetchBody(api('apps/registry'), { method: 'PUT', headers: JSON_POST, body: JSON.stringify(body) })).status, 400, JSON.stringify(body));
    }
    assert.equal((await fetchBody(api('apps/job'))).body.job?.id, before);
  });
});
