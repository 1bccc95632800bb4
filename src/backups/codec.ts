/**
 * The compression around an archive's tar. New archives are zstd (`.tar.zst`), written as
 * independent frames compressed in parallel (frame-writer.ts): on the backup bench's data that
 * writes several times faster than gzip -6 and reads about 3 times faster, at a slightly smaller
 * size. Archives made before are gzip (`.tar.gz`) and are still read. Which one a file is comes
 * from its first bytes, never its name, so a renamed or uploaded archive is read right.
 *
 * zstd is in Node's zlib from 22.15 (experimental there, and missing from @types/node 20): the
 * few functions used are declared here and looked up at run time. package.json asks for 22.15 or
 * later; on an older Node a backup, and reading a zstd archive, are refused with the reason.
 */
import { open } from 'node:fs/promises';
import type { Transform } from 'node:stream';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { BackupError } from './errors.ts';
import { ZstdFramesDecompressor } from './zstd-frames.ts';

export type Codec = 'zstd' | 'gzip';

export const EXTENSIONS: Record<Codec, string> = { zstd: '.tar.zst', gzip: '.tar.gz' };
export const MEDIA_TYPES: Record<Codec, string> = { zstd: 'application/zstd', gzip: 'application/gzip' };

/**
 * zstd level 3 (zstd's own default, what `tar --zstd` uses), measured with bench/backup.ts and
 * in memory on its half random, half text-like blocks, on this project's 2-core x86 machine:
 * level 1 compresses at 400-470 MB/s to 69.3 %, level 2 at 200-370 MB/s to 67.9 %, level 3 at
 * 190-290 MB/s to 66.9 %, against gzip -6 (`tar -czf`) at 37-50 MB/s to 67.8 %. Level 3 is the
 * lowest that is no larger than `tar -czf`. On a Raspberry Pi (estimated, not measured: a Pi 4's
 * Cortex-A72 core is about 3-4x slower than this machine's) that is roughly 50-90 MB/s, above
 * what an SD card writes; a Pi with a USB 3 SSD would write faster at level 1, for a 3-4 %
 * larger archive.
 */
export const ZSTD_LEVEL = 3;
/**
 * The safety backup inside a restore: level 1. It is 60 % of a restore's time, a restore is
 * waited for, and the archive is 3-4 % larger (measured as above), which matters less for a copy
 * kept only in case the restore has to be undone.
 */
export const ZSTD_LEVEL_SAFETY = 1;
/**
 * Output buffer of a (de)compressor. Node's default (16 KB) makes every 16 KB a trip to the thread
 * pool and back: measured, zstd then ran at a quarter of its speed (180 instead of 750 MB/s).
 */
const CHUNK = 1 << 20;

type Callback = (err: Error | null, out: Buffer) => void;
interface ZstdZlib {
  zstdCompress?: (input: Buffer, options: { params: Record<number, number>; chunkSize: number }, done: Callback) => void;
  createZstdDecompress?: (options: { chunkSize: number }) => Transform;
  constants: { ZSTD_c_compressionLevel?: number; ZSTD_c_checksumFlag?: number };
}
const z = zlib as unknown as ZstdZlib;

export function zstdAvailable(): boolean {
  return typeof z.zstdCompress === 'function' && typeof z.createZstdDecompress === 'function' && z.constants.ZSTD_c_compressionLevel !== undefined;
}

const noZstd = () =>
  new BackupError(
    'bad-archive',
    `This backup is compressed with zstd, which this Node.js (${process.version}) cannot read; Node.js 22.15 or later can. ` +
      'Outside IRIS Edge, `tar --zstd -xf` or `zstd -d` open it.',
  );

/** The most a zstd frame of `n` bytes can take (ZSTD_COMPRESSBOUND of zstd.h). */
export const zstdBound = (n: number) => n + (n >>> 8) + (n < 128 << 10 ? ((128 << 10) - n) >>> 11 : 0);

/** One whole zstd frame of `block`, compressed on the thread pool. */
export function compressFrame(block: Buffer, level: number): Promise<Buffer> {
  if (!zstdAvailable()) return Promise.reject(new BackupError('io', `This Node.js (${process.version}) has no zstd to write a backup with; Node.js 22.15 or later has.`));
  const params: Record<number, number> = { [z.constants.ZSTD_c_compressionLevel!]: level };
  // The frame's own checksum lets `zstd -t` (no IRIS Edge needed) tell a damaged archive.
  if (z.constants.ZSTD_c_checksumFlag !== undefined) params[z.constants.ZSTD_c_checksumFlag] = 1;
  // Room for the whole frame in one output buffer: one trip to the thread pool, not one per 16 KB.
  return promisify(z.zstdCompress!)(block, { params, chunkSize: zstdBound(block.length) + 64 });
}

/** The stream that turns an archive's bytes into its tar. */
export function decompressor(codec: Codec): Transform {
  if (codec === 'gzip') return zlib.createGunzip({ chunkSize: CHUNK });
  if (!zstdAvailable()) throw noZstd();
  return new ZstdFramesDecompressor(() => z.createZstdDecompress!({ chunkSize: CHUNK }));
}

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

/** The codec of an archive file, from its first bytes; BackupError('bad-archive') when it is neither. */
export async function sniffCodec(path: string): Promise<Codec> {
  const fh = await open(path, 'r');
  let head: Buffer;
  try {
    const buf = Buffer.alloc(4);
    const { bytesRead } = await fh.read(buf, 0, 4, 0);
    head = buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  if (head.length >= 4 && head.equals(ZSTD_MAGIC)) return 'zstd';
  if (head.length >= 2 && head.subarray(0, 2).equals(GZIP_MAGIC)) return 'gzip';
  if (head.length === 0) throw new BackupError('bad-archive', 'The archive is empty.');
  throw new BackupError('bad-archive', 'This is not an IRIS Edge backup: it is damaged or not a zstd (.tar.zst) or gzip (.tar.gz) compressed tar.');
}
