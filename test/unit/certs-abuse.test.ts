/**
 * Certificate input made to hurt, built with openssl at test time: the bridge answers with a clear
 * error or a bounded result, and never does work that grows with the square of the input (it once
 * held the event loop for seconds, long enough for the broker to drop the bridge).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeInput } from '../../src/certs/decode.ts';
import { CertError } from '../../src/certs/errors.ts';
import { buildChain, ChainBudget, systemRootCerts } from '../../src/certs/verify.ts';

/** Counts the signature checks made while `fn` runs. */
function countingVerifies<T>(fn: () => T): { value: T; verifies: number } {
  const original = X509Certificate.prototype.verify;
  let verifies = 0;
  X509Certificate.prototype.verify = function (this: X509Certificate, key) {
    verifies += 1;
    return original.call(this, key);
  };
  try {
    return { value: fn(), verifies };
  } finally {
    X509Certificate.prototype.verify = original;
  }
}

/**
 * `n` certificates named CN=Same, each issued under CN=Same by a key none of them carries, without
 * key identifiers: every pair of them has to have its signature checked to tell them apart.
 */
function sameNameBundle(n: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'iris-edge-same-name-'));
  const ossl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  ossl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key']);
  ossl(['req', '-new', '-x509', '-key', 'ca.key', '-subj', '/CN=Same', '-days', '2', '-config', '/dev/null', '-set_serial', '1', '-out', 'ca.pem']);
  ossl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'leaf.key']);
  ossl(['req', '-new', '-key', 'leaf.key', '-subj', '/CN=Same', '-config', '/dev/null', '-out', 'leaf.csr']);
  let pem = '';
  for (let i = 0; i < n; i++) pem += ossl(['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', String(i + 2), '-days', '2']).toString();
  writeFileSync(join(dir, 'bundle.pem'), pem);
  return readFileSync(join(dir, 'bundle.pem'), 'utf8');
}

describe('certificate input made to hurt', () => {
  it('a bundle of 120 certificates with one name and no key identifiers: every chain is bounded, and says why it stopped', () => {
    const pem = sameNameBundle(120);
    assert.doesNotMatch(execFileSync('openssl', ['x509', '-noout', '-text'], { input: pem }).toString(), /Key Identifier/);
    const certs = decodeInput({ pem }).certs;
    assert.equal(certs.length, 120);
    // What the inspect request does: one chain per certificate, against all the others. (The
    // system roots are parsed once per process, each root's own signature checked then: not counted.)
    systemRootCerts();
    const budget = new ChainBudget();
    const { value: chains, verifies } = countingVerifies(() => certs.map((c) => buildChain(c, certs.filter((x) => x !== c), { useSystemRoots: true, budget })));
    assert.ok(verifies <= budget.limit, `${verifies} signature checks for one request (the budget is ${budget.limit})`);
    assert.ok(chains.every((c) => !c.trusted && !c.complete));
    assert.ok(chains.some((c) => /too many candidates for its issuer "CN=Same".*Remove the duplicates/.test(c.breaksAt ?? '')));
  });

  it('megabytes of BEGIN lines without an END are one clear error, found in one pass', { timeout: 60_000 }, () => {
    for (const size of [1, 4]) {
      const text = '-----BEGIN CERTIFICATE-----\n'.repeat(Math.floor((size * 1024 * 1024) / 28));
      assert.throws(() => decodeInput({ pem: text }), (err: unknown) => err instanceof CertError && /no matching END line: the file is truncated/.test(err.message));
    }
    const labels = `-----BEGIN ${'A'.repeat(1024 * 1024)}`;
    assert.throws(() => decodeInput({ pem: labels }), /No PEM block/);
    const interleaved = '-----BEGIN CERTIFICATE-----\n-----END X\n'.repeat(40_000);
    assert.throws(() => decodeInput({ pem: interleaved }), CertError);
  });

  it('blocks the splitter must still find: comments between them, CRLF, a key and a certificate', () => {
    const pem = sameNameBundle(2);
    const key = execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout']).toString();
    const text = `Bag Attributes\r\n  friendlyName: x\r\n${pem.replace(/\n/g, '\r\n')}\nsubject=CN=Same\n${key}`;
    const d = decodeInput({ pem: text });
    assert.deepEqual([d.certs.length, d.keys.length], [2, 1]);
    assert.throws(() => decodeInput({ pem: pem.replace(/-----END CERTIFICATE-----\s*$/, '') }), /the file is truncated/);
  });
});
