// Registry settings: stored 0600 in a 0700 folder, the password never in what the rest of the
// add-on sees, and a kept password never follows a change of address or user.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistrySettings } from '../../src/ipm/registry-settings.ts';
import { COMMUNITY_REGISTRY } from '../../src/model/ipm-package.ts';
import { RegistryError } from '../../src/ipm/registry-errors.ts';

function withDir(fn: (dir: string) => Promise<void>) {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipm-settings-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test('with nothing stored: the community registry, anonymously', withDir(async (dir) => {
  const s = new RegistrySettings(join(dir, 'secrets', 'ipm_registry.json'));
  assert.deepEqual(await s.view(), { source: 'registry', url: COMMUNITY_REGISTRY, username: '', hasPassword: false, folder: null });
  assert.deepEqual(await s.connection(), { url: COMMUNITY_REGISTRY, credentials: undefined, offline: false });
}));

test('saved credentials: file 0600, folder 0700, the view without the password', withDir(async (dir) => {
  const file = join(dir, 'secrets', 'ipm_registry.json');
  const s = new RegistrySettings(file);
  const view = await s.save({ url: 'https://registry.example.org/ipm', username: 'edge', password: 'p4ss-word' });
  assert.deepEqual(view, { source: 'registry', url: 'https://registry.example.org/ipm/', username: 'edge', hasPassword: true, folder: null });
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir, 'secrets')).mode & 0o777, 0o700);
  assert.ok(!JSON.stringify(await s.view()).includes('p4ss-word'));
  assert.deepEqual((await s.connection()).credentials, { username: 'edge', password: 'p4ss-word' });
}));

test('the stored password is kept for the same address and user only', withDir(async (dir) => {
  const s = new RegistrySettings(join(dir, 'r.json'));
  await s.save({ url: 'https://a.example/', username: 'edge', password: 'pw1' });
  assert.equal((await s.save({ url: 'https://a.example/', username: 'edge' })).hasPassword, true);
  // A new host with the old user name: the password must be given again, not sent there.
  await assert.rejects(s.save({ url: 'https://b.example/', username: 'edge' }), (e: unknown) => e instanceof RegistryError && /both a user name and a password/.test(e.message));
  assert.equal((await s.connection()).url, 'https://a.example/');
  assert.deepEqual(await s.save({ url: 'https://b.example/' }), { source: 'registry', url: 'https://b.example/', username: '', hasPassword: false, folder: null });
}));

test('hostile settings are refused and nothing changes', withDir(async (dir) => {
  const file = join(dir, 'r.json');
  const s = new RegistrySettings(file);
  await s.save({ url: 'https://a.example/', username: 'edge', password: 'pw1' });
  const before = readFileSync(file, 'utf8');
  for (const bad of [
    { url: 'ftp://a.example/' },
    { url: 'https://edge:pw@a.example/' },
    { url: 'https://a.example/', username: 'ed:ge', password: 'x' },
    { url: 'https://a.example/', username: 'edge\n', password: 'x' },
    { url: 'https://a.example/', username: 'edge', password: 'x\r\nHost: evil' },
    { url: 'https://a.example/', username: 'u'.repeat(201), password: 'x' },
    { url: 'https://a.example/', username: '', password: 'orphan' },
    { url: 'https://a.example/', username: 'edge', password: 'a"b' },
  ]) {
    await assert.rejects(s.save(bad), RegistryError, JSON.stringify(bad));
  }
  assert.equal(readFileSync(file, 'utf8'), before);
}));

test('a damaged settings file is a clear error naming the file', withDir(async (dir) => {
  const file = join(dir, 'r.json');
  writeFileSync(file, '{"url": 5}');
  await assert.rejects(new RegistrySettings(file).view(), /not a registry settings file/);
}));

test('the offline folder: chosen only where the bridge has one, the registry kept for the way back', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'iris-edge-reg-')), 'secrets', 'ipm_registry.json');
  await assert.rejects(new RegistrySettings(file).useOfflineFolder(), /no offline folder/);
  const s = new RegistrySettings(file, '/share/iris-edge/packages');
  await s.save({ url: 'https://registry.example.org/', username: 'edge', password: 'p4ss-word' });
  assert.deepEqual(await s.useOfflineFolder(), { source: 'offline-folder', url: 'https://registry.example.org/', username: 'edge', hasPassword: true, folder: '/share/iris-edge/packages' });
  assert.equal((await s.connection()).offline, true);
  assert.equal((await s.save({ url: 'https://registry.example.org/', username: 'edge' })).source, 'registry', 'saving a registry goes back to it');
  assert.equal((await s.connection()).credentials?.password, 'p4ss-word');
});
