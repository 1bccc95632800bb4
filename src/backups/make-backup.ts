/**
 * Making one IRIS Edge backup: ask IRIS which databases it has, copy them under a freeze, write
 * the archive (checksumming the copies as they are read for it), verify it, keep the newest
 * ones, and ask Home Assistant for its own backup.
 *
 * Writing, verifying, publishing and recording (archiveBackup, inside attemptBackup) are shared
 * with the safety backup of a restore (safety-backup.ts), which archives the database files the
 * restore set aside instead of a frozen copy.
 */
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { IrisClient } from '../iris/client.ts';
import type { Logger } from '../log/logger.ts';
import type { BackupKind, BackupRecord } from '../model/backup-record.ts';
import { UNKNOWN_SHA256 } from './archive.ts';
import { readArchiveApart, writeArchiveApart } from './archive-process.ts';
import { EXTENSIONS, ZSTD_LEVEL } from './codec.ts';
import { captureDatabases, type CapturedDatabase } from './capture.ts';
import { BackupError, fsProblem } from './errors.ts';
import type { FreezeHolder } from './freeze.ts';
import type { InstanceControl } from './instance-control.ts';
import type { Job } from './job.ts';
import { backupId, databaseEntry, FORMAT, FORMAT_VERSION, type Manifest } from './manifest.ts';
import type { Schedule } from './schedule.ts';
import { selectDatabases } from './select.ts';
import type { BackupStore } from './store.ts';

/** Where backups go and what they are made of, as the composition root gives it. */
export interface BackupSetup {
  dir: string;
  stateDir: string;
  instanceId: string;
  iris: IrisClient;
  control: InstanceControl;
  bridgeVersion: string;
  log: Logger;
  /** Asks the Supervisor for a partial backup of this add-on (only inside Home Assistant). */
  homeAssistantBackup?: (name: string) => Promise<void>;
}

/** What the backup and restore work needs of the service that runs it. */
export interface BackupWork extends BackupSetup {
  store: BackupStore;
  freeze: FreezeHolder;
  schedule: Schedule;
}

export const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

/** A backup of the running instance: its databases copied under a freeze, then archived. */
export async function makeBackup(w: BackupWork, job: Job, kind: Exclude<BackupKind, 'safety'>): Promise<BackupRecord> {
  const step: Job['step'] = job.step.bind(job);
  const record = await attemptBackup(w, kind, async (a) => {
    const staging = join(w.store.workDir, `capture-${a.id}`);
    try {
      const { selection, version, bytes } = await step('Ask IRIS which databases it has', async () => {
        const [dbs, snap] = await Promise.all([w.iris.databases(), w.iris.snapshot()]);
        const sel = selectDatabases(dbs);
        if (!sel.included.length) throw new BackupError('iris', 'IRIS reports no database that can be backed up.');
        let total = 0;
        for (const d of sel.included) total += (await stat(join(d.directory, 'IRIS.DAT'))).size;
        return { selection: sel, version: snap.instance, bytes: total };
      }, (v) => `${v.selection.included.map((d) => d.name).join(', ')} (${mb(v.bytes)}); left out: ${v.selection.excluded.map((d) => d.name).join(', ') || 'none'}`);

      // The staging copy needs the databases' size. The archive's compressed size is not known
      // before it is written: running out of space then is caught as it happens.
      await ensureRoom(w, bytes, 'the backup');

      const frozen = await step('Freeze IRIS and copy the databases', async () => {
        job.meter.begin('copying', bytes);
        return w.freeze.hold(() => captureDatabases(selection.included, staging, job.meter));
      }, (f) => `IRIS was frozen for ${f.thawedAt.getTime() - f.frozenAt.getTime()} ms`);

      const captured: CapturedDatabase[] = frozen.value;
      const draft = draftManifest(w, a, version, frozen, captured, selection.excluded);
      const files = new Map(captured.map((c) => [c.name, c.staged]));
      return await archiveBackup(w, job, step, a, { draft, files, bytes, level: ZSTD_LEVEL }, () => rm(staging, { recursive: true, force: true }));
    } finally {
      await rm(staging, { recursive: true, force: true }).catch(() => {});
    }
  });
  await homeAssistantBackup(w, job, record.id);
  return record;
}

/** A step not listed on its own: the safety backup inside a restore is one step of the restore. */
export const unlisted: Job['step'] = (_text, work) => work();

/** A backup being made: its id, the second it started, and where its archive is written. */
export interface BackupAttempt {
  id: string;
  kind: BackupKind;
  started: Date;
  partial: string;
}

/**
 * Makes a backup of `kind` with `work`: whatever it fails with, its unfinished archive is removed
 * and a failed record is kept, so the attempt is listed with its reason.
 */
export async function attemptBackup(w: BackupWork, kind: BackupKind, work: (a: BackupAttempt) => Promise<BackupRecord>): Promise<BackupRecord> {
  const started = await unusedSecond(w, kind);
  const id = backupId(w.instanceId, started, kind);
  const a: BackupAttempt = { id, kind, started, partial: join(w.store.workDir, `${id}${EXTENSIONS.zstd}`) };
  try {
    await w.store.init();
    return await work(a);
  } catch (err) {
    await rm(a.partial, { force: true }).catch(() => {});
    const e = fsProblem(err, kind === 'safety' ? 'the safety backup' : 'the backup');
    await w.store
      .save({
        id,
        kind,
        createdAt: started.toISOString(),
        completedAt: new Date().toISOString(),
        result: 'failed',
        error: e.message,
        sizeBytes: 0,
        databasesBytes: 0,
        databases: [],
        freezeMs: 0,
        irisVersion: '',
        instance: w.instanceId,
        uploaded: false,
        verify: { state: 'unverified' },
      })
      .catch(() => {});
    throw e;
  }
}

/** Refuses up front when the disk cannot hold about `bytes` more. */
export async function ensureRoom(w: BackupWork, bytes: number, what: string): Promise<{ need: number; free: number }> {
  const free = await w.store.freeBytes();
  const need = bytes * 1.05 + 1e6;
  if (free < need) {
    throw new BackupError('no-space', `Not enough free space in ${w.dir}: ${what} needs about ${mb(need)}, ${mb(free)} is free. Delete old backups or lower the retention.`);
  }
  return { need, free };
}

/** The moment the databases' state was taken: frozen and thawed, or, for a safety backup, IRIS stopped (both the same). */
export interface Taken {
  frozenAt: Date;
  thawedAt: Date;
}

/** A manifest whose checksums are still to be read (writeArchive fills them in). */
export function draftManifest(
  w: BackupWork,
  a: BackupAttempt,
  version: { version: string; versionNumber: string },
  taken: Taken,
  databases: { name: string; directory: string; size: number }[],
  excluded: Manifest['excluded'],
): Manifest {
  return {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    id: a.id,
    kind: a.kind,
    createdBy: `IRIS Edge ${w.bridgeVersion}`,
    instance: { id: w.instanceId, irisVersion: version.version, irisVersionNumber: version.versionNumber },
    startedAt: a.started.toISOString(),
    frozenAt: taken.frozenAt.toISOString(),
    thawedAt: taken.thawedAt.toISOString(),
    endedAt: taken.thawedAt.toISOString(),
    freezeMs: taken.thawedAt.getTime() - taken.frozenAt.getTime(),
    databases: databases.map((d) => ({ name: d.name, directory: d.directory, file: databaseEntry(d.name), size: d.size, sha256: UNKNOWN_SHA256 })),
    excluded,
  };
}

/** What an archive is written from: its draft manifest and the file each database is read from. */
export interface ArchiveSource {
  draft: Manifest;
  files: Map<string, string>;
  /** The databases' bytes, for the progress. */
  bytes: number;
  level: number;
}

/**
 * Writes the archive, reads it back, publishes it and keeps its record, then the retention.
 * `written` runs as soon as the archive is written (the staging copy is not needed for the check).
 */
export async function archiveBackup(w: BackupWork, job: Job, step: Job['step'], a: BackupAttempt, src: ArchiveSource, written?: () => Promise<void>): Promise<BackupRecord> {
  const { manifest, size } = await step('Write the archive', async () => {
    job.meter.begin('archiving', src.bytes);
    return writeArchiveApart(a.partial, src.draft, src.files, src.level, job.meter);
  }, () => `zstd level ${src.level}`);
  await written?.();
  // Read back once: every file against its checksum, and the SHA-256 of the archive file that
  // later verifications compare with.
  const archive = await step('Verify the archive', async () => {
    job.meter.begin('verifying', src.bytes);
    const { archive: digest } = await readArchiveApart(a.partial, { meter: job.meter });
    if (digest.size !== size) throw new BackupError('io', `The archive reads back as ${digest.size} bytes, not the ${size} written: the disk did not keep it.`);
    return digest;
  });
  await w.store.publish(a.partial, a.id);
  const record = recordOf(manifest, size, false, archive.sha256);
  record.completedAt = new Date().toISOString();
  await w.store.save(record);
  w.log.info(`Backup ${a.id} done: ${mb(size)}, ${a.kind === 'safety' ? 'from the database files the restore set aside, IRIS not frozen' : `IRIS frozen for ${manifest.freezeMs} ms`}.`);

  const pruned = await w.store.prune(w.schedule.settings.retention, new Set([a.id]));
  if (pruned.length) job.note(`Keep the newest ${w.schedule.settings.retention} backups`, 'done', `deleted ${pruned.join(', ')}`);
  return record;
}

/**
 * The start time of a new backup, in a second no backup of this kind has yet: ids have a second's
 * resolution, and a second backup in the same second would replace the first one's archive. With
 * zstd a small backup takes less than a second, so this happens; waiting out the second costs at
 * most one.
 */
async function unusedSecond(w: BackupWork, kind: BackupKind): Promise<Date> {
  for (;;) {
    const at = new Date();
    if (!(await w.store.has(backupId(w.instanceId, at, kind)))) return at;
    await delay(1000 - at.getMilliseconds());
  }
}

async function homeAssistantBackup(w: BackupWork, job: Job, id: string): Promise<void> {
  if (!w.schedule.settings.homeAssistantBackup || !w.homeAssistantBackup) return;
  try {
    await job.step('Ask Home Assistant for a backup of the add-on', () => w.homeAssistantBackup!(`IRIS Edge after ${id}`));
  } catch (err) {
    // The IRIS Edge backup itself is good; this is reported, not fatal.
    w.log.warn(`Home Assistant did not make its backup of the add-on: ${(err as Error).message}`);
  }
}


export function recordOf(m: Manifest, sizeBytes: number, uploaded: boolean, sha256?: string): BackupRecord {
  return {
    id: m.id,
    kind: m.kind,
    createdAt: m.startedAt,
    completedAt: m.endedAt,
    result: 'ok',
    sizeBytes,
    ...(sha256 ? { sha256 } : {}),
    databasesBytes: m.databases.reduce((n, d) => n + d.size, 0),
    databases: m.databases.map((d) => d.name),
    freezeMs: m.freezeMs,
    irisVersion: m.instance.irisVersion,
    instance: m.instance.id,
    uploaded,
    verify: { state: 'verified', at: new Date().toISOString() },
  };
}
