import type { FreezeMarker } from '../backups/freeze.ts';
import type { JobKind } from '../model/backup.ts';
import type { Logger } from '../log/logger.ts';
import type { HaCore } from './core.ts';

export const EVENT_BACKUP_FAILED = 'iris_edge_backup_failed';
const FAILED_ID = 'iris_edge_backup_failed';
const THAWED_ID = 'iris_edge_backup_thawed';

/**
 * IRIS Edge backups in Home Assistant: a failed backup, verify or restore is an
 * `iris_edge_backup_failed` event and a persistent notification (gone after the next good
 * backup); a freeze the watchdog had to thaw is a notification too.
 */
export class BackupNotices {
  private failedOpen = false;

  constructor(
    private readonly core: HaCore,
    private readonly log: Logger,
  ) {}

  async onFailed(f: { kind: JobKind; backupId: string | null; error: string }): Promise<void> {
    try {
      await this.core.fireEvent(EVENT_BACKUP_FAILED, { kind: f.kind, backup_id: f.backupId, error: f.error });
      const what = f.kind === 'backup' ? 'An IRIS Edge backup' : `The ${f.kind} of backup ${f.backupId}`;
      await this.core.notify(FAILED_ID, `IRIS Edge ${f.kind} failed`, `${what} failed: ${f.error} Open the Backups page of the IRIS Edge panel for the steps.`);
      this.failedOpen = true;
    } catch (err) {
      this.log.debug({ err }, 'Could not tell Home Assistant about a failed backup');
    }
  }

  async onBackupOk(): Promise<void> {
    if (!this.failedOpen) return;
    try {
      await this.core.dismiss(FAILED_ID);
      this.failedOpen = false;
    } catch (err) {
      this.log.debug({ err }, 'Could not dismiss the backup notification');
    }
  }

  async onThawed(m: FreezeMarker): Promise<void> {
    const message =
      m.by === 'home-assistant'
        ? `Home Assistant froze IRIS's database writes for a backup at ${m.at} and did not thaw them; IRIS Edge thawed them after 30 minutes. That Home Assistant backup of IRIS Edge may not be consistent: check it, or make a new one.`
        : 'An IRIS Edge backup was interrupted while IRIS was frozen; IRIS Edge thawed it when it started again. No backup was lost.';
    try {
      await this.core.notify(THAWED_ID, 'IRIS was thawed by IRIS Edge', message);
    } catch (err) {
      this.log.debug({ err }, 'Could not tell Home Assistant about a thawed freeze');
    }
  }
}
