/**
 * SnapshotReader reads each snapshot against the last one. Whatever sequence of snapshots it is
 * given, each read gives what reading that snapshot alone gives (the same model, or the same
 * contract error); and what repeats keeps its identity.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { IrisContractError } from '../../src/model/errors.ts';
import { snapshotFromAgent, SnapshotReader } from '../../src/iris/agent/snapshot-reader.ts';

const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined;

interface Row {
  name: unknown;
  className: unknown;
  kind: unknown;
  enabled: unknown;
  status: unknown;
  queue: unknown;
  errors: unknown;
  lastActivity: unknown;
}

const row = (i: number, over: Partial<Row> = {}): Row => ({
  name: `Host${i}`,
  className: 'Demo.Service',
  kind: 'service',
  enabled: true,
  status: 'OK',
  queue: 0,
  errors: 0,
  lastActivity: '2026-12-04T08:00:00.000Z',
  ...over,
});

const snapshot = (productions: { name: string; hosts: Row[] }[]) => ({
  ok: true,
  agentVersion: 7,
  takenAt: '2026-12-04T08:00:01.000Z',
  instance: { version: 'IRIS 2026.1', versionNumber: '2026.1.0.213.0', license: null },
  namespaces: ['DEMO'],
  productions: productions.map((p) => ({ namespace: 'DEMO', name: p.name, stateCode: 1, needsUpdate: false, updateReason: '', hosts: p.hosts })),
  problems: [],
});

/** The model, or the contract error's message: what a read gives. */
function outcome(read: () => unknown): unknown {
  try {
    return read();
  } catch (err) {
    assert.ok(err instanceof IrisContractError, String(err));
    return `error: ${err.message}`;
  }
}

/** A value for one field: mostly valid ones, some of the wrong type or out of range. */
const fieldValue: Record<keyof Row, fc.Arbitrary<unknown>> = {
  name: fc.constantFrom('Host0', 'Host1', 'Host2', '', 3),
  className: fc.constantFrom('Demo.Service', 'Demo.Other', null),
  kind: fc.constantFrom('service', 'process', 'operation', 'unknown', 'daemon'),
  enabled: fc.constantFrom(true, false, 'true', 1),
  status: fc.constantFrom('OK', 'ok', 'Error', 'Inactive', 'Sleeping', ''),
  queue: fc.constantFrom(0, 1, 2, -1, 1.5, '1'),
  errors: fc.constantFrom(0, 1, 2, '0', null),
  lastActivity: fc.constantFrom(null, '2026-12-04T08:00:00.000Z', '2026-12-04 08:00:00Z', '2026-12-04T08:00:00.5Z', 'yesterday'),
};

const change = fc.record({
  production: fc.nat({ max: 1 }),
  host: fc.nat({ max: 3 }),
  field: fc.constantFrom(...(Object.keys(fieldValue) as (keyof Row)[])),
}).chain((c) => fieldValue[c.field].map((value) => ({ ...c, value })));

/** One poll: some fields change, a host may come or go. */
const poll = fc.record({ changes: fc.array(change, { maxLength: 3 }), resize: fc.option(fc.record({ production: fc.nat({ max: 1 }), length: fc.integer({ min: 1, max: 4 }) }), { freq: 5 }) });

describe('SnapshotReader', () => {
  it('reads any sequence of snapshots as each one alone reads', () => {
    fc.assert(
      fc.property(fc.array(poll, { minLength: 1, maxLength: 12 }), (polls) => {
        const reader = new SnapshotReader();
        const productions = [0, 1].map((p) => ({ name: `P${p}.Production`, hosts: [0, 1, 2].map((i) => row(i)) }));
        for (const { changes, resize } of polls) {
          for (const c of changes) {
            const hosts = productions[c.production]!.hosts;
            const h = hosts[c.host % hosts.length]!;
            hosts[c.host % hosts.length] = { ...h, [c.field]: c.value };
          }
          if (resize) {
            const hosts = productions[resize.production]!.hosts;
            productions[resize.production]!.hosts = Array.from({ length: resize.length }, (_, i) => hosts[i] ?? row(i + 10));
          }
          // A fresh copy each poll, as JSON.parse gives one.
          const text = JSON.stringify(snapshot(productions));
          assert.deepEqual(outcome(() => reader.read(JSON.parse(text))), outcome(() => snapshotFromAgent(JSON.parse(text))));
        }
      }),
      { numRuns: 400, ...(seed !== undefined ? { seed } : {}) },
    );
  });

  it('gives the same host objects, and the same hosts array, for what repeats', () => {
    const reader = new SnapshotReader();
    const hosts = () => [row(0), row(1, { queue: 4 }), row(2)];
    const first = reader.read(snapshot([{ name: 'A.Production', hosts: hosts() }, { name: 'B.Production', hosts: hosts() }]));
    const changed = hosts();
    changed[1] = row(1, { queue: 5 });
    const second = reader.read(snapshot([{ name: 'A.Production', hosts: hosts() }, { name: 'B.Production', hosts: changed }]));
    const [a1, b1] = first.productions;
    const [a2, b2] = second.productions;
    assert.equal(a2!.hosts, a1!.hosts, 'a production whose rows all repeat keeps its hosts array');
    assert.notEqual(b2!.hosts, b1!.hosts);
    assert.equal(b2!.hosts[0], b1!.hosts[0]);
    assert.equal(b2!.hosts[2], b1!.hosts[2]);
    assert.notEqual(b2!.hosts[1], b1!.hosts[1]);
    assert.equal(b2!.hosts[1]!.queue, 5);
  });

  it('checks a row again when one field turns into the same value of another type', () => {
    const reader = new SnapshotReader();
    reader.read(snapshot([{ name: 'A.Production', hosts: [row(0, { queue: 3 })] }]));
    assert.throws(() => reader.read(snapshot([{ name: 'A.Production', hosts: [row(0, { queue: '3' })] }])), /productions\[0\]\.hosts\[0\]\.queue/);
  });

  it('a snapshot it refuses changes nothing it compares the next one with', () => {
    const reader = new SnapshotReader();
    const good = () => snapshot([{ name: 'A.Production', hosts: [row(0), row(1)] }]);
    const first = reader.read(good());
    assert.throws(() => reader.read(snapshot([{ name: 'A.Production', hosts: [row(0), row(0)] }])), /hosts\[1\]\.name: duplicate host name "Host0" in DEMO\/A\.Production/);
    assert.throws(() => reader.read(snapshot([{ name: 'A.Production', hosts: [row(0), row(1, { status: 'Sleeping' })] }])), /unknown host status "Sleeping"/);
    assert.equal(reader.read(good()).productions[0]!.hosts, first.productions[0]!.hosts);
  });

  it('finds a duplicate name brought by a row that changed, beside rows that did not', () => {
    const reader = new SnapshotReader();
    reader.read(snapshot([{ name: 'A.Production', hosts: [row(0), row(1), row(2)] }]));
    assert.throws(() => reader.read(snapshot([{ name: 'A.Production', hosts: [row(0), row(1), row(1)] }])), /hosts\[2\]\.name: duplicate host name "Host1"/);
  });
});
