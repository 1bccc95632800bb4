// The lint and status the certificate pages show, one openssl-made certificate per finding, with
// the day boundaries taken to the millisecond.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { CertInfo } from '../../src/model/cert-info.ts';
import { EXPIRING_DAYS, lintBundle, lintCert, SERVER_AUTH_ONLY_WARNING, statusOf } from '../../src/certs/verify.ts';
import { ChainPki, type Made } from './chain-pki.ts';

const DAY = 86_400_000;
const NOW = new Date('2027-01-01T00:00:00Z');
const leafExt = (eku: string | null, san = 'DNS:lint.lab.example') =>
  `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n${eku ? `extendedKeyUsage=${eku}\n` : ''}${san ? `subjectAltName=${san}\n` : ''}`;

let k: ChainPki;
let root: Made;
let mk: (ext: string, more?: { key?: string; md?: string; start?: string; end?: string }) => CertInfo;
before(() => {
  k = new ChainPki();
  root = k.make({ subj: '/CN=Lint Root' });
  mk = (ext, more = {}) => k.make({ subj: '/CN=lint.lab.example', by: root, ext, ...more }).cert.info;
});

const codes = (items: ReturnType<typeof lintCert>) => items.map((i) => `${i.level}:${i.code}`);

describe('lint: a leaf for mutual TLS', () => {
  it('both EKUs, a SAN, a strong key: nothing to say', () => {
    assert.deepEqual(lintCert(mk(leafExt('serverAuth,clientAuth')), { now: NOW }), []);
  });

  const eku: [string | null, 'mtls' | 'server' | 'client' | undefined, string[]][] = [
    ['serverAuth', undefined, ['warning:mtls-eku']],
    ['serverAuth', 'mtls', ['warning:mtls-eku']],
    ['clientAuth', 'mtls', ['warning:mtls-eku']],
    ['codeSigning', 'mtls', ['warning:mtls-eku']],
    ['serverAuth', 'server', []],
    ['clientAuth', 'server', ['error:no-server-auth']],
    ['clientAuth', 'client', []],
    ['serverAuth', 'client', ['error:no-client-auth']],
    ['anyExtendedKeyUsage', 'server', []],
    ['anyExtendedKeyUsage', 'mtls', []],
    [null, 'mtls', ['info:no-eku']],
    [null, 'server', ['info:no-eku']],
  ];
  for (const [e, purpose, want] of eku) {
    it(`EKU ${e ?? 'none'} for ${purpose ?? 'the default (mtls)'}: ${want.join(', ') || 'nothing'}`, () => {
      assert.deepEqual(codes(lintCert(mk(leafExt(e)), { now: NOW, purpose })), want);
    });
  }

  it('names what the EKU lacks for mutual TLS', () => {
    const msg = (e: string) => lintCert(mk(leafExt(e)), { now: NOW })[0]!.message;
    assert.equal(msg('serverAuth'), SERVER_AUTH_ONLY_WARNING);
    assert.equal(msg('clientAuth'), 'Mutual TLS needs both serverAuth and clientAuth; this certificate has clientAuth.');
    assert.equal(msg('codeSigning'), 'Mutual TLS needs both serverAuth and clientAuth; this certificate has codeSigning.');
  });

  it('no SAN at all is a warning for a leaf; an IP SAN alone is enough', () => {
    assert.deepEqual(codes(lintCert(mk(leafExt('serverAuth,clientAuth', '')), { now: NOW })), ['warning:missing-san']);
    assert.deepEqual(codes(lintCert(mk(leafExt('serverAuth,clientAuth', 'IP:10.0.0.5')), { now: NOW })), []);
    assert.deepEqual(codes(lintCert(mk(leafExt('serverAuth,clientAuth', 'DNS:a.lab.example,IP:10.0.0.5')), { now: NOW })), []);
  });
});

describe('lint: keys and signatures', () => {
  const keys: [string, string[]][] = [
    ['rsa:1024', ['error:weak-key']],
    ['rsa:2048', []],
    ['ec:secp224r1', ['error:weak-key']],
    ['ec:prime256v1', []],
  ];
  for (const [key, want] of keys) {
    it(`${key}: ${want.join(', ') || 'fine'}`, () => assert.deepEqual(codes(lintCert(mk(leafExt('serverAuth,clientAuth'), { key }), { now: NOW })), want));
  }

  it('SHA-1 is an error on a signed certificate, not on a self-signed root (its signature is never checked)', () => {
    assert.deepEqual(codes(lintCert(mk(leafExt('serverAuth,clientAuth'), { md: 'sha1' }), { now: NOW })), ['error:weak-signature']);
    const selfSha1 = k.make({ subj: '/CN=Old Root', md: 'sha1' }).cert.info;
    assert.deepEqual(codes(lintCert(selfSha1, { now: NOW })), []);
  });
});

describe('lint: CAs and bundles', () => {
  it('a CA gets no leaf lint unless asked to be linted as a leaf', () => {
    const ca = root.cert.info;
    assert.deepEqual(codes(lintCert(ca, { now: NOW })), []);
    assert.deepEqual(codes(lintCert(ca, { now: NOW, leaf: true })), ['warning:missing-san', 'info:no-eku', 'info:leaf-is-ca']);
    assert.deepEqual(codes(lintCert(mk(leafExt(null, '')), { now: NOW, leaf: false })), []);
  });

  it('a bundle warns about each certificate in it that is not a CA', () => {
    const leaf = mk(leafExt('serverAuth'));
    const cert = (info: CertInfo) => ({ info }) as Parameters<typeof lintBundle>[0][number];
    assert.deepEqual(lintBundle([cert(root.cert.info), cert(leaf)]), [
      { level: 'warning', code: 'leaf-in-bundle', message: '"CN=lint.lab.example" in the CA bundle is not a CA; a bundle needs only intermediate and root CAs.' },
    ]);
    assert.deepEqual(lintBundle([cert(root.cert.info)]), []);
  });
});

describe('validity: lint and status at the boundaries', () => {
  // Valid 2027-01-01 to 2027-06-01.
  let c: CertInfo;
  before(() => {
    c = mk(leafExt('serverAuth,clientAuth'), { start: '20270101000000Z', end: '20270601000000Z' });
  });
  const end = Date.parse('2027-06-01T00:00:00Z');
  const start = Date.parse('2027-01-01T00:00:00Z');
  const at = (t: number) => ({ lint: codes(lintCert(c, { now: new Date(t) })), status: statusOf(c, true, new Date(t)) });

  it('before it starts: not yet valid', () => {
    assert.deepEqual(at(start - 1), { lint: ['error:not-yet-valid'], status: 'not-yet-valid' });
    assert.deepEqual(at(start), { lint: [], status: 'valid' });
  });

  it(`within ${EXPIRING_DAYS} days of its end: expiring, with the days left`, () => {
    assert.deepEqual(at(end - EXPIRING_DAYS * DAY), { lint: [], status: 'valid' });
    assert.deepEqual(at(end - EXPIRING_DAYS * DAY + 1), { lint: ['warning:expiring'], status: 'expiring' });
    assert.equal(lintCert(c, { now: new Date(end - 2 * DAY) })[0]!.message, 'Expires in 2 days (2027-06-01): plan its replacement now.');
    assert.equal(lintCert(c, { now: new Date(end - DAY) })[0]!.message, 'Expires in 1 day (2027-06-01): plan its replacement now.');
    assert.deepEqual(at(end), { lint: ['warning:expiring'], status: 'expiring' });
  });

  it('after its end: expired', () => {
    assert.deepEqual(at(end + 1), { lint: ['error:expired'], status: 'expired' });
  });

  it('an untrusted chain shows only while the certificate is in its validity', () => {
    assert.equal(statusOf(c, false, new Date(start + DAY)), 'untrusted-chain');
    assert.equal(statusOf(c, false, new Date(end + 1)), 'expired');
    assert.equal(statusOf(c, false, new Date(start - 1)), 'not-yet-valid');
  });

  it('uses the clock when no time is given', () => {
    // Ended in 2020, or runs to 2099: true on any day these tests run.
    const past = mk(leafExt('serverAuth,clientAuth'), { start: '20200101000000Z', end: '20200601000000Z' });
    assert.deepEqual(codes(lintCert(past)), ['error:expired']);
    assert.equal(statusOf(past, true), 'expired');
    const now = mk(leafExt('serverAuth,clientAuth'), { start: '20200101000000Z', end: '20991231000000Z' });
    assert.deepEqual(codes(lintCert(now)), []);
    assert.equal(statusOf(now, true), 'valid');
  });
});
