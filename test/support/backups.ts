/** A backup service over a simulated IRIS whose database files keep changing, on real files. */
import { createCipheriv, createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { backupId, databaseEntry, FORMAT, FORMAT_VERSION, MANIFEST_NAME, type Manifest } from '../../src/backups/manifest.ts';
import { BackupService, type BackupServiceOptions } from '../../src/backups/service.ts';
import type { JobStatus } from '../../src/model/backup.ts';
import { SimulatedDatabases, type SimulatedDatabasesOptions } from '../../src/iris/simulator/databases.ts';
import { IrisSimulator } from '../../src/iris/simulator/index.ts';
import { captureLogger, within } from './fixtures.ts';

export const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** GNU tar's option for an archive's codec: it tells zstd from gzip by itself in a file, not on stdin. */
export const codecOption = (archive: Buffer) => (archive.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd])) ? '--zstd' : '--gzip');

/** A gzip'd tar of these entries, made here (tar-stream); `header` adds to an entry's header (type, pax...). */
export async function tarGz(entries: { name: string; body: Buffer | string; header?: Partial<tar.Header> }[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) pack.entry({ name: e.name, ...e.header }, e.body);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

/** `size` bytes of noise that is the same on every call for the same seed (AES-CTR over zeros), 1 MiB at a time. */
function* noise(size: number, seed: number): Generator<Buffer> {
  const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16, seed), Buffer.alloc(16));
  const zeros = Buffer.alloc(1024 * 1024);
  for (let left = size; left > 0; left -= zeros.length) yield cipher.update(zeros.subarray(0, Math.min(left, zeros.length)));
}

/**
 * A valid IRIS Edge archive of one database of `size` bytes (noise: gzip keeps it that size),
 * written to `file` as a stream, so hundreds of MB never sit in the test's memory. Its id is
 * new for each `at`. Returns the id and the archive's size.
 */
export async function writeLargeArchive(file: string, size: number, at: Date, seed = 7): Promise<{ id: string; bytes: number }> {
  const hash = createHash('sha256');
  for (const chunk of noise(size, seed)) hash.update(chunk);
  const t = at.toISOString();
  const manifest: Manifest = {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    id: backupId('iris', at, 'manual'),
    kind: 'manual',
    createdBy: 'test',
    instance: { id: 'iris', irisVersion: 'IRIS for UNIX (simulated)', irisVersionNumber: '2025.1' },
    startedAt: t,
    frozenAt: t,
    thawedAt: t,
    endedAt: t,
    freezeMs: 0,
    databases: [{ name: 'USER', directory: '/data/iris/mgr/user/', file: databaseEntry('USER'), size, sha256: hash.digest('hex') }],
    excluded: [],
  };
  const pack = tar.pack();
  pack.entry({ name: MANIFEST_NAME }, JSON.stringify(manifest));
  // tar-stream's entry is a streamx Writable; Node's write/drain contract is all that is used.
  const entry = pack.entry({ name: databaseEntry('USER'), size }) as unknown as NodeJS.WritableStream;
  const done = pipeline(pack, createGzip({ level: 1 }), createWriteStream(file));
  for (const chunk of noise(size, seed)) if (!entry.write(chunk)) await once(entry, 'drain');
  entry.end();
  pack.finalize();
  await done;
  return { id: manifest.id, bytes: statSync(file).size };
}

export interface BackupRig {
  root: string;
  data: SimulatedDatabases;
  sim: IrisSimulator;
  service: BackupService;
  lines: string[];
  /** SHA-256 of every database file at the moment IRIS was last frozen (the tests' oracle). */
  atFreeze: Map<string, string>;
  /** SHA-256 of every database file just before IRIS was last started (after a restore's swap). */
  atStart: Map<string, string>;
  /** How many times IRIS was asked to freeze. */
  freezes: number;
  run(start: Promise<JobStatus>): Promise<JobStatus>;
  /** A new service on the same directories and IRIS, started: the bridge after a restart. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export const WRITABLE = ['IRISSYS', 'IRISAUDIT', 'IRISSECURITY', 'IRISMETRICS', 'IRISTEMP', 'IRISLOCALDATA', 'USER', 'ORDERS'];
const hashAll = (data: SimulatedDatabases) => new Map(WRITABLE.map((n) => [n, sha(data.read(n))]));

export async function backupRig(
  options: {
    dir?: string;
    data?: SimulatedDatabasesOptions;
    uploadLimitBytes?: number;
    /** IRIS fails to start this many times. */
    startFailures?: number;
    /** Runs each time IRIS has been stopped (what else happens on the machine meanwhile). */
    afterStop?: (rig: BackupRig) => void;
    /** Runs each time IRIS is about to be started. */
    beforeStart?: (rig: BackupRig) => void;
  } = {},
): Promise<BackupRig> {
  let startFailures = options.startFailures ?? 0;
  const root = mkdtempSync(join(tmpdir(), 'iris-edge-backups-'));
  const data = new SimulatedDatabases(join(root, 'iris'), { namespaces: ['ORDERS'], writeIntervalMs: 2, ...options.data });
  const sim = new IrisSimulator({ databases: data, transitionMs: 0 });
  const { log, lines } = captureLogger();
  const rig: BackupRig = {
    root,
    data,
    sim,
    lines,
    atFreeze: new Map(),
    atStart: new Map(),
    freezes: 0,
    service: undefined as unknown as BackupService,
    run: async (start) => {
      const job = await start;
      return within(rig.service.wait(job.id), 60_000, () => `the ${job.kind} job to end (steps: ${JSON.stringify(rig.service.job()?.steps)})`);
    },
    restart: async () => {
      rig.service.stop();
      rig.service = new BackupService(serviceOptions);
      await rig.service.start();
    },
    close: async () => {
      rig.service.stop();
      await sim.close();
    },
  };
  const serviceOptions: BackupServiceOptions = {
    dir: options.dir ?? join(root, 'backups'),
    stateDir: join(root, 'state'),
    instanceId: 'iris',
    iris: sim,
    control: {
      ...sim.owner,
      // The oracle is taken inside freeze(): nothing can write between IRIS freezing and the hash.
      freeze: async () => {
        rig.freezes += 1;
        await sim.owner.freeze();
        rig.atFreeze = hashAll(data);
      },
      stop: async () => {
        await sim.owner.stop();
        options.afterStop?.(rig);
      },
      start: async () => {
        options.beforeStart?.(rig);
        rig.atStart = hashAll(data);
        if (startFailures > 0) {
          startFailures -= 1;
          throw new Error('IRIS did not answer after it was started within 900 s.');
        }
        sim.startInstance();
      },
    },
    bridgeVersion: 'test',
    uploadLimitBytes: options.uploadLimitBytes ?? 64 * 1024 * 1024,
    log,
  };
  rig.service = new BackupService(serviceOptions);
  await rig.service.start();
  return rig;
}
