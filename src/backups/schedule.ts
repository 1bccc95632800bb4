/**
 * Backup settings (schedule, retention, Home Assistant backup) kept in the add-on's state
 * directory and changed from the panel or the API. Cron expressions are read by croner, in the
 * container's local time (the Supervisor passes the Home Assistant time zone as TZ).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Cron } from 'croner';
import { DEFAULT_SETTINGS, settingsSchema, type BackupSettings } from '../model/backup-settings.ts';
import { BackupError } from './errors.ts';
import { writeAtomic } from '../files/atomic-write.ts';

/** Throws a BackupError naming what is wrong with the expression. */
export function checkCron(expr: string): void {
  if (expr.trim().split(/\s+/).length !== 5) {
    throw new BackupError('bad-schedule', `"${expr.slice(0, 60)}" is not a cron expression: it needs five fields (minute hour day month weekday), e.g. "30 3 * * *".`);
  }
  try {
    new Cron(expr, { paused: true }).stop();
  } catch (err) {
    throw new BackupError('bad-schedule', `"${expr.slice(0, 60)}" is not a cron expression: ${(err as Error).message.replace(/^CronPattern: /, '')}.`);
  }
}

export function nextRun(s: BackupSettings, from = new Date()): Date | null {
  if (!s.enabled) return null;
  const c = new Cron(s.cron, { paused: true });
  const next = c.nextRun(from);
  c.stop();
  return next;
}

export class Schedule {
  private job: Cron | undefined;
  private current: BackupSettings = DEFAULT_SETTINGS;
  private readonly path: string;

  constructor(
    stateDir: string,
    private readonly run: () => void,
  ) {
    this.path = join(stateDir, 'backup-settings.json');
  }

  get settings(): BackupSettings {
    return this.current;
  }

  /** Reads the saved settings (defaults when there are none or they are unreadable) and arms the timer. */
  async load(onProblem: (message: string) => void): Promise<void> {
    try {
      const parsed = settingsSchema.parse(JSON.parse(await readFile(this.path, 'utf8')));
      checkCron(parsed.cron);
      this.current = parsed;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') onProblem(`The saved backup settings could not be read (${(err as Error).message}); using the defaults.`);
    }
    this.arm();
  }

  async update(next: BackupSettings): Promise<void> {
    checkCron(next.cron);
    await writeAtomic(this.path, JSON.stringify(next, null, 2), { mode: 0o600, durable: true });
    this.current = next;
    this.arm();
  }

  nextRun(): Date | null {
    return nextRun(this.current);
  }

  private arm(): void {
    this.job?.stop();
    this.job = this.current.enabled ? new Cron(this.current.cron, { protect: true }, () => this.run()) : undefined;
  }

  stop(): void {
    this.job?.stop();
  }
}
