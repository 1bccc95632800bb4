/**
 * Hostile archives, uploaded or found on disk: every one is refused with a clear BackupError,
 * nothing is kept, no file is left in the work folder, and the process lives on. The entries are
 * large (megabytes) so that a refusal comes while the extractor still holds the unread entry:
 * that is when an archive once ended the whole bridge ("Emitted 'error' event on Source instance").
 * Archives are made here, with tar-stream and with GNU tar.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { BackupError } from '../../src/backups/errors.ts';
import { backupRig, codecOption, sha, tarGz, type BackupRig } from '../support/backups.ts';

const MB = 1024 * 1024;

describe('hostile backup archives', () => {
  let rig: BackupRig;
  let good: Buffer;
  let m: { id: string; kind: string; databases: { name: string; file: string; size: number; sha256: string }[] };
  before(async () => {
    rig = await backupRig({ uploadLimitBytes: 64 * MB });
    const job = await rig.run(rig.service.startBackup('manual'));
    good = readFileSync(rig.service.store.archivePath(job.backupId!));
    m = JSON.parse(execFileSync('tar', [codecOption(good), '-xOf', '-', 'manifest.json'], { input: good }).toString());
  });
  after(() => rig.close());

  /** The manifest of another backup (a new id), whose first database is `db` of `size` bytes. */
  const manifestWith = (size: number, body?: Buffer) => {
    const db = { ...m.databases[0]!, size, ...(body ? { sha256: sha(body) } : {}) };
    return { ...m, id: m.id.replace('manual', 'scheduled'), kind: 'scheduled', databases: [db] };
  };
  const refused = async (archive: Buffer, code: RegExp, text: RegExp) => {
    const before = (await rig.service.list()).length;
    await assert.rejects(rig.service.upload(Readable.from([archive])), (err: unknown) => {
      assert.ok(err instanceof BackupError, `expected a BackupError, got ${String(err)}`);
      assert.match(err.code, code, err.message);
      assert.match(err.message, text);
      return true;
    });
    assert.equal((await rig.service.list()).length, before, 'a refused archive was kept');
    assert.deepEqual(readdirSync(rig.service.store.workDir), [], 'a refused upload left a file in the work folder');
  };

  it('a foreign archive whose first file is 1 MB (GNU tar), and one made by tar-stream', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iris-edge-foreign-'));
    writeFileSync(join(dir, 'photo.jpg'), randomBytes(MB));
    await refused(execFileSync('tar', ['-czf', '-', '-C', dir, 'photo.jpg'], { maxBuffer: 8 * MB }), /bad-archive/, /not an IRIS Edge backup/);
    await refused(await tarGz([{ name: 'big.bin', body: randomBytes(3 * MB) }]), /bad-archive/, /first entry is "big\.bin"/);
  });

  it('an oversized manifest, a manifest that is not JSON, and one that is not a file', async () => {
    await refused(await tarGz([{ name: 'manifest.json', body: Buffer.alloc(2 * MB, 0x20) }]), /bad-archive/, /not an IRIS Edge backup/);
    await refused(await tarGz([{ name: 'manifest.json', body: randomBytes(MB / 2) }]), /bad-archive/, /not JSON/);
    await refused(await tarGz([{ name: 'manifest.json', body: '', header: { type: 'symlink', linkname: '/etc/passwd' } }]), /bad-archive/, /not an IRIS Edge backup/);
  });

  it('a large entry the manifest does not list, a duplicate, a size that does not match, a link', async () => {
    const body = randomBytes(2 * MB);
    const mf = manifestWith(body.length, body);
    const file = mf.databases[0]!.file;
    await refused(await tarGz([{ name: 'manifest.json', body: JSON.stringify(mf) }, { name: 'databases/EXTRA/IRIS.DAT', body }]), /bad-archive/, /which its manifest does not list/);
    await refused(await tarGz([{ name: 'manifest.json', body: JSON.stringify(mf) }, { name: file, body }, { name: file, body }]), /bad-archive/, /twice/);
    await refused(await tarGz([{ name: 'manifest.json', body: JSON.stringify(manifestWith(MB, body)) }, { name: file, body }]), /checksum/, /bytes in the archive but/);
    await refused(await tarGz([{ name: 'manifest.json', body: JSON.stringify(mf) }, { name: file, body: '', header: { type: 'symlink', linkname: '/etc/shadow' } }]), /bad-archive/, /does not list/);
  });

  it('a PAX header that renames an entry, and path traversal in the entry names', async () => {
    const body = randomBytes(2 * MB);
    const mf = manifestWith(body.length, body);
    await refused(
      await tarGz([{ name: 'manifest.json', body: JSON.stringify(mf) }, { name: mf.databases[0]!.file, body, header: { pax: { path: '../../../tmp/owned' } } }]),
      /bad-archive/,
      /"\.\.\/\.\.\/\.\.\/tmp\/owned", which its manifest does not list/,
    );
    await refused(await tarGz([{ name: 'manifest.json', body: JSON.stringify(mf) }, { name: '/etc/cron.d/x', body }]), /bad-archive/, /does not list/);
  });

  it('truncated anywhere, or with a flipped byte, our own archive is refused', async () => {
    for (const cut of [10, 100, Math.floor(good.length / 2), good.length - 9]) {
      await refused(good.subarray(0, cut), /bad-archive|checksum|io/, /./);
    }
    for (const at of [20, Math.floor(good.length / 3), good.length - 12]) {
      const flipped = Buffer.from(good);
      flipped[at] = (flipped[at] as number) ^ 0xff;
      await refused(flipped, /bad-archive|checksum|io/, /./);
    }
  });

  it('any cut, flipped bytes or spliced-in bytes (fast-check): refused or recognised as the stored backup, never kept twice', async () => {
    const damage = fc.record({
      cut: fc.option(fc.integer({ min: 0, max: good.length - 1 }), { nil: undefined }),
      flips: fc.array(fc.record({ at: fc.integer({ min: 0, max: good.length - 1 }), xor: fc.integer({ min: 1, max: 255 }) }), { maxLength: 3 }),
      insert: fc.option(fc.record({ at: fc.integer({ min: 0, max: good.length }), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(damage, async ({ cut, flips, insert }) => {
        let b = Buffer.from(good);
        for (const f of flips) b[f.at] = (b[f.at] as number) ^ f.xor;
        if (insert) b = Buffer.concat([b.subarray(0, insert.at), insert.bytes, b.subarray(insert.at)]);
        if (cut !== undefined) b = b.subarray(0, cut);
        // A byte gzip does not read (its header's time or OS) leaves the same archive: a duplicate.
        await refused(b, /bad-archive|checksum|exists/, /./);
      }),
      { numRuns: Number(process.env.ARCHIVE_FUZZ_RUNS ?? 30) },
    );
  });

  it('two uploads of the same archive at once: one is kept, the other is refused as a duplicate (never a 500)', async () => {
    const fresh = await backupRig({ uploadLimitBytes: 64 * MB });
    try {
      const results = await Promise.allSettled([fresh.service.upload(Readable.from([good])), fresh.service.upload(Readable.from([good]))]);
      assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
      const refusedOne = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      assert.ok(refusedOne.reason instanceof BackupError && refusedOne.reason.code === 'exists', String(refusedOne.reason));
      assert.equal((await fresh.service.list()).length, 1);
      assert.deepEqual(readdirSync(fresh.service.store.workDir), []);
    } finally {
      await fresh.close();
    }
  });

  it('verify and delete of one backup at the same moment: the second is refused, and no ghost record is written back', async () => {
    const job = await rig.run(rig.service.startBackup('manual'));
    const id = job.backupId!;
    // verify first: the delete finds the backup in use.
    const verify = rig.service.startVerify(id);
    await assert.rejects(rig.service.delete(id), (err: unknown) => err instanceof BackupError && err.code === 'busy');
    await rig.run(verify);
    assert.equal((await rig.service.get(id)).verify?.state, 'verified');
    // delete first: the verify finds it in use, or gone; never a verify of a deleted backup.
    const del = rig.service.delete(id);
    await assert.rejects(rig.service.startVerify(id), (err: unknown) => err instanceof BackupError && (err.code === 'busy' || err.code === 'not-found'));
    await del;
    await assert.rejects(rig.service.get(id), (err: unknown) => err instanceof BackupError && err.code === 'not-found');
    assert.ok(!(await rig.service.list()).some((r) => r.id === id), 'a deleted backup came back');
  });

  it('a stored archive replaced on disk by a foreign one fails its verification and leaves the bridge running', async () => {
    const [first] = await rig.service.list();
    assert.ok(first);
    writeFileSync(rig.service.store.archivePath(first.id), await tarGz([{ name: 'big.bin', body: randomBytes(3 * MB) }]));
    const job = await rig.run(rig.service.startVerify(first.id));
    assert.equal(job.state, 'failed');
    assert.match(job.error ?? '', /not an IRIS Edge backup/);
    assert.equal((await rig.service.get(first.id)).verify?.state, 'damaged');
  });
});
