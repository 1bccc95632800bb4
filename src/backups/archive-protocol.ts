/**
 * The messages between the bridge and its archive process (archive-process.ts starts it,
 * archive-child.ts is it): one request, progress while it runs, then its result or its error.
 * Sent with Node's "advanced" serialization (the structured clone), so Maps and plain objects
 * cross as they are.
 */
import type { Digest } from './files.ts';
import type { BackupErrorCode } from './errors.ts';
import type { Manifest } from './manifest.ts';

export type ArchiveRequest =
  | { op: 'write'; path: string; draft: Manifest; staged: Map<string, string>; level: number }
  /** Reads and checks the whole archive; `extractTo` maps a database's name to the new file it is unpacked to. */
  | { op: 'read'; path: string; extractTo?: Map<string, string>; archiveSha256?: string };

export interface WriteResult {
  manifest: Manifest;
  size: number;
}

export interface ReadResult {
  manifest: Manifest;
  /** The archive file's size and SHA-256, hashed in the same read. */
  archive: Digest;
}

/** An error as it crosses: a BackupError keeps its code, a file-system error its errno code (ENOSPC). */
export interface CrossingError {
  message: string;
  backupCode?: BackupErrorCode;
  errno?: string;
}

export type FromArchiveChild =
  | { type: 'progress'; bytes: number }
  | { type: 'done'; result: WriteResult | ReadResult }
  | { type: 'error'; error: CrossingError };

/** Bytes counted in the archive process before they are reported: 64 messages for 512 MB. */
export const PROGRESS_BYTES = 8 << 20;
