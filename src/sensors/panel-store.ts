/**
 * The sensors made in the panel, kept as the definitions the user gave (the same fields as the
 * `sensors` option) in one JSON file in the state directory: /data in the add-on, so they are in
 * its backups. Every save replaces the file atomically, so a crash leaves the old list or the new.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeAtomic } from '../files/atomic-write.ts';
import { MAX_USER_SENSORS } from '../model/sensor-definition.ts';

/** The file exists but is not a list of definitions: it is left as it is and the panel may not save over it. */
export class PanelSensorsUnreadableError extends Error {
  constructor(file: string, why: string) {
    super(`The panel's sensors (${file}) cannot be read (${why}); they are not shown, and the panel does not save over the file. Restore it from a backup or remove it.`);
    this.name = 'PanelSensorsUnreadableError';
  }
}

export class PanelSensorStore {
  constructor(readonly file: string) {}

  /** The saved definitions in their order; none when the file does not exist yet. */
  async load(): Promise<Record<string, unknown>[]> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new PanelSensorsUnreadableError(this.file, (err as Error).message);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new PanelSensorsUnreadableError(this.file, (err as Error).message);
    }
    const list = (parsed as { sensors?: unknown } | null)?.sensors;
    if (!Array.isArray(list) || list.length > MAX_USER_SENSORS || !list.every((d) => typeof d === 'object' && d !== null && !Array.isArray(d))) {
      throw new PanelSensorsUnreadableError(this.file, `not a list of at most ${MAX_USER_SENSORS} sensor definitions`);
    }
    return list as Record<string, unknown>[];
  }

  async save(list: readonly Record<string, unknown>[]): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
    await writeAtomic(this.file, `${JSON.stringify({ sensors: list }, null, 2)}\n`, { durable: true, mode: 0o600 });
  }
}
