/**
 * The archive: a compressed tar (zstd now, gzip before: codec.ts) whose first entry is
 * manifest.json, then one IRIS.DAT per database. tar and a standard codec so that anyone can open
 * a backup with ordinary tools when IRIS Edge is gone. Reading checks everything an archive
 * claims before a byte of it is trusted.
 *
 * Writing reads each staged copy once: its SHA-256 is computed from the very buffers that are
 * compressed. The manifest, which lists those checksums, still comes first: the databases' frames
 * are written after a reserved start, and the manifest's frame goes into it last, the rest of
 * the reserved space being a zstd skippable frame (which every zstd reader passes over).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { compressFrame, decompressor, sniffCodec, zstdBound } from './codec.ts';
import { BackupError } from './errors.ts';
import { HashingStream, type Digest } from './files.ts';
import { ZstdFrameWriter } from './frame-writer.ts';
import { FlushBehind, writeAt } from '../files/flush-behind.ts';
import { MANIFEST_NAME, parseManifest, type Manifest, type ManifestDatabase } from './manifest.ts';
import type { ByteCounter } from './progress.ts';
import { TAR_END, tarHeader, tarPadding } from './tar-header.ts';

const MAX_MANIFEST_BYTES = 1 << 20;
/** Bytes read from a staged copy at a time: each is hashed on the event loop, 1 MiB is about 2 ms. */
const READ_BYTES = 1 << 20;
/** A zstd skippable frame's magic number and size field. */
const SKIPPABLE_MAGIC = 0x184d2a50;
const SKIPPABLE_HEADER = 8;

/** A manifest before its databases are read: sizes known, checksums to be filled in. */
export const UNKNOWN_SHA256 = '0'.repeat(64);

function manifestEntry(m: Manifest): Buffer {
  const json = Buffer.from(JSON.stringify(m, null, 2));
  return Buffer.concat([tarHeader(MANIFEST_NAME, json.length, 0o600, new Date(m.thawedAt)), json, tarPadding(json.length)]);
}

/**
 * Writes the archive of `draft` (its checksums UNKNOWN_SHA256) to `path`, a new file, and flushes
 * it to disk. Returns the manifest with the checksums as the files were read, and the archive's
 * size.
 */
export async function writeArchive(path: string, draft: Manifest, staged: Map<string, string>, level: number, meter?: ByteCounter): Promise<{ manifest: Manifest; size: number }> {
  const mtime = new Date(draft.thawedAt);
  const entry = manifestEntry(draft);
  const reserved = zstdBound(entry.length) + 64 + SKIPPABLE_HEADER;
  const file = await open(path, 'wx', 0o600);
  const writer = new ZstdFrameWriter(file, reserved, level);
  try {
    const sha256 = new Map<string, string>();
    for (const db of draft.databases) {
      const from = staged.get(db.name);
      if (!from) throw new Error(`No staged copy of ${db.name}`);
      await writer.write(tarHeader(db.file, db.size, 0o600, mtime));
      sha256.set(db.name, await archiveFile(writer, from, db.size, meter));
      await writer.write(tarPadding(db.size));
    }
    await writer.write(TAR_END);
    const size = await writer.end();
    const manifest: Manifest = { ...draft, databases: draft.databases.map((d) => ({ ...d, sha256: sha256.get(d.name)! })) };
    await writeStart(file, manifestEntry(manifest), reserved, level);
    await file.sync();
    return { manifest, size };
  } catch (err) {
    await writer.abandon();
    throw err;
  } finally {
    await file.close();
  }
}

/** Copies `size` bytes of the file into the archive, hashing them; returns their SHA-256. */
async function archiveFile(writer: ZstdFrameWriter, path: string, size: number, meter?: ByteCounter): Promise<string> {
  const hash = createHash('sha256');
  const file = await open(path, 'r');
  try {
    for (let at = 0; at < size; ) {
      const room = await writer.room(Math.min(READ_BYTES, size - at));
      const { bytesRead } = await file.read(room, 0, room.length, at);
      if (bytesRead === 0) throw new BackupError('io', `${path} became shorter while it was archived.`);
      const got = room.subarray(0, bytesRead);
      hash.update(got);
      writer.commit(bytesRead);
      meter?.add(bytesRead);
      at += bytesRead;
    }
  } finally {
    await file.close();
  }
  return hash.digest('hex');
}

/** The manifest's frame at the start of the file, then a skippable frame over the rest of the reserved bytes. */
async function writeStart(file: FileHandle, entry: Buffer, reserved: number, level: number): Promise<void> {
  const frame = await compressFrame(entry, level);
  const gap = reserved - frame.length - SKIPPABLE_HEADER;
  // The manifest's length does not change when its checksums are filled in (always 64 hex digits).
  if (gap < 0) throw new Error(`The manifest frame (${frame.length} bytes) does not fit its ${reserved} reserved bytes`);
  const skippable = Buffer.alloc(SKIPPABLE_HEADER);
  skippable.writeUInt32LE(SKIPPABLE_MAGIC, 0);
  skippable.writeUInt32LE(gap, 4);
  // The gap itself was never written: the file reads zeros there.
  await writeAt(file, Buffer.concat([frame, skippable]), 0);
}

export interface ReadOptions {
  /** Where to write a database's bytes while they are checked; undefined = check only. */
  extractTo?: (db: ManifestDatabase) => string | undefined;
  meter?: ByteCounter;
  /** Stop after the manifest (a restore plan needs nothing else); nothing else is checked then. */
  manifestOnly?: boolean;
  /** The archive file's SHA-256 is expected to be this (the one recorded when it was written). */
  archiveSha256?: string;
  /** Receives the archive file's size and SHA-256, hashed in the same read. */
  archiveDigest?: (d: Digest) => void;
}

/** Writes an entry to `target`, a new file, flushed to disk as it is written and at its end. */
async function extractFile(entry: AsyncIterable<unknown>, hashing: HashingStream, target: string): Promise<void> {
  const file = await open(target, 'wx', 0o600);
  try {
    await pipeline(entry, hashing, async (src: AsyncIterable<Buffer>) => {
      const flush = new FlushBehind(file);
      let at = 0;
      for await (const chunk of src) {
        await writeAt(file, chunk, at);
        at += chunk.length;
        await flush.wrote(chunk.length);
      }
      await flush.settled();
      await file.sync();
    });
  } finally {
    await file.close();
  }
}

function damaged(err: unknown): BackupError {
  if (err instanceof BackupError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOSPC') return new BackupError('no-space', 'The disk is full while unpacking the backup. Free some space and try again.', { cause: err });
  if (e?.code?.startsWith?.('Z_') || e?.code?.startsWith?.('ZSTD_') || /unexpected end|incorrect header|invalid|header check|checksum|corrupt|truncated|unknown frame|frame/i.test(e?.message ?? '')) {
    return new BackupError('bad-archive', `The archive is damaged (its compression or tar structure is broken): ${e.message}.`, { cause: err });
  }
  return new BackupError('io', `Could not read the archive: ${e?.message ?? String(err)}`, { cause: err });
}

/**
 * Reads the whole archive: the manifest must come first and be valid, every other entry must be a
 * database file the manifest lists, with its size and SHA-256, and every listed file must be there.
 */
export async function readArchive(path: string, options: ReadOptions = {}): Promise<Manifest> {
  const extract = tar.extract();
  const stop = new AbortController();
  let manifest: Manifest | undefined;
  const seen = new Set<string>();

  extract.on('entry', (header, stream, next) => {
    // The one rule for entry streams: their errors are always handled. A refused entry is never
    // read; the extractor tears it down with an error, which must not become an uncaught
    // 'error' event that ends the process. What went wrong reaches the caller through next(err).
    stream.on('error', () => {});
    const handle = async () => {
      if (!manifest) {
        if (header.name !== MANIFEST_NAME) {
          throw new BackupError('bad-archive', `This is not an IRIS Edge backup: its first entry is "${header.name.slice(0, 80)}", not ${MANIFEST_NAME}.`);
        }
        if (header.type !== 'file' || (header.size ?? 0) > MAX_MANIFEST_BYTES) {
          throw new BackupError('bad-archive', `This is not an IRIS Edge backup: its ${MANIFEST_NAME} is ${header.type !== 'file' ? `a ${header.type}, not a file` : `${header.size} bytes, over the 1 MB a manifest may have`}.`);
        }
        const chunks: Buffer[] = [];
        for await (const c of stream) chunks.push(c as Buffer);
        manifest = parseManifest(Buffer.concat(chunks));
        if (options.manifestOnly) stop.abort();
        return;
      }
      const db = manifest.databases.find((d) => d.file === header.name);
      if (!db || header.type !== 'file') throw new BackupError('bad-archive', `The archive holds "${header.name.slice(0, 120)}", which its manifest does not list.`);
      if (seen.has(db.file)) throw new BackupError('bad-archive', `The archive holds ${db.file} twice.`);
      seen.add(db.file);
      if (header.size !== db.size) throw new BackupError('checksum', `${db.file} is ${header.size} bytes in the archive but ${db.size} in the manifest.`);
      const h = new HashingStream(options.meter ? (n) => options.meter!.add(n) : undefined);
      const target = options.extractTo?.(db);
      if (target) await extractFile(stream, h, target);
      else await pipeline(stream, h, async (src: AsyncIterable<Buffer>) => { for await (const _ of src); });
      if (h.digest().sha256 !== db.sha256) throw new BackupError('checksum', `${db.file} does not match its SHA-256 checksum: the archive is damaged.`);
    };
    handle().then(() => next(), (err: unknown) => next(err as Error));
  });

  const whole = new HashingStream();
  try {
    const codec = await sniffCodec(path);
    await pipeline([createReadStream(path, { highWaterMark: 1 << 20 }), whole, decompressor(codec), extract], { signal: stop.signal });
  } catch (err) {
    if (!(stop.signal.aborted && manifest)) throw damaged(err);
  }
  if (!manifest) throw new BackupError('bad-archive', 'The archive is empty: it holds no manifest.');
  const m: Manifest = manifest;
  if (options.manifestOnly) return m;
  const missing = m.databases.filter((d) => !seen.has(d.file));
  if (missing.length) throw new BackupError('bad-archive', `The archive ends before ${missing.map((d) => d.file).join(', ')}: it is incomplete.`);
  const file = whole.digest();
  if (options.archiveSha256 && file.sha256 !== options.archiveSha256) {
    throw new BackupError('checksum', 'The archive file does not match the SHA-256 recorded when it was written: it was changed or damaged since.');
  }
  options.archiveDigest?.(file);
  return m;
}

