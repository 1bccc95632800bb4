/**
 * Reads one IPM package archive (.tgz, as `zpm package` makes it and IPM's `load <file>.tgz`
 * takes it: intersystems/ipm src/cls/IPM/Main.cls Load extracts it with %IPM.General.Archive and
 * uses the top-level module.xml) without extracting anything: the archive is streamed through
 * gunzip and a tar reader, every entry is looked at and only module.xml is kept.
 *
 * An archive is a file a user dropped in a folder, so it is read as hostile: a size cap on the
 * file, on what it unpacks to (a gzip bomb stops at the cap), on the number of entries and on
 * module.xml; an entry that would land outside the extraction folder (absolute, "..") or that is
 * a link or a device is refused, since IPM would extract it; and the whole read has a deadline.
 * Gunzip runs in libuv's thread pool; the event loop only sees 512-byte tar headers.
 */
import { createReadStream } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { parseModuleManifest, ManifestError, type ModuleManifest } from './module-manifest.ts';

export interface ArchiveLimits {
  /** The .tgz file itself; default 64 MiB (as for a registry's archive). */
  maxArchiveBytes: number;
  /** Everything it unpacks to; default 256 MiB. */
  maxUnpackedBytes: number;
  maxEntries: number;
  /** module.xml; default 256 KiB (IPM's own is under 20 KiB). */
  maxManifestBytes: number;
  timeoutMs: number;
}

export const ARCHIVE_LIMITS: ArchiveLimits = { maxArchiveBytes: 64 * 1024 * 1024, maxUnpackedBytes: 256 * 1024 * 1024, maxEntries: 20_000, maxManifestBytes: 256 * 1024, timeoutMs: 30_000 };

export class ArchiveError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ArchiveError';
  }
}

/** Where an entry lands relative to the extraction folder, or null when it would leave it. */
function entryPath(name: string): string[] | null {
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name) || name.includes('\\') || name.includes('\u0000')) return null;
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  return parts.includes('..') ? null : parts;
}

/** module.xml's metadata from the archive at `file`; an ArchiveError says what is wrong with it. */
export async function readArchiveManifest(file: string, limits: ArchiveLimits = ARCHIVE_LIMITS): Promise<ModuleManifest> {
  const st = await lstat(file);
  if (!st.isFile()) throw new ArchiveError('it is not a plain file (a link or a folder is not read)');
  if (st.size > limits.maxArchiveBytes) throw new ArchiveError(`it is larger than ${Math.round(limits.maxArchiveBytes / 1024 / 1024)} MiB`);
  // IPM uses the top-level module.xml: the one with the fewest folders above it.
  let best: { depth: number; text: string } | undefined;
  let entries = 0;
  let unpacked = 0;
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    const fail = (message: string) => {
      // The pipeline reports the error once; the entry's own stream is torn down with it.
      stream.on('error', () => {});
      stream.resume();
      extract.destroy(new ArchiveError(message));
    };
    entries++;
    if (entries > limits.maxEntries) return fail(`it has more than ${limits.maxEntries} entries`);
    const parts = entryPath(header.name);
    if (!parts) return fail(`its entry ${JSON.stringify(header.name.slice(0, 120))} would be written outside the folder IPM extracts it to`);
    if (header.type !== 'file' && header.type !== 'directory') return fail(`its entry ${JSON.stringify(header.name.slice(0, 120))} is a ${header.type}, which a package archive has no use for`);
    unpacked += header.size ?? 0;
    if (unpacked > limits.maxUnpackedBytes) return fail(`it unpacks to more than ${Math.round(limits.maxUnpackedBytes / 1024 / 1024)} MiB`);
    const isManifest = header.type === 'file' && parts.at(-1)?.toLowerCase() === 'module.xml' && (!best || parts.length - 1 < best.depth);
    if (!isManifest) {
      stream.on('end', next);
      stream.resume();
      return;
    }
    if ((header.size ?? 0) > limits.maxManifestBytes) return fail(`its module.xml is larger than ${Math.round(limits.maxManifestBytes / 1024)} KiB`);
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => chunks.push(c as Buffer));
    stream.on('end', () => {
      best = { depth: parts.length - 1, text: Buffer.concat(chunks).toString('utf8') };
      next();
    });
  });
  const gunzip = createGunzip();
  let inflated = 0;
  gunzip.on('data', (c: Buffer) => {
    inflated += c.length;
    // Tar padding and headers count too: the bomb is stopped here even if the headers lie.
    if (inflated > limits.maxUnpackedBytes + 1024 * 1024) gunzip.destroy(new ArchiveError(`it unpacks to more than ${Math.round(limits.maxUnpackedBytes / 1024 / 1024)} MiB`));
  });
  try {
    await pipeline(createReadStream(file), gunzip, extract, { signal: AbortSignal.timeout(limits.timeoutMs) });
  } catch (e) {
    if (e instanceof ArchiveError) throw e;
    const err = e as Error & { code?: string };
    if (err.name === 'AbortError' || err.name === 'TimeoutError') throw new ArchiveError(`it could not be read within ${Math.round(limits.timeoutMs / 1000)} s`, { cause: e });
    if (err.code?.startsWith('Z_')) throw new ArchiveError('it is not a gzip-compressed archive (.tgz), or it is damaged', { cause: e });
    throw new ArchiveError(`it is not a tar archive IPM can read (${err.message.slice(0, 120)})`, { cause: e });
  }
  if (!best) throw new ArchiveError('it has no module.xml (IPM says "No module.xml file found in archive.")');
  try {
    return parseModuleManifest(best.text);
  } catch (e) {
    if (e instanceof ManifestError) throw new ArchiveError(e.message, { cause: e });
    throw e;
  }
}
