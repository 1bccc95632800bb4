/** Typed errors of the backup room. Messages say what happened and what the user can do. */

export type BackupErrorCode =
  | 'busy'
  | 'not-found'
  | 'bad-id'
  | 'bad-archive'
  | 'checksum'
  | 'too-large'
  | 'exists'
  | 'no-space'
  | 'frozen-elsewhere'
  | 'iris'
  | 'bad-schedule'
  | 'not-confirmed'
  | 'io';

export class BackupError extends Error {
  constructor(
    readonly code: BackupErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BackupError';
  }
}

/** Turns a file-system error into a sentence; ENOSPC gets the advice it needs. */
export function fsProblem(err: unknown, doing: string): BackupError {
  if (err instanceof BackupError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOSPC') return new BackupError('no-space', `The disk is full while ${doing}. Free some space (delete old backups) and try again.`, { cause: err });
  return new BackupError('io', `Could not finish ${doing}: ${e?.message ?? String(err)}`, { cause: err });
}
