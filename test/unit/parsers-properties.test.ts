/**
 * Properties of every parser that reads what someone else wrote (fast-check): certificate files,
 * IRIS's metrics and alerts, the agent's JSON, backup manifests, MQTT command topics. For any
 * input each answers with a result or its own typed error, never a TypeError or a crash, and its
 * messages are for people (no library internals); where a round trip exists, it holds.
 * A failure prints the seed and the shrunk counterexample; FC_SEED replays it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeInput } from '../../src/certs/decode.ts';
import { CertError } from '../../src/certs/errors.ts';
import { parsePrometheus, parsePromValue } from '../../src/iris/monitor-api/prometheus.ts';
import { parseAlerts } from '../../src/iris/monitor-api/alerts.ts';
import { snapshotFromAgent } from '../../src/iris/agent/snapshot-reader.ts';
import { AgentFailedError, parseAgentJson, controlResultFromAgent, databasesFromAgent, privilegesFromAgent, sslConfigsFromAgent } from '../../src/iris/agent/contract.ts';
import { IrisContractError } from '../../src/model/errors.ts';
import { parseManifest } from '../../src/backups/manifest.ts';
import { BackupError } from '../../src/backups/errors.ts';
import { slug } from '../../src/model/ids.ts';
import { namespaceSegment, RESERVED_SEGMENTS, Topics } from '../../src/mqtt/topics.ts';

const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined;
const params = (numRuns: number) => ({ numRuns, ...(seed !== undefined ? { seed } : {}) });

/** What a person must never read in an error: a library's or a protocol's own vocabulary. */
const JARGON = /ASN\.1|DER bytes|error:[0-9A-F]{8}|routines::|PFX|\bINTEGER\b|UTCTime|GeneralizedTime|\.\.$|undefined|\[object /;

/**
 * Runs `fn`; a thrown error must be one of `types`, and when it reaches a person in the panel
 * (`plain`), its message is free of jargon. Counts the inputs that were read, so that a property
 * cannot pass by refusing everything.
 */
function typedOrResult(fn: () => unknown, types: (new (...a: never[]) => Error)[], counts: { read: number; refused: number }, plain = false): void {
  try {
    fn();
    counts.read += 1;
  } catch (err) {
    assert.ok(types.some((t) => err instanceof t), `${(err as Error).constructor.name}: ${(err as Error).message}`);
    if (plain) assert.doesNotMatch((err as Error).message, JARGON);
    counts.refused += 1;
  }
}
const tally = () => ({ read: 0, refused: 0 });

// ---- certificates ------------------------------------------------------------------------------

let pem = '';
let der = Buffer.alloc(0);
let keyPem = '';
let p12 = Buffer.alloc(0);

before(() => {
  const dir = mkdtempSync(join(tmpdir(), 'iris-edge-props-'));
  const ossl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  ossl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'k.pem', '-out', 'c.pem', '-subj', '/CN=props.example/O=IRIS Edge', '-addext', 'subjectAltName=DNS:props.example,IP:192.0.2.7', '-days', '30']);
  ossl(['pkcs12', '-export', '-in', 'c.pem', '-inkey', 'k.pem', '-out', 'c.p12', '-passout', 'pass:pw']);
  pem = readFileSync(join(dir, 'c.pem'), 'utf8');
  keyPem = readFileSync(join(dir, 'k.pem'), 'utf8');
  der = ossl(['x509', '-in', 'c.pem', '-outform', 'DER']);
  p12 = readFileSync(join(dir, 'c.p12'));
});

/** A real file, intact or cut, flipped, spliced, extended: what a damaged download or a fuzzer sends. */
const damaged = (file: () => Buffer) => fc.oneof({ arbitrary: fc.constant(null).map(() => Buffer.from(file())), weight: 1 }, { arbitrary: mutated(file), weight: 3 });
const mutated = (file: () => Buffer) =>
  fc
    .record({
      cut: fc.option(fc.nat(), { nil: undefined }),
      flips: fc.array(fc.record({ at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }), { maxLength: 4 }),
      insert: fc.option(fc.record({ at: fc.nat(), bytes: fc.uint8Array({ maxLength: 16 }) }), { nil: undefined }),
      tail: fc.uint8Array({ maxLength: 8 }),
    })
    .map(({ cut, flips, insert, tail }) => {
      let b = Buffer.from(file());
      if (cut !== undefined) b = b.subarray(0, cut % (b.length + 1));
      for (const f of flips) if (b.length) b[f.at % b.length]! ^= f.xor;
      if (insert) b = Buffer.concat([b.subarray(0, insert.at % (b.length + 1)), insert.bytes, b.subarray(insert.at % (b.length + 1))]);
      return Buffer.concat([b, tail]);
    });

describe('certificate files, damaged any way', () => {
  it('DER: a certificate or a CertError a person can read', () => {
    const n = tally();
    fc.assert(fc.property(damaged(() => der), (b) => typedOrResult(() => decodeInput({ der: b }), [CertError], n, true)), params(400));
    assert.ok(n.read > 0 && n.refused > 0, JSON.stringify(n));
  });

  it('PKCS#12: the certificate and key, or a CertError a person can read (wrong password included)', () => {
    const n = tally();
    fc.assert(
      fc.property(damaged(() => p12), fc.constantFrom('pw', 'wrong', ''), (b, password) => typedOrResult(() => decodeInput({ pkcs12: b, password }), [CertError], n, true)),
      params(60),
    );
    // An intact file with the right password is 1 draw in 12: 60 draws miss it about once in 200
    // runs, so that the file is read at all is asserted on its own.
    assert.ok(n.refused > 0, JSON.stringify(n));
    assert.ok(decodeInput({ pkcs12: p12, password: 'pw' }));
  });

  it('PEM: a certificate, key or CertError for any edit of the text', () => {
    const n = tally();
    fc.assert(fc.property(damaged(() => Buffer.from(pem + keyPem)), (b) => typedOrResult(() => decodeInput({ pem: b.toString('utf8') }), [CertError], n, true)), params(300));
    assert.ok(n.read > 0 && n.refused > 0, JSON.stringify(n));
  });

  it('PEM: comment lines, blank lines and CRLF between n certificates give exactly n certificates', () => {
    const noise = fc.array(fc.constantFrom('# a comment\n', '\n', '\r\n', 'Bag Attributes\n    friendlyName: x\n', 'subject=/CN=x\n'), { maxLength: 3 }).map((a) => a.join(''));
    fc.assert(
      fc.property(fc.array(noise, { minLength: 2, maxLength: 7 }), fc.boolean(), (gaps, crlf) => {
        const block = crlf ? pem.replace(/\n/g, '\r\n') : pem;
        const text = gaps.slice(0, -1).map((g) => g + block).join('') + gaps[gaps.length - 1];
        assert.equal(decodeInput({ pem: text }).certs.length, gaps.length - 1);
      }),
      params(100),
    );
  });

  it('PEM: any arrangement of BEGIN/END lines, base64 and text is one clear answer', () => {
    const piece = fc.oneof(
      fc.constantFrom('-----BEGIN CERTIFICATE-----\n', '-----END CERTIFICATE-----\n', '-----BEGIN PRIVATE KEY-----\n', '-----END RSA PRIVATE KEY-----\n', '-----BEGIN \n', '-----\n'),
      fc.base64String({ maxLength: 80 }).map((s) => s + '\n'),
      fc.string({ maxLength: 20 }),
    );
    fc.assert(fc.property(fc.array(piece, { maxLength: 30 }), (parts) => typedOrResult(() => decodeInput({ pem: parts.join('') }), [CertError], tally(), true)), params(500));
  });
});

// ---- IRIS: metrics, alerts, agent JSON ---------------------------------------------------------

/** A label value written the way the exposition format escapes it. */
const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
/** A number as IRIS writes it: ObjectScript canonical form drops the 0 before the point. */
const irisNumber = (n: number) => (Number.isNaN(n) ? 'NaN' : n === Infinity ? '+Inf' : n === -Infinity ? '-Inf' : String(n).replace(/^(-?)0\./, '$1.'));

describe("IRIS's /api/monitor", () => {
  it('metrics: every sample written survives the round trip (labels with escapes, NaN, ±Inf, IRIS numbers)', () => {
    const sample = fc.record({
      name: fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,30}$/),
      labels: fc.dictionary(fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,10}$/), fc.string({ maxLength: 20 }), { maxKeys: 3 }),
      value: fc.oneof(fc.double({ noDefaultInfinity: false }), fc.integer()),
    });
    fc.assert(
      fc.property(fc.array(sample, { maxLength: 20 }), (samples) => {
        const text = samples
          .map((s) => {
            const labels = Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
            return `${s.name}${labels.length ? `{${labels.join(',')}}` : ''} ${irisNumber(s.value)}`;
          })
          .join('\n');
        const parsed = parsePrometheus(text);
        assert.equal(parsed.skipped, 0, parsed.skippedExamples.join(' | '));
        assert.deepEqual(
          parsed.samples.map((p) => ({ ...p, labels: { ...p.labels } })),
          samples.map((s) => ({ name: s.name, labels: { ...s.labels }, value: Object.is(s.value, -0) ? 0 : s.value })),
        );
      }),
      params(300),
    );
  });

  it('metrics: any text is samples plus counted skips, never an exception', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        const r = parsePrometheus(text);
        assert.ok(r.skipped >= 0 && r.skippedExamples.length <= 3);
        for (const s of r.samples) assert.equal(typeof s.value, 'number');
      }),
      params(1000),
    );
    fc.assert(fc.property(fc.string({ maxLength: 30 }), (t) => assert.ok(parsePromValue(t) === null || typeof parsePromValue(t) === 'number')), params(1000));
  });

  it('alerts: any body is a list of alerts or a contract error', () => {
    const body = fc.oneof(fc.string({ maxLength: 200 }), fc.jsonValue().map((v) => JSON.stringify(v)), fc.array(fc.record({ time: fc.string(), severity: fc.oneof(fc.integer(), fc.string()), message: fc.string() })).map((v) => JSON.stringify(v)));
    const n = tally();
    fc.assert(fc.property(body, (b) => typedOrResult(() => parseAlerts(b), [IrisContractError], n)), params(1000));
    assert.ok(n.read > 0 && n.refused > 0, JSON.stringify(n));
  });

  it("the agent's JSON: any value is a model or a contract error (or the agent's own failure)", () => {
    const readers = [snapshotFromAgent, controlResultFromAgent, databasesFromAgent, privilegesFromAgent, sslConfigsFromAgent];
    const value = fc.oneof(fc.jsonValue(), fc.anything());
    fc.assert(
      fc.property(fc.constantFrom(...readers), value, (read, v) => typedOrResult(() => read(v), [IrisContractError, AgentFailedError], tally())),
      params(1000),
    );
    fc.assert(fc.property(fc.anything(), (raw) => typedOrResult(() => parseAgentJson('Snapshot', raw), [IrisContractError], tally())), params(300));
  });
});

// ---- backups and MQTT --------------------------------------------------------------------------

describe('backup manifests and MQTT command topics', () => {
  it('a manifest: any bytes or JSON are a manifest or bad-archive saying what is wrong', () => {
    const bytes = fc.oneof(fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)), fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v))));
    fc.assert(
      fc.property(bytes, (b) =>
        typedOrResult(
          () => {
            try {
              parseManifest(b);
            } catch (err) {
              assert.ok(!(err instanceof BackupError) || err.code === 'bad-archive');
              throw err;
            }
          },
          [BackupError],
          tally(),
          true,
        ),
      ),
      params(1000),
    );
  });

  it('a command topic: any string is a command or null; every command topic the bridge subscribes to parses back', () => {
    const topics = new Topics('iris');
    fc.assert(fc.property(fc.string({ maxLength: 120 }), (t) => void topics.parseCommand(t)), params(2000));
    fc.assert(fc.property(fc.string({ maxLength: 120 }).map((t) => `iris-edge/iris/${t}`), (t) => void topics.parseCommand(t)), params(2000));
    // Namespaces as IRIS names them (%SYS included), the bridge's own words among them.
    const namespace = fc.oneof(fc.stringMatching(/^%?[A-Za-z][A-Za-z0-9_-]{0,19}$/), fc.constantFrom(...[...RESERVED_SEGMENTS].map((w) => w.toUpperCase())));
    const slugged = fc.string({ minLength: 1, maxLength: 20 }).map(slug);
    fc.assert(
      fc.property(namespace, slugged, slugged, (name, prod, host) => {
        const ns = namespaceSegment(name);
        assert.deepEqual(topics.parseCommand(`iris-edge/iris/${ns}/${prod}/set`), { kind: 'set', nsSlug: slug(name), prodSlug: prod });
        assert.deepEqual(topics.parseCommand(`iris-edge/iris/${ns}/${prod}/host/${host}/set`), { kind: 'host-set', nsSlug: slug(name), prodSlug: prod, hostSlug: host });
      }),
      params(300),
    );
  });
});
