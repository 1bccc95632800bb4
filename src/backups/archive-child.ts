/**
 * The archive process: writes or reads one backup archive for the bridge (archive-process.ts),
 * then exits. The bulk of a backup or a restore runs here, not in the bridge: hundreds of MB go
 * through zstd's output buffers and the checksums here, with glibc's own allocator thresholds,
 * while the bridge keeps the fixed ones its idle memory needs (bridge/run says why both).
 */
import { readArchive, writeArchive } from './archive.ts';
import { BackupError } from './errors.ts';
import type { Digest } from './files.ts';
import type { ByteCounter } from './progress.ts';
import { PROGRESS_BYTES, type ArchiveRequest, type CrossingError, type FromArchiveChild, type ReadResult, type WriteResult } from './archive-protocol.ts';

// The bridge is gone (it stopped or crashed): nobody waits for this archive any more. What it
// leaves in the backup store's work directory is emptied when the bridge starts again.
process.on('disconnect', () => process.exit(1));

function send(message: FromArchiveChild): Promise<void> {
  return new Promise((resolve) => process.send!(message, undefined, {}, () => resolve()));
}

function crossing(err: unknown): CrossingError {
  if (err instanceof BackupError) return { message: err.message, backupCode: err.code };
  const e = err as NodeJS.ErrnoException;
  return { message: e?.message ?? String(err), ...(typeof e?.code === 'string' ? { errno: e.code } : {}) };
}

async function serve(req: ArchiveRequest): Promise<WriteResult | ReadResult> {
  let unreported = 0;
  const meter: ByteCounter = {
    add(bytes: number) {
      unreported += bytes;
      if (unreported < PROGRESS_BYTES) return;
      void send({ type: 'progress', bytes: unreported });
      unreported = 0;
    },
  };
  const result = await (req.op === 'write' ? writeArchive(req.path, req.draft, req.staged, req.level, meter) : readWhole(req, meter));
  if (unreported) await send({ type: 'progress', bytes: unreported });
  return result;
}

async function readWhole(req: Extract<ArchiveRequest, { op: 'read' }>, meter: ByteCounter): Promise<ReadResult> {
  let archive: Digest | undefined;
  const extractTo = req.extractTo;
  const manifest = await readArchive(req.path, {
    meter,
    archiveSha256: req.archiveSha256,
    archiveDigest: (d) => (archive = d),
    ...(extractTo ? { extractTo: (db) => extractTo.get(db.name) } : {}),
  });
  return { manifest, archive: archive! };
}

process.once('message', (req: ArchiveRequest) => {
  serve(req).then(
    (result) => send({ type: 'done', result }),
    (err: unknown) => send({ type: 'error', error: crossing(err) }),
  ).then(() => process.exit(0));
});
