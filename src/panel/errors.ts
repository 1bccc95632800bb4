/** From the bridge's errors to HTTP answers a person can act on. */
import type { z } from 'zod';
import { IrisCommandRefusedError, IrisUnavailableError, UnknownProductionError } from '../model/errors.ts';
import { BackupError, type BackupErrorCode } from '../backups/errors.ts';
import { CommandGuardError } from '../monitor/errors.ts';

const BACKUP_STATUS: Record<BackupErrorCode, number> = {
  busy: 409,
  'not-found': 404,
  'bad-id': 400,
  'bad-archive': 400,
  checksum: 400,
  'too-large': 413,
  exists: 409,
  'no-space': 507,
  'frozen-elsewhere': 409,
  iris: 503,
  'bad-schedule': 400,
  'not-confirmed': 400,
  io: 500,
};

/** An error the API answers with as it is. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Validates a request part; a mismatch is a 400 that names every bad field. */
export function parseRequest<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  // Only an absent part is empty; a JSON null is a body, and not an object.
  const r = schema.safeParse(value === undefined ? {} : value);
  if (r.success) return r.data;
  const issues = r.error.issues
    .map((i) => {
      if (i.code === 'unrecognized_keys') return `unknown field(s) ${i.keys.map((k) => `"${k}"`).join(', ')}`;
      return `${i.path.length ? `"${i.path.join('.')}"` : 'the body'}: ${i.message}`;
    })
    .join('; ');
  throw new ApiError(400, 'invalid-request', `Invalid ${what}: ${issues}.`);
}

export interface HttpError {
  status: number;
  body: { error: string; message: string };
}

/** Maps the monitor's and IRIS's errors; anything else is a 500 whose detail goes to the log only. */
export function toHttpError(err: unknown): HttpError | undefined {
  if (err instanceof ApiError) return { status: err.statusCode, body: { error: err.code, message: err.message } };
  if (err instanceof BackupError) return { status: BACKUP_STATUS[err.code], body: { error: `backup-${err.code}`, message: err.message } };
  if (err instanceof CommandGuardError) return { status: 409, body: { error: 'refused-by-bridge', message: err.message } };
  if (err instanceof IrisCommandRefusedError) {
    return { status: 409, body: { error: 'refused-by-iris', message: `IRIS refused: ${err.message}` } };
  }
  if (err instanceof UnknownProductionError) return { status: 404, body: { error: 'not-found', message: err.message } };
  if (err instanceof IrisUnavailableError) {
    return { status: 503, body: { error: 'iris-unavailable', message: `IRIS does not answer: ${err.message}. Check that IRIS is running, then try again.` } };
  }
  return undefined;
}
