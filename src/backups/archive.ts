/**
 * The archive: a compressed tar (zstd now, gzip before: codec.ts) whose first entry is
 * manifest.json, then one IRIS.DAT per database. tar and a standard codec so that anyone can open
 * a backup with ordinary tools when IRIS Edge is gone. Reading checks everything an archive
 * claims before a byte of it is trusted.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { compressor, decompressor, sniffCodec, type Codec } from './codec.ts';
import { BackupError } from './errors.ts';
import { fsyncPath } from '../files/atomic-write.ts';
import { CountingStream, HashingStream, type Digest } from './files.ts';
import { MANIFEST_NAME, parseManifest, type Manifest, type ManifestDatabase } from './manifest.ts';
import type { ProgressMeter } from './progress.ts';

const MAX_MANIFEST_BYTES = 1 << 20;

/**
 * Writes the archive to `path` (a new file) and flushes it to disk. Returns the size and SHA-256
 * of the archive file, hashed as it is written, so that no later step has to read it for that.
 */
export async function writeArchive(path: string, manifest: Manifest, staged: Map<string, string>, codec: Codec, meter?: ProgressMeter, zstdLevel?: number): Promise<Digest> {
  const pack = tar.pack();
  const mtime = new Date(manifest.thawedAt);
  const archive = new HashingStream();
  const written = pipeline(pack, compressor(codec, zstdLevel), archive, createWriteStream(path, { mode: 0o600, flags: 'wx' }));
  const feed = async () => {
    const json = Buffer.from(JSON.stringify(manifest, null, 2));
    pack.entry({ name: MANIFEST_NAME, size: json.length, mode: 0o600, mtime }, json);
    for (const db of manifest.databases) {
      const from = staged.get(db.name);
      if (!from) throw new Error(`No staged copy of ${db.name}`);
      const entry = pack.entry({ name: db.file, size: db.size, mode: 0o600, mtime });
      await pipeline(createReadStream(from, { highWaterMark: 1 << 20 }), new CountingStream((n) => meter?.add(n)), entry);
    }
    pack.finalize();
  };
  try {
    await Promise.all([written, feed()]);
  } catch (err) {
    pack.destroy();
    throw err;
  }
  await fsyncPath(path);
  return archive.digest();
}

export interface ReadOptions {
  /** Where to write a database's bytes while they are checked; undefined = check only. */
  extractTo?: (db: ManifestDatabase) => string | undefined;
  meter?: ProgressMeter;
  /** Stop after the manifest (a restore plan needs nothing else); nothing else is checked then. */
  manifestOnly?: boolean;
  /** The archive file's SHA-256 is expected to be this (the one recorded when it was written). */
  archiveSha256?: string;
  /** Receives the archive file's size and SHA-256, hashed in the same read. */
  archiveDigest?: (d: Digest) => void;
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
      if (target) await pipeline(stream, h, createWriteStream(target, { mode: 0o600, flags: 'wx' }));
      else await pipeline(stream, h, async (src: AsyncIterable<Buffer>) => { for await (const _ of src); });
      if (h.digest().sha256 !== db.sha256) throw new BackupError('checksum', `${db.file} does not match its SHA-256 checksum: the archive is damaged.`);
      if (target) await fsyncPath(target);
    };
    handle().then(() => next(), (err: unknown) => next(err as Error));
  });

  const whole = new HashingStream();
  try {
    const codec = await sniffCodec(path);
    await pipeline([createReadStream(path, { highWaterMark: 1 << 20 }), whole, ...decompressor(codec), extract], { signal: stop.signal });
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

