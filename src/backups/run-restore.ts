/**
 * Restoring a backup over the running instance: unpack it beside the databases, checking every
 * checksum as it is read, stop IRIS, swap the files through a journal (so a crash is finished or
 * undone at the next start), then start IRIS on the restored files while the safety backup is
 * made from the files the swap set aside; the restore is committed only when both succeeded, and
 * on any failure the previous files go back and IRIS is started on them.
 *
 * Just before IRIS is started on the restored files the journal says so ("started"): a crash from
 * there on is not rolled back (IRIS may have written to the restored files; in the add-on, IRIS
 * starts on them once the hold is released, whether this process lives or not), and the bridge
 * makes the safety backup and commits when it starts again (finish-restore.ts). This job itself
 * still rolls back when the safety backup fails: IRIS ran on the restored files only for seconds,
 * and the error says so. A restore left at "started" holds its previous files, so no new restore
 * begins until it is finished.
 *
 * The archive is read once: unpacking is the check (a damaged archive fails it, and the journal's
 * staging phase removes what was unpacked). It comes before everything else so that a backup
 * that cannot be restored costs nothing more. The safety backup needs no freeze and no copy:
 * IRIS, stopped, no longer writes to the set-aside files (safety-backup.ts); its room is checked
 * before IRIS stops.
 */
import { BackupError } from './errors.ts';
import type { Job } from './job.ts';
import type { BackupWork } from './make-backup.ts';
import { readArchive } from './archive.ts';
import { readArchiveApart } from './archive-process.ts';
import { journalPath, pendingRestore, planRestore, previousFiles, RestoreJournal, restoreItems } from './restore.ts';
import { planSafetyBackup, roomDetail, safetyBackup } from './safety-backup.ts';

export async function runRestore(w: BackupWork, job: Job, id: string): Promise<void> {
  const archive = w.store.archivePath(id);
  const record = await w.store.get(id);
  const manifest = await job.step('Read the backup\'s manifest', () => readArchive(archive, { manifestOnly: true }));
  const plan = planRestore(manifest, await w.iris.databases());
  if (!plan.replace.length) throw new BackupError('iris', `Nothing in backup ${id} can be restored here: ${plan.skip.map((s) => `${s.name} ${s.reason}`).join('; ')}.`);
  for (const s of plan.skip) job.note(`Leave out ${s.name}`, 'skipped', s.reason);
  await refuseWhilePending(w);

  const items = restoreItems(plan);
  const journal = new RestoreJournal(journalPath(w.stateDir), id, items);
  let stopped = false;
  let safetyFailed = false;
  let safetyId: string | undefined;
  try {
    await job.step('Unpack the backup beside the databases, checking every checksum', async () => {
      await journal.staging();
      job.meter.begin('unpacking', record.databasesBytes);
      await readArchiveApart(archive, { meter: job.meter, extractTo: new Map(items.map((i) => [i.name, i.staged])), archiveSha256: record.sha256 });
    });
    const safety = await job.step('Check the room for a safety backup of the databases to be replaced', () => planSafetyBackup(w, plan.replace, items), roomDetail);
    const stoppedAt = await job.step('Stop IRIS', async () => {
      stopped = true;
      await w.control.stop();
      return new Date();
    });
    await job.step('Replace the database files', () => journal.swap(), () => plan.replace.map((r) => r.name).join(', '));
    // IRIS starts on the restored files while the replaced ones are archived. 'started' is
    // written first: once the add-on releases its hold, IRIS starts on the restored files even if
    // this process dies, so from then on a recovery must not roll back.
    const [start, backup] = await Promise.allSettled([
      job.step('Start IRIS', async () => {
        await journal.started({ stoppedAt: stoppedAt.toISOString(), version: safety.version, databases: safety.databases });
        await w.control.start();
      }),
      job.step('Safety backup of the replaced databases, from the files set aside', () => safetyBackup(w, job, safety, items, stoppedAt), (r) => r.id),
    ]);
    if (backup.status === 'fulfilled') safetyId = backup.value.id;
    if (start.status === 'rejected') throw start.reason;
    if (backup.status === 'rejected') {
      safetyFailed = true;
      throw backup.reason;
    }
  } catch (err) {
    const held = safetyId ? `; the safety backup ${safetyId} holds them too` : '';
    await job.step('Put the previous files back', async () => {
      if (stopped) await w.control.stop().catch(() => {});
      await journal.rollback();
      if (stopped) await w.control.start();
    }, () => (stopped ? `IRIS runs on the databases it had before${held}` : 'the databases were not touched; the unpacked files were removed'));
    if (!safetyFailed) throw err;
    const e = err as BackupError;
    throw new BackupError(e.code ?? 'io', `The safety backup failed, so the restore was undone: IRIS runs on the databases it had before, nothing was lost. ${e.message}`, { cause: err });
  }
  await journal.commit();
  await job.step('Productions after the start', async () => {
    const snap = await w.iris.snapshot();
    return snap.productions.filter((p) => p.state === 'running').map((p) => `${p.namespace}/${p.name}`);
  }, (running) => (running.length ? `running (auto-start): ${running.join(', ')}` : 'none set to start automatically'));
  w.log.info(`Backup ${id} was restored (${plan.replace.map((r) => r.name).join(', ')}); the previous databases are in ${safetyId}.`);
}

/** A restore whose safety backup is still to be made keeps the previous files a new one would delete. */
async function refuseWhilePending(w: BackupWork): Promise<void> {
  const pending = await pendingRestore(w.stateDir);
  if (!pending) return;
  throw new BackupError(
    'busy',
    `The restore of ${pending.id} is not finished: the safety backup of the databases it replaced is still to be made, and their previous files (${previousFiles(pending.items)}) are kept until then. Restart the app to finish it, then restore again.`,
  );
}
