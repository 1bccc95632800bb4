/**
 * The backups API (DESIGN.md §9), mounted under /api beside api.ts. Long operations (backup,
 * verify, restore) answer 202 with the job; its steps and progress follow on the live feed
 * ({type:"backup-job"}) and at GET api/backups/job. Uploads are the one body that is not JSON:
 * the archive itself, streamed to disk and verified before it is accepted.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { BackupService } from '../backups/service.ts';
import { BACKUP_ID } from '../model/backup-record.ts';
import { settingsSchema } from '../model/backup-settings.ts';
import { checkId } from '../backups/store.ts';
import { ApiError, parseRequest } from './errors.ts';
import type { PanelContext } from './context.ts';
import { NoFields } from './schemas.ts';

export const BackupRestoreBody = z
  .object({ confirm: z.string().max(100).describe("The backup's id, typed or sent back to confirm what is replaced") })
  .strict()
  .meta({ id: 'BackupRestore' });
export const BackupSettingsBody = settingsSchema.strict().meta({ id: 'BackupSettings' });
export const BACKUP_SCHEMAS = [BackupRestoreBody, BackupSettingsBody];

const IdParams = z.object({ id: z.string().max(200) });

function serviceOf(ctx: PanelContext): BackupService {
  const s = ctx.options.backups;
  if (!s) throw new ApiError(503, 'backups-unavailable', "IRIS Edge backs up the add-on's own IRIS (or the simulator); this bridge watches only remote instances.");
  return s;
}

export async function registerBackupsApi(api: FastifyInstance, ctx: PanelContext): Promise<void> {
  // The upload body is the archive, streamed; every other route takes JSON within the body limit.
  api.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));

  api.get('/backups', async () => {
    const s = serviceOf(ctx);
    return {
      backups: await s.list(),
      status: await s.status(),
      job: s.job(),
      settings: s.schedule.settings,
      uploadLimitBytes: ctx.options.backupUploadLimitBytes ?? null,
    };
  });

  api.post('/backups', async (req, reply) => {
    const s = serviceOf(ctx);
    parseRequest(NoFields, req.body, 'backup request');
    ctx.options.log.info(`Backup now: requested in the panel by ${ctx.who(req)}`);
    return reply.code(202).send({ job: await s.startBackup('manual') });
  });

  api.get('/backups/job', async () => ({ job: serviceOf(ctx).job() }));

  api.get('/backups/schedule', async () => {
    const s = serviceOf(ctx);
    return { settings: s.schedule.settings, nextRun: s.schedule.nextRun()?.toISOString() ?? null };
  });

  api.put('/backups/schedule', async (req) => {
    const s = serviceOf(ctx);
    const settings = parseRequest(BackupSettingsBody, req.body, 'backup settings');
    await s.updateSettings(settings);
    ctx.options.log.info(`Backup settings changed by ${ctx.who(req)}: ${settings.enabled ? `"${settings.cron}"` : 'no schedule'}, keep ${settings.retention}`);
    return { settings: s.schedule.settings, nextRun: s.schedule.nextRun()?.toISOString() ?? null };
  });

  // The one body that is not JSON: the guard in server.ts refuses any other type (415).
  api.post('/backups/upload', { config: { bodyType: 'application/octet-stream' } }, async (req, reply) => {
    const s = serviceOf(ctx);
    try {
      const record = await s.upload(req.body as Readable);
      ctx.options.log.info(`Backup ${record.id} uploaded by ${ctx.who(req)}`);
      return reply.code(201).send({ backup: record });
    } catch (err) {
      // A refused upload may leave most of its body unread on the socket; reusing that
      // connection (ingress keeps them alive) would hang the next request behind it.
      reply.header('connection', 'close');
      throw err;
    }
  });

  api.get('/backups/:id', async (req) => {
    const { id } = parseRequest(IdParams, req.params, 'backup id');
    return { backup: await serviceOf(ctx).get(id) };
  });

  api.delete('/backups/:id', async (req) => {
    const { id } = parseRequest(IdParams, req.params, 'backup id');
    await serviceOf(ctx).delete(id);
    ctx.options.log.info(`Backup ${id} deleted by ${ctx.who(req)}`);
    return { deleted: id };
  });

  api.get('/backups/:id/download', async (req, reply) => {
    const { id } = parseRequest(IdParams, req.params, 'backup id');
    const s = serviceOf(ctx);
    const r = await s.get(id);
    if (r.result !== 'ok') throw new ApiError(404, 'not-found', `Backup ${id} failed when it was made; it has no archive.`);
    const path = s.store.archivePath(checkId(id));
    reply.header('content-type', 'application/gzip');
    reply.header('content-disposition', `attachment; filename="${id}.tar.gz"`);
    reply.header('content-length', String(await s.store.archiveSize(id)));
    return reply.send(createReadStream(path));
  });

  api.post('/backups/:id/verify', async (req, reply) => {
    const { id } = parseRequest(IdParams, req.params, 'backup id');
    parseRequest(NoFields, req.body, 'verify request');
    return reply.code(202).send({ job: await serviceOf(ctx).startVerify(id) });
  });

  api.get('/backups/:id/restore', async (req) => {
    const { id } = parseRequest(IdParams, req.params, 'backup id');
    return { plan: await serviceOf(ctx).restorePlan(id) };
  });

  api.post('/backups/:id/restore', async (req, reply) => {
    const { id } = parseRequest(IdParams, req.params, 'backup id');
    const { confirm } = parseRequest(BackupRestoreBody, req.body, 'restore request');
    const job = await serviceOf(ctx).startRestore(id, confirm);
    ctx.options.log.warn(`Restore of backup ${id} started by ${ctx.who(req)}`);
    return reply.code(202).send({ job });
  });
}

export function backupsOpenApiPaths(ref: (s: z.ZodType) => Record<string, unknown>, csrfHeader: Record<string, unknown>): Record<string, unknown> {
  const id = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: BACKUP_ID.source } };
  const jsonBody = (schema: z.ZodType) => ({ required: true, content: { 'application/json': { schema: ref(schema) } } });
  const errors = { 400: { description: 'Bad input: not a backup id, not an IRIS Edge archive, wrong checksum, bad cron' }, 404: { description: 'No such backup' }, 409: { description: 'Another backup, verify or restore is running' }, 503: { description: 'Backups are not available here, or IRIS does not answer' } };
  return {
    '/api/backups': {
      get: { summary: 'Backups with size, date, result and verify state; status, settings, the current job', tags: ['backups'], responses: { 200: { description: 'OK' } } },
      post: { summary: 'Start a backup now', tags: ['backups'], parameters: [csrfHeader], requestBody: jsonBody(NoFields), responses: { 202: { description: 'Started; follow the job' }, ...errors } },
    },
    '/api/backups/job': { get: { summary: 'The running job, or the last one', tags: ['backups'], responses: { 200: { description: 'OK' } } } },
    '/api/backups/schedule': {
      get: { summary: 'Schedule (cron), retention, Home Assistant backup; next run', tags: ['backups'], responses: { 200: { description: 'OK' } } },
      put: { summary: 'Change the schedule and retention', tags: ['backups'], parameters: [csrfHeader], requestBody: jsonBody(BackupSettingsBody), responses: { 200: { description: 'Saved' }, ...errors } },
    },
    '/api/backups/upload': {
      post: {
        summary: 'Upload an archive (verified before it is accepted)',
        tags: ['backups'],
        parameters: [csrfHeader],
        requestBody: { required: true, content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
        responses: { 201: { description: 'Accepted' }, 413: { description: 'Larger than the upload limit' }, ...errors },
      },
    },
    '/api/backups/{id}': {
      get: { summary: 'One backup', tags: ['backups'], parameters: [id], responses: { 200: { description: 'OK' }, ...errors } },
      delete: { summary: 'Delete a backup', tags: ['backups'], parameters: [id, csrfHeader], responses: { 200: { description: 'Deleted' }, ...errors } },
    },
    '/api/backups/{id}/download': {
      get: { summary: 'The archive (tar.gz)', tags: ['backups'], parameters: [id], responses: { 200: { description: 'The file', content: { 'application/gzip': {} } }, ...errors } },
    },
    '/api/backups/{id}/verify': { post: { summary: 'Verify checksums, manifest and archive', tags: ['backups'], parameters: [id, csrfHeader], requestBody: jsonBody(NoFields), responses: { 202: { description: 'Started' }, ...errors } } },
    '/api/backups/{id}/restore': {
      get: { summary: 'What a restore would replace (for the confirmation)', tags: ['backups'], parameters: [id], responses: { 200: { description: 'The plan' }, ...errors } },
      post: { summary: 'Restore (a safety backup first; IRIS stopped and started)', tags: ['backups'], parameters: [id, csrfHeader], requestBody: jsonBody(BackupRestoreBody), responses: { 202: { description: 'Started' }, ...errors } },
    },
  };
}
