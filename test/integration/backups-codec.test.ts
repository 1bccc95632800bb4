/**
 * The archive codecs on real files: new backups are .tar.zst of many zstd frames (databases of
 * about 5 MB each here, frames of 4 MiB) that the real `zstd` and GNU tar read; a .tar.gz made
 * the way IRIS Edge made them before still verifies, uploads and restores; a damaged .tar.zst,
 * cut anywhere (at the end of a frame too), is refused with a clear error and restores nothing.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { zstdAvailable } from '../../src/backups/codec.ts';
import { FRAME_BYTES } from '../../src/backups/frame-writer.ts';
import { ZstdFrameWalker } from '../../src/backups/zstd-frames.ts';
import { backupRig, sha, tarGz, WRITABLE, type BackupRig } from '../support/backups.ts';

const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
const hashes = (rig: BackupRig) => new Map(WRITABLE.map((n) => [n, sha(rig.data.read(n))]));
const leftovers = (rig: BackupRig) =>
  WRITABLE.flatMap((n) => readdirSync(join(rig.data.dir, n === 'IRISSYS' ? 'mgr' : `mgr/${n.toLowerCase()}`))).filter((f) => f.includes('iris-edge'));

describe('backup archive codecs', () => {
  let rig: BackupRig;
  let id: string;
  let manifest: { id: string; databases: { name: string; file: string; size: number; sha256: string }[] };
  before(async () => {
    rig = await backupRig({ data: { writeIntervalMs: 0, blocks: 600 } });
    const job = await rig.run(rig.service.startBackup('manual'));
    assert.equal(job.state, 'ok', job.error ?? '');
    id = job.backupId!;
  });
  after(() => rig.close());

  /** How many zstd frames the archive holds and where each ends (skippable frames not counted). */
  const frameEnds = (bytes: Buffer) => {
    const ends: number[] = [];
    const walker = new ZstdFrameWalker();
    for (let at = 0; at < bytes.length; at += 4096) {
      const chunk = bytes.subarray(at, at + 4096);
      for (const p of walker.split(chunk)) if (p.last) ends.push(at + p.bytes.byteOffset - chunk.byteOffset + p.bytes.length);
    }
    return { ends, frames: walker.frames };
  };

  it('writes a .tar.zst of several zstd frames that the real zstd and tar read, with the SHA-256 of the archive recorded', async () => {
    assert.ok(zstdAvailable(), `this Node.js (${process.version}) has no zstd in zlib: the tests run on Node 22.15 or later`);
    const path = rig.service.store.archivePath(id);
    assert.ok(path.endsWith(`${id}.tar.zst`), path);
    const bytes = readFileSync(path);
    assert.ok(bytes.subarray(0, 4).equals(ZSTD_MAGIC), 'a zstd frame');
    const record = await rig.service.get(id);
    assert.equal(record.sha256, sha(bytes), 'the record holds the archive file SHA-256');
    assert.equal(record.sizeBytes, bytes.length);
    const { frames } = frameEnds(bytes);
    assert.ok(frames > Math.ceil(record.databasesBytes / FRAME_BYTES), `${frames} frames for ${record.databasesBytes} bytes`);

    execFileSync('zstd', ['-q', '-t', path]);
    const listing = execFileSync('tar', ['--zstd', '-tf', path]).toString().trim().split('\n');
    assert.equal(listing[0], 'manifest.json', 'the manifest comes first');
    manifest = JSON.parse(execFileSync('tar', ['--zstd', '-xOf', path, 'manifest.json']).toString());
    const out = mkdtempSync(join(tmpdir(), 'iris-edge-zstd-cli-'));
    try {
      // The same through a pipe, as someone without GNU tar's --zstd would do it.
      execFileSync('sh', ['-c', 'zstd -d -q -c "$1" | tar -x -C "$2"', 'sh', path, out]);
      for (const d of manifest.databases) assert.equal(sha(readFileSync(join(out, d.file))), d.sha256, `${d.name} as zstd -d | tar -x gives it`);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('verifies, uploads and restores a .tar.gz made the way IRIS Edge made them before', async () => {
    // The old writer: tar-stream, manifest first, gzip; the old record has no archive SHA-256.
    const entries: { name: string; body: Buffer | string }[] = [{ name: 'manifest.json', body: JSON.stringify({ ...manifest, id: manifest.id.replace('manual', 'scheduled'), kind: 'scheduled' }, null, 2) }];
    for (const d of manifest.databases) entries.push({ name: d.file, body: execFileSync('tar', ['--zstd', '-xOf', rig.service.store.archivePath(id), d.file], { maxBuffer: 1 << 28 }) });
    const old = await tarGz(entries);
    const oldId = manifest.id.replace('manual', 'scheduled');

    const record = await rig.service.upload(Readable.from([old]));
    assert.equal(record.id, oldId);
    assert.equal(record.verify.state, 'verified');
    const path = rig.service.store.archivePath(oldId);
    assert.ok(path.endsWith(`${oldId}.tar.gz`), `an uploaded gzip archive keeps its codec's name: ${path}`);
    assert.ok(!existsSync(join(rig.service.store.dir, `${oldId}.tar.zst`)));
    const { sha256: _, ...oldRecord } = record;
    await rig.service.store.save(oldRecord);

    const v = await rig.run(rig.service.startVerify(oldId));
    assert.equal(v.state, 'ok', v.error ?? '');

    rig.data.write();
    rig.data.write();
    const job = await rig.run(rig.service.startRestore(oldId, oldId));
    assert.equal(job.state, 'ok', JSON.stringify(job.steps));
    for (const d of manifest.databases) assert.equal(sha(rig.data.read(d.name)), d.sha256, `${d.name} restored from the .tar.gz`);
    assert.deepEqual(leftovers(rig), []);
    // The safety backup taken first is a .tar.zst like every new one.
    const safety = (await rig.service.list()).find((r) => r.kind === 'safety');
    assert.ok(safety && rig.service.store.archivePath(safety.id).endsWith('.tar.zst'));
  });

  const endOfFrame = (b: Buffer) => frameEnds(b).ends.at(-3)!;
  for (const [what, damage, text] of [
    ['truncated', (b: Buffer, path: string) => (writeFileSync(path, b), truncateSync(path, Math.floor(b.length * 0.6))), /damaged|incomplete|ends before/i],
    ['cut at the end of one of its frames', (b: Buffer, path: string) => (writeFileSync(path, b), truncateSync(path, endOfFrame(b))), /damaged|incomplete|ends before/i],
    ['with one bit flipped', (b: Buffer, path: string) => { const f = Buffer.from(b); const at = Math.floor(f.length * 0.55); f[at] = f[at]! ^ 0x04; writeFileSync(path, f); }, /damaged|checksum/i],
  ] as const) {
    it(`refuses a .tar.zst ${what}: verify says damaged, a restore replaces nothing, an upload keeps nothing`, async () => {
      const made = await rig.run(rig.service.startBackup('manual'));
      const bad = made.backupId!;
      const path = rig.service.store.archivePath(bad);
      const good = readFileSync(path);
      damage(good, path);
      const damaged = readFileSync(path);

      const v = await rig.run(rig.service.startVerify(bad));
      assert.equal(v.state, 'failed');
      assert.match(v.error ?? '', text);
      assert.equal((await rig.service.get(bad)).verify.state, 'damaged');

      rig.data.write();
      const before = hashes(rig);
      const backupsBefore = (await rig.service.list()).length;
      const r = await rig.run(rig.service.startRestore(bad, bad));
      assert.equal(r.state, 'failed');
      assert.match(r.error ?? '', text);
      assert.deepEqual(hashes(rig), before, 'no database changed');
      assert.deepEqual(leftovers(rig), []);
      assert.equal((await rig.service.list()).length, backupsBefore, 'no safety backup for a backup that cannot be restored');

      // Uploaded without its record, the content checks alone (zstd's frame, the tar, every
      // file's SHA-256) catch it.
      await rig.service.delete(bad);
      await assert.rejects(rig.service.upload(Readable.from([damaged])), (err: Error) => {
        assert.match(err.message, text);
        return true;
      });
      assert.equal(await rig.service.store.has(bad), false);
      assert.deepEqual(readdirSync(rig.service.store.workDir), []);
    });
  }

  it('two backups back to back (faster than a second each now) get two ids and both archives are kept', async () => {
    const a = (await rig.run(rig.service.startBackup('manual'))).backupId!;
    const b = (await rig.run(rig.service.startBackup('manual'))).backupId!;
    assert.notEqual(a, b);
    for (const id of [a, b]) assert.equal((await rig.run(rig.service.startVerify(id))).state, 'ok', id);
  });

  it('says so when an archive was swapped after it was written, though its content is valid', async () => {
    const a = (await rig.run(rig.service.startBackup('manual'))).backupId!;
    const path = rig.service.store.archivePath(a);
    const original = readFileSync(path);
    // The same tar through the real zstd at another level: valid, but not the file that was written.
    const other = execFileSync('sh', ['-c', 'zstd -d -q -c "$1" | zstd -q -9 -c', 'sh', path], { maxBuffer: 1 << 28 });
    assert.notDeepEqual(other, original);
    writeFileSync(path, other);
    const v = await rig.run(rig.service.startVerify(a));
    assert.equal(v.state, 'failed');
    assert.match(v.error ?? '', /does not match the SHA-256 recorded when it was written/);

    // Uploaded (no record to compare with), the real zstd's archive is taken: it is standard.
    await rig.service.delete(a);
    const record = await rig.service.upload(Readable.from([other]));
    assert.equal(record.id, a);
    assert.equal(record.sha256, sha(other));
    assert.ok(rig.service.store.archivePath(a).endsWith('.tar.zst'));
  });
});
