/**
 * Making one IRIS Edge backup: ask IRIS which databases it has, copy them under a freeze, write
 * the archive (checksumming the copies as they are read for it), verify it, keep the newest
 * ones, and ask Home Assistant for its own backup.
 */
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { IrisClient } from '../iris/client.ts';
import type { Logger } from '../log/logger.ts';
import type { BackupKind, BackupRecord } from '../model/backup-record.ts';
import { readArchive, UNKNOWN_SHA256, writeArchive } from './archive.ts';
import { EXTENSIONS, ZSTD_LEVEL, ZSTD_LEVEL_SAFETY } from './codec.ts';
import { captureDatabases, type CapturedDatabase } from './capture.ts';
import { BackupError, fsProblem } from './errors.ts';
import type { Digest } from './files.ts';
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

/** A backup; a safety backup inside a restore is one step of it, so its own steps are not listed. */
export async function makeBackup(w: BackupWork, job: Job, kind: BackupKind): Promise<BackupRecord> {
  const step: Job['step'] = kind === 'safety' ? (_text, work) => work() : (text, work, detail) => job.step(text, work, detail);
  const started = await unusedSecond(w, kind);
  const id = backupId(w.instanceId, started, kind);
  const staging = join(w.store.workDir, `capture-${id}`);
  const level = kind === 'safety' ? ZSTD_LEVEL_SAFETY : ZSTD_LEVEL;
  const partial = join(w.store.workDir, `${id}${EXTENSIONS.zstd}`);
  try {
    await w.store.init();
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
    const free = await w.store.freeBytes();
    const need = bytes * 1.05 + 1e6;
    if (free < need) {
      throw new BackupError('no-space', `Not enough free space in ${w.dir}: the backup needs about ${mb(need)}, ${mb(free)} is free. Delete old backups or lower the retention.`);
    }

    const frozen = await step('Freeze IRIS and copy the databases', async () => {
      job.meter.begin('copying', bytes);
      return w.freeze.hold(() => captureDatabases(selection.included, staging, job.meter));
    }, (f) => `IRIS was frozen for ${f.thawedAt.getTime() - f.frozenAt.getTime()} ms`);

    const captured: CapturedDatabase[] = frozen.value;
    const draft: Manifest = {
      format: FORMAT,
      formatVersion: FORMAT_VERSION,
      id,
      kind,
      createdBy: `IRIS Edge ${w.bridgeVersion}`,
      instance: { id: w.instanceId, irisVersion: version.version, irisVersionNumber: version.versionNumber },
      startedAt: started.toISOString(),
      frozenAt: frozen.frozenAt.toISOString(),
      thawedAt: frozen.thawedAt.toISOString(),
      endedAt: frozen.thawedAt.toISOString(),
      freezeMs: frozen.thawedAt.getTime() - frozen.frozenAt.getTime(),
      databases: captured.map((c) => ({ name: c.name, directory: c.directory, file: databaseEntry(c.name), size: c.size, sha256: UNKNOWN_SHA256 })),
      excluded: selection.excluded,
    };
    const { manifest, size } = await step('Write the archive', async () => {
      job.meter.begin('archiving', bytes);
      return writeArchive(partial, draft, new Map(captured.map((c) => [c.name, c.staged])), level, job.meter);
    }, () => `zstd level ${level}`);
    await rm(staging, { recursive: true, force: true });
    // Read back once: every file against its checksum, and the SHA-256 of the archive file that
    // later verifications compare with.
    const archive = await step('Verify the archive', async () => {
      job.meter.begin('verifying', bytes);
      let digest: Digest | undefined;
      await readArchive(partial, { meter: job.meter, archiveDigest: (d) => (digest = d) });
      if (digest?.size !== size) throw new BackupError('io', `The archive reads back as ${digest?.size ?? 0} bytes, not the ${size} written: the disk did not keep it.`);
      return digest;
    });
    await w.store.publish(partial, id);
    const record = recordOf(manifest, size, false, archive.sha256);
    record.completedAt = new Date().toISOString();
    await w.store.save(record);
    w.log.info(`Backup ${id} done: ${mb(size)}, IRIS frozen for ${manifest.freezeMs} ms.`);

    const pruned = await w.store.prune(w.schedule.settings.retention, new Set([id]));
    if (pruned.length) job.note(`Keep the newest ${w.schedule.settings.retention} backups`, 'done', `deleted ${pruned.join(', ')}`);
    if (kind !== 'safety') await homeAssistantBackup(w, job, id);
    return record;
  } catch (err) {
    await rm(staging, { recursive: true, force: true }).catch(() => {});
    await rm(partial, { force: true }).catch(() => {});
    const e = fsProblem(err, 'the backup');
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
