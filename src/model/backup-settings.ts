/** Backup settings (schedule, retention, Home Assistant backup) as stored and as the panel edits them. */
import { z } from 'zod';

export const settingsSchema = z.object({
  /** Scheduled backups on or off. */
  enabled: z.boolean(),
  /** Five fields (minute hour day month weekday); default nightly at 03:30, a quiet hour. */
  cron: z.string().max(100),
  /** How many good backups are kept (safety backups included). */
  retention: z.number().int().min(1).max(100),
  /** After each IRIS Edge backup, ask the Supervisor for a partial backup of this add-on. */
  homeAssistantBackup: z.boolean(),
});
export type BackupSettings = z.infer<typeof settingsSchema>;

export const DEFAULT_SETTINGS: BackupSettings = { enabled: true, cron: '30 3 * * *', retention: 7, homeAssistantBackup: false };
