import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getMappedPorts, getMqttService, SupervisorError } from '../../src/ha/supervisor.ts';

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
