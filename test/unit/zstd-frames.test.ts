/**
 * Multi-frame zstd: the reader (src/backups/zstd-frames.ts) against frames the real zstd library
 * makes (Node's zlib), and the writer (src/backups/frame-writer.ts). Every run of whole frames
 * decompresses to its input however it is chunked; every cut, and junk, is refused with a clear
 * error. The writer keeps its frames in order whatever order their compressions finish in, and
 * holds a fixed number of blocks.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { compressFrame, decompressor, zstdAvailable } from '../../src/backups/codec.ts';
import { lanesFor, ZstdFrameWriter } from '../../src/backups/frame-writer.ts';
import { ZstdFrameWalker } from '../../src/backups/zstd-frames.ts';

type Zstd = { zstdCompressSync: (b: Buffer, o: { params: Record<number, number> }) => Buffer; constants: Record<string, number> };
const z = zlib as unknown as Zstd;

/** A frame of text and random data, several blocks long, with or without its checksum. */
const content = (n: number) => Buffer.concat([Buffer.alloc(n, `IRIS.DAT ${n} `), randomBytes(n)]);
const frameOf = (data: Buffer, checksum: boolean) => z.zstdCompressSync(data, { params: { [z.constants.ZSTD_c_checksumFlag!]: checksum ? 1 : 0 } });

const skippable = (n: number) => {
  const s = Buffer.alloc(8 + n, 0x5a);
  s.writeUInt32LE(0x184d2a5e, 0);
  s.writeUInt32LE(n, 4);
  return s;
};

const chunks = (bytes: Buffer, step: number) => {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += step) parts.push(bytes.subarray(i, i + step));
  return parts;
};

/** What the archive reader's zstd stage makes of `bytes`, fed `step` bytes at a time. */
const decompress = async (bytes: Buffer, step: number): Promise<Buffer> => {
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunks(bytes, step)), decompressor('zstd'), async (src: AsyncIterable<Buffer>) => {
    for await (const c of src) out.push(c);
  });
  return Buffer.concat(out);
};

describe('zstd frames: reading', () => {
  it('runs on a Node with zstd', () => assert.ok(zstdAvailable(), `Node.js ${process.version} has no zstd in zlib (22.15 or later has)`));

  const parts = [content(150_000), content(90_000), Buffer.alloc(0), content(200_000)];
  const frames = parts.map((p, i) => frameOf(p, i % 2 === 0));
  // Frames with and without checksums, an empty one, and skippable frames between them.
  const stream = Buffer.concat([frames[0]!, skippable(3), frames[1]!, frames[2]!, skippable(70_000), frames[3]!]);
  const whole = Buffer.concat(parts);

  it('gives every frame, in order, in any chunking, and refuses every cut', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 90_000 }), fc.double({ min: 0, max: 1, noNaN: true }), async (step, cutAt) => {
        assert.ok((await decompress(stream, step)).equals(whole));
        const cut = Math.min(stream.length - 1, Math.floor(stream.length * cutAt));
        // A cut at the end of a frame leaves a shorter stream that is valid zstd (the tar
        // around it notices what is missing); anywhere else the cut is refused here.
        const boundaries = new Set<number>();
        let end = 0;
        for (const piece of [frames[0]!, skippable(3), frames[1]!, frames[2]!, skippable(70_000), frames[3]!]) boundaries.add((end += piece.length));
        if (boundaries.has(cut)) return;
        await assert.rejects(decompress(stream.subarray(0, cut), step), /ends in the middle of its zstd data|holds no zstd frame/);
      }),
      { numRuns: 60 },
    );
  });

  it('reads the frames the real zstd command line writes and a single-frame archive as written before', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iris-edge-zstd-frames-'));
    try {
      const path = join(dir, 'x.zst');
      execFileSync('zstd', ['-q', '-3', '-o', path], { input: whole });
      assert.ok((await decompress(readFileSync(path), 65_536)).equals(whole));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses junk after a frame, a broken block, flipped bytes, and a stream with no frame', async () => {
    await assert.rejects(decompress(Buffer.concat([frames[0]!, Buffer.from('PK\x03\x04')]), 4096), /something that is not zstd/);
    const broken = Buffer.from(frames[1]!);
    // The first block header, after the frame header (RFC 8878 §3.1.1.1), says "reserved type".
    const fhd = broken[4]!;
    const single = (fhd & 0x20) !== 0;
    const firstBlock = 5 + (single ? 0 : 1) + [0, 1, 2, 4][fhd & 3]! + [single ? 1 : 0, 2, 4, 8][fhd >> 6]!;
    broken[firstBlock] = broken[firstBlock]! | 0b110;
    await assert.rejects(decompress(broken, 4096), /invalid block|damaged/);
    // Damage only the decompressor sees: its error ends the stream (zlib never calls back the write).
    for (const at of [0.3, 0.6, 0.95]) {
      const flipped = Buffer.from(stream);
      const i = Math.floor(frames[0]!.length * at);
      flipped[i] = flipped[i]! ^ 0xff;
      await assert.rejects(decompress(flipped, 8192), /checksum|corrupt|damaged|match/i);
    }
    await assert.rejects(decompress(Buffer.alloc(0), 1), /holds no zstd frame/);
    await assert.rejects(decompress(skippable(10), 3), /holds no zstd frame/);
  });
});

describe('zstd frames: writing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'iris-edge-frame-writer-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const frameBytes = 64 << 10;

  /** Writes `data` in pieces of the given sizes through a writer; returns the file and what compress saw. */
  const write = async (name: string, data: Buffer, pieces: number[], lanes: number, compress: (block: Buffer, level: number) => Promise<Buffer>) => {
    const path = join(dir, name);
    const file = await open(path, 'wx');
    try {
      const writer = new ZstdFrameWriter(file, 0, 3, lanes, frameBytes, compress);
      for (let at = 0, i = 0; at < data.length; i++) {
        const n = Math.min(pieces[i % pieces.length]!, data.length - at);
        if (i % 2) await writer.write(data.subarray(at, at + n));
        else {
          // The in-place path, as a file read fills it.
          const room = await writer.room(n);
          data.copy(room, 0, at, at + room.length);
          writer.commit(room.length);
          at += room.length;
          continue;
        }
        at += n;
      }
      assert.equal(await writer.end(), (await file.stat()).size);
    } finally {
      await file.close();
    }
    return readFileSync(path);
  };

  it('compresses on every core up to 3 at once, as DOCS.md says (2 on a 2-core machine)', () => {
    assert.deepEqual([1, 2, 3, 4, 8].map(lanesFor), [1, 2, 3, 3, 3]);
  });

  it('keeps the frames in order when later ones finish first, never has more than `lanes` compressing, and reuses its blocks', async () => {
    const data = content(700_000);
    let running = 0;
    let most = 0;
    const blocks = new Set<ArrayBufferLike>();
    let call = 0;
    // Each compression takes less time than the one before: they finish in reverse order.
    const reversed = async (block: Buffer, level: number) => {
      blocks.add(block.buffer);
      most = Math.max(most, ++running);
      const wait = 40 - 3 * (call++ % 10);
      const frame = await compressFrame(block, level);
      await new Promise((r) => setTimeout(r, wait));
      running -= 1;
      return frame;
    };
    const out = await write('order.zst', data, [10_000, 70_000, 1, 30_000], 3, reversed);
    assert.equal(most, 3);
    assert.ok(blocks.size <= 4, `${blocks.size} blocks for 3 lanes`);
    const walker = new ZstdFrameWalker();
    walker.split(out);
    assert.equal(walker.frames, Math.ceil(data.length / frameBytes));
    // The real zstd reads the frames as one stream, and so does the archive reader.
    assert.ok(execFileSync('zstd', ['-d', '-q', '-c'], { input: out, maxBuffer: 1 << 24 }).equals(data));
    assert.ok((await decompress(out, 50_000)).equals(data));
  });

  it('flushes the file as it grows, one flush at a time, and has flushed everything when it ends', async () => {
    const path = join(dir, 'flushed.zst');
    const file = await open(path, 'wx');
    let running = 0;
    let most = 0;
    const flushedAt: number[] = [];
    // The file's datasync, slowed down: the writer must not start a second one meanwhile.
    const real = file.datasync.bind(file);
    file.datasync = async () => {
      most = Math.max(most, ++running);
      flushedAt.push((await file.stat()).size);
      await new Promise((r) => setTimeout(r, 15));
      await real();
      running -= 1;
    };
    try {
      // Noise, so that each 64 KiB block stays about 64 KiB compressed: flushes every 3 frames.
      const data = randomBytes(40 * frameBytes);
      const writer = new ZstdFrameWriter(file, 0, 3, 2, frameBytes, compressFrame, 3 * frameBytes);
      await writer.write(data);
      const size = await writer.end();
      assert.ok(flushedAt.length >= 10, `${flushedAt.length} flushes while ${size} bytes were written`);
      assert.ok(flushedAt[0]! < size / 4, 'the first flush came early, not at the end');
      assert.equal(most, 1);
      assert.equal(running, 0, 'end() returned before the last flush was done');
    } finally {
      await file.close();
    }
  });

  it('a failed compression fails the write, after the compressions under way have finished', async () => {
    let running = 0;
    const failing = async (block: Buffer, level: number) => {
      running += 1;
      try {
        if (running > 1) throw new Error('no memory for the frame');
        return await compressFrame(block, level);
      } finally {
        await new Promise((r) => setTimeout(r, 20));
        running -= 1;
      }
    };
    const path = join(dir, 'failing.zst');
    const file = await open(path, 'wx');
    const writer = new ZstdFrameWriter(file, 0, 3, 2, frameBytes, failing);
    await assert.rejects(
      (async () => {
        await writer.write(content(300_000));
        await writer.end();
      })(),
      /no memory for the frame/,
    );
    await writer.abandon();
    assert.equal(running, 0);
    await file.close();
  });
});
