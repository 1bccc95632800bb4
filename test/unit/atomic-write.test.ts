// files/atomic-write.ts: the old content or the new, never part of it, and nothing left behind.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { writeAtomic } from '../../src/files/atomic-write.ts';

const dir = mkdtempSync(join(tmpdir(), 'iris-edge-atomic-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('writeAtomic', () => {
  it('replaces a file with exactly the mode asked for, whatever the umask', () => {
    const path = join(dir, 'a.json');
    writeFileSync(path, 'old', { mode: 0o644 });
    const umask = process.umask(0o077);
    return writeAtomic(path, 'new', { mode: 0o640, durable: true }).finally(() => process.umask(umask)).then(() => {
      assert.equal(readFileSync(path, 'utf8'), 'new');
      assert.equal(statSync(path).mode & 0o777, 0o640);
      assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('a.json')), ['a.json']);
    });
  });

  it('keeps the old content and leaves no temporary file when the write fails', async () => {
    const path = join(dir, 'b.json');
    writeFileSync(path, 'old');
    // A directory where the temporary file should go: writing it fails.
    mkdirSync(join(dir, 'b.json.tmp.d'));
    await assert.rejects(writeAtomic(path, 'new', { tmp: join(dir, 'b.json.tmp.d') }));
    assert.equal(readFileSync(path, 'utf8'), 'old');
  });

  it('removes its temporary file when the rename fails', async () => {
    const target = join(dir, 'c-dir');
    mkdirSync(join(target, 'not-empty'), { recursive: true });
    // rename() of a file over a non-empty directory fails after the temporary file was written.
    await assert.rejects(writeAtomic(target, 'x', { tmp: join(dir, 'c.tmp') }));
    assert.deepEqual(readdirSync(dir).filter((n) => n === 'c.tmp'), []);
  });
});
