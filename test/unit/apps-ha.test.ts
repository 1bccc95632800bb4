// Apps in Home Assistant: the update entities and the apps sensor pass Home Assistant's rules,
// their states say what the update entity expects, and the watch behind them keeps the last list
// when the registry or IRIS fails, asks no registry while no app is installed, and shows an
// install in progress.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppsFeature, appUpdateState } from '../../src/mqtt/apps-sensors.ts';
import { instanceDiscovery } from '../../src/mqtt/discovery.ts';
import { AppsWatch } from '../../src/ipm/apps-watch.ts';
import type { AppsService, NamespaceApps } from '../../src/ipm/apps-service.ts';
import type { RegistryClient } from '../../src/ipm/registry-client.ts';
import type { AppStatus } from '../../src/model/ipm.ts';
import { validateDiscovery } from '../support/discovery-validator.ts';
import { discoveryContext } from '../support/fixtures.ts';

const ctx = discoveryContext();

test('update entities and the apps sensor pass the validator; entity names do not repeat the device', () => {
  const feature = new AppsFeature(ctx.topics, () => {});
  feature.update([
    { namespace: 'APPS', name: 'webterminal', installed: '4.9.2', latest: '4.9.3', inProgress: false },
    { namespace: '%TOOLS-1', name: 'ssl.client_x', installed: '1.0.0', latest: undefined, inProgress: true },
  ]);
  const cmps = feature.components(ctx);
  const payload = instanceDiscovery(ctx, [], cmps);
  assert.deepEqual(validateDiscovery({ [ctx.topics.instanceDiscovery()]: JSON.stringify(payload) }), []);
  assert.equal(cmps.app_apps_webterminal?.name, 'webterminal (APPS)');
  assert.equal(cmps.app_tools_1_ssl_client_x?.pl_inst, '%TOOLS-1/ssl.client_x');
  assert.deepEqual(feature.discoveryInputs(), ['%TOOLS-1/ssl.client_x', 'APPS/webterminal']);
  const states = new Map(feature.states().map((m) => [m.topic, JSON.parse(m.payload)]));
  assert.deepEqual(states.get(ctx.topics.appsState), { count: 2, apps: ['ssl.client_x 1.0.0 (%TOOLS-1)', 'webterminal 4.9.2 (APPS)'] });
  // No registry answer: the installed version stands as the newest, never a false update.
  assert.equal(states.get(ctx.topics.appUpdateState('tools_1_ssl_client_x')).latest_version, '1.0.0');
});

test('apps whose slugs meet still get entities and topics of their own', () => {
  const feature = new AppsFeature(ctx.topics, () => {});
  const same = ['%TOOLS', 'TOOLS', 'TO-OLS', 'TO_OLS'];
  feature.update(same.map((namespace) => ({ namespace, name: 'x', installed: '1.0.0', latest: undefined, inProgress: false })));
  const cmps = feature.components(ctx);
  const updates = Object.values(cmps).filter((c) => c.p === 'update');
  assert.equal(new Set(updates.map((c) => c.uniq_id)).size, 4);
  assert.equal(new Set(updates.map((c) => c.stat_t)).size, 4);
  assert.deepEqual(validateDiscovery({ [ctx.topics.instanceDiscovery()]: JSON.stringify(instanceDiscovery(ctx, [], cmps)) }), []);
});

test('the install command reaches the callback as namespace and package', () => {
  const got: string[] = [];
  const feature = new AppsFeature(ctx.topics, (ns, name) => got.push(`${ns}|${name}`));
  feature.press.run('APPS/webterminal');
  assert.deepEqual(got, ['APPS|webterminal']);
});

test('appUpdateState has the fields of HA\'s MQTT update entity', () => {
  assert.deepEqual(JSON.parse(appUpdateState({ namespace: 'A', name: 'x', installed: '1.0.0', latest: '2.0.0', inProgress: true })), { installed_version: '1.0.0', latest_version: '2.0.0', title: 'x', in_progress: true });
});

function fakeWatch(opts: { lists: Array<NamespaceApps[] | Error>; registry: Array<Map<string, string> | Error>; install?: () => Promise<void> }) {
  const seen: AppStatus[][] = [];
  const warnings: string[] = [];
  let registryCalls = 0;
  const service = {
    listAll: async () => {
      const next = opts.lists.shift();
      if (next instanceof Error) throw next;
      return next ?? [];
    },
    install: async (namespace: string, name: string) => {
      await opts.install?.();
      return { namespace, name, version: '2.0.0', message: `${name} 2.0.0 is installed in ${namespace}.` };
    },
  } as unknown as AppsService;
  const watch = new AppsWatch({
    service,
    registry: async () => ({
      client: {
        list: async () => {
          registryCalls += 1;
          const next = opts.registry.shift();
          if (next instanceof Error) throw next;
          return [...(next ?? new Map())].map(([name, latest]) => ({ name, latest }));
        },
      } as unknown as RegistryClient,
    }),
    log: { info: () => {}, debug: () => {}, warn: (m: string) => warnings.push(m) },
    onChange: (apps) => seen.push(apps),
  });
  return { watch, seen, warnings, registryCalls: () => registryCalls };
}

const ns = (packages: Array<[string, string]>): NamespaceApps[] => [{ namespace: 'APPS', ipm: '0.10.9', packages: packages.map(([name, version]) => ({ namespace: 'APPS', name, version })) }];

test('no app installed: the registry is not asked', async () => {
  const w = fakeWatch({ lists: [ns([])], registry: [] });
  await w.watch.refresh();
  assert.equal(w.registryCalls(), 0);
  assert.deepEqual(w.seen, [[]]);
});

test('a registry that fails: versions unknown, one warning, the list still shown', async () => {
  const w = fakeWatch({ lists: [ns([['x', '1.0.0']]), ns([['x', '1.0.0']])], registry: [new Error('down'), new Error('down')] });
  await w.watch.refresh();
  await w.watch.refresh();
  assert.equal(w.warnings.length, 1);
  assert.equal(w.seen.at(-1)?.[0]?.latest, undefined);
});

test('IRIS that fails to list: the last list stays', async () => {
  const w = fakeWatch({ lists: [ns([['x', '1.0.0']]), new Error('IRIS down')], registry: [new Map([['x', '1.1.0']])] });
  await w.watch.refresh();
  await w.watch.refresh();
  assert.deepEqual(w.watch.current.map((a) => a.latest), ['1.1.0']);
  assert.match(w.warnings[0]!, /could not be listed: IRIS down/);
});

test('an install shows in progress, then the new list; an unknown app is refused', async () => {
  let release!: () => void;
  const w = fakeWatch({ lists: [ns([['x', '1.0.0']]), ns([['x', '2.0.0']])], registry: [new Map([['x', '2.0.0']]), new Map([['x', '2.0.0']])], install: () => new Promise<void>((r) => (release = r)) });
  await w.watch.refresh();
  const done = w.watch.installLatest('APPS', 'x');
  await new Promise((r) => setImmediate(r));
  assert.equal(w.seen.at(-1)?.[0]?.inProgress, true);
  release();
  await done;
  assert.deepEqual(w.seen.at(-1), [{ namespace: 'APPS', name: 'x', installed: '2.0.0', latest: '2.0.0', inProgress: false }]);
  await w.watch.installLatest('APPS', 'not-installed');
  assert.match(w.warnings.at(-1)!, /ignored an update of APPS\/not-installed/);
});
