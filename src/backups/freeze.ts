/**
 * Who holds the IRIS freeze. A marker file records it, because the holder may die: the bridge
 * killed in the middle of a backup, or Home Assistant never running backup_post. IRIS keeps the
 * freeze (research iris.md §5.1), so whoever finds a stale marker thaws.
 *
 * The marker is written by this module for IRIS Edge backups and by the backup_pre hook
 * (rootfs/usr/share/iris-edge/setup/freeze.sh) for Home Assistant's backups.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { InstanceControl } from './instance-control.ts';
import { IrisUnavailableError } from '../model/errors.ts';
import { BackupError } from './errors.ts';
import { writeAtomic } from '../files/atomic-write.ts';

const markerSchema = z.object({ by: z.enum(['iris-edge', 'home-assistant']), at: z.string() });
export type FreezeMarker = z.infer<typeof markerSchema>;

/** Home Assistant's hot backup of a large add-on takes minutes; past this, its thaw is lost. */
export const HA_FREEZE_LIMIT_MS = 30 * 60 * 1000;

export class FreezeHolder {
  readonly markerPath: string;

  constructor(
    stateDir: string,
    private readonly iris: Pick<InstanceControl, 'freeze' | 'thaw'>,
  ) {
    this.markerPath = join(stateDir, 'freeze.json');
  }

  async marker(): Promise<FreezeMarker | null> {
    let text: string;
    try {
      text = await readFile(this.markerPath, 'utf8');
    } catch {
      return null;
    }
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      // Half a file (a crash while it was written): still a marker, handled below.
    }
    const parsed = markerSchema.safeParse(json);
    // An unreadable marker is still a marker: treat it as ours, so it gets thawed, not ignored.
    return parsed.success ? parsed.data : { by: 'iris-edge', at: new Date(0).toISOString() };
  }

  /**
   * Runs `capture` with IRIS frozen and returns its result with the time IRIS was frozen. The
   * thaw happens whatever `capture` does; a thaw that fails leaves the marker for recover().
   */
  async hold<T>(capture: () => Promise<T>): Promise<{ value: T; frozenAt: Date; thawedAt: Date }> {
    const m = await this.marker();
    if (m?.by === 'home-assistant') {
      throw new BackupError('frozen-elsewhere', 'Home Assistant is making a backup of IRIS Edge right now (IRIS is frozen for it). Try again when it has finished.');
    }
    const mine: FreezeMarker = { by: 'iris-edge', at: new Date().toISOString() };
    await this.write(mine);
    try {
      await this.iris.freeze();
    } catch (err) {
      // backup_pre may have frozen IRIS in the meantime (hence our failure): keep its marker.
      const now = await this.marker();
      if (now?.by === mine.by && now.at === mine.at) await rm(this.markerPath, { force: true });
      throw new BackupError('iris', `IRIS could not freeze its database writes: ${(err as Error).message}`, { cause: err });
    }
    const frozenAt = new Date();
    let value: T;
    try {
      value = await capture();
    } finally {
      await this.thaw();
    }
    return { value, frozenAt, thawedAt: new Date() };
  }

  private async thaw(): Promise<void> {
    try {
      await this.iris.thaw();
    } catch (err) {
      throw new BackupError('iris', `IRIS could not thaw its database writes: ${(err as Error).message}. IRIS Edge thaws it when it next starts.`, {
        cause: err,
      });
    }
    await rm(this.markerPath, { force: true });
  }

  /**
   * After a start: thaws a freeze an interrupted IRIS Edge backup left behind, and one Home
   * Assistant held longer than `limitMs`. Returns who held it, or null when nothing was thawed.
   */
  async thawStale(now = Date.now(), limitMs = HA_FREEZE_LIMIT_MS): Promise<FreezeMarker | null> {
    const m = await this.marker();
    if (!m) return null;
    if (m.by === 'home-assistant' && now - Date.parse(m.at) < limitMs) return null;
    try {
      await this.thaw();
    } catch (err) {
      // Not answering: try again later. Refusing: IRIS is not frozen (a restart ends a freeze).
      if (err instanceof BackupError && err.cause instanceof IrisUnavailableError) return null;
      await rm(this.markerPath, { force: true });
    }
    return m;
  }

  private async write(m: FreezeMarker): Promise<void> {
    await writeAtomic(this.markerPath, JSON.stringify(m));
  }
}
