/**
 * Restoring database files so that an interruption at any point leaves either the previous files
 * or the restored ones, never a mix. The steps are recorded in a journal (written durably before
 * each step): the new files are unpacked beside the old ones (same directory, so renames are
 * atomic), IRIS is stopped, each IRIS.DAT is renamed aside and the new one into place, IRIS is
 * started while the safety backup is made from the files set aside, and only when IRIS answers
 * and the safety backup is kept are the previous files deleted.
 *
 * A journal found before IRIS starts (`recoverRestore`) is rolled back when IRIS has not run on
 * the restored files yet ("staging" to "swapped") or a rollback was under way ("rolling-back"); a
 * safety archive the crash left unfinished is in the backup store's work directory, which is
 * emptied at start. From "started" on (IRIS is being started on the restored files) a recovery
 * never rolls back: IRIS may have written to the restored files since, and that would be lost.
 * What is left then is the safety backup of the previous files and the commit, which the backup
 * service does as a job when it starts (finish-restore.ts); until then the previous files stay.
 */
import { existsSync } from 'node:fs';
import { readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../log/logger.ts';
import type { DatabaseInfo, RestorePlan } from '../model/backup.ts';
import { failpoint } from './failpoint.ts';
import { writeAtomic } from '../files/atomic-write.ts';
import type { Manifest } from './manifest.ts';

export function planRestore(manifest: Manifest, current: DatabaseInfo[]): RestorePlan {
  const plan: RestorePlan = { id: manifest.id, createdAt: manifest.startedAt, irisVersion: manifest.instance.irisVersion, replace: [], skip: [] };
  for (const d of manifest.databases) {
    // The directory comes from this instance's configuration, never from the archive.
    const here = current.find((c) => c.name === d.name);
    if (!here) plan.skip.push({ name: d.name, reason: 'not configured in this IRIS instance' });
    else if (here.readOnly) plan.skip.push({ name: d.name, reason: 'read-only in this IRIS instance' });
    else plan.replace.push({ name: d.name, directory: here.directory, currentBytes: here.sizeBytes, backupBytes: d.size });
  }
  return plan;
}

const itemSchema = z.object({ name: z.string(), target: z.string(), staged: z.string(), previous: z.string() });
export type RestoreItem = z.infer<typeof itemSchema>;
/**
 * What the safety backup of the previous files is made from, kept in the journal from "started"
 * on so that a bridge started after a crash can still make it: IRIS's version, the databases, and
 * when IRIS was stopped (the moment the previous files stopped changing).
 */
const pendingSafetySchema = z.object({
  stoppedAt: z.string(),
  version: z.object({ version: z.string(), versionNumber: z.string() }),
  databases: z.array(z.object({ name: z.string(), directory: z.string() })),
});
export type PendingSafety = z.infer<typeof pendingSafetySchema>;
const journalSchema = z.union([
  z.object({ id: z.string(), phase: z.enum(['staging', 'swapping', 'swapped', 'rolling-back', 'committed']), items: z.array(itemSchema) }),
  z.object({ id: z.string(), phase: z.literal('started'), items: z.array(itemSchema), safety: pendingSafetySchema }),
]);
type Journal = z.infer<typeof journalSchema>;

export const journalPath = (stateDir: string) => join(stateDir, 'restore-journal.json');

export function restoreItems(plan: RestorePlan): RestoreItem[] {
  return plan.replace.map((r) => ({
    name: r.name,
    target: join(r.directory, 'IRIS.DAT'),
    staged: join(r.directory, 'IRIS.DAT.iris-edge-restore'),
    previous: join(r.directory, 'IRIS.DAT.iris-edge-previous'),
  }));
}

export class RestoreJournal {
  constructor(
    private readonly path: string,
    private readonly id: string,
    private readonly items: RestoreItem[],
  ) {}

  private write(phase: Journal['phase'], safety?: PendingSafety): Promise<void> {
    return writeAtomic(this.path, JSON.stringify({ id: this.id, phase, items: this.items, safety }), { mode: 0o600, durable: true });
  }

  /** Before unpacking: from here on, a crash removes the unpacked files. */
  async staging(): Promise<void> {
    // Leftovers without a journal are stale: a rollback must never bring them back.
    for (const i of this.items) {
      await rm(i.staged, { force: true });
      await rm(i.previous, { force: true });
    }
    await this.write('staging');
  }

  /** With IRIS stopped: each IRIS.DAT aside (the safety backup is made from it), the restored one into place. */
  async swap(): Promise<void> {
    await this.write('swapping');
    for (const i of this.items) {
      await rename(i.target, i.previous);
      failpoint('restore:swapping');
      await rename(i.staged, i.target);
    }
    await this.write('swapped');
    failpoint('restore:swapped');
  }

  /**
   * IRIS is about to start on the restored files: from here on a recovery never rolls back (what
   * IRIS wrote since would be lost); the safety backup and the commit are left. Only the restore
   * that is still running may roll back after this (`rollback`), seconds after IRIS started.
   */
  async started(safety: PendingSafety): Promise<void> {
    await this.write('started', safety);
    failpoint('restore:started');
  }

  /** IRIS runs on the restored files and the safety backup holds the previous ones: they go. */
  async commit(): Promise<void> {
    await this.write('committed');
    await finish(this.path, this.items);
  }

  /**
   * Puts the previous files back, in any phase but "committed", "started" included (the running
   * restore undoes itself when its safety backup fails). With IRIS stopped: the journal says so
   * first, so that a crash half-way is rolled back to the end by the recovery, never left a mix.
   */
  async rollback(): Promise<void> {
    await this.write('rolling-back');
    await rollBack(this.path, this.items);
  }
}

async function finish(path: string, items: RestoreItem[]): Promise<void> {
  for (const i of items) {
    await rm(i.previous, { force: true });
    await rm(i.staged, { force: true });
  }
  await rm(path, { force: true });
}

async function rollBack(path: string, items: RestoreItem[]): Promise<void> {
  for (const i of items) {
    if (existsSync(i.previous)) {
      await rm(i.target, { force: true });
      await rename(i.previous, i.target);
    }
    await rm(i.staged, { force: true });
  }
  await rm(path, { force: true });
}

async function readJournal(path: string): Promise<Journal | null> {
  try {
    return journalSchema.parse(JSON.parse(await readFile(path, 'utf8')));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** A restore IRIS already runs on whose safety backup and commit a crash left undone. */
export interface PendingRestore {
  id: string;
  items: RestoreItem[];
  safety: PendingSafety;
  journal: RestoreJournal;
}

export const previousFiles = (items: RestoreItem[]) => items.map((i) => i.previous).join(', ');

/** The restore left at "started", or null. */
export async function pendingRestore(stateDir: string): Promise<PendingRestore | null> {
  const path = journalPath(stateDir);
  const journal = await readJournal(path);
  if (journal?.phase !== 'started') return null;
  return { id: journal.id, items: journal.items, safety: journal.safety, journal: new RestoreJournal(path, journal.id, journal.items) };
}

/**
 * Completes or undoes a restore that a crash interrupted. Must run while IRIS is not using the
 * files (before it starts). Returns what it did, or null when there was nothing to do; a restore
 * IRIS already ran on is left as it is ('safety-pending'): the bridge finishes it.
 */
export async function recoverRestore(stateDir: string): Promise<{ id: string; action: 'rolled-back' | 'completed' | 'safety-pending' } | null> {
  const path = journalPath(stateDir);
  const journal = await readJournal(path);
  if (!journal) return null;
  if (journal.phase === 'started') return { id: journal.id, action: 'safety-pending' };
  if (journal.phase === 'committed') {
    await finish(path, journal.items);
    return { id: journal.id, action: 'completed' };
  }
  await rollBack(path, journal.items);
  return { id: journal.id, action: 'rolled-back' };
}

/** Finishes or undoes a restore a crash interrupted; run before IRIS (or the simulator) starts. */
export async function recoverInterruptedRestore(stateDir: string, log: Logger): Promise<void> {
  const r = await recoverRestore(stateDir);
  if (r?.action === 'rolled-back') log.warn(`The restore of ${r.id} was interrupted; the previous database files were put back.`);
  if (r?.action === 'completed') log.info(`The restore of ${r.id} had finished; its leftover files were removed.`);
  if (r?.action === 'safety-pending') log.warn(`${safetyPendingMessage(r.id)}.`);
}

/** Said by the recoveries that leave a restore IRIS already ran on to the bridge. */
export const safetyPendingMessage = (id: string) =>
  `The restore of ${id} was interrupted once IRIS was being started on the restored database files: they stay, and IRIS Edge makes the safety backup of the previous files and finishes the restore when its backups start`;
