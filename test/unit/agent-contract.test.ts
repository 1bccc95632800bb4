import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { IrisContractError } from '../../src/model/errors.ts';
import {
  AgentFailedError,
  controlResultFromAgent,
  databasesFromAgent,
  UNKNOWN_PRODUCTION_CODES,
  parseAgentJson,
  sslConfigsFromAgent,
  applySslConfigJson,
} from '../../src/iris/agent/contract.ts';
import { snapshotFromAgent } from '../../src/iris/agent/snapshot-reader.ts';

const AGENT_CLS = readFileSync(new URL('../../rootfs/usr/share/iris-edge/agent/IrisEdge.Agent.cls', import.meta.url), 'utf8');

function agentSnapshot(): any {
  return {
    ok: true,
    agentVersion: 1,
    takenAt: '2026-03-01T10:00:00.123Z',
    instance: {
      version: 'IRIS for UNIX (Ubuntu Server LTS for x86-64 Containers) 2025.1 (Build 225_1U)',
      versionNumber: '2025.1.0.225.1',
      license: { unitsConsumed: 2, unitsAvailable: 6, unitsLimit: 8, expires: '2027-01-31' },
    },
    namespaces: ['USER', 'ORDERS'],
    productions: [
      {
        namespace: 'ORDERS',
        name: 'Orders.Production',
        stateCode: 1,
        needsUpdate: true,
        updateReason: 'Item Orders.Out settings changed',
        hosts: [
          {
            name: 'Orders.In',
            className: 'EnsLib.File.PassthroughService',
            kind: 'service',
            enabled: true,
            status: 'OK',
            queue: 0,
            errors: 0,
            lastActivity: '2026-03-01T09:59:58.000Z',
          },
          {
            name: 'Orders.Router',
            className: 'Orders.Router',
            kind: 'process',
            enabled: true,
            status: 'Retry',
            queue: 12,
            errors: 3,
            lastActivity: null,
          },
          {
            name: 'Orders.Out',
            className: 'EnsLib.HTTP.GenericOperation',
            kind: 'operation',
            enabled: false,
            status: 'Disabled',
            queue: 0,
            errors: 0,
            lastActivity: null,
          },
        ],
      },
      { namespace: 'USER', name: 'Demo.Production', stateCode: 2, needsUpdate: false, updateReason: '', hosts: [] },
      { namespace: 'USER', name: 'Demo.Other', stateCode: -5, needsUpdate: false, updateReason: '', hosts: [] },
    ],
    problems: [{ namespace: 'BROKEN', text: '<DIRECTORY> database not mounted' }],
  };
}

function contractError(fn: () => unknown, path: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof IrisContractError, `expected IrisContractError, got ${String(err)}`);
    assert.match(err.message, path);
    return true;
  });
}

describe('agent Snapshot JSON -> model Snapshot', () => {
  it('maps instance, productions, state codes, host statuses and kinds', () => {
    const s = snapshotFromAgent(agentSnapshot());
    assert.deepEqual(s.instance, {
      version: 'IRIS for UNIX (Ubuntu Server LTS for x86-64 Containers) 2025.1 (Build 225_1U)',
      versionNumber: '2025.1.0.225.1',
      license: { unitsConsumed: 2, unitsAvailable: 6, unitsLimit: 8, expires: '2027-01-31T00:00:00.000Z' },
    });
    assert.equal(s.takenAt, '2026-03-01T10:00:00.123Z');
    assert.deepEqual(
      s.productions.map((p) => [p.namespace, p.name, p.state]),
      [
        ['ORDERS', 'Orders.Production', 'running'],
        ['USER', 'Demo.Production', 'stopped'],
        ['USER', 'Demo.Other', 'network_stopped'],
      ],
    );
    const orders = s.productions[0]!;
    assert.equal(orders.needsUpdate, true);
    assert.equal(orders.updateReason, 'Item Orders.Out settings changed');
    assert.deepEqual(orders.hosts[0], {
      name: 'Orders.In',
      className: 'EnsLib.File.PassthroughService',
      kind: 'service',
      enabled: true,
      status: 'ok',
      queue: 0,
      errors: 0,
      lastActivity: '2026-03-01T09:59:58.000Z',
    });
    assert.deepEqual(
      orders.hosts.map((h) => [h.kind, h.status, h.queue, h.errors, h.lastActivity]),
      [
        ['service', 'ok', 0, 0, '2026-03-01T09:59:58.000Z'],
        ['process', 'retry', 12, 3, null],
        ['operation', 'disabled', 0, 0, null],
      ],
    );
  });

  it('hands the namespaces the agent could not read to onProblems, and still maps the rest', () => {
    const seen: unknown[] = [];
    const s = snapshotFromAgent(agentSnapshot(), (p) => seen.push(...p));
    assert.deepEqual(seen, [{ namespace: 'BROKEN', text: '<DIRECTORY> database not mounted' }]);
    assert.equal(s.productions.length, 3);
  });

  it('a host whose class is missing ("unknown" kind) is an unconfigured process', () => {
    const raw = agentSnapshot();
    raw.productions[0].hosts[0].kind = 'unknown';
    const h = snapshotFromAgent(raw).productions[0]!.hosts[0]!;
    assert.equal(h.kind, 'process');
    assert.equal(h.status, 'unconfigured');
  });

  it('rejects bad data with the offending path in the message', () => {
    const cases: Array<[(raw: any) => void, RegExp]> = [
      [(r) => (r.productions[0].hosts[1].queue = -1), /productions\[0\]\.hosts\[1\]\.queue/],
      [(r) => (r.productions[0].hosts[1].queue = '12'), /productions\[0\]\.hosts\[1\]\.queue/],
      [(r) => (r.productions[0].hosts[2].enabled = 1), /productions\[0\]\.hosts\[2\]\.enabled/],
      [(r) => (r.productions[1].stateCode = 'Running'), /productions\[1\]\.stateCode/],
      [(r) => (r.productions[0].hosts[0].kind = 'adapter'), /productions\[0\]\.hosts\[0\]\.kind/],
      [(r) => (r.productions[0].hosts[0].lastActivity = '01/03/2026 09:59'), /productions\[0\]\.hosts\[0\]\.lastActivity/],
      [(r) => (r.productions[0].hosts[0].lastActivity = '2026-03-01T09:59:58'), /productions\[0\]\.hosts\[0\]\.lastActivity/],
      [(r) => delete r.instance.versionNumber, /instance\.versionNumber/],
      [(r) => delete r.productions[0].hosts, /productions\[0\]\.hosts/],
      [(r) => (r.takenAt = 12), /takenAt/],
    ];
    for (const [mutate, path] of cases) {
      const raw = agentSnapshot();
      mutate(raw);
      contractError(() => snapshotFromAgent(raw), path);
    }
  });

  it('rejects a host status word outside HOST_STATUSES, naming the path and the word', () => {
    const raw = agentSnapshot();
    raw.productions[0].hosts[1].status = 'Sleeping';
    contractError(() => snapshotFromAgent(raw), /productions\[0\]\.hosts\[1\]\.status.*Sleeping/);
  });

  it('reads a snapshot that repeats the last one alike: remembered words and times give what working them out gives', () => {
    const raw = () => {
      const r = agentSnapshot();
      r.productions[0].hosts[0].lastActivity = '2026-03-01 09:59:58.5Z';
      r.productions[0].hosts[1].lastActivity = '2026-02-30T23:59:59.1234Z';
      r.productions[0].hosts[1].status = 'rETRY';
      return r;
    };
    const first = snapshotFromAgent(raw());
    const again = snapshotFromAgent(raw());
    assert.deepEqual(again, first);
    const times = first.productions[0]!.hosts.map((h) => h.lastActivity);
    // Date's own reading: a space for "T", milliseconds to three digits, 30 February as 2 March.
    assert.deepEqual(times, ['2026-03-01T09:59:58.500Z', '2026-03-02T23:59:59.123Z', null]);
    assert.equal(first.productions[0]!.hosts[1]!.status, 'retry');
    const bad = raw();
    bad.productions[0].hosts[1].status = 'Sleeping';
    // An unknown word is not remembered as a good one: it fails every time.
    contractError(() => snapshotFromAgent(bad), /unknown host status "Sleeping"/);
    contractError(() => snapshotFromAgent(bad), /unknown host status "Sleeping"/);
  });

  it('rejects duplicate host names and duplicate productions', () => {
    const raw = agentSnapshot();
    raw.productions[0].hosts[1].name = 'Orders.In';
    contractError(() => snapshotFromAgent(raw), /productions\[0\]\.hosts\[1\]\.name.*duplicate/);
    const raw2 = agentSnapshot();
    raw2.productions[2].name = 'Demo.Production';
    contractError(() => snapshotFromAgent(raw2), /productions\[2\].*duplicate/);
  });

  it('an {"ok":false} snapshot is an AgentFailedError carrying IRIS\'s code and text', () => {
    assert.throws(
      () => snapshotFromAgent({ ok: false, code: '<PROTECT>', text: '<PROTECT> zSnapshot+3^IrisEdge.Agent.1' }),
      (err: unknown) => err instanceof AgentFailedError && err.failure.code === '<PROTECT>' && /PROTECT/.test(err.message),
    );
  });

  it('text that is not JSON, or not a string, is a contract error', () => {
    contractError(() => parseAgentJson('Snapshot', '<html>'), /Snapshot.*not JSON/);
    contractError(() => parseAgentJson('Snapshot', 42), /Snapshot returned number/);
  });
});

describe('agent Control JSON', () => {
  it('accepts {"ok":true} and failures with code and text', () => {
    assert.deepEqual(controlResultFromAgent({ ok: true }), { ok: true });
    assert.deepEqual(
      controlResultFromAgent({
        ok: false,
        code: '<Ens>ErrProductionNotQuiescent',
        text: 'ERROR <Ens>ErrProductionNotQuiescent: Production is not quiescent',
      }),
      {
        ok: false,
        code: '<Ens>ErrProductionNotQuiescent',
        text: 'ERROR <Ens>ErrProductionNotQuiescent: Production is not quiescent',
      },
    );
  });
  it('rejects anything else with the path', () => {
    contractError(() => controlResultFromAgent({ ok: 'yes' }), /Control.*ok/);
    contractError(() => controlResultFromAgent({ ok: false, code: 5 }), /code|text/);
  });
});

describe('the shipped agent class and the TypeScript side agree', () => {
  it('declares the methods the bridge calls, with the argument order the client uses', () => {
    assert.match(AGENT_CLS, /^Class IrisEdge\.Agent\b/m);
    assert.match(AGENT_CLS, /ClassMethod Version\(\) As %Integer/);
    assert.match(AGENT_CLS, /ClassMethod Snapshot\(\) As %String/);
    assert.match(
      AGENT_CLS,
      /ClassMethod Control\(namespace As %String, production As %String, action As %String, timeout As %Integer = 10, force As %Boolean = 0\) As %String/,
    );
  });
  it('emits the codes the client maps to UnknownProductionError, and every field the schema reads', () => {
    for (const code of UNKNOWN_PRODUCTION_CODES) assert.ok(AGENT_CLS.includes(`"${code}"`), code);
    for (const field of ['agentVersion', 'takenAt', 'versionNumber', 'namespaces', 'productions', 'problems', 'stateCode',
      'needsUpdate', 'updateReason', 'className', 'kind', 'enabled', 'status', 'queue', 'errors', 'lastActivity']) {
      assert.ok(AGENT_CLS.includes(`"${field}"`) || AGENT_CLS.includes(`.${field} `), `the agent never writes "${field}"`);
    }
  });
  it('switches namespace only with NEW $NAMESPACE, and NamespaceSnapshot calls no method of its own class', () => {
    const body = /ClassMethod NamespaceSnapshot[\s\S]*?\n\}\n/.exec(AGENT_CLS)?.[0] ?? '';
    assert.ok(body.includes('new $namespace'), 'NamespaceSnapshot must NEW $namespace');
    assert.doesNotMatch(body.replace(/^\s*\/\/\/.*$/gm, ''), /\.\.[A-Za-z#]/, 'a ".." call after switching namespace would not find this class');
  });
  it('declares Databases and writes every field databasesFromAgent reads; freezing is not the agent\'s (the IRIS owner does it)', () => {
    assert.match(AGENT_CLS, /ClassMethod Databases\(\) As %String/);
    for (const field of ['databases', 'directory', 'sizeMB', 'readOnly', 'mounted']) assert.ok(AGENT_CLS.includes(`"${field}"`), `the agent never writes "${field}"`);
    assert.doesNotMatch(AGENT_CLS, /Backup\.General/);
  });
  it('writes the licence fields the schema reads, and $ZTIMESTAMP never goes through a local-to-UTC conversion', () => {
    for (const field of ['license', 'unitsConsumed', 'unitsAvailable', 'unitsLimit', 'expires']) assert.ok(AGENT_CLS.includes(`"${field}"`), `the agent never writes "${field}"`);
    // $ZDATETIME tformat 5-8 treat their input as local time ($ZDATETIME reference).
    assert.doesNotMatch(AGENT_CLS, /\$zdatetime\(\s*\$ztimestamp\s*,\s*\d+\s*,\s*[5-8]\b/i);
  });
});

describe('databasesFromAgent', () => {
  it('turns MB into bytes and makes every directory end with a slash', () => {
    const dbs = databasesFromAgent({ ok: true, databases: [{ name: 'USER', directory: '/data/iris/mgr/user', sizeMB: 2, readOnly: false, mounted: true }] });
    assert.deepEqual(dbs, [{ name: 'USER', directory: '/data/iris/mgr/user/', sizeBytes: 2 * 1024 * 1024, readOnly: false, mounted: true }]);
  });
  it("passes IRIS's refusal on, and rejects data that breaks the contract", () => {
    assert.throws(() => databasesFromAgent({ ok: false, code: '<PROTECT>', text: 'no privilege' }), AgentFailedError);
    assert.throws(() => databasesFromAgent({ ok: true, databases: [{ name: 'USER', directory: '', sizeMB: -1, readOnly: 0, mounted: true }] }), IrisContractError);
  });
});

describe('agent SslConfigs JSON and the ApplySslConfig document', () => {
  const cfg = (over: Record<string, unknown> = {}) => ({
    name: 'LabTLS', description: 'lab', type: 0, enabled: true, caFile: '/ca.pem', certificateFile: '', privateKeyFile: '',
    verifyPeer: 1, tlsMinVersion: 16, tlsMaxVersion: 32, ...over,
  });

  it('maps configurations to the model, joining usedBy by name', () => {
    const list = sslConfigsFromAgent({
      ok: true,
      configs: [cfg(), cfg({ name: 'Srv', description: '', type: 1, enabled: false, caFile: '', certificateFile: '/c.pem', privateKeyFile: '/k.pem', verifyPeer: 3, tlsMaxVersion: 16 })],
      usedBy: [{ config: 'LabTLS', namespace: 'ORDERS', production: 'Orders.Production', host: 'HL7.Out.Lab' }],
      problems: [],
    });
    assert.equal(list.length, 2);
    assert.deepEqual(list[0]!.usedBy, [{ namespace: 'ORDERS', production: 'Orders.Production', host: 'HL7.Out.Lab' }]);
    assert.deepEqual([list[0]!.type, list[1]!.type, list[1]!.verifyPeer], ['client', 'server', 3]);
    assert.deepEqual(list[1]!.usedBy, []);
  });

  it('data that breaks the contract names the path; an agent failure carries IRIS\'s text', () => {
    contractError(() => sslConfigsFromAgent({ ok: true, configs: [{ name: 'X', type: 2 }], usedBy: [], problems: [] }), /configs\[0\]/);
    assert.throws(() => sslConfigsFromAgent({ ok: false, code: '921', text: 'ERROR #921: Operation requires %Admin_Secure:USE privilege' }), (e: unknown) =>
      e instanceof AgentFailedError && /%Admin_Secure/.test(e.message));
  });

  it('one JSON document carries type 0/1 and the key password, which the agent never echoes', () => {
    const doc = JSON.parse(applySslConfigJson({ name: 'T', type: 'server', caFile: '', certificateFile: '/c.pem', privateKeyFile: '/k.pem', privateKeyPassword: 's3cret', verifyPeer: 3, tlsMinVersion: 16, tlsMaxVersion: 32 }));
    assert.deepEqual([doc.type, doc.privateKeyPassword, doc.verifyPeer], [1, 's3cret', 3]);
    assert.doesNotMatch(AGENT_CLS, /%Set\("privateKeyPassword"/);
  });
});

describe('agent licence (VERSION 5)', () => {
  it('a refused %SYSTEM.License is null: no licence in the model, the rest still maps', () => {
    const raw = agentSnapshot();
    raw.instance.license = null;
    assert.equal(snapshotFromAgent(raw).instance.license, undefined);
  });
  it('an expiry that is not a date is a contract error naming the field; "" means no expiry', () => {
    const raw = agentSnapshot();
    raw.instance.license.expires = '31/01/2027';
    contractError(() => snapshotFromAgent(raw), /instance\.license\.expires/);
    raw.instance.license.expires = '';
    assert.equal(snapshotFromAgent(raw).instance.license?.expires, null);
  });
});
