// Every trust rule of buildChain, each broken by one openssl-made certificate: a chain that breaks
// the rule must come out untrusted, and the same chain without the flaw trusted.
import assert from 'node:assert/strict';
import { rootCertificates } from 'node:tls';
import { before, describe, it } from 'node:test';
import { buildChain, ChainBudget, systemRootCerts } from '../../src/certs/verify.ts';
import { CA_EXT, ChainPki, LEAF_EXT, type Made } from './chain-pki.ts';

const NOW = new Date('2027-01-01T00:00:00Z');
const INT_EXT = CA_EXT + 'authorityKeyIdentifier=keyid\n';

let k: ChainPki;
let root: Made, int: Made, leaf: Made;
before(() => {
  k = new ChainPki();
  root = k.make({ subj: '/O=Lab/CN=Lab Root' });
  int = k.make({ subj: '/O=Lab/CN=Lab Int', by: root, ext: INT_EXT });
  leaf = k.make({ subj: '/CN=iris.lab.example', by: int });
});

const chain = (l: Made, bundle: Made[], opts: Parameters<typeof buildChain>[2] = { now: NOW }) => buildChain(l.cert, bundle.map((m) => m.cert), opts);

describe('chain: the trusted case every negative one departs from', () => {
  it('walks leaf → intermediate → root and says where each step came from', () => {
    const r = chain(leaf, [int, root]);
    assert.deepEqual(r, {
      steps: [leaf, int, root].map((m, i) => ({
        subject: m.cert.info.subject.text,
        issuer: m.cert.info.issuer.text,
        sha256: m.cert.info.fingerprints.sha256,
        notAfter: '2035-12-31T00:00:00.000Z',
        isCa: i > 0,
        selfSigned: i === 2,
        source: i === 0 ? 'leaf' : 'bundle',
      })),
      complete: true,
      trusted: true,
      breaksAt: null,
    });
  });

  it('checks validity against the clock when no time is given', () => {
    // Valid from 2026 to 2035: trusted on any day these tests run.
    assert.equal(buildChain(leaf.cert, [int.cert, root.cert]).trusted, true);
    const old = k.make({ subj: '/CN=old.lab.example', by: int, end: '20260102000000Z' });
    assert.equal(buildChain(old.cert, [int.cert, root.cert]).trusted, false);
  });
});

describe('chain: a parent must have signed the child with its own key, under its own name', () => {
  it('a CA with the same name but another key is not the issuer', () => {
    const impostor = k.make({ subj: '/O=Lab/CN=Lab Root' });
    const r = chain(leaf, [int, impostor]);
    assert.equal(r.trusted, false);
    assert.equal(r.complete, false);
    assert.equal(r.steps.length, 2);
    assert.match(r.breaksAt ?? '', /^The CA "CN=Lab Root, O=Lab" is in the bundle but its signature on "CN=Lab Int, O=Lab" does not verify/);
  });

  it('a CA with the right key under another name is not the issuer either', () => {
    const renamed = k.make({ subj: '/O=Lab/CN=Renamed Root', keyPath: root.keyPath });
    const r = chain(leaf, [int, renamed]);
    assert.equal(r.trusted, false);
    assert.equal(r.complete, false);
    assert.match(r.breaksAt ?? '', /^The issuer "CN=Lab Root, O=Lab" \(key id [0-9A-F:]+\) of "CN=Lab Int, O=Lab" is not in the CA bundle/);
  });

  it('a certificate already on the path is never its own ancestor (cross-signed pair)', () => {
    // A is signed by B's key and B by A's: without the "seen" rule the walk would go round.
    const bSelf = k.make({ subj: '/CN=Cross B' });
    const a = k.make({ subj: '/CN=Cross A', by: bSelf, ext: INT_EXT });
    const b = k.make({ subj: '/CN=Cross B', by: a, keyPath: bSelf.keyPath, ext: INT_EXT });
    const l = k.make({ subj: '/CN=cross.lab.example', by: a });
    const r = chain(l, [a, b]);
    assert.deepEqual(r.steps.map((s) => s.subject), ['CN=cross.lab.example', 'CN=Cross A', 'CN=Cross B']);
    assert.equal(r.trusted, false);
    assert.match(r.breaksAt ?? '', /^The CA "CN=Cross A" is in the bundle but its signature on "CN=Cross B"/);
  });
});

describe('chain: anchors', () => {
  it('a self-signed leaf outside the bundle is anchored by nothing', () => {
    const self = k.make({ subj: '/CN=self.lab.example', ext: LEAF_EXT });
    for (const bundle of [[], [root], [int, root]]) {
      const r = chain(self, bundle);
      assert.equal(r.complete, true);
      assert.equal(r.trusted, false, `bundle of ${bundle.length}`);
      assert.equal(r.breaksAt, 'CN=self.lab.example is self-signed and not in the CA bundle, so nothing vouches for it.');
    }
  });

  it('a self-signed leaf in the bundle is trusted (the user pinned it)', () => {
    const self = k.make({ subj: '/CN=pinned.lab.example', ext: LEAF_EXT });
    assert.deepEqual(
      [chain(self, [self]), chain(self, [root, self])].map((r) => [r.complete, r.trusted, r.breaksAt]),
      [[true, true, null], [true, true, null]],
    );
  });

  it('a root CA checked alone is trusted only when the bundle holds it', () => {
    assert.equal(chain(root, []).trusted, false);
    assert.equal(chain(root, [root]).trusted, true);
  });

  it('the system roots are Node\'s, read once', () => {
    const roots = systemRootCerts();
    assert.ok(roots.length > 50 && roots.length <= rootCertificates.length);
    assert.equal(systemRootCerts(), roots);
    // Lab CAs are not among them: asking for them changes nothing for a lab chain.
    assert.equal(chain(leaf, [int], { now: NOW, useSystemRoots: true }).trusted, false);
    assert.equal(chain(leaf, [int, root], { now: NOW, useSystemRoots: true }).trusted, true);
  });
});

describe('chain: every issuer must be a CA', () => {
  it('a parent without CA basic constraints breaks trust, and the first one is named', () => {
    const signOnly = 'basicConstraints=CA:FALSE\nkeyUsage=critical,keyCertSign\n';
    const notCa = k.make({ subj: '/CN=Not A CA', by: root, ext: signOnly });
    const l = k.make({ subj: '/CN=l1.lab.example', by: notCa });
    const r = chain(l, [notCa, root]);
    assert.equal(r.complete, true);
    assert.equal(r.trusted, false);
    assert.equal(r.breaksAt, 'CN=Not A CA is not a CA.');
    assert.deepEqual(r.steps.map((s) => [s.isCa, s.problem]), [
      [false, undefined],
      [false, 'Signs other certificates but is not marked as a CA (basic constraints).'],
      [true, undefined],
    ]);
    // No basic constraints at all is no better; with two such parents the nearer is named.
    const bare = k.make({ subj: '/CN=Bare', by: notCa, ext: 'keyUsage=critical,keyCertSign\n' });
    const l2 = k.make({ subj: '/CN=l2.lab.example', by: bare });
    const r2 = chain(l2, [bare, notCa, root]);
    assert.equal(r2.trusted, false);
    assert.equal(r2.breaksAt, 'CN=Bare is not a CA.');
    assert.deepEqual(r2.steps.map((s) => s.problem !== undefined), [false, true, true, false]);
  });
});

describe('chain: validity of every certificate on the path', () => {
  it('an expired intermediate or root breaks trust but not the walk', () => {
    const rootOld = k.make({ subj: '/CN=Old Root', end: '20260601000000Z' });
    const intOld = k.make({ subj: '/CN=Old Int', by: rootOld, ext: INT_EXT, end: '20260601000000Z' });
    const intFresh = k.make({ subj: '/CN=Fresh Int', by: rootOld, ext: INT_EXT });
    for (const [l, bundle, at] of [
      [k.make({ subj: '/CN=e1.lab.example', by: intOld }), [intOld, rootOld], 1],
      [k.make({ subj: '/CN=e2.lab.example', by: intFresh }), [intFresh, rootOld], 2],
    ] as const) {
      const r = chain(l, [...bundle]);
      assert.equal(r.complete, true);
      assert.equal(r.trusted, false);
      assert.equal(r.breaksAt, null);
      assert.equal(r.steps[at]!.problem, 'Expired on 2026-06-01.');
    }
  });

  it('an intermediate not valid yet breaks trust', () => {
    const future = k.make({ subj: '/CN=Future Int', by: root, ext: INT_EXT, start: '20280101000000Z' });
    const l = k.make({ subj: '/CN=f.lab.example', by: future });
    const r = chain(l, [future, root]);
    assert.equal(r.trusted, false);
    assert.deepEqual(r.steps.map((s) => s.problem), [undefined, 'Not valid before 2028-01-01T00:00:00.000Z.', undefined]);
  });

  it('the leaf is checked too, to the millisecond at both ends', () => {
    const l = k.make({ subj: '/CN=edge.lab.example', by: int, start: '20270101000000Z', end: '20270201000000Z' });
    const at = (iso: string) => chain(l, [int, root], { now: new Date(iso) });
    assert.equal(at('2027-01-01T00:00:00.000Z').trusted, true);
    assert.equal(at('2027-02-01T00:00:00.000Z').trusted, true);
    assert.equal(at('2026-12-31T23:59:59.999Z').steps[0]!.problem, 'Not valid before 2027-01-01T00:00:00.000Z.');
    assert.equal(at('2027-02-01T00:00:00.001Z').steps[0]!.problem, 'Expired on 2027-02-01.');
    assert.equal(at('2027-02-01T00:00:00.001Z').trusted, false);
  });
});

describe('chain: bounds', () => {
  const ladder = (n: number) => {
    let top = root;
    const cas: Made[] = [];
    for (let i = 0; i < n; i++) cas.push((top = k.make({ subj: `/CN=Rung ${n}.${i}`, by: top, ext: INT_EXT })));
    return { l: k.make({ subj: `/CN=ladder${n}.lab.example`, by: top }), bundle: [...cas, root] };
  };

  it('follows ten certificates and stops at eleven', () => {
    const ten = ladder(8);
    const r10 = chain(ten.l, ten.bundle);
    assert.equal(r10.steps.length, 10);
    assert.equal(r10.trusted, true);
    const eleven = ladder(9);
    const r11 = chain(eleven.l, eleven.bundle);
    assert.deepEqual([r11.complete, r11.trusted, r11.breaksAt], [false, false, 'The chain is longer than 10 certificates.']);
  });

  it('spends one signature check per name-matching (child, parent) pair, remembered across chains', () => {
    const budget = new ChainBudget(2);
    const strangers = [k.make({ subj: '/CN=Stranger 1' }), k.make({ subj: '/CN=Stranger 2' })];
    assert.equal(chain(leaf, [...strangers, int, root], { now: NOW, budget }).trusted, true);
    assert.equal(budget.used, 2, 'the strangers cost nothing: their names do not match');
    assert.equal(budget.exhausted, true);
    assert.equal(chain(leaf, [int, root], { now: NOW, budget }).trusted, true, 'the same pairs again come from memory');
    assert.equal(budget.used, 2);
  });

  it('stops, untrusted, when the budget is spent, and says so', () => {
    const budget = new ChainBudget(1);
    assert.equal(budget.exhausted, false);
    const r = chain(leaf, [int, root], { now: NOW, budget });
    assert.deepEqual([r.complete, r.trusted, r.steps.length], [false, false, 2]);
    assert.match(r.breaksAt ?? '', /^Not followed past "CN=Lab Int, O=Lab": .*issuer "CN=Lab Root, O=Lab".*more than 1 signature checks/);
  });
});
