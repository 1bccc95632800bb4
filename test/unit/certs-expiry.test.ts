import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { certificateExpiries, reachedThreshold } from '../../src/certs/expiry.ts';
import type { CertExpiry, ExpiryWarning } from '../../src/model/certificate.ts';
import { CertExpiryWatcher } from '../../src/certs/expiry-watcher.ts';
import type { Entry } from '../../src/certs/store.ts';
import { certificateComponents, certificateState } from '../../src/mqtt/cert-sensors.ts';
import { instanceDiscovery } from '../../src/mqtt/discovery.ts';
import { validateDiscovery } from '../support/discovery-validator.ts';
import { captureLogger, discoveryContext } from '../support/fixtures.ts';

const DAY = 86_400_000;
const NOW = new Date('2026-11-22T12:00:00Z');
const inDays = (d: number) => new Date(NOW.getTime() + d * DAY).toISOString();
const entry = (id: string, name: string, notAfter: string | null): Entry =>
  ({ meta: { id, name }, certs: notAfter ? [{ info: { notAfter } }] : [], csrPem: null }) as unknown as Entry;

describe('certificate expiry', () => {
  it('reaches 30, 7 and 1 day(s) before expiry, and 0 once expired', () => {
    assert.deepEqual([60, 30, 29, 8, 7, 2, 1, 0.5, -1].map((d) => reachedThreshold(inDays(d), NOW)), [null, 30, 30, 30, 7, 7, 1, 1, 0]);
  });

  it('lists stored certificates and those IRIS SSL/TLS configurations use, soonest first, without CSRs still waiting', () => {
    const iris = [{ id: 'iris-1', name: 'LabTLS certificate', path: '/x', certs: [{ info: { notAfter: inDays(20) } }] }, { id: 'iris-2', name: 'Gone', path: '/y', certs: [], error: 'ENOENT' }];
    const list = certificateExpiries([entry('b', 'B', inDays(90)), entry('a', 'A', inDays(10)), entry('c', 'C', null)], iris as never);
    assert.deepEqual(list.map((c) => [c.id, c.name]), [['a', 'A'], ['iris-1', 'IRIS LabTLS certificate'], ['b', 'B']]);
  });

  it('announces each threshold once, again after a renewal expires anew', async () => {
    let entries = [entry('0123456789abcdef', 'IRIS server', inDays(40))];
    let now = NOW;
    const w = new CertExpiryWatcher(async () => certificateExpiries(entries), captureLogger().log, 60_000, () => now);
    const warnings: ExpiryWarning[] = [];
    const changes: CertExpiry[][] = [];
    w.on('warning', (x) => warnings.push(x));
    w.on('change', (x) => changes.push(x));
    await w.check();
    assert.equal(warnings.length, 0);
    now = new Date(NOW.getTime() + 11 * DAY); // 29 days left
    await w.check();
    await w.check();
    assert.deepEqual(warnings.map((x) => [x.threshold, x.daysLeft]), [[30, 29]]);
    now = new Date(NOW.getTime() + 34 * DAY); // 6 days left
    await w.check();
    assert.deepEqual(warnings.map((x) => x.threshold), [30, 7]);
    assert.equal(w.isWarned('0123456789abcdef'), true);
    entries = [entry('0123456789abcdef', 'IRIS server', inDays(400))]; // renewed
    await w.check();
    assert.equal(w.isWarned('0123456789abcdef'), false);
    assert.equal(changes.length, 2);
  });

  it('gives Home Assistant timestamp sensors it accepts', () => {
    const ctx = discoveryContext();
    const certs = [{ id: '0123456789abcdef', name: 'IRIS server', notAfter: inDays(10) }];
    const payload = instanceDiscovery(ctx, [], certificateComponents(ctx, ctx.topics.instanceCertificates, certs));
    assert.deepEqual(validateDiscovery({ [ctx.topics.instanceDiscovery()]: JSON.stringify(payload) }), []);
    assert.equal(payload.cmps.cert_0123456789abcdef?.default_entity_id, 'sensor.iris_certificate_iris_server_expiry');
    const state = JSON.parse(certificateState(certs)) as { soonest: string; certs: Record<string, string> };
    assert.match(state.soonest, /Z$/);
    assert.equal(JSON.parse(certificateState([])).soonest, 'None');
  });
});
