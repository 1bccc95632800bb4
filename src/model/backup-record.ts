/** One IRIS Edge backup as the backup directory records it beside its archive (`<id>.json`). */
import { z } from 'zod';

export const BACKUP_KINDS = ['manual', 'scheduled', 'safety'] as const;
export type BackupKind = (typeof BACKUP_KINDS)[number];

/** iris-20261122T033000Z-scheduled: the only shape a backup id (and so a file name) can have. */
export const BACKUP_ID = /^[a-z][a-z0-9_]{0,30}-\d{8}T\d{6}Z-(manual|scheduled|safety)$/;

export const VERIFY_STATES = ['verified', 'damaged', 'unverified'] as const;

export const recordSchema = z.object({
  id: z.string().regex(BACKUP_ID),
  kind: z.enum(BACKUP_KINDS),
  /** When the backup started (the id's time). */
  createdAt: z.string(),
  completedAt: z.string(),
  result: z.enum(['ok', 'failed']),
  /** Why it failed (result "failed"; there is no archive then). */
  error: z.string().optional(),
  /** Size of the archive file. */
  sizeBytes: z.number().int().nonnegative(),
  /** SHA-256 of the archive file, hashed as it was written or received (absent in older records). */
  sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  /** Bytes of database files inside. */
  databasesBytes: z.number().int().nonnegative(),
  databases: z.array(z.string()),
  freezeMs: z.number().int().nonnegative(),
  irisVersion: z.string(),
  instance: z.string(),
  /** Came in through an upload rather than made here. */
  uploaded: z.boolean(),
  verify: z.object({ state: z.enum(VERIFY_STATES), at: z.string().optional(), error: z.string().optional() }),
});
export type BackupRecord = z.infer<typeof recordSchema>;
