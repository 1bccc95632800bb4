/**
 * The frozen moment of a backup: every selected IRIS.DAT is copied to a staging directory while
 * IRIS is frozen, and hashed as it is read. Nothing else happens under the freeze, so IRIS is
 * frozen only for as long as the disk needs to copy the files.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatabaseInfo } from '../model/backup.ts';
import { copyHashed, type Digest } from './files.ts';
import { failpoint } from './failpoint.ts';
import type { ProgressMeter } from './progress.ts';

export interface CapturedDatabase extends DatabaseInfo, Digest {
  /** The staged copy. */
  staged: string;
}

export async function captureDatabases(databases: DatabaseInfo[], stagingDir: string, meter: ProgressMeter): Promise<CapturedDatabase[]> {
  await mkdir(stagingDir, { recursive: true, mode: 0o700 });
  const out: CapturedDatabase[] = [];
  for (const db of databases) {
    const staged = join(stagingDir, `${db.name}.DAT`);
    const digest = await copyHashed(join(db.directory, 'IRIS.DAT'), staged, (n) => meter.add(n));
    out.push({ ...db, ...digest, staged });
    failpoint('backup:capturing');
  }
  return out;
}
