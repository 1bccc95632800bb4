/**
 * HaCore against a fake Home Assistant websocket server (test/support/fake-ha.ts): the handshake,
 * the payloads of every call, reconnecting after HA went away, the ping watchdog, and calls that
 * fail fast instead of hanging.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, it } from 'node:test';
import { HaCommandError, HaCore, HaUnavailableError, versionAtLeast, type HaCoreOptions } from '../../src/ha/core.ts';
import { FakeHa } from '../support/fake-ha.ts';
import { captureLogger, waitFor, within } from '../support/fixtures.ts';

const FAST: HaCoreOptions = { pingIntervalMs: 150, pingTimeoutMs: 150, callTimeoutMs: 400, retryDelaysMs: [50, 100] };

let fake: FakeHa | undefined;
let core: HaCore | undefined;

afterEach(async () => {
  core?.close();
  core = undefined;
  await fake?.close();
  fake = undefined;
});

async function connected(options: HaCoreOptions = FAST, fakeOptions = {}) {
  fake = await FakeHa.start({ token: 'secret-token', ...fakeOptions });
  const { log, lines } = captureLogger();
  core = HaCore.start({ url: fake.url, token: 'secret-token' }, log, options);
  const [version] = await within(once(core, 'ready'), 10_000, 'Home Assistant to be connected');
  return { fake, core, lines, version: version as string };
}

describe('HaCore', () => {
  it('connects, reports the HA version and compares versions', async () => {
    const { core, version, lines } = await connected(FAST, { haVersion: '2026.11.1' });
    assert.equal(version, '2026.11.1');
    assert.equal(core.haVersion, '2026.11.1');
    assert.equal(core.connected, true);
    assert.equal(core.atLeast('2025.10'), true);
    assert.equal(core.atLeast('2026.11.1'), true);
    assert.equal(core.atLeast('2026.11.2'), false);
    assert.equal(core.atLeast('2027.1'), false);
    assert.ok(lines.some((l) => l.includes('Connected to Home Assistant 2026.11.1')), lines.join('\n'));
    assert.ok(!lines.some((l) => l.includes('secret-token')), 'the token is never logged');
  });

  it('compares dev and beta versions by their numbers', () => {
    assert.equal(versionAtLeast('2025.10.0b1', '2025.10'), true);
    assert.equal(versionAtLeast('2026.1.0.dev0', '2025.12.3'), true);
    assert.equal(versionAtLeast('2024.11.3', '2025.1'), false);
  });

  it('sends events, notifications and dismissals with the payloads HA expects', async () => {
    const { core, fake } = await connected();
    await core.fireEvent('iris_edge_test', { a: 1 });
    await core.notify('n1', 'Title', 'Body');
    assert.deepEqual(fake.notifications.get('n1'), { title: 'Title', message: 'Body' });
    await core.dismiss('n1');
    assert.equal(fake.notifications.has('n1'), false);
    const strip = (m: object) => Object.fromEntries(Object.entries(m).filter(([k]) => k !== 'id'));
    assert.deepEqual(strip(fake.ofType('fire_event')[0]!), { type: 'fire_event', event_type: 'iris_edge_test', event_data: { a: 1 } });
    assert.deepEqual(
      fake.ofType('call_service').map(strip),
      [
        { type: 'call_service', domain: 'persistent_notification', service: 'create', service_data: { notification_id: 'n1', title: 'Title', message: 'Body' } },
        { type: 'call_service', domain: 'persistent_notification', service: 'dismiss', service_data: { notification_id: 'n1' } },
      ],
    );
  });

  it('turns an error answer into HaCommandError', async () => {
    const { core } = await connected();
    await assert.rejects(core.call({ type: 'no/such_command' }), (err: unknown) => err instanceof HaCommandError && err.code === 'unknown_command');
  });

  it('fails a call that HA never answers with HaUnavailableError instead of hanging', async () => {
    const { core, fake } = await connected();
    fake.ignore.add('fire_event');
    // The call's own deadline ends it; `within` only keeps a hang from holding the suite.
    await within(assert.rejects(core.fireEvent('x', {}), HaUnavailableError), 10_000, 'the unanswered call to fail');
  });

  it('fails calls fast while disconnected, and reconnects when HA is back', async () => {
    const { core, fake, lines } = await connected();
    const down = within(once(core, 'disconnected'), 10_000, 'the connection to Home Assistant to drop');
    await fake.stopServer();
    await down;
    assert.equal(core.connected, false);
    // No waiting for a connection: both calls have failed before the event loop turns once.
    const calls = Promise.allSettled([core.fireEvent('x', {}), core.notify('n', 't', 'm')]);
    const first = await Promise.race([calls.then(() => 'failed at once'), new Promise((r) => setImmediate(() => r('still waiting')))]);
    assert.equal(first, 'failed at once', 'no waiting for a connection');
    for (const r of await calls) assert.ok(r.status === 'rejected' && r.reason instanceof HaUnavailableError);
    assert.equal(core.haVersion, '2026.11.0', 'the last version stays known');

    fake.haVersion = '2026.12.0';
    const up = within(once(core, 'ready'), 10_000, 'Home Assistant to be connected');
    await fake.startServer();
    const [version] = await up;
    assert.equal(version, '2026.12.0');
    await core.fireEvent('after', {});
    assert.equal(fake.ofType('fire_event').at(-1)?.event_type, 'after');
    assert.equal(lines.filter((l) => l.includes('Lost the connection to Home Assistant')).length, 1, lines.join('\n'));
  });

  it('forces a reconnect when a ping goes unanswered', async () => {
    const { core, fake, lines } = await connected();
    assert.equal(fake.accepted, 1);
    fake.refusePings = true;
    await within(once(core, 'disconnected'), 10_000, 'the connection to Home Assistant to drop');
    fake.refusePings = false;
    await within(once(core, 'ready'), 10_000, 'Home Assistant to be connected');
    assert.ok(fake.accepted >= 2, 'a new connection');
    assert.ok(lines.some((l) => l.includes('did not answer a ping')), lines.join('\n'));
    await core.fireEvent('still-works', {});
  });

  it('keeps pinging a healthy connection without reconnecting', async () => {
    const { fake } = await connected();
    await waitFor(() => fake.ofType('ping').length >= 3 || undefined, 3000, 'three pings');
    assert.equal(fake.accepted, 1);
  });

  it('retries in the background while HA is away at start, logging that once', async () => {
    fake = await FakeHa.start({ token: 'secret-token' });
    await fake.stopServer();
    // While HA is away its port takes connections and drops them, so the attempts can be counted.
    let attempts = 0;
    const away = createServer((s) => {
      attempts++;
      s.destroy();
    });
    away.listen(fake.port, '127.0.0.1');
    await once(away, 'listening');
    const { log, lines } = captureLogger();
    core = HaCore.start({ url: fake.url, token: 'secret-token' }, log, FAST);
    await waitFor(() => attempts >= 3, 5000, 'three attempts to connect');
    await new Promise((r) => away.close(r));
    assert.equal(core.connected, false);
    assert.equal(core.haVersion, null);
    await assert.rejects(core.fireEvent('x', {}), HaUnavailableError);
    const up = within(once(core, 'ready'), 10_000, 'Home Assistant to be connected');
    await fake.startServer();
    await up;
    assert.equal(lines.filter((l) => l.includes('does not answer')).length, 1, lines.join('\n'));
  });

  it('reports a refused token once and never connects with it', async () => {
    fake = await FakeHa.start({ token: 'right' });
    const { log, lines } = captureLogger();
    core = HaCore.start({ url: fake.url, token: 'wrong-token' }, log, FAST);
    await waitFor(() => lines.find((l) => l.includes('refused the access token')), 3000, 'the refusal to be logged');
    assert.equal(core.connected, false);
    assert.deepEqual(fake.authAttempts, ['wrong-token']);
    assert.ok(!lines.some((l) => l.includes('wrong-token')));
  });

  it('finds entity ids by unique id from a cached registry, refreshed on a miss', async () => {
    const { core, fake } = await connected();
    fake.addEntity({ entity_id: 'switch.a', unique_id: 'u_a', platform: 'mqtt' });
    assert.equal(await core.entityIdForUniqueId('mqtt', 'u_a'), 'switch.a');
    assert.equal(await core.entityIdForUniqueId('mqtt', 'u_a'), 'switch.a');
    assert.equal(fake.ofType('config/entity_registry/list').length, 1, 'cached');
    assert.equal(await core.entityIdForUniqueId('other', 'u_a'), undefined, 'platform matters');
    fake.addEntity({ entity_id: 'button.b', unique_id: 'u_b', platform: 'mqtt' });
    assert.equal(await core.entityIdForUniqueId('mqtt', 'u_b'), 'button.b');
    assert.equal(fake.ofType('config/entity_registry/list').length, 3, 'refreshed on each miss');
  });

  it('exposes an entity to Assist and adds missing aliases, keeping the user\'s', async () => {
    const { core, fake } = await connected();
    fake.addEntity({ entity_id: 'switch.a', unique_id: 'u_a', platform: 'mqtt', aliases: [null, 'My alias', 'orders production'] });
    await core.setExposure('switch.a', true, ['Orders production', 'Orders interface']);
    assert.equal(fake.exposed.get('switch.a'), true);
    assert.deepEqual(fake.ofType('homeassistant/expose_entity')[0]?.assistants, ['conversation']);
    assert.deepEqual(fake.entities.get('switch.a')?.aliases, [null, 'My alias', 'orders production', 'Orders interface']);
    // Again: nothing is missing, so the registry is not written.
    await core.setExposure('switch.a', true, ['Orders production', 'Orders interface']);
    assert.equal(fake.ofType('config/entity_registry/update').length, 1);
    await core.setExposure('switch.a', false, []);
    assert.equal(fake.exposed.get('switch.a'), false);
  });

  it('stops for good on close()', async () => {
    const { core, fake } = await connected();
    core.close();
    await waitFor(() => fake.connectionCount === 0, 2000, 'the connection to be closed');
    // A reconnect would come after the first retry delay (50 ms): that none comes can only be seen
    // by letting several times that pass.
    await delay(250);
    assert.equal(fake.accepted, 1, 'no reconnect after close');
    await assert.rejects(core.fireEvent('x', {}), HaUnavailableError);
  });
});
