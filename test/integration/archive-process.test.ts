/**
 * The archive process (backups/archive-process.ts): a whole archive is written and read by a
 * process of its own, which runs without the allocator thresholds the bridge fixes for itself.
 * Its results, progress and errors reach the bridge as an in-process read would give them; a
 * process that dies is reported with why.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readArchive, UNKNOWN_SHA256 } from '../../src/backups/archive.ts';
import { archiveProcessEnv, MAX_ARCHIVE_PROCESSES, readArchiveApart, writeArchiveApart } from '../../src/backups/archive-process.ts';
import { PROGRESS_BYTES } from '../../src/backups/archive-protocol.ts';
import { BackupError } from '../../src/backups/errors.ts';
import { databaseEntry, FORMAT, FORMAT_VERSION, type Manifest } from '../../src/backups/manifest.ts';
import { archiveProcessesOf } from '../support/processes.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Counts what the archive process reports, message by message. */
function counter() {
  const reports: number[] = [];
  return { reports, add: (n: number) => reports.push(n), total: () => reports.reduce((a, b) => a + b, 0) };
}

describe('the archive process', () => {
  let dir: string;
  let files: Map<string, Buffer>;
  let draft: Manifest;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'iris-edge-archive-process-'));
    // USER spans more than two progress reports; half of it text-like, so zstd has work to do.
    files = new Map([
      ['USER', Buffer.concat([randomBytes(PROGRESS_BYTES), Buffer.alloc(PROGRESS_BYTES + 12_345, 'order 1234 shipped\n')])],
      ['LAB', randomBytes(70_000)],
    ]);
    for (const [name, bytes] of files) writeFileSync(join(dir, `${name}.DAT`), bytes);
    const at = '2026-12-04T03:00:00.000Z';
    draft = {
      format: FORMAT,
      formatVersion: FORMAT_VERSION,
      id: 'edge-20261204T030000Z-manual',
      kind: 'manual',
      createdBy: 'IRIS Edge test',
      instance: { id: 'edge', irisVersion: 'IRIS for UNIX 2025.1', irisVersionNumber: '2025.1.0' },
      startedAt: at,
      frozenAt: at,
      thawedAt: at,
      endedAt: at,
      freezeMs: 0,
      databases: [...files].map(([name, bytes]) => ({ name, directory: `/data/${name}`, file: databaseEntry(name), size: bytes.length, sha256: UNKNOWN_SHA256 })),
      excluded: [],
    };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const staged = () => new Map([...files.keys()].map((n) => [n, join(dir, `${n}.DAT`)]));
  const bytes = () => [...files.values()].reduce((n, b) => n + b.length, 0);

  it('writes an archive, reads it back and unpacks it, reporting progress as it goes', async () => {
    const archive = join(dir, 'write.tar.zst');
    const wrote = counter();
    const written = await writeArchiveApart(archive, draft, staged(), 1, wrote);
    assert.equal(written.size, readFileSync(archive).length);
    for (const d of written.manifest.databases) assert.equal(d.sha256, sha(files.get(d.name)!), d.name);
    assert.equal(wrote.total(), bytes(), 'every byte archived is reported');
    assert.ok(wrote.reports.length >= 2, `reported in parts as it went: ${wrote.reports.join(', ')}`);

    const read = counter();
    const extractTo = new Map([['USER', join(dir, 'USER.restored')]]);
    const back = await readArchiveApart(archive, { extractTo, archiveSha256: sha(readFileSync(archive)), meter: read });
    assert.deepEqual(back.manifest, written.manifest);
    assert.deepEqual(back.archive, { size: written.size, sha256: sha(readFileSync(archive)) });
    assert.equal(read.total(), bytes());
    assert.ok(readFileSync(join(dir, 'USER.restored')).equals(files.get('USER')!), 'USER unpacked where it was asked to go');
    assert.throws(() => readFileSync(join(dir, 'LAB.restored')), /ENOENT/, 'LAB was only checked');
  });

  it('refuses a damaged archive with the BackupError an in-process read gives, and an archive that is not the one recorded', async () => {
    const archive = join(dir, 'damaged.tar.zst');
    await writeArchiveApart(archive, draft, staged(), 1);
    const whole = readFileSync(archive);
    const changed = await readArchiveApart(archive, { archiveSha256: sha(Buffer.from('another archive')) }).catch((e: unknown) => e);
    assert.ok(changed instanceof BackupError && changed.code === 'checksum', String(changed));
    assert.match(changed.message, /does not match the SHA-256 recorded when it was written/);

    truncateSync(archive, Math.floor(whole.length * 0.6));
    const apart = await readArchiveApart(archive).catch((e: unknown) => e);
    const here = await readArchive(archive).catch((e: unknown) => e);
    assert.ok(apart instanceof BackupError, String(apart));
    assert.ok(here instanceof BackupError);
    assert.equal(apart.code, here.code);
    assert.equal(apart.message, here.message);
  });

  it('keeps a file-system error\'s code, which the backup turns into its advice (a full disk: no-space)', async () => {
    const archive = join(dir, 'exists.tar.zst');
    writeFileSync(archive, 'already here');
    const err = (await writeArchiveApart(archive, draft, staged(), 1).catch((e: unknown) => e)) as NodeJS.ErrnoException;
    assert.ok(err instanceof Error && !(err instanceof BackupError), String(err));
    assert.equal(err.code, 'EEXIST');
    assert.equal(readFileSync(archive, 'utf8'), 'already here', 'an existing file is never written over');
  });

  it('reports an archive process that dies, with the last thing it said', async () => {
    const saved = process.env.NODE_OPTIONS;
    process.env.NODE_OPTIONS = `--require ${join(dir, 'missing-preload.cjs')}`;
    try {
      const err = await readArchiveApart(join(dir, 'write.tar.zst')).catch((e: unknown) => e);
      assert.ok(err instanceof BackupError && err.code === 'io', String(err));
      assert.match(err.message, /^The archive process stopped before it finished \(exit code 1\): Error: Cannot find module .*missing-preload\.cjs/);
    } finally {
      if (saved === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = saved;
    }
  });

  it(`runs at most ${MAX_ARCHIVE_PROCESSES} archive processes at once: archives asked for together wait their turn`, async () => {
    const archive = join(dir, 'turns.tar.zst');
    await writeArchiveApart(archive, draft, staged(), 1);
    const archiving = () => archiveProcessesOf(process.pid).length;
    let most = 0;
    const sampler = setInterval(() => (most = Math.max(most, archiving())), 10);
    try {
      const reads = await Promise.all(Array.from({ length: MAX_ARCHIVE_PROCESSES + 3 }, () => readArchiveApart(archive)));
      for (const r of reads) assert.equal(r.manifest.id, draft.id);
    } finally {
      clearInterval(sampler);
    }
    assert.ok(most >= 1, 'the archive processes were seen');
    assert.ok(most <= MAX_ARCHIVE_PROCESSES, `${most} archive processes at once`);
    assert.equal(archiving(), 0, 'none is left running');
  });

  it('runs without the allocator thresholds the bridge fixes for itself, with the rest of its environment', () => {
    const env = archiveProcessEnv({ MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '65536', MALLOC_TRIM_THRESHOLD_: '65536', IRIS_EDGE_STATE_DIR: '/data/state', PATH: '/usr/bin' });
    assert.deepEqual(env, { MALLOC_ARENA_MAX: '2', IRIS_EDGE_STATE_DIR: '/data/state', PATH: '/usr/bin' });
  });
});
