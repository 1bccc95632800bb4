// Host checks, pinned case by case (wildcards, case, trailing dots, IPv6 spellings, the CN
// fallback), with Node's X509Certificate.checkHost/checkIP as the second opinion on every SAN case.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { checkHost } from '../../src/certs/verify.ts';
import { ChainPki, LEAF_EXT, type Made } from './chain-pki.ts';

let san: Made, cnOnly: Made, cnIp: Made, cnWild: Made, twoCn: Made;
before(() => {
  const k = new ChainPki();
  const root = k.make({ subj: '/CN=Host Root' });
  san = k.make({
    subj: '/CN=cn-name.lab.example',
    by: root,
    ext: LEAF_EXT + 'subjectAltName=DNS:iris.lab.example,DNS:*.svc.lab.example,DNS:*.example,DNS:*.lab3.example,DNS:Upper.Lab.Example,DNS:dot.lab.example.,IP:10.0.0.5,IP:fd00::5,IP:::1,IP:fe80::\n',
  });
  cnOnly = k.make({ subj: '/O=lab.example/CN=only-cn.lab.example', by: root });
  cnIp = k.make({ subj: '/CN=10.1.1.1', by: root });
  cnWild = k.make({ subj: '/CN=*.wild.lab.example', by: root });
  twoCn = k.make({ subj: '/CN=a.lab.example/CN=b.lab.example', by: root });
});

type Want = [host: string, matches: boolean, by: 'san-dns' | 'san-ip' | 'cn' | null];

describe('host check against the SAN list', () => {
  const dns: Want[] = [
    ['iris.lab.example', true, 'san-dns'],
    ['IRIS.Lab.EXAMPLE', true, 'san-dns'],
    ['iris.lab.example.', true, 'san-dns'],
    ['  iris.lab.example ', true, 'san-dns'],
    ['upper.lab.example', true, 'san-dns'],
    ['dot.lab.example', true, 'san-dns'],
    ['a.svc.lab.example', true, 'san-dns'],
    ['a.lab3.example', true, 'san-dns'],
    ['A-1.SVC.lab.example', true, 'san-dns'],
    // A wildcard is one whole left-most label, never none, never two, never a bare TLD's.
    ['svc.lab.example', false, null],
    ['.svc.lab.example', false, null],
    ['a.b.svc.lab.example', false, null],
    ['x.example', false, null],
    ['iris.lab.example.evil', false, null],
    // Only "*." makes a wildcard: "iris.lab.example" does not stand for "<label>.is.lab.example".
    ['a.is.lab.example', false, null],
    ['lab.example', false, null],
  ];
  for (const [host, matches, by] of dns) {
    it(`${JSON.stringify(host)}: ${matches ? by : 'no match'}`, () => {
      const r = checkHost(san.cert.info, host);
      assert.deepEqual([r.host, r.matches, r.matchedBy], [host.trim(), matches, by]);
      if (matches) assert.deepEqual(r.checked, san.cert.info.san.dns);
      else assert.deepEqual(r.checked, [...san.cert.info.san.dns, 'cn-name.lab.example']);
      assert.equal(r.note, undefined);
    });
  }

  const ips: Want[] = [
    ['10.0.0.5', true, 'san-ip'],
    ['fd00::5', true, 'san-ip'],
    ['FD00:0:0:0:0:0:0:5', true, 'san-ip'],
    ['fd00:0::0005', true, 'san-ip'],
    ['[fd00::5]', true, 'san-ip'],
    ['0:0:0:0:0:0:0:1', true, 'san-ip'],
    ['[::1]', true, 'san-ip'],
    ['::0:1', true, 'san-ip'],
    ['FE80:0::0', true, 'san-ip'],
    ['fe80::1', false, null],
    // Its groups run together read "fd00::5": groups are compared as groups.
    ['f:d000:0:0:0:0:0:5', false, null],
    ['::2', false, null],
    [' [fd00::5] ', true, 'san-ip'],
    ['10.0.0.6', false, null],
    ['fd00::6', false, null],
    ['[fd00::5:0]', false, null],
    ['::ffff:10.0.0.5', false, null],
  ];
  for (const [host, matches, by] of ips) {
    it(`${JSON.stringify(host)}: ${matches ? by : 'no match'}`, () => {
      const r = checkHost(san.cert.info, host);
      assert.deepEqual([r.host, r.matches, r.matchedBy], [host.trim().replace(/^\[|\]$/g, ''), matches, by]);
      const ipSans = ['10.0.0.5', 'fd00::5', '::1', 'fe80::'];
      assert.deepEqual(r.checked, matches ? ipSans : [...ipSans, 'cn-name.lab.example']);
    });
  }

  it("agrees with Node's X509Certificate on every SAN case but three", () => {
    // Node (OpenSSL's X509_check_host, as IRIS's own TLS) with the rules above: no partial
    // wildcards, no CN. OpenSSL compares trailing dots literally and reads a host with a leading
    // dot as "any name below"; these differences are what keeps the hand-written matcher (#13).
    const differs = new Map([['iris.lab.example.', false], ['dot.lab.example', false], ['.svc.lab.example', true]]);
    const x = san.cert.x509;
    for (const [host, matches] of dns) {
      const h = host.trim();
      assert.equal(x.checkHost(h, { subject: 'never', partialWildcards: false }) !== undefined, differs.get(h) ?? matches, h);
    }
    for (const [host, matches] of ips) {
      const ip = host.trim().replace(/^\[|\]$/g, '');
      assert.equal(x.checkIP(ip) !== undefined, matches, ip);
    }
  });
});

describe('host check against the common name', () => {
  it('a DNS name only in the CN matches, with a note that depends on whether DNS SANs exist', () => {
    assert.deepEqual(checkHost(san.cert.info, 'cn-name.lab.example'), {
      host: 'cn-name.lab.example',
      matches: true,
      matchedBy: 'cn',
      checked: [...san.cert.info.san.dns, 'cn-name.lab.example'],
      note: 'The name is only in the CN while the certificate has DNS SANs: modern clients ignore the CN then.',
    });
    assert.deepEqual(checkHost(cnOnly.cert.info, 'ONLY-CN.lab.example.'), {
      host: 'ONLY-CN.lab.example.',
      matches: true,
      matchedBy: 'cn',
      checked: ['only-cn.lab.example'],
      note: 'Matched the common name: modern clients need a DNS SAN.',
    });
  });

  it('any of several CNs matches', () => {
    assert.deepEqual(['a.lab.example', 'b.lab.example', 'c.lab.example'].map((h) => checkHost(twoCn.cert.info, h).matches), [true, true, false]);
  });

  it('a wildcard CN follows the wildcard rule', () => {
    assert.equal(checkHost(cnWild.cert.info, 'a.wild.lab.example').matchedBy, 'cn');
    assert.equal(checkHost(cnWild.cert.info, 'wild.lab.example').matches, false);
  });

  it('an IP in the CN matches only as itself, with a note', () => {
    assert.deepEqual(checkHost(cnIp.cert.info, '10.1.1.1'), {
      host: '10.1.1.1',
      matches: true,
      matchedBy: 'cn',
      checked: ['10.1.1.1'],
      note: 'Matched the common name only: many clients (and IRIS with host verification) need the IP in the SAN list.',
    });
    assert.deepEqual(checkHost(cnIp.cert.info, '10.1.1.2'), { host: '10.1.1.2', matches: false, matchedBy: null, checked: ['10.1.1.1'] });
    assert.equal(checkHost(cnOnly.cert.info, 'other.lab.example').matches, false);
  });
});
