import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IrisCommandRefusedError, IrisUnavailableError, UnknownProductionError } from '../../src/model/errors.ts';
import { CommandCooldownError, CommandInProgressError } from '../../src/monitor/errors.ts';
import { toHttpError } from '../../src/panel/errors.ts';
import { describeUser, ingressContext, isTrustedPeer, normalizeAddress, trustedSet } from '../../src/panel/guard.ts';

const headers = {
  'x-ingress-path': '/api/hassio_ingress/tok123',
  'x-remote-user-id': 'u1',
  'x-remote-user-name': 'anna',
  'x-remote-user-display-name': 'Anna',
};

describe('panel guard', () => {
  it('trusts the Supervisor at 172.30.32.2, also as an IPv4-mapped IPv6 address', () => {
    const t = trustedSet();
    assert.equal(isTrustedPeer('172.30.32.2', t), true);
    assert.equal(isTrustedPeer('::ffff:172.30.32.2', t), true);
    assert.equal(isTrustedPeer('::FFFF:172.30.32.2', t), true);
    assert.equal(isTrustedPeer('172.30.32.1', t), false);
    assert.equal(isTrustedPeer('172.30.33.2', t), false);
    assert.equal(isTrustedPeer('127.0.0.1', t), false);
    assert.equal(isTrustedPeer(undefined, t), false);
    assert.equal(normalizeAddress('::1'), '::1');
  });

  it('believes ingress headers only from a trusted peer', () => {
    const t = trustedSet(['127.0.0.2']);
    assert.deepEqual(ingressContext('127.0.0.1', headers, t), { viaIngress: false, ingressPath: null, user: null });
    const c = ingressContext('::ffff:127.0.0.2', headers, t);
    assert.equal(c.viaIngress, true);
    assert.equal(c.ingressPath, '/api/hassio_ingress/tok123');
    assert.deepEqual(c.user, { id: 'u1', name: 'anna', displayName: 'Anna' });
    assert.equal(describeUser(c), 'Anna');
    assert.equal(describeUser(ingressContext('127.0.0.1', headers, t)), 'a direct client of the panel');
  });

  it('drops an ingress path that could inject markup or climb directories', () => {
    const t = trustedSet();
    assert.equal(ingressContext('172.30.32.2', { 'x-ingress-path': '/a"><script>' }, t).ingressPath, null);
    assert.equal(ingressContext('172.30.32.2', { 'x-ingress-path': '/api/../x' }, t).ingressPath, null);
    // Two slashes would make every URL built on the path protocol-relative (another host).
    for (const p of ['//evil.example', '//evil.example/api', '/api//hassio_ingress', '/']) {
      assert.equal(ingressContext('172.30.32.2', { 'x-ingress-path': p }, t).ingressPath, null, p);
    }
    assert.equal(ingressContext('172.30.32.2', { 'x-ingress-path': '/api/hassio_ingress/t/' }, t).ingressPath, '/api/hassio_ingress/t');
  });

  it('maps the bridge and IRIS errors to HTTP answers a person can act on', () => {
    assert.equal(toHttpError(new CommandInProgressError('ORDERS/X', 'stop'))?.status, 409);
    assert.equal(toHttpError(new CommandCooldownError('ORDERS/X', 12))?.status, 409);
    const refused = toHttpError(new IrisCommandRefusedError('ERROR <Ens>ErrProductionNotQuiescent', '<Ens>ErrProductionNotQuiescent'));
    assert.equal(refused?.status, 409);
    assert.match(refused?.body.message ?? '', /ErrProductionNotQuiescent/);
    assert.equal(toHttpError(new IrisUnavailableError('connection refused'))?.status, 503);
    assert.equal(toHttpError(new UnknownProductionError('There is no production X'))?.status, 404);
    assert.equal(toHttpError(new Error('other')), undefined);
  });
});
