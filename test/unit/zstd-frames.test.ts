/**
 * The zstd frame check (src/backups/zstd-frames.ts) against frames the real zstd library makes
 * (Node's zlib): every whole frame passes however it is chunked; every cut, extra frame or junk
 * is refused with a clear error.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { zstdAvailable } from '../../src/backups/codec.ts';
import { ZstdFrameCheck } from '../../src/backups/zstd-frames.ts';

type Zstd = { zstdCompressSync: (b: Buffer, o: { params: Record<number, number> }) => Buffer; constants: Record<string, number> };
const z = zlib as unknown as Zstd;

/** A frame of text and random data, several blocks long, with or without its checksum. */
const frame = (checksum: boolean) =>
  z.zstdCompressSync(Buffer.concat([Buffer.alloc(300_000, 'IRIS.DAT '), randomBytes(300_000)]), { params: { [z.constants.ZSTD_c_checksumFlag!]: checksum ? 1 : 0 } });

const check = async (bytes: Buffer, step: number) => {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += step) parts.push(bytes.subarray(i, i + step));
  await pipeline(Readable.from(parts), new ZstdFrameCheck(), async (src: AsyncIterable<Buffer>) => {
    for await (const _ of src);
  });
};

describe('ZstdFrameCheck', () => {
  it('runs on a Node with zstd', () => assert.ok(zstdAvailable(), `Node.js ${process.version} has no zstd in zlib (22.15 or later has)`));

  const frames = [frame(true), frame(false)];
  it('passes whole frames in any chunking and refuses every cut', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 1, max: 70_000 }), fc.double({ min: 0, max: 1, noNaN: true }), async (which, step, cutAt) => {
        const f = frames[which]!;
        await check(f, step);
        const cut = Math.min(f.length - 1, Math.floor(f.length * cutAt));
        await assert.rejects(check(f.subarray(0, cut), step), /ends in the middle of its zstd data|no complete|holds 0 zstd frames/);
      }),
      { numRuns: 60 },
    );
  });

  it('refuses a second frame with data and junk after the frame; takes empty frames after it and skippable frames', async () => {
    const f = frames[0]!;
    await assert.rejects(check(Buffer.concat([f, f]), 4096), /holds 2 zstd frames with data/);
    // What Node's compressor appends when the stream ends as its last chunk is compressed.
    const empty = z.zstdCompressSync(Buffer.alloc(0), { params: { [z.constants.ZSTD_c_checksumFlag!]: 1 } });
    await check(Buffer.concat([f, empty, empty]), 5);
    await assert.rejects(check(Buffer.concat([f, Buffer.from('PK\x03\x04')]), 4096), /something that is not zstd/);
    const skippable = Buffer.alloc(8 + 5);
    skippable.writeUInt32LE(0x184d2a5e, 0);
    skippable.writeUInt32LE(5, 4);
    await check(Buffer.concat([skippable, f]), 3);
    await assert.rejects(check(Buffer.alloc(0), 1), /holds 0 zstd frames/);
  });
});
