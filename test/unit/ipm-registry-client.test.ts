// The IPM registry client against the stand-in registry (a real HTTP server on a free port):
// the API's answers read as IPM reads them, and every way a registry can fail gives a typed,
// actionable RegistryError, never a hang, an unbounded buffer or a leaked password.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { RegistryClient, registryBase } from '../../src/ipm/registry-client.ts';
import { RegistryError } from '../../src/ipm/registry-errors.ts';
import { startStandInRegistry, type StandInRegistry } from '../support/ipm-registry.ts';

let reg: StandInRegistry;
before(async () => {
  reg = await startStandInRegistry({
    'webterminal': { '4.9.2': { description: 'Web-based terminal' }, '4.9.10': { description: 'Web-based terminal, newer' } },
    'sslclient': { '1.0.4': { description: 'SSL client configuration' } },
    'demo-app': { '1.0.0': { description: 'A demo production', dependencies: { sslclient: '^1.0.0', webterminal: '>=4.9.0' } } },
  });
});
after(() => reg.close());

async function rejects(p: Promise<unknown>, kind: RegistryError['kind'], text?: RegExp): Promise<RegistryError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof RegistryError, `expected a RegistryError, got ${String(e)}`);
    assert.equal(e.kind, kind, e.message);
    if (text) assert.match(e.message, text);
    return e;
  }
  assert.fail(`expected a ${kind} RegistryError`);
}

test('list: every package with its versions newest first (by semantic version, not as text)', async () => {
  reg.fault = 'none';
  const list = await new RegistryClient({ url: reg.url }).list();
  assert.deepEqual(list.map((p) => p.name), ['demo-app', 'sslclient', 'webterminal']);
  const wt = list.find((p) => p.name === 'webterminal')!;
  assert.equal(wt.latest, '4.9.10');
  assert.deepEqual(wt.versions, ['4.9.10', '4.9.2']);
  assert.equal(wt.repository, 'https://github.com/example/webterminal');
});

test('search filters on name and description, case-insensitively', async () => {
  const c = new RegistryClient({ url: reg.url });
  assert.deepEqual((await c.list('TERMINAL')).map((p) => p.name), ['webterminal']);
  assert.deepEqual((await c.list('production')).map((p) => p.name), ['demo-app']);
  assert.deepEqual(await c.list('nothing-like-this'), []);
});

test('a malformed entry in the list is dropped, the others stay', async () => {
  reg.fault = 'broken-entry';
  try {
    assert.equal((await new RegistryClient({ url: reg.url }).list()).length, 3);
  } finally {
    reg.fault = 'none';
  }
});

test('package: metadata with dependencies and every version; latest when no version is given', async () => {
  const c = new RegistryClient({ url: reg.url });
  const p = await c.package('demo-app');
  assert.equal(p.version, '1.0.0');
  assert.deepEqual(p.dependencies, [{ name: 'sslclient', version: '^1.0.0' }, { name: 'webterminal', version: '>=4.9.0' }]);
  assert.match(p.hash!, /^[0-9a-f]{40}$/);
  assert.equal((await c.package('webterminal')).version, '4.9.10');
  assert.equal((await c.package('WebTerminal', '4.9.2')).description, 'Web-based terminal');
});

test('an unknown package or version is not-found, named in the message', async () => {
  const c = new RegistryClient({ url: reg.url });
  await rejects(c.package('no-such-app'), 'not-found', /no package no-such-app/);
  await rejects(c.package('webterminal', '9.9.9'), 'not-found', /webterminal 9\.9\.9/);
});

test('hostile names and versions never reach the registry', async () => {
  const c = new RegistryClient({ url: reg.url });
  const before = reg.requests.length;
  for (const name of ['../../etc/passwd', 'a b', '', 'x'.repeat(101), 'a/b', '%2e%2e']) await rejects(c.package(name), 'not-found');
  for (const v of ['../1', '1.0', 'latest', '1.0.0/../../x']) await rejects(c.package('webterminal', v), 'not-found');
  assert.equal(reg.requests.length, before);
});

test('archive: a real IPM archive (gzip of a tar holding module.xml), checked against its SHA-1', async () => {
  const { bytes, meta } = await new RegistryClient({ url: reg.url }).archive('demo-app', '1.0.0');
  assert.equal(meta.version, '1.0.0');
  const tarBytes = gunzipSync(bytes);
  assert.ok(tarBytes.includes(Buffer.from('module.xml')));
  assert.ok(tarBytes.includes(Buffer.from('<Name>sslclient</Name>')));
});

test('a tampered archive is refused with a hash error', async () => {
  reg.fault = 'tampered-archive';
  try {
    await rejects(new RegistryClient({ url: reg.url }).archive('sslclient', '1.0.4'), 'hash', /nothing was installed/);
  } finally {
    reg.fault = 'none';
  }
});

test('garbage and HTML answers are garbage errors that ask whether the address is a registry', async () => {
  const c = new RegistryClient({ url: reg.url });
  try {
    reg.fault = 'garbage';
    await rejects(c.list(), 'garbage', /IPM registry/);
    await rejects(c.package('sslclient'), 'garbage');
    await rejects(c.info(), 'garbage');
    reg.fault = 'html';
    await rejects(c.list(), 'garbage', /JSON/);
  } finally {
    reg.fault = 'none';
  }
});

test('an endless answer stops at the limit; a silent registry at the deadline', async () => {
  try {
    reg.fault = 'huge';
    await rejects(new RegistryClient({ url: reg.url, maxJsonBytes: 256 * 1024 }).list(), 'too-large');
    reg.fault = 'silent';
    await rejects(new RegistryClient({ url: reg.url, timeoutMs: 300 }).list(), 'timeout', /did not answer/);
  } finally {
    reg.fault = 'none';
  }
});

test('an unreachable registry is a clear unreachable error', async () => {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  await rejects(new RegistryClient({ url: `http://127.0.0.1:${port}/` }).list(), 'unreachable', /cannot be reached/);
});

test('credentials: asked for, refused, accepted; the password is in no message', async () => {
  const password = 'S3cret-Pa55word';
  reg.login = { username: 'edge', password };
  try {
    await rejects(new RegistryClient({ url: reg.url }).list(), 'auth', /asks for a user name/);
    const refused = await rejects(new RegistryClient({ url: reg.url, credentials: { username: 'edge', password: 'wrong' } }).list(), 'auth', /refused/);
    assert.ok(!refused.message.includes('wrong'));
    const c = new RegistryClient({ url: reg.url, credentials: { username: 'edge', password } });
    assert.equal((await c.list()).length, 3);
    await c.archive('sslclient', '1.0.4');
    assert.ok(!JSON.stringify(c).includes(password), 'the client does not serialise its password');
  } finally {
    reg.login = undefined;
  }
});

test('an archive URL on another origin is fetched from the registry itself, so credentials stay there', async () => {
  const seen: string[] = [];
  const c = new RegistryClient({
    url: reg.url,
    credentials: { username: 'edge', password: 'pw' },
    fetchImpl: async (input, init) => {
      const url = String(input);
      seen.push(url);
      if (url.endsWith('/packages/sslclient/1.0.4')) {
        const meta = (await (await fetch(url)).json()) as Record<string, unknown>;
        return Response.json({ ...meta, url: 'http://10.0.0.9:52773/download/sslclient/-/sslclient-1.0.4.tgz' });
      }
      return fetch(input, init);
    },
  });
  await c.archive('sslclient', '1.0.4');
  assert.deepEqual(seen.map((u) => new URL(u).origin), [new URL(reg.url).origin, new URL(reg.url).origin]);
});

test('registry addresses: http(s) only, no credentials, query or fragment in them; a path prefix is kept', () => {
  assert.equal(registryBase('https://pm.community.intersystems.com').href, 'https://pm.community.intersystems.com/');
  assert.equal(registryBase('https://example.org/registry').href, 'https://example.org/registry/');
  for (const bad of ['ftp://x/', 'file:///etc/passwd', 'https://u:p@example.org/', 'https://example.org/?a=1', 'not a url', 'javascript:alert(1)']) {
    assert.throws(() => registryBase(bad), (e: unknown) => e instanceof RegistryError && e.kind === 'invalid-url' && !e.message.includes(':p@'));
  }
});

test('fuzz: any JSON or bytes a registry answers give a result or a RegistryError, nothing else', async () => {
  const body = fc.oneof(fc.json(), fc.string(), fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')));
  await fc.assert(
    fc.asyncProperty(body, fc.constantFrom(200, 404, 401, 500, 302), async (text, status) => {
      const c = new RegistryClient({ url: 'http://registry.invalid/', fetchImpl: async () => new Response(status === 302 ? null : text, { status, headers: status === 302 ? { location: '/x' } : {} }) });
      for (const call of [() => c.list('a'), () => c.package('pkg'), () => c.archive('pkg', '1.0.0'), () => c.info()]) {
        try {
          await call();
        } catch (e) {
          assert.ok(e instanceof RegistryError, `not a RegistryError: ${String(e)}`);
        }
      }
    }),
    { numRuns: 150 },
  );
});
