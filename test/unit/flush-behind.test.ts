/**
 * Large files are flushed to disk while they are written (src/files/flush-behind.ts): the
 * archive's frames (covered in zstd-frames.test.ts) and a restore's unpacked databases.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readArchive } from '../../src/backups/archive.ts';
import { FLUSH_BYTES, FlushBehind } from '../../src/files/flush-behind.ts';
import { writeLargeArchive } from '../support/backups.ts';

const dir = mkdtempSync(join(tmpdir(), 'iris-edge-flush-behind-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('flushing while writing', () => {
  it('starts a flush every so many bytes, never two at once, and settled() waits for the last', async () => {
    const file = await open(join(dir, 'counted'), 'wx');
    let running = 0;
    let most = 0;
    let calls = 0;
    file.datasync = async () => {
      calls += 1;
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 10));
      running -= 1;
    };
    try {
      const flush = new FlushBehind(file, 1000);
      for (let i = 0; i < 50; i++) await flush.wrote(300);
      assert.equal(calls, 12, '15,000 bytes at a flush per 1,000 or more');
      assert.equal(most, 1);
      await flush.settled();
      assert.equal(running, 0);
    } finally {
      await file.close();
    }
  });

  it('a restore flushes each database as it unpacks it, not only at its end', async () => {
    const size = 4 * FLUSH_BYTES + 12345;
    const { id } = await writeLargeArchive(join(dir, 'large.tar.gz'), size, new Date());
    const target = join(dir, 'IRIS.DAT.restored');
    const probe = await open(join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { datasync(): Promise<void> };
    await probe.close();
    const real = proto.datasync;
    const flushedAt: number[] = [];
    proto.datasync = async function (this: { stat(): Promise<{ size: number }> }) {
      flushedAt.push((await this.stat()).size);
      return real.call(this);
    };
    try {
      await readArchive(join(dir, 'large.tar.gz'), { extractTo: () => target });
    } finally {
      proto.datasync = real;
    }
    assert.ok(id);
    assert.equal(statSync(target).size, size);
    assert.ok(flushedAt.length >= 3, `${flushedAt.length} flushes, at ${flushedAt.join(", ")}`);
    assert.ok(flushedAt[0]! < size / 2, `the first flush at ${flushedAt[0]} of ${size} bytes`);
  });
});
