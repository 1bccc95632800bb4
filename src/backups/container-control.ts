/**
 * What the add-on does to its own IRIS as the IRIS owner (the bridge runs as irisowner, and
 * `iris` commands run as irisowner are OS-authenticated): freeze and thaw around a backup, stop
 * and start around a restore. None of it goes through the bridge's least-privilege IRIS user.
 *
 * Freeze and thaw: `iris session IRIS -U %SYS "##Class(Backup.General).ExternalFreeze()"`, whose
 * exit status is 5 on success and 3 on failure (GCDI "External Backup"; the same path as the
 * add-on's backup_pre/backup_post hooks). The class reference names no resource for
 * ExternalFreeze, so the bridge's role does not guess one.
 *
 * Stop and start, around a restore: s6 supervises
 * iris-main and would start IRIS again as soon as it stops, so a hold file tells the iris service
 * to wait (rootfs/etc/s6-overlay/s6-rc.d/iris/run and finish). The file holds this process's pid:
 * if the bridge dies holding it, the iris service finishes or undoes the restore (recover-cli)
 * and starts IRIS anyway, so IRIS is never left down by a dead bridge.
 */
import { execFile } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { IrisClient } from '../iris/client.ts';
import { BackupError } from './errors.ts';
import type { InstanceControl } from './instance-control.ts';

const run = promisify(execFile);

export const holdPath = (stateDir: string) => join(stateDir, 'iris.hold');

export interface ContainerControlOptions {
  stateDir: string;
  iris: Pick<IrisClient, 'snapshot'>;
  /** The instance name in the IRIS image. */
  instance?: string;
  irisBin?: string;
  /** How long IRIS may take to answer after the hold is released. */
  startTimeoutMs?: number;
}

async function until(probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 2000));
  }
  throw new BackupError('iris', `${what} within ${Math.round(timeoutMs / 1000)} s.`);
}

/** Runs a Backup.General class method in %SYS as the IRIS owner; exit status 5 is success. */
async function backupMethod(o: ContainerControlOptions, method: 'ExternalFreeze' | 'ExternalThaw'): Promise<void> {
  try {
    await run(o.irisBin ?? 'iris', ['session', o.instance ?? 'IRIS', '-U', '%SYS', `##Class(Backup.General).${method}()`], { timeout: 300_000 });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 5) return;
    const why = code === 3 ? 'IRIS reported a failure (see messages.log)' : `iris session ended with ${String(code ?? (err as Error).message)}`;
    throw new BackupError('iris', `Backup.General.${method} failed: ${why}.`, { cause: err });
  }
  // Exit status 0 means the command ran but did not report its outcome as documented.
  throw new BackupError('iris', `Backup.General.${method} did not report success (iris session exit status 0, expected 5).`);
}

export function containerControl(o: ContainerControlOptions): InstanceControl {
  const hold = holdPath(o.stateDir);
  const answers = () => o.iris.snapshot().then(() => true, () => false);
  return {
    freeze: () => backupMethod(o, 'ExternalFreeze'),
    thaw: () => backupMethod(o, 'ExternalThaw'),
    async stop() {
      await writeFile(hold, String(process.pid));
      try {
        // "quietly": no questions on the terminal; productions are shut down by IRIS itself.
        await run(o.irisBin ?? 'iris', ['stop', o.instance ?? 'IRIS', 'quietly'], { timeout: 170_000 });
      } catch (err) {
        await rm(hold, { force: true });
        throw new BackupError('iris', `IRIS did not stop: ${(err as Error).message}`, { cause: err });
      }
      await until(async () => !(await answers()), 60_000, 'IRIS still answered after "iris stop"');
    },
    async start() {
      await rm(hold, { force: true });
      await until(answers, o.startTimeoutMs ?? 15 * 60_000, 'IRIS did not answer after it was started');
    },
  };
}
