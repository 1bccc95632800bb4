/**
 * The frozen moment of a backup: every selected IRIS.DAT is copied to a staging directory while
 * IRIS is frozen, and nothing else happens under the freeze. The copy is the kernel's (a reflink
 * where the file system has them), two files at a time, so IRIS is frozen for about as long as
 * `cp` takes or less; checksums are computed from the staged copies after the thaw, as they are
 * archived.
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

/** Copies at once: two keep both cores of a small machine busy with the page cache's copying. */
export const COPY_LANES = 2;

export async function captureDatabases(databases: DatabaseInfo[], stagingDir: string, meter: ProgressMeter): Promise<CapturedDatabase[]> {
  await mkdir(stagingDir, { recursive: true, mode: 0o700 });
  const out = new Map<string, CapturedDatabase>();
  // Largest first, each lane taking the next when it is free: the lanes end close together.
  const queue = [...databases].sort((a, b) => b.sizeBytes - a.sizeBytes);
  let failed = false;
  const lane = async () => {
    for (let db = queue.shift(); db && !failed; db = queue.shift()) {
      const staged = join(stagingDir, `${db.name}.DAT`);
      await copyFile(join(db.directory, 'IRIS.DAT'), staged, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
      const { size } = await stat(staged);
      meter.add(size);
      out.set(db.name, { ...db, staged, size });
      failpoint('backup:capturing');
    }
  };
  // Every copy has ended when this returns, failed or not: the caller thaws IRIS and removes the
  // staging directory next, and no copy may still be writing into it.
  const lanes = await Promise.allSettled(
    Array.from({ length: Math.min(COPY_LANES, databases.length) }, () =>
      lane().catch((err: unknown) => {
        failed = true;
        throw err;
      }),
    ),
  );
  const failure = lanes.find((l) => l.status === 'rejected');
  if (failure) throw failure.reason;
  return databases.map((db) => out.get(db.name)!);
}
