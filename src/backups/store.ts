/**
 * The backup directory: `<id>.tar.zst` archives (`<id>.tar.gz` for those made before), each with a `<id>.json` record beside it, and a
 * `.work/` directory for everything unfinished (staging copies, archives being written, uploads).
 * Only a finished, flushed archive is renamed out of `.work/`, so a crash never leaves a partial
 * archive where backups are listed; `cleanUp()` empties `.work/` at start.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { EXTENSIONS, MEDIA_TYPES, sniffCodec, type Codec } from './codec.ts';
import { BackupError } from './errors.ts';
import { BACKUP_ID, recordSchema, type BackupRecord } from '../model/backup-record.ts';
import { writeAtomic } from '../files/atomic-write.ts';
import { byText } from '../model/text-order.ts';

export function checkId(id: string): string {
  if (!BACKUP_ID.test(id)) throw new BackupError('bad-id', `"${id.slice(0, 80)}" is not a backup id (they look like iris-20261122T033000Z-manual).`);
  return id;
}

export class BackupStore {
  readonly workDir: string;

  constructor(readonly dir: string) {
    this.workDir = join(dir, '.work');
  }

  async init(): Promise<void> {
    await mkdir(this.workDir, { recursive: true, mode: 0o700 });
  }

  /** The archive of backup `id`, whichever codec it has (the .tar.zst path when there is none). */
  archivePath(id: string): string {
    return this.archiveFile(id).path;
  }

  /** Path, file name and media type of backup `id`'s archive, for a download. */
  archiveFile(id: string): { path: string; name: string; type: string } {
    checkId(id);
    const codec: Codec = existsSync(join(this.dir, `${id}${EXTENSIONS.gzip}`)) && !existsSync(join(this.dir, `${id}${EXTENSIONS.zstd}`)) ? 'gzip' : 'zstd';
    const name = `${id}${EXTENSIONS[codec]}`;
    return { path: join(this.dir, name), name, type: MEDIA_TYPES[codec] };
  }

  private recordPath(id: string): string {
    return join(this.dir, `${checkId(id)}.json`);
  }

  /** Removes every unfinished thing a crash may have left. Returns how many it removed. */
  async cleanUp(): Promise<number> {
    await this.init();
    const left = await readdir(this.workDir);
    for (const name of left) await rm(join(this.workDir, name), { recursive: true, force: true });
    return left.length;
  }

  /** Archives without a record: a crash between publishing the archive and writing its record. */
  async orphans(): Promise<string[]> {
    const names = await readdir(this.dir);
    const ext = Object.values(EXTENSIONS);
    return names
      .flatMap((n) => ext.filter((e) => n.endsWith(e)).map((e) => n.slice(0, -e.length)))
      .filter((id) => BACKUP_ID.test(id) && !names.includes(`${id}.json`));
  }

  async list(): Promise<BackupRecord[]> {
    await this.init();
    const out: BackupRecord[] = [];
    for (const name of await readdir(this.dir)) {
      if (!name.endsWith('.json') || !BACKUP_ID.test(name.slice(0, -5))) continue;
      const r = await this.read(name.slice(0, -5)).catch(() => null);
      if (r) out.push(r);
    }
    return out.sort((a, b) => byText(b.createdAt, a.createdAt));
  }

  async get(id: string): Promise<BackupRecord> {
    try {
      return await this.read(checkId(id));
    } catch (err) {
      if (err instanceof BackupError) throw err;
      throw new BackupError('not-found', `There is no backup ${id}.`);
    }
  }

  private async read(id: string): Promise<BackupRecord> {
    return recordSchema.parse(JSON.parse(await readFile(this.recordPath(id), 'utf8')));
  }

  async has(id: string): Promise<boolean> {
    return this.get(id).then(
      () => true,
      () => false,
    );
  }

  async save(r: BackupRecord): Promise<void> {
    await writeAtomic(this.recordPath(r.id), JSON.stringify(r, null, 2), { mode: 0o600, tmp: join(this.workDir, `${r.id}.json`) });
  }

  /**
   * Moves a finished archive from `.work/` into place (same file system: atomic), named after its
   * codec as its first bytes say (an upload's name is not trusted).
   */
  async publish(workFile: string, id: string): Promise<void> {
    const codec = await sniffCodec(workFile);
    await rename(workFile, join(this.dir, `${checkId(id)}${EXTENSIONS[codec]}`));
  }

  async delete(id: string): Promise<void> {
    await this.get(id);
    for (const ext of Object.values(EXTENSIONS)) await rm(join(this.dir, `${id}${ext}`), { force: true });
    await rm(this.recordPath(id), { force: true });
  }

  async archiveSize(id: string): Promise<number> {
    return (await stat(this.archivePath(id))).size;
  }

  async freeBytes(): Promise<number> {
    const s = await statfs(this.dir);
    return s.bavail * s.bsize;
  }

  /**
   * Keeps the newest `keep` good backups and the newest 5 failed attempts; `protect` names the
   * ones in use. Returns the ids it deleted.
   */
  async prune(keep: number, protect: Set<string>): Promise<string[]> {
    const all = await this.list();
    const good = all.filter((r) => r.result === 'ok');
    const failed = all.filter((r) => r.result === 'failed');
    const doomed = [...good.slice(keep), ...failed.slice(5)].filter((r) => !protect.has(r.id));
    for (const r of doomed) await this.delete(r.id);
    return doomed.map((r) => r.id);
  }
}
