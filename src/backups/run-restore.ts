/**
 * Restoring a backup over the running instance: unpack it beside the databases, checking every
 * checksum as it is read, take a safety backup, stop IRIS, swap the files through a journal (so a
 * crash is finished or undone at the next start), start IRIS; on any failure the previous files
 * go back.
 *
 * The archive is read once: unpacking is the check (a damaged archive fails it, and the journal's
 * staging phase removes what was unpacked). It comes before the safety backup so that a backup
 * that cannot be restored costs no safety backup; the price is that the unpacked files and the
 * safety backup's staging copy are on disk at the same time.
 */
import { BackupError } from './errors.ts';
import type { Job } from './job.ts';
import { makeBackup, type BackupWork } from './make-backup.ts';
import { readArchive } from './archive.ts';
import { journalPath, planRestore, RestoreJournal, restoreItems } from './restore.ts';
import type { BackupRecord } from '../model/backup-record.ts';

export async function runRestore(w: BackupWork, job: Job, id: string): Promise<void> {
  const archive = w.store.archivePath(id);
  const record = await w.store.get(id);
  const manifest = await job.step('Read the backup\'s manifest', () => readArchive(archive, { manifestOnly: true }));
  const plan = planRestore(manifest, await w.iris.databases());
  if (!plan.replace.length) throw new BackupError('iris', `Nothing in backup ${id} can be restored here: ${plan.skip.map((s) => `${s.name} ${s.reason}`).join('; ')}.`);
  for (const s of plan.skip) job.note(`Leave out ${s.name}`, 'skipped', s.reason);

  const items = restoreItems(plan);
  const journal = new RestoreJournal(journalPath(w.stateDir), id, items);
  let stopped = false;
  let safety: BackupRecord | undefined;
  try {
    await job.step('Unpack the backup beside the databases, checking every checksum', async () => {
      await journal.staging();
      const targets = new Map(items.map((i) => [i.name, i.staged]));
      job.meter.begin('unpacking', record.databasesBytes);
      await readArchive(archive, { meter: job.meter, extractTo: (d) => targets.get(d.name), archiveSha256: record.sha256 });
    });
    safety = await job.step('Safety backup of the current databases', () => makeBackup(w, job, 'safety'), (r) => r.id);
    await job.step('Stop IRIS', async () => {
      stopped = true;
      await w.control.stop();
    });
    await job.step('Replace the database files', () => journal.swap(), () => plan.replace.map((r) => r.name).join(', '));
    await job.step('Start IRIS', () => w.control.start());
  } catch (err) {
    const held = safety ? `; the safety backup ${safety.id} holds them too` : '';
    await job.step('Put the previous files back', async () => {
      if (stopped) await w.control.stop().catch(() => {});
      await journal.rollback();
      if (stopped) await w.control.start();
    }, () => (stopped ? `IRIS runs on the databases it had before${held}` : 'the databases were not touched; the unpacked files were removed'));
    throw err;
  }
  await journal.commit();
  await job.step('Productions after the start', async () => {
    const snap = await w.iris.snapshot();
    return snap.productions.filter((p) => p.state === 'running').map((p) => `${p.namespace}/${p.name}`);
  }, (running) => (running.length ? `running (auto-start): ${running.join(', ')}` : 'none set to start automatically'));
  w.log.info(`Backup ${id} was restored (${plan.replace.map((r) => r.name).join(', ')}); the previous databases are in ${safety.id}.`);
}
