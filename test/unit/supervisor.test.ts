import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAddonBackup, getAddonSlug, getMappedPorts, getMqttService, SupervisorError } from '../../src/ha/supervisor.ts';

function fakeFetch(status: number, body: unknown, seen: { url?: string; auth?: string } = {}): typeof fetch {
  return (async (url: string | URL | Request, init?: RequestInit) => {
    seen.url = String(url);
    seen.auth = new Headers(init?.headers).get('authorization') ?? undefined;
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
}

describe('Supervisor MQTT service', () => {
  it('returns the broker Home Assistant provides, accepting the port as a string', async () => {
    const seen: { url?: string; auth?: string } = {};
    const svc = await getMqttService(
      'tok',
      fakeFetch(200, { result: 'ok', data: { host: 'core-mosquitto', port: '1883', ssl: false, protocol: '3.1.1', username: 'addons', password: 'x', addon: 'core_mosquitto' } }, seen),
    );
    assert.deepEqual(svc, { host: 'core-mosquitto', port: 1883, ssl: false, username: 'addons', password: 'x' });
    assert.equal(seen.url, 'http://supervisor/services/mqtt');
    assert.equal(seen.auth, 'Bearer tok');
  });

  it('explains what to do when no broker add-on is installed', async () => {
    await assert.rejects(
      getMqttService('tok', fakeFetch(400, { result: 'error', message: 'Service not enabled' })),
      (e: unknown) => e instanceof SupervisorError && /Install the Mosquitto broker add-on/.test(e.message),
    );
  });

  it('says when the Supervisor answers without a usable broker', async () => {
    await assert.rejects(getMqttService('tok', fakeFetch(200, { result: 'ok', data: { host: 'x' } })), /without a host and port/);
    await assert.rejects(getMqttService('tok', fakeFetch(403, { result: 'error', message: 'No access to mqtt service!' })), /403: No access/);
  });

  it('reads the host ports the user mapped, null for ports that are off', async () => {
    const seen: { url?: string } = {};
    const ports = await getMappedPorts('tok', fakeFetch(200, { result: 'ok', data: { slug: 'x_iris_edge', network: { '1972/tcp': 41972, '52773/tcp': null } } }, seen));
    assert.deepEqual(ports, { '1972/tcp': 41972, '52773/tcp': null });
    assert.equal(seen.url, 'http://supervisor/addons/self/info');
    assert.deepEqual(await getMappedPorts('tok', fakeFetch(200, { result: 'ok', data: { network: null } })), {});
  });
});

describe('Supervisor partial backup of this add-on', () => {
  it('reads the slug the Supervisor installed this add-on under, and refuses one that is no slug', async () => {
    const seen: { url?: string } = {};
    assert.equal(await getAddonSlug('tok', fakeFetch(200, { result: 'ok', data: { slug: '5c53de3b_iris_edge' } }, seen)), '5c53de3b_iris_edge');
    assert.equal(seen.url, 'http://supervisor/addons/self/info');
    // It ends up in a homeassistant:// link: nothing but a slug may get there.
    for (const slug of ['', 'a/../b', 'x?y', 42]) {
      await assert.rejects(getAddonSlug('tok', fakeFetch(200, { result: 'ok', data: { slug } })), SupervisorError, String(slug));
    }
  });

  it('asks for a backup of this add-on only, by its slug, in the background', async () => {
    const calls: { url: string; method: string; body: unknown }[] = [];
    const fetchImpl = (async (url: string | URL | Request, init?: RequestInit) => {
      calls.push({ url: String(url), method: init?.method ?? 'GET', body: init?.body ? JSON.parse(String(init.body)) : undefined });
      const data = String(url).endsWith('/addons/self/info') ? { slug: 'local_iris_edge' } : { job_id: 'abc' };
      return new Response(JSON.stringify({ result: 'ok', data }), { status: 200 });
    }) as typeof fetch;
    await createAddonBackup('tok', 'IRIS Edge after iris-20261122T033000Z-manual', fetchImpl);
    assert.deepEqual(calls[1], {
      url: 'http://supervisor/backups/new/partial',
      method: 'POST',
      body: { name: 'IRIS Edge after iris-20261122T033000Z-manual', addons: ['local_iris_edge'], homeassistant: false, compressed: true, background: true },
    });
  });

  it("passes the Supervisor's refusal on with its message", async () => {
    let n = 0;
    const fetchImpl = (async () =>
      n++ === 0
        ? new Response(JSON.stringify({ result: 'ok', data: { slug: 's' } }), { status: 200 })
        : new Response(JSON.stringify({ result: 'error', message: 'Backup already running' }), { status: 400 })) as typeof fetch;
    await assert.rejects(createAddonBackup('tok', 'x', fetchImpl), /400: Backup already running/);
  });
});
