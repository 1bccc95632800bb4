/**
 * The simulator's durable data directory: real IRIS.DAT files that keep changing, so backups are
 * tested on files that move under them. It models:
 *
 * [GCDI]  Data Integrity Guide, "External Backup": ExternalFreeze() suspends the write daemon, so
 *         database files stop changing while processes carry on in memory and in the journal; the
 *         buffered updates reach the files after ExternalThaw(). A freeze lives in the instance's
 *         shared memory: it outlives the process that asked for it and ends when IRIS stops.
 *         (research iris.md §5.1)
 * [CONFIG] Config.Databases / SYS.Database (%SYS): each database is a directory holding IRIS.DAT;
 *         IRISSYS lives in mgr/ itself, the others in mgr/<name>/; IRISLIB and ENSLIB are mounted
 *         read-only from the installation; IRISTEMP and IRISLOCALDATA are scratch; IRISSECURITY
 *         exists from 2025.2 (research iris.md §5.2, §6).
 * [GSA]   "iris stop": a clean shutdown ends every process and writes every buffer.
 *
 * The freeze flag is kept in a file beside the databases, standing in for shared memory, so that a
 * bridge killed while IRIS is frozen finds IRIS still frozen when it starts again.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { DatabaseInfo } from '../../model/backup.ts';
import { IrisCommandRefusedError } from '../../model/errors.ts';

/** IRIS database blocks are 8 KB. */
export const BLOCK_SIZE = 8192;

export interface SimDatabaseSeed {
  name: string;
  /** Relative to the data directory; '' for IRISSYS (mgr/ itself is "mgr"). */
  path: string;
  blocks: number;
  readOnly?: boolean;
}

export interface SimulatedDatabasesOptions {
  /** Interoperability namespaces; each gets its own database, as the installer creates them. */
  namespaces?: string[];
  /** Blocks per database (default 64, i.e. 512 KB): small enough for a quick demo. */
  blocks?: number;
  /** Explicit databases instead of the standard set (benches that want 1 GB). */
  seeds?: SimDatabaseSeed[];
  /** How often the simulated write daemon writes a block; 0 = never (tests that write by hand). */
  writeIntervalMs?: number;
  /**
   * What a block holds, given its stamp (the bench's realistic mix: bench/backup-data.ts). The
   * default generator's randomness repeats every few thousand values: fine for tests, useless for
   * judging compression.
   */
  content?: (stamp: string) => Buffer;
}

const FREEZE_FILE = '.simulated-freeze';

export function standardDatabases(namespaces: string[], blocks: number): SimDatabaseSeed[] {
  const seeds: SimDatabaseSeed[] = [
    { name: 'IRISSYS', path: 'mgr', blocks },
    { name: 'IRISAUDIT', path: 'mgr/irisaudit', blocks },
    { name: 'IRISSECURITY', path: 'mgr/irissecurity', blocks },
    { name: 'IRISMETRICS', path: 'mgr/irismetrics', blocks },
    { name: 'IRISTEMP', path: 'mgr/iristemp', blocks },
    { name: 'IRISLOCALDATA', path: 'mgr/irislocaldata', blocks },
    { name: 'USER', path: 'mgr/user', blocks },
  ];
  for (const ns of namespaces) if (ns !== 'USER') seeds.push({ name: ns, path: `mgr/${ns.toLowerCase()}`, blocks });
  return seeds;
}

/** Block contents with a stamp and some randomness: about half compressible, like real data. */
function block(stamp: string, rand: () => number): Buffer {
  const b = Buffer.alloc(BLOCK_SIZE);
  b.write(stamp);
  for (let i = 256; i < BLOCK_SIZE / 2; i += 4) b.writeUInt32LE(Math.floor(rand() * 0xffffffff), i);
  return b;
}

export class SimulatedDatabases {
  private readonly seeds: SimDatabaseSeed[];
  private timer: NodeJS.Timeout | undefined;
  /** Updates made while frozen: in memory only, written at thaw ([GCDI]). */
  private readonly pending: { file: string; offset: number; data: Buffer }[] = [];
  private running = true;
  private seq = 0;
  private rand: () => number;
  private readonly block: (stamp: string) => Buffer;

  constructor(
    readonly dir: string,
    options: SimulatedDatabasesOptions = {},
  ) {
    this.seeds = options.seeds ?? standardDatabases(options.namespaces ?? [], options.blocks ?? 64);
    let s = 7;
    this.rand = () => {
      s = (s * 1103515245 + 12345) & 0x7fffffff;
      return s / 0x7fffffff;
    };
    this.block = options.content ?? ((stamp) => block(stamp, this.rand));
    for (const seed of this.seeds) this.create(seed);
    const every = options.writeIntervalMs ?? 250;
    if (every > 0) {
      this.timer = setInterval(() => this.write(), every);
      this.timer.unref();
    }
  }

  private create(seed: SimDatabaseSeed): void {
    if (seed.readOnly) return;
    const dir = join(this.dir, seed.path);
    const file = join(dir, 'IRIS.DAT');
    if (existsSync(file)) return;
    mkdirSync(dir, { recursive: true });
    const fd = openSync(file, 'w');
    try {
      for (let i = 0; i < seed.blocks; i++) writeSync(fd, this.block(`${seed.name} block ${i} v0`));
    } finally {
      closeSync(fd);
    }
  }

  list(): DatabaseInfo[] {
    const out: DatabaseInfo[] = this.seeds.map((s) => {
      const directory = join(this.dir, s.path) + '/';
      return { name: s.name, directory, sizeBytes: s.readOnly ? 0 : statSync(join(directory, 'IRIS.DAT')).size, readOnly: !!s.readOnly, mounted: true };
    });
    // [CONFIG] code databases come read-only from the installation, not from the data directory.
    out.push(
      { name: 'IRISLIB', directory: '/usr/irissys/mgr/irislib/', sizeBytes: 0, readOnly: true, mounted: true },
      { name: 'ENSLIB', directory: '/usr/irissys/mgr/enslib/', sizeBytes: 0, readOnly: true, mounted: true },
    );
    return out;
  }

  get frozen(): boolean {
    return existsSync(join(this.dir, FREEZE_FILE));
  }

  freeze(): void {
    // [GCDI] a second ExternalFreeze while frozen fails [UNVERIFIED: the exact status text].
    if (this.frozen) throw new IrisCommandRefusedError('ExternalFreeze failed: the system is already frozen for a backup', undefined);
    writeFileSync(join(this.dir, FREEZE_FILE), new Date().toISOString());
  }

  thaw(): void {
    // Thawing a system that is not frozen is harmless here [UNVERIFIED: IRIS may return an error].
    rmSync(join(this.dir, FREEZE_FILE), { force: true });
    for (const u of this.pending.splice(0)) this.put(u.file, u.offset, u.data);
  }

  /** One database update, as the write daemon would write it; buffered while frozen. */
  write(): void {
    if (!this.running) return;
    const writable = this.seeds.filter((s) => !s.readOnly);
    const seed = writable[Math.floor(this.rand() * writable.length)];
    if (!seed) return;
    const file = join(this.dir, seed.path, 'IRIS.DAT');
    this.seq += 1;
    // Every tenth update grows the database by a block, as IRIS expands a full database.
    const blocks = Math.floor(statSync(file).size / BLOCK_SIZE);
    const index = this.seq % 10 === 0 ? blocks : Math.floor(this.rand() * blocks);
    const data = this.block(`${seed.name} block ${index} v${this.seq}`);
    if (this.frozen) this.pending.push({ file, offset: index * BLOCK_SIZE, data });
    else this.put(file, index * BLOCK_SIZE, data);
  }

  private put(file: string, offset: number, data: Buffer): void {
    if (!existsSync(file)) return;
    const fd = openSync(file, 'r+');
    try {
      writeSync(fd, data, 0, data.length, offset);
    } finally {
      closeSync(fd);
    }
  }

  /** [GSA] a clean shutdown writes the buffers and ends the freeze (shared memory is gone). */
  stop(): void {
    this.thaw();
    this.running = false;
  }

  start(): void {
    this.running = true;
  }

  /** The bytes of a database file as the simulated write daemon left them (tests' oracle). */
  read(name: string): Buffer {
    const seed = this.seeds.find((s) => s.name === name);
    if (!seed) throw new Error(`No simulated database ${name}`);
    return readFileSync(join(this.dir, seed.path, 'IRIS.DAT'));
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
