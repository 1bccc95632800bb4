/**
 * The ustar headers the archive writer makes (src/backups/tar-header.ts), read back by GNU tar and
 * by tar-stream (the archive reader): names, sizes, modes and times as written, the base-256 size
 * of a database of 8 GiB or more, and a name too long for ustar refused rather than cut.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import tar from 'tar-stream';
import { TAR_END, tarHeader, tarPadding } from '../../src/backups/tar-header.ts';

/** The first header tar-stream reads from `bytes`; the entry's body is not needed. */
const firstHeader = (bytes: Buffer) =>
  new Promise<tar.Header>((resolve, reject) => {
    const extract = tar.extract();
    extract.on('entry', (header, stream) => {
      resolve(header);
      stream.resume();
      extract.destroy();
    });
    extract.on('error', reject);
    Readable.from([bytes]).pipe(extract);
  });

describe('tar headers', () => {
  const mtime = new Date('2026-12-03T06:30:00Z');

  it('makes a tar that GNU tar and tar-stream read as written', async () => {
    const body = Buffer.from('{"format":"iris-edge-backup"}');
    const name = 'databases/IRISSECURITY/IRIS.DAT';
    const archive = Buffer.concat([tarHeader(name, body.length, 0o600, mtime), body, tarPadding(body.length), TAR_END]);
    assert.equal(archive.length % 512, 0);
    const listing = execFileSync('tar', ['--utc', '-tvf', '-'], { input: archive }).toString();
    assert.match(listing, new RegExp(`^-rw------- 0/0 +${body.length} 2026-12-03 06:30 ${name}\\n$`));
    assert.equal(execFileSync('tar', ['-xOf', '-', name], { input: archive }).toString(), body.toString());
    const h = await firstHeader(archive);
    assert.deepEqual([h.name, h.size, h.mode, h.type, h.mtime?.getTime()], [name, body.length, 0o600, 'file', mtime.getTime()]);
  });

  it('writes a size of 8 GiB or more in base-256, which both readers take', async () => {
    for (const size of [8 ** 11 - 1, 8 ** 11, 3 * 2 ** 40 + 12345]) {
      const header = tarHeader('databases/ORDERS/IRIS.DAT', size, 0o600, mtime);
      assert.equal(header[124] === 0x80, size >= 8 ** 11, `size ${size}`);
      assert.equal((await firstHeader(header)).size, size);
      // GNU tar lists the entry before noticing its body is missing.
      let listing = '';
      try {
        execFileSync('tar', ['-tvf', '-'], { input: header, stdio: ['pipe', 'pipe', 'ignore'] });
      } catch (err) {
        listing = String((err as { stdout: Buffer }).stdout);
      }
      assert.match(listing, new RegExp(` ${size} `));
    }
  });

  it('refuses a name longer than ustar holds instead of cutting it', () => {
    assert.throws(() => tarHeader(`databases/${'X'.repeat(100)}/IRIS.DAT`, 1, 0o600, mtime), /over 100 bytes/);
  });
});
