// The apps options (ipm_namespaces, ipm_packages): read from the add-on's options, checked with
// a message naming the option, defaults empty.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ConfigError } from '../../src/config/errors.ts';
import { loadConfig } from '../../src/config/load.ts';

const env = { SUPERVISOR_TOKEN: 't0k' };
const load = (options: unknown) => loadConfig({ env, argv: [], readFile: () => JSON.stringify(options) });

it('default: no namespaces, no packages; the registry settings in /data/secrets', () => {
  assert.deepEqual(load({}).apps, { namespaces: [], packages: [], registryFile: '/data/secrets/ipm_registry.json', workDir: '/data/iris-edge/apps', offlineFolder: '/share/iris-edge/packages' });
});

it('reads namespaces and packages, a version optional', () => {
  const c = load({ ipm_namespaces: ['APPS', '%TOOLS'], ipm_packages: [{ name: 'webterminal', namespace: 'APPS' }, { name: 'sslclient', version: '1.0.4', namespace: 'apps' }] });
  assert.deepEqual({ namespaces: c.apps.namespaces, packages: c.apps.packages }, { namespaces: ['APPS', '%TOOLS'], packages: [{ name: 'webterminal', namespace: 'APPS' }, { name: 'sslclient', version: '1.0.4', namespace: 'apps' }] });
});

it('bad names and versions stop the start naming the option', () => {
  for (const [options, where] of [
    [{ ipm_namespaces: ['1APPS'] }, 'ipm_namespaces.0'],
    [{ ipm_namespaces: ['APPS"; halt'] }, 'ipm_namespaces.0'],
    [{ ipm_packages: [{ name: '../x', namespace: 'APPS' }] }, 'ipm_packages.0.name'],
    [{ ipm_packages: [{ name: 'x', version: 'latest', namespace: 'APPS' }] }, 'ipm_packages.0.version'],
    [{ ipm_packages: [{ name: 'x', namespace: 'A B' }] }, 'ipm_packages.0.namespace'],
    [{ ipm_packages: [{ name: 'x' }] }, 'ipm_packages.0.namespace'],
  ] as const) {
    assert.throws(() => load(options), (e: unknown) => e instanceof ConfigError && e.message.includes(`option "${where}"`), JSON.stringify(options));
  }
});
