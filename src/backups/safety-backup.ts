/**
 * The safety backup of a restore: the databases the restore replaces, archived from the files
 * the swap set aside (IRIS.DAT.iris-edge-previous). IRIS was stopped before the swap and runs on
 * the restored files after it, so nothing writes to the set-aside files: no freeze and no staging
 * copy are needed, and IRIS starts while the archive is written. Writing, verifying, publishing
 * and the record are a normal backup's (make-backup.ts).
 *
 * In its manifest the databases keep their real name and directory (restoring the safety backup
 * puts them back there); frozenAt and thawedAt are both the moment IRIS was stopped, from which on
 * the files did not change, and freezeMs is 0: IRIS was not frozen for it.
 */
import { stat } from 'node:fs/promises';
import type { BackupRecord } from '../model/backup-record.ts';
import { ZSTD_LEVEL_SAFETY } from './codec.ts';
import type { Job } from './job.ts';
import { archiveBackup, attemptBackup, draftManifest, ensureRoom, mb, unlisted, type BackupWork } from './make-backup.ts';
import type { PendingSafety, RestoreItem } from './restore.ts';

/**
 * What the safety backup needs to know before IRIS stops: which databases, and IRIS's version.
 * The journal keeps it once IRIS runs on the restored files (with when IRIS was stopped), so that
 * a bridge started after a crash can make it (finish-restore.ts).
 */
export type SafetyPlan = Omit<PendingSafety, 'stoppedAt'>;

/**
 * Checked while IRIS still runs on its databases, so that a disk too full for the safety backup
 * costs only the unpacked files: refuses when the backup directory cannot hold about the size of
 * the databases to be replaced (their archive at a low level is rarely much smaller).
 */
export async function planSafetyBackup(w: BackupWork, replace: { name: string; directory: string }[], items: RestoreItem[]): Promise<SafetyPlan & { bytes: number; free: number }> {
  const databases = replace.map((r) => ({ name: r.name, directory: r.directory }));
  let bytes = 0;
  for (const d of databases) bytes += (await stat(itemOf(items, d.name).target)).size;
  const { free } = await ensureRoom(w, bytes, 'the safety backup of the databases to be replaced');
  const snap = await w.iris.snapshot();
  return { databases, version: snap.instance, bytes, free };
}

function itemOf(items: RestoreItem[], name: string): RestoreItem {
  const item = items.find((i) => i.name === name);
  if (!item) throw new Error(`No restore item for ${name}`);
  return item;
}

/** The safety backup, once the swap has set the previous files aside; `stoppedAt` is when IRIS was stopped. */
export async function safetyBackup(w: BackupWork, job: Job, plan: SafetyPlan, items: RestoreItem[], stoppedAt: Date): Promise<BackupRecord> {
  return attemptBackup(w, 'safety', async (a) => {
    const sources = plan.databases.map((d) => ({ ...d, file: itemOf(items, d.name).previous }));
    const databases = [];
    for (const d of sources) databases.push({ name: d.name, directory: d.directory, size: (await stat(d.file)).size });
    const files = new Map(sources.map((d) => [d.name, d.file]));
    const draft = draftManifest(w, a, plan.version, { frozenAt: stoppedAt, thawedAt: stoppedAt }, databases, []);
    return archiveBackup(w, job, unlisted, a, { draft, files, bytes: databases.reduce((n, d) => n + d.size, 0), level: ZSTD_LEVEL_SAFETY });
  });
}

export const roomDetail = (p: { bytes: number; free: number }) => `${mb(p.bytes)} to back up, ${mb(p.free)} free`;
