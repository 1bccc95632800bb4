/**
 * Bench: an IRIS Edge backup (copy under freeze + tar.zst + verify) of 512 MB of IRIS.DAT
 * files on the simulator's data directory, its write daemon on so the files change during the run,
 * next to a plain `cp`, `tar -cf`, `tar -czf` and `tar --zstd` of the same files; then a verify
 * and a restore of that backup (its total, and the time until IRIS runs on the restored files:
 * the safety backup is written beside the start), next to plain extraction of the plain archives. The databases are
 * half random pages, half text-like records (bench/backup-data.ts says why). Prints figures, and
 * at the end the goals of issue #19 beside their anchors from the same run; nothing here passes
 * or fails. The backup service is the one the image runs: bundled as the build bundles it, in a
 * process with the image's allocator settings, its archives written and read by the built
 * archive process (whose largest resident memory is printed too).
 *
 *   npm run bench:backup                 (in os.tmpdir())
 *   npm run bench:backup -- /media/sd    (in a directory of yours, e.g. an SD card; only what the
 *                                         bench creates there is removed)
 *   BENCH_BACKUP_MB=200 npm run bench:backup
 *
 * The disk needs about 3.5 times the data size free. MB = 10^6 bytes, as in the backup's messages.
 * Page caches are dropped before each run when /proc/sys/vm/drop_caches can be written (root).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, rm, stat, statfs } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { realisticBlocks } from './backup-data.ts';
import { ZSTD_LEVEL, ZSTD_LEVEL_SAFETY } from '../src/backups/codec.ts';
import { defaultLanes, FRAME_BYTES } from '../src/backups/frame-writer.ts';
import type { BackupService } from '../src/backups/service.ts';
import type { JobStatus } from '../src/model/backup.ts';
import { BLOCK_SIZE, SimulatedDatabases, type SimDatabaseSeed } from '../src/iris/simulator/databases.ts';
import { IrisSimulator } from '../src/iris/simulator/index.ts';
import { createLogger } from '../src/log/logger.ts';
import { builtBridge, imageMallocEnv, processSample, runAsImage } from './support/bridge-process.ts';
import { archiveProcessesOf } from '../test/support/processes.ts';

const WRITE_INTERVAL_MS = 5;
const DEFAULT_MB = 512;
/** Restore of 512 MB before zstd frames were written in parallel (issue #19's table, 3 runs). */
const RESTORE_BEFORE_MS = [15_800, 17_600];
/** A realistic instance: system databases, USER, and two application databases with most of the data. */
const LAYOUT: { name: string; path: string; share: number }[] = [
  { name: 'IRISSYS', path: 'mgr', share: 0.1 },
  { name: 'IRISAUDIT', path: 'mgr/irisaudit', share: 0.05 },
  { name: 'IRISSECURITY', path: 'mgr/irissecurity', share: 0.01 },
  { name: 'USER', path: 'mgr/user', share: 0.04 },
  { name: 'ORDERS', path: 'mgr/orders', share: 0.48 },
  { name: 'LAB', path: 'mgr/lab', share: 0.32 },
];

const MB = 1e6;
const mb = (n: number) => `${(n / MB).toFixed(1)} MB`;
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const rate = (bytes: number, ms: number) => (ms > 0 ? `${(bytes / MB / (ms / 1000)).toFixed(1)} MB/s` : '-');

class BenchError extends Error {}

// ---- Page cache --------------------------------------------------------------------------------

let cacheNote = '';
/** sync, then drop the page cache if the kernel lets us; true when it did. */
function dropCaches(): boolean {
  spawnSync('sync');
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '3');
    return true;
  } catch (err) {
    cacheNote ||= (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return false;
  }
}

// ---- Spawned commands --------------------------------------------------------------------------

/** Runs a command (asynchronously: the simulated write daemon keeps writing meanwhile). */
function run(cmd: string, args: string[], cwd: string, okStatus: number[] = [0]): Promise<{ ms: number; status: number; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(new BenchError(err.code === 'ENOENT' ? `\`${cmd}\` is not installed (needed for the comparison).` : `Could not run ${cmd}: ${err.message}`)),
    );
    child.on('close', (status) => {
      const ms = performance.now() - t0;
      if (status !== null && okStatus.includes(status)) resolvePromise({ ms, status, stderr });
      else reject(new BenchError(`\`${cmd} ${args.join(' ')}\` failed (exit ${status}): ${stderr.trim().slice(0, 400)}`));
    });
  });
}

// ---- The rig -----------------------------------------------------------------------------------

interface Row {
  label: string;
  ms: number;
  size?: number;
  /** Bytes the MB/s is computed over (the database files). */
  over?: number;
  note?: string;
  indent?: boolean;
}

/**
 * Step timings of one job, from the service's 'job' events: each step's row, when a step ended
 * (performance.now()), and how long at least one step was running (steps may run side by side).
 */
function watchSteps(service: BackupService): { rows: (jobId: string) => Row[]; endOf: (jobId: string, text: string) => number; covered: (jobId: string) => number; stop: () => void } {
  const seen = new Map<string, { text: string; start: number; end: number | null; state: string; detail?: string }[]>();
  const on = (s: JobStatus) => {
    const now = performance.now();
    const list = seen.get(s.id) ?? [];
    seen.set(s.id, list);
    s.steps.forEach((step, i) => {
      const t = (list[i] ??= { text: step.text, start: now, end: null, state: step.state });
      t.state = step.state;
      t.detail = step.detail;
      if (step.state !== 'running' && t.end === null) t.end = now;
    });
  };
  service.on('job', on);
  return {
    rows: (jobId) =>
      (seen.get(jobId) ?? []).map((t) => ({
        label: t.text,
        ms: (t.end ?? t.start) - t.start,
        indent: true,
        note: t.state !== 'done' ? t.state : undefined,
      })),
    endOf: (jobId, text) => {
      const t = (seen.get(jobId) ?? []).find((x) => x.text === text);
      if (t?.end == null) throw new BenchError(`The job has no finished step "${text}".`);
      return t.end;
    },
    covered: (jobId) => {
      let total = 0;
      let reach = -Infinity;
      for (const t of [...(seen.get(jobId) ?? [])].sort((a, b) => a.start - b.start)) {
        const end = t.end ?? t.start;
        total += Math.max(0, end - Math.max(t.start, reach));
        reach = Math.max(reach, end);
      }
      return total;
    },
    stop: () => service.off('job', on),
  };
}

/**
 * The largest resident memory of the archive processes (backups/archive-process.ts) the service
 * starts, sampled every 100 ms; `take` returns the peak since the last call.
 */
function watchArchiveProcesses(): { take: () => number; stop: () => void } {
  let peak = 0;
  const timer = setInterval(() => {
    for (const pid of archiveProcessesOf(process.pid)) peak = Math.max(peak, processSample(pid).rssMb);
  }, 100);
  return {
    take: () => {
      const p = peak;
      peak = 0;
      return p;
    },
    stop: () => clearInterval(timer),
  };
}

async function fileBytes(files: string[]): Promise<number> {
  let n = 0;
  for (const f of files) n += (await stat(f)).size;
  return n;
}

function fsType(dir: string): string {
  const r = spawnSync('stat', ['-f', '-c', '%T', dir], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'unknown file system';
}

interface Goal {
  figure: string;
  edge: string;
  anchor: string;
  ratio: string;
  goal: string;
}

async function main(workDir: string, userDir: boolean, rows: Row[], notes: string[], goals: Goal[]): Promise<void> {
  const raw = process.env.BENCH_BACKUP_MB;
  const totalMb = raw === undefined || raw === '' ? DEFAULT_MB : Number(raw);
  if (!Number.isFinite(totalMb) || totalMb < 1) throw new BenchError(`BENCH_BACKUP_MB must be a number of MB, at least 1 (got "${raw}").`);
  const seeds: SimDatabaseSeed[] = LAYOUT.map((l) => ({ name: l.name, path: l.path, blocks: Math.max(1, Math.round((totalMb * MB * l.share) / BLOCK_SIZE)) }));
  const dataBytes = seeds.reduce((n, s) => n + s.blocks * BLOCK_SIZE, 0);

  const fs = await statfs(workDir);
  const free = fs.bavail * fs.bsize;
  if (free < dataBytes * 3.5) {
    throw new BenchError(`Not enough free space in ${workDir}: the bench needs about ${mb(dataBytes * 3.5)} (${mb(dataBytes)} of databases, the staging copy, archives, a restore), ${mb(free)} is free.`);
  }

  console.log(`IRIS Edge backup bench — ${mb(dataBytes)} of IRIS.DAT in ${seeds.length} databases (${seeds.map((s) => `${s.name} ${mb(s.blocks * BLOCK_SIZE)}`).join(', ')})`);
  console.log(`in ${workDir}${userDir ? '' : ' (temp)'} on ${fsType(workDir)}; simulated write daemon: one 8 KB block every ${WRITE_INTERVAL_MS} ms; ${cpus().length} CPU(s), load average ${loadavg()[0]?.toFixed(2)}`);
  console.log(`the backup service bundled as the image's build bundles it, on Node ${process.version}, with the image's allocator settings (${Object.entries(malloc).map(([k, v]) => `${k}=${v}`).join(' ')}); its archive processes without the thresholds`);

  const t0 = performance.now();
  const dataDir = join(workDir, 'iris');
  const data = new SimulatedDatabases(dataDir, { seeds, writeIntervalMs: WRITE_INTERVAL_MS, content: realisticBlocks() });
  const files = seeds.map((s) => join(dataDir, s.path, 'IRIS.DAT'));
  const relFiles = seeds.map((s) => join(s.path, 'IRIS.DAT'));
  console.log(`data directory created in ${secs(performance.now() - t0)}`);

  const sim = new IrisSimulator({ databases: data, transitionMs: 0 });
  const log = createLogger('warning', process.stderr);
  const built = await builtBridge();
  const service = new built.BackupService({
    dir: join(workDir, 'backups'),
    stateDir: join(workDir, 'state'),
    instanceId: 'iris',
    iris: sim,
    control: sim.owner,
    bridgeVersion: 'bench',
    uploadLimitBytes: 64 * MB,
    log,
  });
  const steps = watchSteps(service);
  const archiving = watchArchiveProcesses();
  let dropped = true;
  const fresh = () => {
    dropped = dropCaches() && dropped;
  };
  try {
    await service.start();
    // No scheduled backup may start in the middle of the bench.
    await service.updateSettings({ ...service.schedule.settings, enabled: false });

    const job = async (start: Promise<JobStatus>, what: string): Promise<{ status: JobStatus; ms: number; t0: number }> => {
      const t0 = performance.now();
      const status = await service.wait((await start).id);
      const ms = performance.now() - t0;
      if (status.state !== 'ok') throw new BenchError(`The IRIS Edge ${what} failed: ${status.error ?? 'no error message'}`);
      return { status, ms, t0 };
    };

    // (1) The IRIS Edge backup.
    fresh();
    const backup = await job(service.startBackup('manual'), 'backup');
    const id = backup.status.backupId;
    if (!id) throw new BenchError('The backup ended without a backup id.');
    const record = await service.get(id);
    const backupPeak = archiving.take();
    const backupSteps = steps.rows(backup.status.id);
    const other = backup.ms - steps.covered(backup.status.id);
    const format = `tar.zst level ${ZSTD_LEVEL} in ${FRAME_BYTES >> 20} MiB frames, ${defaultLanes()} at once`;
    rows.push({ label: `IRIS Edge backup (copy under freeze + ${format} + verify)`, ms: backup.ms, size: record.sizeBytes, over: record.databasesBytes, note: `${((record.sizeBytes / record.databasesBytes) * 100).toFixed(0)} % of the databases` });
    for (const r of backupSteps) rows.push(r.label.startsWith('Freeze') ? { ...r, over: record.databasesBytes, note: `IRIS frozen ${secs(record.freezeMs)}` } : r.label.startsWith('Write') || r.label.startsWith('Verify') ? { ...r, over: record.databasesBytes } : r);
    rows.push({ label: 'other (space check, removing the staging copy, record)', ms: other, indent: true });
    rows.push({ label: 'IRIS frozen (record.freezeMs)', ms: record.freezeMs, over: record.databasesBytes, indent: true });

    // (2) Plain tools on the same files, the write daemon still writing. Each output is removed
    // before the next run, so the disk holds at most one of them.
    const plain = join(workDir, 'plain');
    await mkdir(plain, { recursive: true });
    const tarChanged = (stderr: string) => (/file changed as we read it/.test(stderr) ? 'tar: "file changed as we read it"' : undefined);

    let cpMs = NaN;
    fresh();
    {
      const bytes = await fileBytes(files);
      let ms = 0;
      const copies: string[] = [];
      for (const [i, f] of files.entries()) {
        const to = join(plain, `${seeds[i]?.name}.DAT`);
        copies.push(to);
        ms += (await run('cp', ['--', f, to], workDir)).ms;
      }
      ms += (await run('sync', ['--', ...copies], workDir)).ms;
      rows.push({ label: 'plain cp + fsync (what the freeze is bounded by)', ms, size: await fileBytes(copies), over: bytes });
      cpMs = ms;
      await rm(plain, { recursive: true, force: true });
      await mkdir(plain, { recursive: true });
    }
    const plainMs: Record<string, number> = {};
    const plainSize: Record<string, number> = {};
    const extract: Row[] = [];
    for (const [flags, name, label] of [
      [['-cf'], 'plain.tar', 'plain tar -cf + fsync'],
      [['-czf'], 'plain.tar.gz', 'plain tar -czf (gzip -6) + fsync'],
      [['--zstd', '-cf'], 'plain.tar.zst', 'plain tar --zstd (zstd -3) + fsync'],
      [['-I', 'zstd -1', '-cf'], 'plain-1.tar.zst', "plain tar -I 'zstd -1' + fsync"],
    ] as const) {
      fresh();
      const bytes = await fileBytes(files);
      const out = join(plain, name);
      const r = await run('tar', [...flags, out, '--', ...relFiles], dataDir, [0, 1]);
      const s = await run('sync', ['--', out], workDir);
      const size = (await stat(out)).size;
      plainMs[name] = r.ms + s.ms;
      plainSize[name] = size;
      rows.push({ label, ms: r.ms + s.ms, size, over: bytes, note: [name !== 'plain.tar' ? `${((size / bytes) * 100).toFixed(1)} % of the databases` : undefined, tarChanged(r.stderr)].filter(Boolean).join('; ') || undefined });
      if (name === 'plain.tar.gz' || name === 'plain.tar.zst') {
        // Plain extraction, the anchor of a restore: unpack + fsync of the files.
        fresh();
        const into = join(plain, `x-${name}`);
        await mkdir(into);
        const x = await run('tar', [name === 'plain.tar.gz' ? '-xzf' : '--zstd', ...(name === 'plain.tar.gz' ? [] : ['-xf']), out, '-C', into], workDir);
        const xs = await run('sync', ['-f', into], workDir);
        plainMs[`x-${name}`] = x.ms + xs.ms;
        extract.push({ label: `plain tar ${name === 'plain.tar.gz' ? '-xzf' : '--zstd -xf'} + fsync`, ms: x.ms + xs.ms, over: bytes });
        await rm(into, { recursive: true, force: true });
      }
      await rm(out, { force: true });
    }
    await rm(plain, { recursive: true, force: true });

    // (3) Verify and restore of the backup.
    fresh();
    archiving.take();
    const verify = await job(service.startVerify(id), 'verify');
    const verifyPeak = archiving.take();
    rows.push({ label: 'IRIS Edge verify (zstd -d + SHA-256 of every file and of the archive)', ms: verify.ms, size: record.sizeBytes, over: record.databasesBytes });

    fresh();
    const restore = await job(service.startRestore(id, id), 'restore');
    const restorePeak = archiving.take();
    const restoreSteps = steps.rows(restore.status.id);
    // IRIS runs on the restored files once 'Start IRIS' is done; the safety backup runs beside it.
    const irisRunsMs = steps.endOf(restore.status.id, 'Start IRIS') - restore.t0;
    rows.push({ label: 'IRIS Edge restore (stop/start of the simulator)', ms: restore.ms, over: record.databasesBytes });
    rows.push({ label: 'until IRIS runs on the restored files', ms: irisRunsMs, indent: true });
    for (const r of restoreSteps) {
      if (r.label.startsWith('Safety')) rows.push({ ...r, over: record.databasesBytes, note: `zstd level ${ZSTD_LEVEL_SAFETY}, beside Start IRIS` });
      else rows.push(r.label.startsWith('Read') || r.label.startsWith('Unpack') ? { ...r, over: record.databasesBytes } : r);
    }
    const safety = (await service.list()).find((r) => r.kind === 'safety');
    if (safety) rows.push({ label: `safety backup: IRIS frozen (record.freezeMs)`, ms: safety.freezeMs, over: safety.databasesBytes, indent: true });
    rows.push({ label: 'other (planning, journal commit)', ms: restore.ms - steps.covered(restore.status.id), indent: true });
    rows.push(...extract);

    const x = (a: number | undefined, b: number) => (a === undefined ? '-' : `${(a / b).toFixed(2)}x`);
    notes.push(
      `same run: backup ${x(plainMs['plain.tar.gz'], backup.ms)} faster than tar -czf, ${x(plainMs['plain.tar.zst'], backup.ms)} than tar --zstd; ` +
        `size ${x(record.sizeBytes, plainSize['plain.tar.gz'] ?? NaN)} of tar -czf's, ${x(record.sizeBytes, plainSize['plain.tar.zst'] ?? NaN)} of tar --zstd's; ` +
        `restore ${x(restore.ms, plainMs['x-plain.tar.gz'] ?? NaN)} the time of tar -xzf, ${x(restore.ms, plainMs['x-plain.tar.zst'] ?? NaN)} of tar --zstd -xf.`,
    );
    notes.push(`archive processes' largest resident memory (sampled every 100 ms): backup ${backupPeak.toFixed(1)} MB, verify ${verifyPeak.toFixed(1)} MB, restore ${restorePeak.toFixed(1)} MB.`);
    notes.push(`load average after the run: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    goals.push(
      { figure: 'backup (copy under freeze + archive + verify)', edge: secs(backup.ms), anchor: `tar -czf ${secs(plainMs['plain.tar.gz'] ?? NaN)}`, ratio: `${x(plainMs['plain.tar.gz'], backup.ms)} faster`, goal: '>= 3x faster' },
      { figure: 'archive size', edge: mb(record.sizeBytes), anchor: `tar -czf ${mb(plainSize['plain.tar.gz'] ?? NaN)}`, ratio: `${x(record.sizeBytes, plainSize['plain.tar.gz'] ?? NaN)} the size`, goal: '<= 1.00x' },
      { figure: 'IRIS frozen', edge: secs(record.freezeMs), anchor: `cp + fsync ${secs(cpMs)}`, ratio: `${x(record.freezeMs, cpMs)} the time`, goal: 'the file copy alone' },
      {
        figure: 'restore (unpack + swap + start beside the safety backup)',
        edge: secs(restore.ms),
        anchor: `issue #19 before ${RESTORE_BEFORE_MS.map((ms) => (ms / 1000).toFixed(1)).join('-')} s`,
        ratio: `${RESTORE_BEFORE_MS.map((ms) => x(ms, restore.ms)).join('-')} faster`,
        goal: '>= 2.5x faster',
      },
      { figure: 'restore, same-run anchor', edge: secs(restore.ms), anchor: `tar -xzf ${secs(plainMs['x-plain.tar.gz'] ?? NaN)}`, ratio: `${x(restore.ms, plainMs['x-plain.tar.gz'] ?? NaN)} the time`, goal: '-' },
      { figure: 'restore, until IRIS runs on the restored files', edge: secs(irisRunsMs), anchor: `whole restore ${secs(restore.ms)}`, ratio: `${x(irisRunsMs, restore.ms)} of it`, goal: '-' },
    );

    notes.push(
      dropped
        ? 'caches: synced and dropped (/proc/sys/vm/drop_caches) before each run.'
        : `caches: NOT dropped (${cacheNote || 'drop_caches refused'}; needs root): the files were likely read from the page cache, so reads are faster than the disk alone.`,
    );
    notes.push(`MB/s is over the database bytes (${mb(record.databasesBytes)} in the backup; the plain runs over the files' size at their start, which grows as the write daemon adds blocks).`);
  } finally {
    steps.stop();
    archiving.stop();
    service.stop();
    await sim.close();
  }
}

function printTable(rows: Row[], notes: string[]): void {
  const label = (r: Row) => (r.indent ? `  ${r.label}` : r.label);
  const w = Math.max(...rows.map((r) => label(r).length));
  const col = (s: string, n: number) => s.padStart(n);
  console.log('');
  console.log(`${''.padEnd(w)}  ${col('time', 9)}  ${col('size', 10)}  ${col('rate', 11)}`);
  for (const r of rows) {
    console.log(`${label(r).padEnd(w)}  ${col(secs(r.ms), 9)}  ${col(r.size === undefined ? '' : mb(r.size), 10)}  ${col(r.over === undefined ? '' : rate(r.over, r.ms), 11)}${r.note ? `  ${r.note}` : ''}`);
  }
  for (const n of notes) console.log(n);
}

function printGoals(goals: Goal[]): void {
  if (!goals.length) return;
  const head: Goal = { figure: 'issue #19 goal', edge: 'IRIS Edge', anchor: 'anchor', ratio: 'ratio', goal: 'goal' };
  const keys = Object.keys(head) as (keyof Goal)[];
  const width = (k: keyof Goal) => Math.max(...[head, ...goals].map((g) => g[k].length));
  console.log('');
  for (const g of [head, ...goals]) console.log(keys.map((k) => g[k].padEnd(width(k))).join('  ').trimEnd());
}

// The bench hosts the backup service as the bridge hosts it, with the allocator settings the
// image starts the bridge with.
runAsImage(import.meta.url);
const malloc = imageMallocEnv();

const userDir = process.argv[2] !== undefined && process.argv[2] !== '';
let workDir: string | undefined;
const cleanUp = () => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  workDir = undefined;
};
process.on('SIGINT', () => {
  console.error('\nInterrupted; removing the bench files.');
  cleanUp();
  process.exit(130);
});

const rows: Row[] = [];
const notes: string[] = [];
const goals: Goal[] = [];
try {
  const base = resolve(userDir ? (process.argv[2] as string) : tmpdir());
  try {
    if (!statSync(base).isDirectory()) throw new BenchError(`${base} is not a directory.`);
  } catch (err) {
    if (err instanceof BenchError) throw err;
    throw new BenchError(`Cannot use ${base}: ${(err as Error).message}`);
  }
  // Everything lives in one directory the bench creates, and only that is removed at the end.
  workDir = mkdtempSync(join(base, 'iris-edge-bench-backup-'));
  await main(workDir, userDir, rows, notes, goals);
  printTable(rows, notes);
  printGoals(goals);
  cleanUp();
} catch (err) {
  if (rows.length) printTable(rows, notes);
  console.error(`\nbench:backup failed: ${err instanceof BenchError ? err.message : ((err as Error)?.stack ?? String(err))}`);
  try {
    cleanUp();
  } catch (e) {
    console.error(`Could not remove ${workDir}: ${(e as Error).message}`);
  }
  process.exit(1);
}
