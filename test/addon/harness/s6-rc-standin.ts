// A stand-in for s6-rc, which no Debian suite ships (see prepare-s6.sh). It does, for a service tree
// like the add-on's, what s6-rc does around real s6 supervision:
//  - compile(): reads the s6-rc source format (type, contents.d, dependencies.d, up/down, run/finish
//    and the s6-supervise files), rejects what s6-rc-compile rejects (unknown type, missing up or
//    run, undefined names, cycles, reserved names, non-numeric timeouts), and crafts the
//    servicedirs from the files s6-rc-compile copies;
//  - startOrder(): the atomic services a set stands for, dependencies first;
//  - the Rc class: s6-rc-init (servicedirs marked down, linked into the scan directory) and
//    `s6-rc -u/-d change` (oneshots' up/down through execlineb, longruns with s6-svc -u/-d
//    waiting for up, for ready with a notification-fd, or for really down = after finish, as
//    s6-rc does), one service at a time.
// It is not s6-rc: what it checks is what this file says, nothing more.
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type RcType = 'oneshot' | 'longrun' | 'bundle';

export interface RcService {
  name: string;
  type: RcType;
  /** The definition directory. */
  source: string;
  /** Direct dependencies (atomic services). */
  dependencies: string[];
  /** Bundles only. */
  contents: string[];
}

export type RcDatabase = Map<string, RcService>;

/** Files and directories of a longrun definition that s6-rc-compile (0.6.1) puts into its servicedir. */
const SERVICEDIR_FILES = [
  'run', 'finish', 'notification-fd', 'lock-fd', 'timeout-kill', 'flag-timeout-killpg', 'timeout-finish',
  'max-death-tally', 'down-signal', 'reload-signal', 'flag-newpidns',
];
const SERVICEDIR_DIRS = ['template', 'data', 'env'];
const NUMERIC_FILES = ['timeout-up', 'timeout-down', 'timeout-kill', 'timeout-finish', 'notification-fd', 'max-death-tally', 'lock-fd'];

const entries = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((n) => !n.startsWith('.')).sort() : []);
const listFile = (file: string): string[] =>
  existsSync(file)
    ? readFileSync(file, 'utf8').split('\n').map((l) => l.trimStart()).filter((l) => l !== '' && !l.startsWith('#'))
    : [];
const isFile = (p: string): boolean => existsSync(p) && statSync(p).isFile();

/** Reads and checks the definitions in `sources`; throws with every problem, as s6-rc-compile exits 1. */
export function readSources(sources: string[]): RcDatabase {
  const db: RcDatabase = new Map();
  const problems: string[] = [];
  for (const source of sources) {
    for (const name of entries(source)) {
      const dir = join(source, name);
      if (!statSync(dir).isDirectory()) continue;
      if (name.startsWith('s6rc-') || name.startsWith('s6-rc-')) problems.push(`${name}: the s6rc- and s6-rc- prefixes are reserved`);
      if (db.has(name)) {
        problems.push(`${name}: defined twice (${db.get(name)?.source} and ${dir})`);
        continue;
      }
      const typeFile = join(dir, 'type');
      const type = isFile(typeFile) ? readFileSync(typeFile, 'utf8').trim() : '';
      if (type !== 'oneshot' && type !== 'longrun' && type !== 'bundle') {
        problems.push(`${name}: type must be oneshot, longrun or bundle, not "${type}"${isFile(typeFile) ? '' : ' (no type file)'}`);
        continue;
      }
      const svc: RcService = { name, type, source: dir, dependencies: [], contents: [] };
      if (type === 'bundle') {
        svc.contents = [...new Set([...entries(join(dir, 'contents.d')), ...listFile(join(dir, 'contents'))])];
      } else {
        svc.dependencies = [...new Set([...entries(join(dir, 'dependencies.d')), ...listFile(join(dir, 'dependencies'))])];
        for (const f of NUMERIC_FILES) {
          const p = join(dir, f);
          if (isFile(p) && !/^\d+$/.test(readFileSync(p, 'utf8').trim())) problems.push(`${name}: ${f} must hold a number`);
        }
      }
      if (type === 'oneshot' && !isFile(join(dir, 'up'))) problems.push(`${name}: a oneshot needs an up file`);
      if (type === 'longrun' && !isFile(join(dir, 'run'))) problems.push(`${name}: a longrun needs a run file`);
      db.set(name, svc);
    }
  }
  for (const svc of db.values()) {
    for (const dep of [...svc.dependencies, ...svc.contents]) {
      if (!db.has(dep)) problems.push(`${svc.name}: ${svc.type === 'bundle' ? 'contains' : 'depends on'} undefined service ${dep}`);
    }
  }
  if (problems.length === 0) {
    // Cycles, through bundles as well: expanding every name finds them.
    for (const name of db.keys()) {
      try {
        startOrder(db, [name]);
      } catch (e) {
        problems.push((e as Error).message);
      }
    }
  }
  if (problems.length > 0) throw new Error(`the service tree does not compile:\n  ${[...new Set(problems)].join('\n  ')}`);
  return db;
}

/** Compiles `sources` into `compiled`: servicedirs/<longrun>/ and oneshots/<name>/{up,down}. */
export function compile(compiled: string, sources: string[]): RcDatabase {
  const db = readSources(sources);
  for (const svc of db.values()) {
    if (svc.type === 'longrun') {
      const out = join(compiled, 'servicedirs', svc.name);
      mkdirSync(out, { recursive: true });
      for (const f of SERVICEDIR_FILES) {
        if (!isFile(join(svc.source, f))) continue;
        copyFileSync(join(svc.source, f), join(out, f));
        if (f === 'run' || f === 'finish') chmodSync(join(out, f), 0o755);
      }
      for (const d of SERVICEDIR_DIRS) if (existsSync(join(svc.source, d))) cpSync(join(svc.source, d), join(out, d), { recursive: true });
    } else if (svc.type === 'oneshot') {
      const out = join(compiled, 'oneshots', svc.name);
      mkdirSync(out, { recursive: true });
      for (const f of ['up', 'down']) if (isFile(join(svc.source, f))) copyFileSync(join(svc.source, f), join(out, f));
    }
  }
  return db;
}

/** Atomic services that `names` stand for, every service after its dependencies. */
export function startOrder(db: RcDatabase, names: string[]): string[] {
  const order: string[] = [];
  const done = new Set<string>();
  const visiting: string[] = [];
  const visit = (name: string): void => {
    if (done.has(name)) return;
    if (visiting.includes(name)) throw new Error(`cycle: ${[...visiting.slice(visiting.indexOf(name)), name].join(' -> ')}`);
    const svc = db.get(name);
    if (!svc) throw new Error(`undefined service ${name}`);
    visiting.push(name);
    for (const next of svc.type === 'bundle' ? svc.contents : svc.dependencies) visit(next);
    visiting.pop();
    done.add(name);
    if (svc.type !== 'bundle') order.push(name);
  };
  for (const name of names) visit(name);
  return order;
}

/** Runs a command inside the chroot; returns its status and output. */
export type ChrootRun = (argv: string[], timeoutMs: number) => { status: number | null; output: string };

export interface RcChange {
  ok: boolean;
  /** s6-rc -v2 style lines: "service X: starting", "service X successfully started", ... */
  log: string[];
  /** Output of oneshots and of the s6 commands. */
  output: string;
}

/** s6-rc-init and s6-rc change for one compiled database, on a scan directory s6-svscan watches. */
export class Rc {
  private readonly up = new Set<string>();
  private readonly started: string[] = [];

  constructor(
    private readonly db: RcDatabase,
    private readonly compiled: string,
    private readonly live: string,
    private readonly run: ChrootRun,
  ) {}

  /** Like s6-rc-init: every longrun's servicedir copied into the live directory, marked down, linked into `scandir`. */
  init(scandir: string): string[] {
    const longruns = [...this.db.values()].filter((s) => s.type === 'longrun').map((s) => s.name);
    mkdirSync(scandir, { recursive: true });
    for (const name of longruns) {
      const dir = this.servicedir(name);
      cpSync(join(this.compiled, 'servicedirs', name), dir, { recursive: true });
      writeFileSync(join(dir, 'down'), '');
      symlinkSync(dir, join(scandir, name));
    }
    return longruns.map((n) => this.servicedir(n));
  }

  servicedir(name: string): string {
    return join(this.live, 'servicedirs', name);
  }

  /** s6-rc -u change NAMES. */
  change(direction: 'up', names: string[], timeoutMs?: number): RcChange;
  /** s6-rc -da change: everything that is up, in reverse order. */
  change(direction: 'down', names: 'all', timeoutMs?: number): RcChange;
  change(direction: 'up' | 'down', names: string[] | 'all', timeoutMs = 25_000): RcChange {
    const log: string[] = [];
    let output = '';
    const todo = direction === 'up' ? startOrder(this.db, names as string[]).filter((n) => !this.up.has(n)) : [...this.started].reverse();
    for (const name of todo) {
      const svc = this.db.get(name) as RcService;
      const timeout = this.timeout(svc, direction) || timeoutMs;
      log.push(`service ${name}: ${direction === 'up' ? 'starting' : 'stopping'}`);
      let res: { status: number | null; output: string };
      if (svc.type === 'oneshot') {
        const script = join(this.compiled, 'oneshots', name, direction);
        res = existsSync(script) ? this.run(['execlineb', '-P', script], timeout + 1000) : { status: 0, output: '' };
      } else {
        // s6-rc marks a longrun that is down with a ./down file, and waits for up (u), for ready
        // (U) when the service has a notification-fd, or for really down (D: the finish script
        // has run) before the next service.
        const dir = this.servicedir(name);
        if (direction === 'up') rmSync(join(dir, 'down'), { force: true });
        else writeFileSync(join(dir, 'down'), '');
        const wait = direction === 'down' ? '-wD' : existsSync(join(dir, 'notification-fd')) ? '-wU' : '-wu';
        res = this.run(['s6-svc', wait, '-T', String(timeout), direction === 'up' ? '-u' : '-d', dir], timeout + 1000);
      }
      output += res.output;
      if (res.status !== 0) {
        log.push(`service ${name}: failed to ${direction === 'up' ? 'start' : 'stop'} (status ${res.status})`);
        return { ok: false, log, output };
      }
      log.push(`service ${name} ${direction === 'up' ? 'successfully started' : 'successfully stopped'}`);
      if (direction === 'up') {
        this.up.add(name);
        this.started.push(name);
      } else {
        this.up.delete(name);
      }
    }
    if (direction === 'down') this.started.length = 0;
    return { ok: true, log, output };
  }

  private timeout(svc: RcService, direction: 'up' | 'down'): number {
    const p = join(svc.source, `timeout-${direction}`);
    return isFile(p) ? Number(readFileSync(p, 'utf8').trim()) : 0;
  }
}
