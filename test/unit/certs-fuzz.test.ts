/**
 * Fuzz: a few thousand mutations of a valid certificate (bit flips, byte changes, truncations,
 * insertions) through every parser. Each input must either parse or fail with a CertError (a 4xx
 * in the API) — never another exception, never a hang.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeInput } from '../../src/certs/decode.ts';
import { CertError } from '../../src/certs/errors.ts';
import { lintCert } from '../../src/certs/verify.ts';
import { makePki } from './certs-helpers.ts';

/** A small deterministic PRNG, so a failure can be replayed from its seed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(src: Buffer, r: () => number): Buffer {
  const b = Buffer.from(src);
  const kind = Math.floor(r() * 5);
  const at = Math.floor(r() * b.length);
  switch (kind) {
    case 0: // bit flips
      for (let i = 0, n = 1 + Math.floor(r() * 4); i < n; i++) {
        const p = Math.floor(r() * b.length);
        b[p] = b[p]! ^ (1 << Math.floor(r() * 8));
      }
      return b;
    case 1: // truncation
      return b.subarray(0, at);
    case 2: // a random byte, often in the length fields near the start
      b[Math.floor(r() * Math.min(b.length, 40))] = Math.floor(r() * 256);
      return b;
    case 3: // insertion
      return Buffer.concat([b.subarray(0, at), Buffer.from([Math.floor(r() * 256), Math.floor(r() * 256)]), b.subarray(at)]);
    default: // deletion of a run
      return Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + Math.floor(r() * 16)))]);
  }
}

describe('certs: fuzzing the parsers', () => {
  it('survives 4,000 mutated certificates (DER and PEM) without a crash or a hang', () => {
    const pki = makePki();
    const seeds = [pki.readBuf('leaf.der'), Buffer.from(pki.read('ec.pem').replace(/-----[^-]+-----|\s/g, ''), 'base64')];
    const r = rng(20261122);
    const started = Date.now();
    let parsed = 0;
    let refused = 0;
    let slowest = 0;
    for (let i = 0; i < 4000; i++) {
      const input = mutate(seeds[i % seeds.length]!, r);
      const asPem = i % 4 === 3;
      const t0 = Date.now();
      try {
        const d = asPem ? decodeInput({ pem: `-----BEGIN CERTIFICATE-----\n${input.toString('base64')}\n-----END CERTIFICATE-----\n` }) : decodeInput({ der: input });
        for (const c of d.certs) {
          lintCert(c.info);
          JSON.stringify(c.info);
        }
        parsed++;
      } catch (err) {
        assert.ok(err instanceof CertError, `mutation ${i} threw ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}\n${input.toString('base64')}`);
        assert.ok(err.status >= 400 && err.status < 500);
        refused++;
      }
      slowest = Math.max(slowest, Date.now() - t0);
    }
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 30_000, `fuzzing took ${elapsed} ms`);
    assert.ok(slowest < 1000, `one input took ${slowest} ms`);
    assert.ok(refused > 1000, `only ${refused} refused`);
    assert.ok(parsed > 0);
    // PKCS#12 mutations too (fewer: each costs key derivations).
    const p12 = pki.readBuf('leaf.p12');
    for (let i = 0; i < 300; i++) {
      try {
        decodeInput({ pkcs12: mutate(p12, r), password: 'p12-secret' });
      } catch (err) {
        assert.ok(err instanceof CertError, `p12 mutation ${i} threw ${(err as Error)?.message}`);
      }
    }
  });
});
