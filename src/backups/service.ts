/**
 * IRIS Edge backups of the local IRIS instance: make, verify, restore, upload, list, delete, on
 * demand and on a schedule. One long operation runs at a time; its steps and progress are
 * published as a job, which the panel shows live. Job failures are logged here (this is the edge
 * for work nobody waits on) and raised as a 'failed' event for Home Assistant.
 */
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { readArchive } from './archive.ts';
import { readArchiveApart } from './archive-process.ts';
import { BackupError, fsProblem } from './errors.ts';
import { CountingStream } from './files.ts';
import { FreezeHolder, type FreezeMarker } from './freeze.ts';
import type { BackupStatus, JobKind, JobStatus, RestorePlan } from '../model/backup.ts';
import type { BackupRecord, BackupKind } from '../model/backup-record.ts';
import type { BackupSettings } from '../model/backup-settings.ts';
import { formatBytes } from '../model/bytes.ts';
import { finishRestore } from './finish-restore.ts';
import { journalPath, pendingRestore, planRestore } from './restore.ts';
import { Job } from './job.ts';
import { makeBackup, mb, recordOf, type BackupSetup, type BackupWork } from './make-backup.ts';
import { runRestore } from './run-restore.ts';
import { Schedule } from './schedule.ts';
import { BackupStore, checkId } from './store.ts';

export interface BackupServiceOptions extends BackupSetup {
  uploadLimitBytes: number;
}

type Events = {
  job: [JobStatus];
  status: [BackupStatus];
  /** A backup, verify or restore failed: Home Assistant gets a notification and an event. */
  failed: [{ kind: JobKind; backupId: string | null; error: string }];
  /** A freeze someone else left was thawed: Home Assistant's backup_post never came, or a crash. */
  thawed: [FreezeMarker];
};

export class BackupService extends EventEmitter<Events> {
  readonly store: BackupStore;
  readonly schedule: Schedule;
  private readonly freeze: FreezeHolder;
  private readonly work: BackupWork;
  private current: Job | null = null;
  /**
   * Backups a delete or an upload is working on. Claimed, like `current`, before the first await,
   * so two requests about the same backup can never both pass their checks.
   */
  private readonly claimed = new Map<string, 'delete' | 'upload'>();
  private last: JobStatus | null = null;
  private watchdog: NodeJS.Timeout | undefined;
  private readonly running = new Map<string, Promise<JobStatus>>();

  constructor(private readonly o: BackupServiceOptions) {
    super();
    this.store = new BackupStore(o.dir);
    this.freeze = new FreezeHolder(o.stateDir, o.control);
    this.schedule = new Schedule(o.stateDir, () => {
      this.startBackup('scheduled').catch((err: unknown) => this.o.log.warn(`The scheduled backup did not start: ${(err as Error).message}`));
    });
    this.work = { ...o, store: this.store, freeze: this.freeze, schedule: this.schedule };
  }

  /**
   * Cleans up after a crash (unfinished files, a freeze left behind, archives without a record),
   * starts the job that finishes a restore a crash left once IRIS was being started on the
   * restored files, then arms the schedule and the freeze watchdog. The first status is for the
   * caller to ask (status()); 'status' events follow each change.
   */
  async start(): Promise<void> {
    await mkdir(this.o.stateDir, { recursive: true, mode: 0o700 });
    const removed = await this.store.cleanUp();
    if (removed) this.o.log.warn(`Removed ${removed} unfinished backup file(s) left by an interrupted backup, upload or restore.`);
    for (const id of await this.store.orphans()) await this.adoptOrphan(id);
    await this.checkFreeze();
    await this.finishPendingRestore();
    await this.schedule.load((m) => this.o.log.warn(m));
    this.watchdog = setInterval(() => void this.checkFreeze(), 60_000);
    this.watchdog.unref();
  }

  stop(): void {
    this.schedule.stop();
    if (this.watchdog) clearInterval(this.watchdog);
  }

  /** Thaws a freeze left behind; safe to call at any time. */
  async checkFreeze(): Promise<void> {
    if (this.current) return;
    try {
      const m = await this.freeze.thawStale();
      if (!m) return;
      this.o.log.warn(
        m.by === 'home-assistant'
          ? `Home Assistant froze IRIS for a backup at ${m.at} and never thawed it; IRIS Edge thawed it. That Home Assistant backup may not be usable.`
          : 'IRIS was still frozen by an interrupted IRIS Edge backup; IRIS Edge thawed it.',
      );
      this.emit('thawed', m);
    } catch (err) {
      this.o.log.warn(`Could not check whether IRIS is frozen: ${(err as Error).message}`);
    }
  }

  /**
   * Takes the job slot (after the clean-up, which would remove its work file) before anything
   * else can: a restore or backup asked for meanwhile is refused as busy.
   */
  private async finishPendingRestore(): Promise<void> {
    const pending = await pendingRestore(this.o.stateDir).catch((err: unknown) => {
      this.o.log.error(`Could not read the journal of an interrupted restore (${journalPath(this.o.stateDir)}): ${(err as Error).message}`);
      return null;
    });
    if (!pending) return;
    await this.begin('restore', pending.id, async (job) => {
      await finishRestore(this.work, job, pending);
      return pending.id;
    });
  }

  /** An archive renamed into place just before a crash: kept only if it checks out. */
  private async adoptOrphan(id: string): Promise<void> {
    const path = this.store.archivePath(id);
    try {
      const { manifest: m, archive } = await readArchiveApart(path);
      await this.store.save(recordOf(m, (await stat(path)).size, false, archive.sha256));
      this.o.log.warn(`Backup ${id} had no record (the bridge stopped while finishing it); it was verified and kept.`);
    } catch (err) {
      await rm(path, { force: true });
      this.o.log.warn(`Removed backup ${id}: it was left unfinished (${(err as Error).message}).`);
    }
  }

  // ---- Queries ----------------------------------------------------------------------------------

  list(): Promise<BackupRecord[]> {
    return this.store.list();
  }

  get(id: string): Promise<BackupRecord> {
    return this.store.get(id);
  }

  /** The job running now, or the last one that ran. */
  job(): JobStatus | null {
    return this.current?.status ?? this.last;
  }

  /** Resolves when the job ends (tests and bench:backup wait for jobs this way). */
  wait(jobId: string): Promise<JobStatus> {
    const running = this.running.get(jobId);
    if (running) return running;
    if (this.last?.id === jobId) return Promise.resolve(this.last);
    return Promise.reject(new BackupError('not-found', `There is no job ${jobId}.`));
  }

  async status(): Promise<BackupStatus> {
    const all = await this.store.list();
    const good = all.filter((r) => r.result === 'ok');
    // A good safety backup is a step of a restore, not the backup the user counts on.
    const newest = all.find((r) => r.kind !== 'safety' || r.result === 'failed') ?? all[0];
    return {
      last: newest ? { at: newest.completedAt, result: newest.result, id: newest.id, error: newest.error ?? null } : null,
      nextRun: this.schedule.nextRun()?.toISOString() ?? null,
      totalBytes: good.reduce((n, r) => n + r.sizeBytes, 0),
      count: good.length,
    };
  }

  private async publishStatus(): Promise<void> {
    try {
      this.emit('status', await this.status());
    } catch (err) {
      this.o.log.warn(`Could not read the backup directory: ${(err as Error).message}`);
    }
  }

  async updateSettings(s: BackupSettings): Promise<void> {
    await this.schedule.update(s);
    await this.publishStatus();
  }

  async delete(id: string): Promise<void> {
    checkId(id);
    this.refuseIfBusyWith(id);
    await this.holding(id, 'delete', () => this.store.delete(id));
    await this.publishStatus();
  }

  /** Runs `work` with backup `id` claimed (taken before the first await), and gives it back after. */
  private async holding<T>(id: string, what: 'delete' | 'upload', work: () => Promise<T>): Promise<T> {
    this.claimed.set(id, what);
    try {
      return await work();
    } finally {
      this.claimed.delete(id);
    }
  }

  /** 409 when the running job or a delete or upload is working on backup `id`. */
  private refuseIfBusyWith(id: string): void {
    if (this.current?.status.backupId === id) throw new BackupError('busy', `Backup ${id} is in use by the running ${this.current.status.kind}.`);
    const other = this.claimed.get(id);
    if (other) throw new BackupError('busy', `Backup ${id} is being ${other === 'delete' ? 'deleted' : 'uploaded'} right now.`);
  }

  // ---- Jobs -------------------------------------------------------------------------------------

  /**
   * Claims the one job slot before anything is awaited, then runs `check` (the backup exists...)
   * and starts `work` in the background. A check that fails gives the slot back.
   */
  private async begin(kind: JobKind, backupId: string | null, work: (job: Job) => Promise<string | null>, check?: () => Promise<unknown>): Promise<JobStatus> {
    if (this.current) {
      const c = this.current.status;
      throw new BackupError('busy', `A ${c.kind} is running (started ${c.startedAt}); wait for it to finish.`);
    }
    if (backupId) this.refuseIfBusyWith(backupId);
    const job = new Job(kind, backupId, (s) => this.emit('job', s));
    this.current = job;
    if (check) {
      try {
        await check();
      } catch (err) {
        this.current = null;
        throw err;
      }
    }
    const done = (async () => {
      let error: Error | null = null;
      try {
        job.status.backupId = (await work(job)) ?? job.status.backupId;
      } catch (err) {
        error = fsProblem(err, `the ${kind}`);
        this.o.log.error(`The ${kind}${job.status.backupId ? ` of ${job.status.backupId}` : ''} failed: ${error.message}`);
        this.emit('failed', { kind, backupId: job.status.backupId, error: error.message });
      }
      this.current = null;
      job.end(error);
      this.last = job.status;
      this.running.delete(job.status.id);
      await this.publishStatus();
      return job.status;
    })();
    this.running.set(job.status.id, done);
    return job.status;
  }

  /** Starts a backup; returns at once with the job (its id and first step). */
  async startBackup(kind: Exclude<BackupKind, 'safety'>): Promise<JobStatus> {
    return this.begin('backup', null, async (job) => (await makeBackup(this.work, job, kind)).id);
  }

  async startVerify(id: string): Promise<JobStatus> {
    checkId(id);
    return this.begin('verify', id, async (job) => {
      const r = await this.store.get(id);
      let error: string | undefined;
      try {
        await job.step('Read the archive and check every checksum', async () => {
          job.meter.begin('verifying', r.databasesBytes);
          await readArchiveApart(this.store.archivePath(id), { meter: job.meter, archiveSha256: r.sha256 });
        });
      } catch (err) {
        error = (err as Error).message;
      }
      await this.store.save({ ...r, verify: { state: error ? 'damaged' : 'verified', at: new Date().toISOString(), ...(error ? { error } : {}) } });
      if (error) throw new BackupError('checksum', error);
      return id;
    }, () => this.store.get(id));
  }

  /** What a restore of `id` would replace, for the confirmation. */
  async restorePlan(id: string): Promise<RestorePlan> {
    const r = await this.store.get(id);
    if (r.result !== 'ok') throw new BackupError('not-found', `Backup ${id} failed when it was made; there is nothing to restore.`);
    const manifest = await readArchive(this.store.archivePath(id), { manifestOnly: true }).catch((err: unknown) => {
      throw err instanceof BackupError ? err : fsProblem(err, 'reading the backup');
    });
    return planRestore(manifest, await this.o.iris.databases());
  }

  async startRestore(id: string, confirm: string): Promise<JobStatus> {
    if (confirm !== id) throw new BackupError('not-confirmed', `To restore, confirm with the backup's id (${id}).`);
    return this.begin(
      'restore',
      id,
      async (job) => {
        await runRestore(this.work, job, id);
        return id;
      },
      () => this.store.get(id),
    );
  }

  /** Uploads being received; a stop waits for them to clean up after themselves (settle()). */
  private readonly uploads = new Set<Promise<unknown>>();

  /** Resolves once every upload under way has ended, kept or refused, its work file removed. */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.uploads]);
  }

  /** The largest upload taken, in bytes: BACKUP_UPLOAD_LIMIT_BYTES unless configured otherwise. */
  get uploadLimitBytes(): number {
    return this.o.uploadLimitBytes;
  }

  /**
   * Takes an uploaded archive: kept only when it is complete, ours and every checksum matches.
   * The body goes to a work file as it arrives (never held in memory) and is counted on the way:
   * past the limit, or cut off, the work file is removed and nothing is kept.
   */
  upload(body: Readable): Promise<BackupRecord> {
    const p = this.receive(body);
    this.uploads.add(p);
    void p.finally(() => this.uploads.delete(p)).catch(() => {});
    return p;
  }

  private async receive(body: Readable): Promise<BackupRecord> {
    await this.store.init();
    // Named without a codec: the archive's first bytes say which it is (store.publish).
    const work = join(this.store.workDir, `upload-${randomBytes(6).toString('hex')}`);
    try {
      const limit = new CountingStream(() => {
        if (limit.size > this.o.uploadLimitBytes) limit.destroy(new BackupError('too-large', `The upload is larger than ${formatBytes(this.o.uploadLimitBytes)}, the limit; nothing of it was kept.`));
      });
      await pipeline(body, limit, createWriteStream(work, { mode: 0o600, flags: 'wx' }));
      const { manifest: m, archive } = await readArchiveApart(work);
      if (this.claimed.has(m.id) || this.current?.status.backupId === m.id) throw new BackupError('exists', `Backup ${m.id} is already being received or worked on.`);
      return await this.holding(m.id, 'upload', async () => {
        if (await this.store.has(m.id)) throw new BackupError('exists', `Backup ${m.id} is already here.`);
        await this.store.publish(work, m.id);
        const record = recordOf(m, limit.size, true, archive.sha256);
        await this.store.save(record);
        this.o.log.info(`Backup ${m.id} was uploaded and verified (${mb(limit.size)}).`);
        await this.publishStatus();
        return record;
      });
    } catch (err) {
      throw fsProblem(err, 'receiving the upload');
    } finally {
      await rm(work, { force: true });
    }
  }

  // ---- The work ---------------------------------------------------------------------------------


}
