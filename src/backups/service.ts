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
import type { IrisClient } from '../iris/client.ts';
import type { Logger } from '../log/logger.ts';
import { readArchive, writeArchive } from './archive.ts';
import { captureDatabases, type CapturedDatabase } from './capture.ts';
import { BackupError, fsProblem } from './errors.ts';
import { CountingStream, hashFile, type Digest } from './files.ts';
import { FreezeHolder, type FreezeMarker } from './freeze.ts';
import type { InstanceControl } from './instance-control.ts';
import type { BackupStatus, JobKind, JobStatus, JobStep, RestorePlan, StepState } from '../model/backup.ts';
import type { BackupRecord, BackupKind } from '../model/backup-record.ts';
import type { BackupSettings } from '../model/backup-settings.ts';
import { backupId, databaseEntry, FORMAT, FORMAT_VERSION, type Manifest } from './manifest.ts';
import { ProgressMeter } from './progress.ts';
import { journalPath, planRestore, recoverRestore, RestoreJournal, restoreItems } from './restore.ts';
import { Schedule } from './schedule.ts';
import { selectDatabases } from './select.ts';
import { BackupStore, checkId } from './store.ts';

export interface BackupServiceOptions {
  dir: string;
  stateDir: string;
  instanceId: string;
  iris: IrisClient;
  control: InstanceControl;
  bridgeVersion: string;
  uploadLimitBytes: number;
  log: Logger;
  /** Asks the Supervisor for a partial backup of this add-on (only inside Home Assistant). */
  homeAssistantBackup?: (name: string) => Promise<void>;
}

// Where ha/, mqtt/ and app.ts import them today; src/model/backup.ts is their home.

type Events = {
  job: [JobStatus];
  status: [BackupStatus];
  /** A backup, verify or restore failed: Home Assistant gets a notification and an event. */
  failed: [{ kind: JobKind; backupId: string | null; error: string }];
  /** A freeze someone else left was thawed: Home Assistant's backup_post never came, or a crash. */
  thawed: [FreezeMarker];
};

class Job {
  readonly status: JobStatus;

  constructor(
    kind: JobKind,
    backupId: string | null,
    private readonly publish: (s: JobStatus) => void,
  ) {
    this.status = {
      id: randomBytes(6).toString('hex'),
      kind,
      backupId,
      state: 'running',
      startedAt: new Date().toISOString(),
      endedAt: null,
      progress: null,
      steps: [],
      error: null,
    };
  }

  readonly meter = new ProgressMeter((p) => {
    this.status.progress = p;
    this.publish(this.status);
  });

  /** Runs one step: shown as running, then done or failed with the error's message. */
  async step<T>(text: string, work: () => Promise<T>, detail?: (value: T) => string | undefined): Promise<T> {
    const s: JobStep = { text, state: 'running' };
    this.status.steps.push(s);
    this.publish(this.status);
    try {
      const value = await work();
      s.state = 'done';
      s.detail = detail?.(value);
      return value;
    } catch (err) {
      s.state = 'failed';
      s.detail = (err as Error).message;
      throw err;
    } finally {
      this.status.progress = null;
      this.publish(this.status);
    }
  }

  note(text: string, state: StepState, detail?: string): void {
    this.status.steps.push({ text, state, detail });
    this.publish(this.status);
  }

  end(error: Error | null): void {
    this.status.state = error ? 'failed' : 'ok';
    this.status.error = error ? error.message : null;
    this.status.endedAt = new Date().toISOString();
    this.status.progress = null;
    this.publish(this.status);
  }
}

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

export class BackupService extends EventEmitter<Events> {
  readonly store: BackupStore;
  readonly schedule: Schedule;
  private readonly freeze: FreezeHolder;
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
  }

  /**
   * Cleans up after a crash (unfinished files, a freeze left behind, archives without a record),
   * then arms the schedule and the freeze watchdog. The first status is for the caller to ask
   * (status()); 'status' events follow each change.
   */
  async start(): Promise<void> {
    await mkdir(this.o.stateDir, { recursive: true, mode: 0o700 });
    const removed = await this.store.cleanUp();
    if (removed) this.o.log.warn(`Removed ${removed} unfinished backup file(s) left by an interrupted backup, upload or restore.`);
    for (const id of await this.store.orphans()) await this.adoptOrphan(id);
    await this.checkFreeze();
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

  /** An archive renamed into place just before a crash: kept only if it checks out. */
  private async adoptOrphan(id: string): Promise<void> {
    const path = this.store.archivePath(id);
    try {
      const m = await readArchive(path);
      await this.store.save(this.recordOf(m, (await stat(path)).size, false));
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
    return this.begin('backup', null, async (job) => (await this.backup(job, kind)).id);
  }

  async startVerify(id: string): Promise<JobStatus> {
    checkId(id);
    return this.begin('verify', id, async (job) => {
      const r = await this.store.get(id);
      let error: string | undefined;
      try {
        await job.step('Read the archive and check every checksum', async () => {
          job.meter.begin('verifying', r.databasesBytes);
          await readArchive(this.store.archivePath(id), { meter: job.meter });
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
        await this.restore(job, id);
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

  /** Takes an uploaded archive: kept only when it is complete, ours and every checksum matches. */
  upload(body: Readable): Promise<BackupRecord> {
    const p = this.receive(body);
    this.uploads.add(p);
    void p.finally(() => this.uploads.delete(p)).catch(() => {});
    return p;
  }

  private async receive(body: Readable): Promise<BackupRecord> {
    await this.store.init();
    const work = join(this.store.workDir, `upload-${randomBytes(6).toString('hex')}.tar.gz`);
    try {
      const limit = new CountingStream(() => {
        if (limit.size > this.o.uploadLimitBytes) limit.destroy(new BackupError('too-large', `The upload is larger than ${mb(this.o.uploadLimitBytes)}, the limit.`));
      });
      await pipeline(body, limit, createWriteStream(work, { mode: 0o600, flags: 'wx' }));
      const m = await readArchive(work);
      if (this.claimed.has(m.id) || this.current?.status.backupId === m.id) throw new BackupError('exists', `Backup ${m.id} is already being received or worked on.`);
      return await this.holding(m.id, 'upload', async () => {
        if (await this.store.has(m.id)) throw new BackupError('exists', `Backup ${m.id} is already here.`);
        await this.store.publish(work, m.id);
        const record = this.recordOf(m, limit.size, true);
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

  private recordOf(m: Manifest, sizeBytes: number, uploaded: boolean): BackupRecord {
    return {
      id: m.id,
      kind: m.kind,
      createdAt: m.startedAt,
      completedAt: m.endedAt,
      result: 'ok',
      sizeBytes,
      databasesBytes: m.databases.reduce((n, d) => n + d.size, 0),
      databases: m.databases.map((d) => d.name),
      freezeMs: m.freezeMs,
      irisVersion: m.instance.irisVersion,
      instance: m.instance.id,
      uploaded,
      verify: { state: 'verified', at: new Date().toISOString() },
    };
  }

  /** A backup; a safety backup inside a restore is one step of it, so its own steps are not listed. */
  private async backup(job: Job, kind: BackupKind): Promise<BackupRecord> {
    const step: Job['step'] = kind === 'safety' ? (_text, work) => work() : (text, work, detail) => job.step(text, work, detail);
    const started = new Date();
    const id = backupId(this.o.instanceId, started, kind);
    const staging = join(this.store.workDir, `capture-${id}`);
    const partial = join(this.store.workDir, `${id}.tar.gz`);
    try {
      await this.store.init();
      const { selection, version, bytes } = await step('Ask IRIS which databases it has', async () => {
        const [dbs, snap] = await Promise.all([this.o.iris.databases(), this.o.iris.snapshot()]);
        const sel = selectDatabases(dbs);
        if (!sel.included.length) throw new BackupError('iris', 'IRIS reports no database that can be backed up.');
        let total = 0;
        for (const d of sel.included) total += (await stat(join(d.directory, 'IRIS.DAT'))).size;
        return { selection: sel, version: snap.instance, bytes: total };
      }, (v) => `${v.selection.included.map((d) => d.name).join(', ')} (${mb(v.bytes)}); left out: ${v.selection.excluded.map((d) => d.name).join(', ') || 'none'}`);

      // The staging copy needs the databases' size. The archive's compressed size is not known
      // before it is written: running out of space then is caught as it happens.
      const free = await this.store.freeBytes();
      const need = bytes * 1.05 + 1e6;
      if (free < need) {
        throw new BackupError('no-space', `Not enough free space in ${this.o.dir}: the backup needs about ${mb(need)}, ${mb(free)} is free. Delete old backups or lower the retention.`);
      }

      const frozen = await step('Freeze IRIS and copy the databases', async () => {
        job.meter.begin('copying', bytes);
        return this.freeze.hold(() => captureDatabases(selection.included, staging, job.meter));
      }, (f) => `IRIS was frozen for ${f.thawedAt.getTime() - f.frozenAt.getTime()} ms`);

      const captured: CapturedDatabase[] = frozen.value;
      const digests = await step('Checksum the copies', async () => {
        job.meter.begin('checksumming', bytes);
        const out = new Map<string, Digest>();
        for (const c of captured) out.set(c.name, await hashFile(c.staged, (n) => job.meter.add(n)));
        return out;
      });
      const manifest: Manifest = {
        format: FORMAT,
        formatVersion: FORMAT_VERSION,
        id,
        kind,
        createdBy: `IRIS Edge ${this.o.bridgeVersion}`,
        instance: { id: this.o.instanceId, irisVersion: version.version, irisVersionNumber: version.versionNumber },
        startedAt: started.toISOString(),
        frozenAt: frozen.frozenAt.toISOString(),
        thawedAt: frozen.thawedAt.toISOString(),
        endedAt: frozen.thawedAt.toISOString(),
        freezeMs: frozen.thawedAt.getTime() - frozen.frozenAt.getTime(),
        databases: captured.map((c) => {
          const d = digests.get(c.name)!;
          return { name: c.name, directory: c.directory, file: databaseEntry(c.name), size: d.size, sha256: d.sha256 };
        }),
        excluded: selection.excluded,
      };
      await step('Write the archive', async () => {
        job.meter.begin('archiving', bytes);
        await writeArchive(partial, manifest, new Map(captured.map((c) => [c.name, c.staged])), job.meter);
      });
      await rm(staging, { recursive: true, force: true });
      await step('Verify the archive', async () => {
        job.meter.begin('verifying', bytes);
        await readArchive(partial, { meter: job.meter });
      });
      const size = (await stat(partial)).size;
      await this.store.publish(partial, id);
      const record = this.recordOf(manifest, size, false);
      record.completedAt = new Date().toISOString();
      await this.store.save(record);
      this.o.log.info(`Backup ${id} done: ${mb(size)}, IRIS frozen for ${manifest.freezeMs} ms.`);

      const pruned = await this.store.prune(this.schedule.settings.retention, new Set([id]));
      if (pruned.length) job.note(`Keep the newest ${this.schedule.settings.retention} backups`, 'done', `deleted ${pruned.join(', ')}`);
      if (kind !== 'safety') await this.homeAssistantBackup(job, id);
      return record;
    } catch (err) {
      await rm(staging, { recursive: true, force: true }).catch(() => {});
      await rm(partial, { force: true }).catch(() => {});
      const e = fsProblem(err, 'the backup');
      await this.store
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
          instance: this.o.instanceId,
          uploaded: false,
          verify: { state: 'unverified' },
        })
        .catch(() => {});
      throw e;
    }
  }

  private async homeAssistantBackup(job: Job, id: string): Promise<void> {
    if (!this.schedule.settings.homeAssistantBackup || !this.o.homeAssistantBackup) return;
    try {
      await job.step('Ask Home Assistant for a backup of the add-on', () => this.o.homeAssistantBackup!(`IRIS Edge after ${id}`));
    } catch (err) {
      // The IRIS Edge backup itself is good; this is reported, not fatal.
      this.o.log.warn(`Home Assistant did not make its backup of the add-on: ${(err as Error).message}`);
    }
  }

  private async restore(job: Job, id: string): Promise<void> {
    const archive = this.store.archivePath(id);
    const record = await this.store.get(id);
    const manifest = await job.step('Check the backup', async () => {
      job.meter.begin('verifying', record.databasesBytes);
      return readArchive(archive, { meter: job.meter });
    });
    const plan = planRestore(manifest, await this.o.iris.databases());
    if (!plan.replace.length) throw new BackupError('iris', `Nothing in backup ${id} can be restored here: ${plan.skip.map((s) => `${s.name} ${s.reason}`).join('; ')}.`);
    for (const s of plan.skip) job.note(`Leave out ${s.name}`, 'skipped', s.reason);

    const safety = await job.step('Safety backup of the current databases', () => this.backup(job, 'safety'), (r) => r.id);

    const items = restoreItems(plan);
    const journal = new RestoreJournal(journalPath(this.o.stateDir), id, items);
    let stopped = false;
    try {
      await job.step('Unpack the backup beside the databases', async () => {
        await journal.staging();
        const targets = new Map(items.map((i) => [i.name, i.staged]));
        job.meter.begin('unpacking', record.databasesBytes);
        await readArchive(archive, { meter: job.meter, extractTo: (d) => targets.get(d.name) });
      });
      await job.step('Stop IRIS', async () => {
        stopped = true;
        await this.o.control.stop();
      });
      await job.step('Replace the database files', () => journal.swap(), () => plan.replace.map((r) => r.name).join(', '));
      await job.step('Start IRIS', () => this.o.control.start());
    } catch (err) {
      await job.step('Put the previous files back', async () => {
        if (stopped) await this.o.control.stop().catch(() => {});
        await journal.rollback();
        if (stopped) await this.o.control.start();
      }, () => `IRIS runs on the databases it had before; the safety backup ${safety.id} holds them too`);
      throw err;
    }
    await journal.commit();
    await job.step('Productions after the start', async () => {
      const snap = await this.o.iris.snapshot();
      return snap.productions.filter((p) => p.state === 'running').map((p) => `${p.namespace}/${p.name}`);
    }, (running) => (running.length ? `running (auto-start): ${running.join(', ')}` : 'none set to start automatically'));
    this.o.log.info(`Backup ${id} was restored (${plan.replace.map((r) => r.name).join(', ')}); the previous databases are in ${safety.id}.`);
  }
}

/** Finishes or undoes a restore a crash interrupted; run before IRIS (or the simulator) starts. */
export async function recoverInterruptedRestore(stateDir: string, log: Logger): Promise<void> {
  const r = await recoverRestore(stateDir);
  if (r?.action === 'rolled-back') log.warn(`The restore of ${r.id} was interrupted; the previous database files were put back.`);
  if (r?.action === 'completed') log.info(`The restore of ${r.id} had finished; its leftover files were removed.`);
}
