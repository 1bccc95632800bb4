/**
 * Writing and reading whole backup archives in a process of their own (archive-child.ts), one per
 * archive. The bridge runs with glibc's mmap and trim thresholds fixed at 64 KiB, which keeps its
 * idle memory steady (bridge/run): every block of 64 KiB or more is then mapped afresh, and an
 * archive's hundreds of MB pass through such blocks (zstd's contexts and output buffers, file
 * chunks), each page faulted in and zeroed by the kernel. Measured on 256 MB of the backup bench's
 * data: decompressing took 0.9-1.0 s with the fixed thresholds against 0.4-0.5 s with glibc's
 * own, 116,000 page faults against 1,700-11,000. So the archive process runs with glibc's own
 * thresholds, and what it allocates goes back whole when it exits; the bridge's event loop does
 * not hash the archive's bytes either. The price is starting Node once per archive.
 *
 * Reading only an archive's manifest (a restore's plan) stays in the bridge: it stops after a few
 * KB.
 */
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { entryUrl, installOf } from '../model/install-dir.ts';
import { BackupError } from './errors.ts';
import type { ByteCounter } from './progress.ts';
import type { ArchiveRequest, CrossingError, FromArchiveChild, ReadResult, WriteResult } from './archive-protocol.ts';
import type { Manifest } from './manifest.ts';

/** The bridge's environment without the allocator thresholds bridge/run fixes for the bridge alone. */
export function archiveProcessEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { MALLOC_MMAP_THRESHOLD_: _mmap, MALLOC_TRIM_THRESHOLD_: _trim, ...rest } = env;
  return rest;
}

/** The error the archive process ended with, as the bridge's callers expect it. */
function revive(e: CrossingError): Error {
  if (e.backupCode) return new BackupError(e.backupCode, e.message);
  return Object.assign(new Error(e.message), e.errno ? { code: e.errno } : {});
}

/**
 * Archive processes at once: a backup or restore job and an upload. Each takes 119-163 MB while
 * it works (512 MB of databases on the bench machine), so uploads sent together wait their turn
 * instead of starting one process each.
 */
export const MAX_ARCHIVE_PROCESSES = 2;
let running = 0;
const waiting: (() => void)[] = [];

/** Waits for a free place, in the order asked. */
async function place(): Promise<void> {
  if (running < MAX_ARCHIVE_PROCESSES) running++;
  else await new Promise<void>((resolve) => waiting.push(resolve));
}

/** Gives the place to the next archive waiting, if any. */
function leave(): void {
  const next = waiting.shift();
  if (next) next();
  else running--;
}

/** What a crashed process said: its error's line (Node ends its report with its own version). */
const errorLine = (stderr: string) => (/^\w*Error\b.*$/m.exec(stderr)?.[0] ?? stderr.trim().split('\n').at(-1) ?? '').slice(0, 300);

async function run<T>(req: ArchiveRequest, meter?: ByteCounter): Promise<T> {
  await place();
  try {
    return await runChild<T>(req, meter);
  } finally {
    leave();
  }
}

function runChild<T>(req: ArchiveRequest, meter?: ByteCounter): Promise<T> {
  const install = installOf(import.meta.url, existsSync);
  // A .ts child needs tsx's loader, a built one nothing; never the parent's execArgv (under
  // `node --test` it would make the child a test runner, and the bridge's V8 flags are for it).
  const execArgv = install.fromSources ? ['--import', import.meta.resolve('tsx')] : [];
  return new Promise((resolve, reject) => {
    const child = fork(entryUrl(install, 'backups/archive-child'), [], {
      execArgv,
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: archiveProcessEnv(process.env),
    });
    let stderr = '';
    let outcome: { result: T } | { error: Error } | undefined;
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + String(d)).slice(-4000)));
    child.on('message', (m: FromArchiveChild) => {
      if (m.type === 'progress') meter?.add(m.bytes);
      else if (m.type === 'done') outcome = { result: m.result as T };
      else outcome = { error: revive(m.error) };
    });
    // Settled once the process is gone, so that no archive process outlives the work it did.
    child.on('close', (code, signal) => {
      if (outcome && 'result' in outcome) resolve(outcome.result);
      else if (outcome) reject(outcome.error);
      else {
        const why = errorLine(stderr);
        reject(new BackupError('io', `The archive process stopped before it finished (${signal ?? `exit code ${code}`})${why ? `: ${why}` : ''}.`));
      }
    });
    child.on('error', (err) => {
      outcome ??= { error: new BackupError('io', `Could not start the archive process: ${err.message}`, { cause: err }) };
    });
    child.send(req);
  });
}

/** writeArchive (archive.ts) in the archive process. */
export function writeArchiveApart(path: string, draft: Manifest, staged: Map<string, string>, level: number, meter?: ByteCounter): Promise<WriteResult> {
  return run({ op: 'write', path, draft, staged, level }, meter);
}

/** readArchive (archive.ts) of the whole archive in the archive process: the manifest, and the archive file's digest. */
export function readArchiveApart(path: string, options: { extractTo?: Map<string, string>; archiveSha256?: string; meter?: ByteCounter } = {}): Promise<ReadResult> {
  const { meter, ...rest } = options;
  return run({ op: 'read', path, ...rest }, meter);
}
