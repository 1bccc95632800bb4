// The manifest of an uploaded archive is the first thing read from a stranger's file: each rule of
// the schema gets a case that breaks exactly that rule of an otherwise valid manifest.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BackupError } from '../../src/backups/errors.ts';
import { backupId, databaseEntry, parseManifest } from '../../src/backups/manifest.ts';
import { BACKUP_ID } from '../../src/model/backup-record.ts';

type Doc = Record<string, unknown> & { databases: Record<string, unknown>[]; instance: Record<string, unknown> };

function valid(): Doc {
  return {
    // Written out, not imported: archives made by earlier releases carry exactly these.
    format: 'iris-edge-backup',
    formatVersion: 1,
    id: 'iris-20261122T033000Z-scheduled',
    kind: 'scheduled',
    createdBy: 'IRIS Edge 0.1.0',
    instance: { id: 'iris', irisVersion: 'IRIS for UNIX 2026.1', irisVersionNumber: '2026.1.0.213.0' },
    startedAt: '2026-11-22T03:30:00.000Z',
    frozenAt: '2026-11-22T03:30:01.000Z',
    thawedAt: '2026-11-22T03:30:02.000Z',
    endedAt: '2026-11-22T03:30:09.000Z',
    freezeMs: 1000,
    databases: [{ name: 'ORDERS', directory: '/usr/irissys/mgr/orders/', file: databaseEntry('ORDERS'), size: 8192, sha256: 'ab'.repeat(32) }],
    excluded: [{ name: 'IRISTEMP', directory: '/usr/irissys/mgr/iristemp/', reason: 'temporary' }],
  };
}

const parse = (doc: unknown) => parseManifest(Buffer.from(JSON.stringify(doc)));

function rejects(doc: unknown, why: RegExp): void {
  assert.throws(() => parse(doc), (e: unknown) => {
    assert.ok(e instanceof BackupError);
    assert.equal(e.code, 'bad-archive');
    assert.match(e.message, why);
    return true;
  });
}

const withDb = (db: Record<string, unknown>): Doc => {
  const d = valid();
  d.databases = [{ ...d.databases[0], ...db }];
  return d;
};

describe('manifest schema', () => {
  it('accepts a valid manifest as it is', () => {
    assert.deepEqual(parse(valid()), valid());
  });

  it('accepts every name character IRIS allows', () => {
    for (const name of ['A', 'IRIS_%SYS-2', 'X'.repeat(64)]) assert.equal(parse(withDb({ name, file: databaseEntry(name) })).databases[0]!.name, name);
  });

  const cases: [string, () => unknown, RegExp][] = [
    ['a foreign format', () => ({ ...valid(), format: 'other-backup' }), /\(format:/],
    ['format version 2', () => ({ ...valid(), formatVersion: 2 }), /\(formatVersion:/],
    ['format version "1"', () => ({ ...valid(), formatVersion: '1' }), /\(formatVersion:/],
    ['no format version', () => ({ ...valid(), formatVersion: undefined }), /\(formatVersion:/],
    ['an id with a path', () => ({ ...valid(), id: '../iris-20261122T033000Z-manual' }), /\(id:/],
    ['an unknown kind', () => ({ ...valid(), kind: 'hourly' }), /\(kind:/],
    ['a long createdBy', () => ({ ...valid(), createdBy: 'x'.repeat(101) }), /\(createdBy:/],
    ['a long instance id', () => ({ ...valid(), instance: { ...valid().instance, id: 'x'.repeat(32) } }), /\(instance\.id:/],
    ['a long IRIS version', () => ({ ...valid(), instance: { ...valid().instance, irisVersion: 'x'.repeat(301) } }), /\(instance\.irisVersion:/],
    ['a long version number', () => ({ ...valid(), instance: { ...valid().instance, irisVersionNumber: 'x'.repeat(51) } }), /\(instance\.irisVersionNumber:/],
    ['a start that is no time', () => ({ ...valid(), startedAt: 'yesterday' }), /\(startedAt:/],
    ['a freeze that is no time', () => ({ ...valid(), frozenAt: '2026-13-01T00:00:00Z' }), /\(frozenAt:/],
    ['a thaw that is no time', () => ({ ...valid(), thawedAt: 5 }), /\(thawedAt:/],
    ['an end that is no time', () => ({ ...valid(), endedAt: '' }), /\(endedAt:/],
    ['a negative freeze', () => ({ ...valid(), freezeMs: -1 }), /\(freezeMs:/],
    ['a fractional freeze', () => ({ ...valid(), freezeMs: 1.5 }), /\(freezeMs:/],
    ['no databases', () => ({ ...valid(), databases: [] }), /\(databases:/],
    ['a database name with a path', () => withDb({ name: '../X', file: 'databases/../X/IRIS.DAT' }), /\(databases\.0\.name:/],
    ['a database name with a path behind it', () => withDb({ name: 'X/..', file: 'databases/X/../IRIS.DAT' }), /\(databases\.0\.name:/],
    ['a lower-case database name', () => withDb({ name: 'orders', file: databaseEntry('orders') }), /\(databases\.0\.name:/],
    ['an empty database name', () => withDb({ name: '', file: databaseEntry('') }), /\(databases\.0\.name:/],
    ['a database name of 65', () => withDb({ name: 'X'.repeat(65), file: databaseEntry('X'.repeat(65)) }), /\(databases\.0\.name:/],
    ['an empty directory', () => withDb({ directory: '' }), /\(databases\.0\.directory:/],
    ['a long directory', () => withDb({ directory: '/'.repeat(1001) }), /\(databases\.0\.directory:/],
    ['a negative size', () => withDb({ size: -1 }), /\(databases\.0\.size:/],
    ['a fractional size', () => withDb({ size: 0.5 }), /\(databases\.0\.size:/],
    ['a short sha256', () => withDb({ sha256: 'ab'.repeat(31) }), /\(databases\.0\.sha256: a SHA-256 in hex\)/],
    ['a long sha256', () => withDb({ sha256: 'ab'.repeat(32) + 'a' }), /\(databases\.0\.sha256:/],
    ['an upper-case sha256', () => withDb({ sha256: 'AB'.repeat(32) }), /\(databases\.0\.sha256:/],
    ['a sha256 with a prefix', () => withDb({ sha256: 'x' + 'ab'.repeat(32) }), /\(databases\.0\.sha256:/],
    ['a sha256 with a suffix', () => withDb({ sha256: 'ab'.repeat(32) + 'x' }), /\(databases\.0\.sha256:/],
    ['a long excluded name', () => ({ ...valid(), excluded: [{ name: 'x'.repeat(65), directory: '/d', reason: 'r' }] }), /\(excluded\.0\.name:/],
    ['a long excluded directory', () => ({ ...valid(), excluded: [{ name: 'X', directory: 'x'.repeat(1001), reason: 'r' }] }), /\(excluded\.0\.directory:/],
    ['a long excluded reason', () => ({ ...valid(), excluded: [{ name: 'X', directory: '/d', reason: 'x'.repeat(201) }] }), /\(excluded\.0\.reason:/],
    ['no excluded list', () => ({ ...valid(), excluded: undefined }), /\(excluded:/],
    ['an array', () => [], /\(document:/],
  ];
  for (const [what, doc, why] of cases) it(`refuses ${what}`, () => rejects(doc(), why));

  it('refuses a file name that is not its database\'s entry, and a database listed twice', () => {
    rejects(withDb({ file: 'databases/ORDERS/../../x' }), /is not valid: database ORDERS points at "databases\/ORDERS\/\.\.\/\.\.\/x" instead of databases\/ORDERS\/IRIS\.DAT\./);
    const twice = valid();
    twice.databases = [twice.databases[0]!, { ...twice.databases[0] }];
    rejects(twice, /is not valid: database ORDERS is listed twice\./);
  });

  it('refuses bytes that are not JSON', () => {
    assert.throws(() => parseManifest(Buffer.from('{"format":')), (e: unknown) => e instanceof BackupError && e.code === 'bad-archive' && /manifest\.json is not JSON/.test(e.message));
  });
});

describe('backup ids', () => {
  it('are the instance, the UTC time to the second and the kind', () => {
    const id = backupId('iris', new Date('2026-11-22T03:30:00.456Z'), 'safety');
    assert.equal(id, 'iris-20261122T033000Z-safety');
    assert.match(id, BACKUP_ID);
  });

  it('match nothing with a path, a prefix, a suffix or another kind', () => {
    for (const bad of ['x/iris-20261122T033000Z-manual', 'iris-20261122T033000Z-manual.tar', 'Iris-20261122T033000Z-manual', 'iris-20261122T033000Z-hourly', '1ris-20261122T033000Z-manual', 'iris-2026112T033000Z-manual']) {
      assert.doesNotMatch(bad, BACKUP_ID, bad);
    }
    assert.match('a' + 'b'.repeat(30) + '-20261122T033000Z-manual', BACKUP_ID);
    assert.doesNotMatch('a' + 'b'.repeat(31) + '-20261122T033000Z-manual', BACKUP_ID);
  });
});
