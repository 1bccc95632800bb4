/** A backup service over a simulated IRIS whose database files keep changing, on real files. */
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { BackupService } from '../../src/backups/service.ts';
import type { JobStatus } from '../../src/model/backup.ts';
import { SimulatedDatabases, type SimulatedDatabasesOptions } from '../../src/iris/simulator/databases.ts';
import { IrisSimulator } from '../../src/iris/simulator/index.ts';
import { captureLogger, within } from './fixtures.ts';

export const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A gzip'd tar of these entries, made here (tar-stream); `header` adds to an entry's header (type, pax...). */
export async function tarGz(entries: { name: string; body: Buffer | string; header?: Partial<tar.Header> }[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) pack.entry({ name: e.name, ...e.header }, e.body);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return gzipSync(Buffer.concat(chunks));
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
  run(start: Promise<JobStatus>): Promise<JobStatus>;
  close(): Promise<void>;
}

export const WRITABLE = ['IRISSYS', 'IRISAUDIT', 'IRISSECURITY', 'IRISMETRICS', 'IRISTEMP', 'IRISLOCALDATA', 'USER', 'ORDERS'];
const hashAll = (data: SimulatedDatabases) => new Map(WRITABLE.map((n) => [n, sha(data.read(n))]));

export async function backupRig(
  options: { dir?: string; data?: SimulatedDatabasesOptions; uploadLimitBytes?: number; /** IRIS fails to start this many times. */ startFailures?: number } = {},
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
    service: undefined as unknown as BackupService,
    run: async (start) => {
      const job = await start;
      return within(rig.service.wait(job.id), 60_000, () => `the ${job.kind} job to end (steps: ${JSON.stringify(rig.service.job()?.steps)})`);
    },
    close: async () => {
      rig.service.stop();
      await sim.close();
    },
  };
  rig.service = new BackupService({
    dir: options.dir ?? join(root, 'backups'),
    stateDir: join(root, 'state'),
    instanceId: 'iris',
    iris: sim,
    control: {
      ...sim.owner,
      // The oracle is taken inside freeze(): nothing can write between IRIS freezing and the hash.
      freeze: async () => {
        await sim.owner.freeze();
        rig.atFreeze = hashAll(data);
      },
      start: async () => {
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
  });
  await rig.service.start();
  return rig;
}
