/**
 * Writing a file so that a crash, or a reader at the same moment, sees the old content or the new,
 * never part of it: write a temporary file beside it (same file system), then rename over it.
 */
import { chmod, chown, open, rename, rm, writeFile } from 'node:fs/promises';

export interface AtomicWriteOptions {
  /** Permission bits, applied exactly (writeFile's mode is masked by the umask). Default: the umask's. */
  mode?: number;
  /** Owner of the file (IRIS reads some files as irisowner). */
  owner?: { uid: number; gid: number };
  /** fsync before the rename, for files that must survive a power cut (state, journals). */
  durable?: boolean;
  /** Where the temporary file goes when `<path>.tmp` would be seen (a folder users browse). */
  tmp?: string;
}

export async function writeAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const tmp = options.tmp ?? `${path}.tmp`;
  try {
    await writeFile(tmp, data, options.mode === undefined ? {} : { mode: options.mode });
    if (options.mode !== undefined) await chmod(tmp, options.mode);
    if (options.owner) await chown(tmp, options.owner.uid, options.owner.gid);
    if (options.durable) await fsyncPath(tmp);
    await rename(tmp, path);
  } catch (err) {
    // The write's own error is the one to report, not a failure to clean up after it.
    await rm(tmp, { force: true }).catch(() => {});
    throw err;
  }
}

/** fsync: a rename that follows must not publish a file whose bytes are still in the page cache. */
export async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
