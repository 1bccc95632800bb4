/** From the bridge's errors to HTTP answers a person can act on: the one error map of every route. */
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { AccountError, type AccountErrorCode } from '../accounts/errors.ts';
import { CertError } from '../certs/errors.ts';
import type { Logger } from '../log/logger.ts';
import { IrisCommandRefusedError, IrisUnavailableError, UnknownProductionError } from '../model/errors.ts';
import { BackupError, type BackupErrorCode } from '../backups/errors.ts';
import { CommandGuardError } from '../monitor/errors.ts';
import { AppsError, type AppsErrorKind } from '../ipm/apps-errors.ts';
import { RegistryError, type RegistryErrorKind } from '../ipm/registry-errors.ts';

const APPS_STATUS: Record<AppsErrorKind, number> = { 'bad-input': 400, 'not-found': 404, registry: 502, ipm: 409, iris: 503, busy: 409, unavailable: 503 };
const REGISTRY_STATUS: Record<RegistryErrorKind, number> = {
  'invalid-url': 400,
  'not-found': 404,
  unreachable: 502,
  timeout: 502,
  auth: 502,
  http: 502,
  garbage: 502,
  'too-large': 502,
  hash: 502,
};

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

const ACCOUNT_STATUS: Record<AccountErrorCode, number> = { unavailable: 503, rejected: 422, busy: 409, iris: 503, io: 503 };

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

/** What is wrong with a request part, every bad field named. */
export function describeIssues(issues: z.core.$ZodIssue[]): string {
  return issues
    .map((i) => {
      if (i.code === 'unrecognized_keys') return `unknown field(s) ${i.keys.map((k) => `"${k}"`).join(', ')}`;
      return `${i.path.length ? `"${i.path.join('.')}"` : 'the body'}: ${i.message}`;
    })
    .join('; ');
}

export interface HttpError {
  status: number;
  body: { error: string; message: string };
}

/** Maps the panel's, the account's, the certificate manager's, the backups', the monitor's and IRIS's errors; anything else is a 500 whose detail goes to the log only. */
export function toHttpError(err: unknown): HttpError | undefined {
  if (err instanceof ApiError) return { status: err.statusCode, body: { error: err.code, message: err.message } };
  if (err instanceof AccountError) return { status: ACCOUNT_STATUS[err.code], body: { error: `account-${err.code}`, message: err.message } };
  if (err instanceof CertError) return { status: err.status, body: { error: err.code, message: err.message } };
  if (err instanceof BackupError) return { status: BACKUP_STATUS[err.code], body: { error: `backup-${err.code}`, message: err.message } };
  if (err instanceof AppsError) return { status: APPS_STATUS[err.kind], body: { error: `apps-${err.kind}`, message: err.message } };
  if (err instanceof RegistryError) return { status: REGISTRY_STATUS[err.kind], body: { error: `registry-${err.kind}`, message: err.message } };
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

/** What a route may say about itself to the error map (route option `config`). */
export interface RouteErrorConfig {
  /** The answer when the body is over the route's limit (an upload route names what it takes). */
  tooLarge?: string;
}

/**
 * The panel's error handler: the map above, then what Fastify raises while it reads a request,
 * then a 500 whose detail goes to the log only.
 */
export function panelErrorHandler(log: Logger) {
  return (err: Error & { code?: string; statusCode?: number }, req: FastifyRequest, reply: FastifyReply) => {
    const mapped = toHttpError(err);
    if (mapped) return reply.code(mapped.status).send(mapped.body);
    switch (err.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE': {
        const limit = req.routeOptions.bodyLimit ?? 0;
        const message = (req.routeOptions.config as RouteErrorConfig | undefined)?.tooLarge ?? `The request body is larger than the ${Math.round(limit / 1024)} KiB the panel accepts.`;
        return reply.code(413).send({ error: 'too-large', message });
      }
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return reply.code(400).send({ error: 'bad-json', message: 'The request body is not valid JSON. Send a JSON object, e.g. {"confirm": true}.' });
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return reply.code(415).send({ error: 'unsupported-media-type', message: 'Send the request body as JSON with "Content-Type: application/json".' });
    }
    if (err instanceof SyntaxError && err.statusCode === 400) {
      return reply.code(400).send({ error: 'bad-json', message: `The request body is not valid JSON (${err.message}). Send a JSON object, e.g. {"confirm": true}.` });
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.code(err.statusCode).send({ error: 'bad-request', message: err.message });
    }
    log.error({ err }, `Panel: ${req.method} ${req.url} failed`);
    return reply.code(500).send({ error: 'internal', message: 'The bridge failed to answer this request; the add-on log has the details.' });
  };
}

/** Fastify's own refusals before routing (a bad URL, one too long). */
export function frameworkErrors(err: Error & { statusCode?: number }, _req: FastifyRequest, reply: FastifyReply): void {
  const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 400;
  void reply.code(status).send({ error: status === 414 ? 'uri-too-long' : 'bad-request', message: status === 414 ? 'The address is too long.' : `The request is malformed: ${err.message.slice(0, 200)}` });
}

/** Node's refusals of what is not HTTP (or headers too large): written on the socket, in the same shape. */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  const [status, error, message] =
    err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'headers-too-large', 'The request headers are larger than the panel accepts.'] : [400, 'bad-request', 'The request is not valid HTTP.'];
  const body = JSON.stringify({ error, message });
  if (socket.writable) {
    socket.end(`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  } else {
    socket.destroy(err);
  }
}
