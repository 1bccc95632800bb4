/**
 * Finishing a restore that a crash interrupted after IRIS was started on the restored files
 * (journal phase "started"): those files stay, since a rollback would lose what IRIS wrote to them
 * since. What is left is the safety backup of the files the swap set aside and the commit that
 * deletes them. The backup service runs this as a job when it starts, before any other job can
 * begin; if it fails, the journal and the previous files stay for the next start.
 */
import { BackupError } from './errors.ts';
import type { Job } from './job.ts';
import type { BackupWork } from './make-backup.ts';
import { previousFiles, type PendingRestore } from './restore.ts';
import { safetyBackup } from './safety-backup.ts';

export async function finishRestore(w: BackupWork, job: Job, pending: PendingRestore): Promise<void> {
  const { id, items, safety } = pending;
  let safetyId: string;
  try {
    const record = await job.step(
      `Finish the restore of ${id}: safety backup of the replaced databases`,
      () => safetyBackup(w, job, safety, items, new Date(safety.stoppedAt)),
      (r) => r.id,
    );
    safetyId = record.id;
  } catch (err) {
    const e = err as BackupError;
    throw new BackupError(
      e.code ?? 'io',
      `IRIS runs on the restored databases, but the safety backup of the ones it replaced could not be made: ${e.message.replace(/\.?$/, '.')} Their previous files are kept (${previousFiles(items)}); IRIS Edge tries again at its next start.`,
      { cause: err },
    );
  }
  await job.step('Delete the previous database files', () => pending.journal.commit(), () => previousFiles(items));
  w.log.info(`The restore of ${id} is finished; the databases as they were before it are in ${safetyId}.`);
}
