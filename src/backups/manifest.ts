/**
 * The manifest inside every IRIS Edge backup archive, and the rules an archive's contents must
 * follow. An uploaded archive is checked against these before anything of it is kept.
 */
import { z } from 'zod';
import { BACKUP_ID, BACKUP_KINDS, type BackupKind } from '../model/backup-record.ts';
import { BackupError } from './errors.ts';

export const FORMAT = 'iris-edge-backup';
export const FORMAT_VERSION = 1;
export const MANIFEST_NAME = 'manifest.json';

/** IRIS database names: letters, digits, "_", "-" and "%" (Config.Databases). */
const DB_NAME = /^[A-Z0-9%_-]{1,64}$/;

export function backupId(instanceId: string, at: Date, kind: BackupKind): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${instanceId}-${stamp}-${kind}`;
}

/** The archive path of a database file; the only file names an archive may hold besides the manifest. */
export const databaseEntry = (name: string) => `databases/${name}/IRIS.DAT`;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 in hex');
const isoTime = z.iso.datetime();

export const manifestSchema = z.object({
  format: z.literal(FORMAT),
  formatVersion: z.literal(FORMAT_VERSION),
  id: z.string().regex(BACKUP_ID),
  kind: z.enum(BACKUP_KINDS),
  createdBy: z.string().max(100),
  instance: z.object({ id: z.string().max(31), irisVersion: z.string().max(300), irisVersionNumber: z.string().max(50) }),
  startedAt: isoTime,
  /**
   * When the databases' state was taken: IRIS frozen and thawed around the copy. A safety backup
   * is made from the files a restore set aside after stopping IRIS, without a freeze: both are
   * the moment IRIS was stopped (the files did not change after it), and freezeMs is 0.
   */
  frozenAt: isoTime,
  thawedAt: isoTime,
  endedAt: isoTime,
  freezeMs: z.number().int().nonnegative(),
  databases: z
    .array(
      z.object({
        name: z.string().regex(DB_NAME),
        directory: z.string().min(1).max(1000),
        file: z.string(),
        size: z.number().int().nonnegative(),
        sha256,
      }),
    )
    .min(1),
  excluded: z.array(z.object({ name: z.string().max(64), directory: z.string().max(1000), reason: z.string().max(200) })),
});
export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestDatabase = Manifest['databases'][number];

/** Why a parsed manifest is not one we can trust; null when it is fine. */
export function manifestProblem(m: Manifest): string | null {
  const names = new Set<string>();
  for (const d of m.databases) {
    if (d.file !== databaseEntry(d.name)) return `database ${d.name} points at "${d.file}" instead of ${databaseEntry(d.name)}`;
    if (names.has(d.name)) return `database ${d.name} is listed twice`;
    names.add(d.name);
  }
  return null;
}

/** The manifest of an archive, from its bytes; BackupError('bad-archive') saying what is wrong otherwise. */
export function parseManifest(bytes: Buffer): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new BackupError('bad-archive', `${MANIFEST_NAME} is not JSON: this is not an IRIS Edge backup, or it is damaged.`);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new BackupError('bad-archive', `${MANIFEST_NAME} is not an IRIS Edge manifest (${first?.path.join('.') || 'document'}: ${first?.message}).`);
  }
  const problem = manifestProblem(parsed.data);
  if (problem) throw new BackupError('bad-archive', `${MANIFEST_NAME} is not valid: ${problem}.`);
  return parsed.data;
}
