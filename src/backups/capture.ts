/**
 * The frozen moment of a backup: every selected IRIS.DAT is copied to a staging directory while
 * IRIS is frozen, and nothing else happens under the freeze. The copy is the kernel's (a reflink
 * where the file system has them), so IRIS is frozen for about as long as `cp` takes; checksums
 * are computed from the staged copies after the thaw, as they are archived.
 */
import { constants } from 'node:fs';
import { copyFile, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatabaseInfo } from '../model/backup.ts';
import { failpoint } from './failpoint.ts';
import type { ProgressMeter } from './progress.ts';

export interface CapturedDatabase extends DatabaseInfo {
  /** The staged copy: the database as it was at the frozen point. */
  staged: string;
  /** Its size. */
  size: number;
}

export async function captureDatabases(databases: DatabaseInfo[], stagingDir: string, meter: ProgressMeter): Promise<CapturedDatabase[]> {
  await mkdir(stagingDir, { recursive: true, mode: 0o700 });
  const out: CapturedDatabase[] = [];
  for (const db of databases) {
    const staged = join(stagingDir, `${db.name}.DAT`);
    await copyFile(join(db.directory, 'IRIS.DAT'), staged, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
    const { size } = await stat(staged);
    meter.add(size);
    out.push({ ...db, staged, size });
    failpoint('backup:capturing');
  }
  return out;
}
