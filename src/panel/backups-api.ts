/**
 * The backups API (DESIGN.md §9), mounted under /api beside api.ts. Long operations (backup,
 * verify, restore) answer 202 with the job; its steps and progress follow on the live feed
 * ({type:"backup-job"}) and at GET api/backups/job. Uploads are the one body that is not JSON:
 * the archive itself, streamed to disk and verified before it is accepted.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BackupService } from '../backups/service.ts';
import { BACKUP_UPLOAD_LIMIT_BYTES } from '../model/backup.ts';
import { BACKUP_ID } from '../model/backup-record.ts';
import { formatBytes } from '../model/bytes.ts';
import { settingsSchema } from '../model/backup-settings.ts';
import { checkId } from '../backups/store.ts';
import { ApiError } from './errors.ts';
import type { PanelContext } from './context.ts';
import { err, NoFields, ok } from './schemas.ts';

export const BackupRestoreBody = z
  .object({ confirm: z.string().max(100).describe("The backup's id, typed or sent back to confirm what is replaced") })
  .strict()
  .meta({ id: 'BackupRestore' });
export const BackupSettingsBody = settingsSchema.strict().meta({ id: 'BackupSettings' });

// The id's shape is documented here and checked by the service, whose refusal says what an id looks like.
const IdParams = z.object({ id: z.string().max(200).meta({ pattern: BACKUP_ID.source }) });
const ERRORS = {
  400: err('Bad input: not a backup id, not an IRIS Edge archive, wrong checksum, bad cron'),
  404: err('No such backup'),
  409: err('Another backup, verify or restore is running'),
  503: err('Backups are not available here, or IRIS does not answer'),
};
const tags = ['backups'];
const doc = <A extends Record<number, unknown>>(summary: string, answers: A) => ({ summary, tags, response: { ...answers, ...ERRORS } });

function serviceOf(ctx: PanelContext): BackupService {
  const s = ctx.options.backups;
  if (!s) throw new ApiError(503, 'backups-unavailable', "IRIS Edge backs up the add-on's own IRIS (or the simulator); this bridge watches only remote instances.");
  return s;
}

export async function registerBackupsApi(app: FastifyInstance, ctx: PanelContext): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();
  // The upload body is the archive, streamed; every other route takes JSON within the body limit.
  api.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));

  api.get('/backups', { schema: doc('Backups with size, date, result and verify state; status, settings, the current job', { 200: ok('OK') }) }, async () => {
    const s = serviceOf(ctx);
    return {
      backups: await s.list(),
      status: await s.status(),
      job: s.job(),
      settings: s.schedule.settings,
      // The service's own limit, the one it enforces: the page states it and checks files against it.
      uploadLimitBytes: s.uploadLimitBytes,
    };
  });

  api.post('/backups', { schema: { ...doc('Start a backup now', { 202: ok('Started; follow the job') }), body: NoFields } }, async (req, reply) => {
    const s = serviceOf(ctx);
    ctx.options.log.info(`Backup now: requested in the panel by ${ctx.who(req)}`);
    return reply.code(202).send({ job: await s.startBackup('manual') });
  });

  api.get('/backups/job', { schema: doc('The running job, or the last one', { 200: ok('OK') }) }, async () => ({ job: serviceOf(ctx).job() }));

  api.get('/backups/schedule', { schema: doc('Schedule (cron), retention, Home Assistant backup; next run', { 200: ok('OK') }) }, async () => {
    const s = serviceOf(ctx);
    return { settings: s.schedule.settings, nextRun: s.schedule.nextRun()?.toISOString() ?? null };
  });

  api.put('/backups/schedule', { schema: { ...doc('Change the schedule and retention', { 200: ok('Saved') }), body: BackupSettingsBody } }, async (req) => {
    const s = serviceOf(ctx);
    const settings = req.body;
    await s.updateSettings(settings);
    ctx.options.log.info(`Backup settings changed by ${ctx.who(req)}: ${settings.enabled ? `"${settings.cron}"` : 'no schedule'}, keep ${settings.retention}`);
    return { settings: s.schedule.settings, nextRun: s.schedule.nextRun()?.toISOString() ?? null };
  });

  // The one body that is not JSON: the guard in server.ts refuses any other type (415).
  const uploadSchema = {
    ...doc('Upload an archive (verified before it is accepted)', { 201: ok('Accepted'), 413: err(`Larger than the upload limit (${formatBytes(BACKUP_UPLOAD_LIMIT_BYTES)}; GET api/backups says it)`) }),
    consumes: ['application/octet-stream'],
    body: z.custom<Readable>().meta({ type: 'string', format: 'binary' }),
  };
  api.post('/backups/upload', { schema: uploadSchema, config: { bodyType: 'application/octet-stream' } }, async (req, reply) => {
    const s = serviceOf(ctx);
    try {
      const record = await s.upload(req.body);
      ctx.options.log.info(`Backup ${record.id} uploaded by ${ctx.who(req)}`);
      return reply.code(201).send({ backup: record });
    } catch (err) {
      // A refused upload may leave most of its body unread on the socket; reusing that
      // connection (ingress keeps them alive) would hang the next request behind it.
      reply.header('connection', 'close');
      throw err;
    }
  });

  api.get('/backups/:id', { schema: { ...doc('One backup', { 200: ok('OK') }), params: IdParams } }, async (req) => {
    const { id } = req.params;
    return { backup: await serviceOf(ctx).get(id) };
  });

  api.delete('/backups/:id', { schema: { ...doc('Delete a backup', { 200: ok('Deleted') }), params: IdParams } }, async (req) => {
    const { id } = req.params;
    await serviceOf(ctx).delete(id);
    ctx.options.log.info(`Backup ${id} deleted by ${ctx.who(req)}`);
    return { deleted: id };
  });

  const downloadSchema = {
    ...doc('The archive (.tar.zst; backups made before IRIS Edge wrote zstd: .tar.gz)', {
      200: { description: 'The file', content: { 'application/zstd': { schema: z.string().meta({ format: 'binary' }) }, 'application/gzip': { schema: z.string().meta({ format: 'binary' }) } } },
    }),
    params: IdParams,
  };
  api.get('/backups/:id/download', { schema: downloadSchema }, async (req, reply) => {
    const { id } = req.params;
    const s = serviceOf(ctx);
    const r = await s.get(id);
    if (r.result !== 'ok') throw new ApiError(404, 'not-found', `Backup ${id} failed when it was made; it has no archive.`);
    const { path, name, type } = s.store.archiveFile(checkId(id));
    reply.header('content-type', type);
    reply.header('content-disposition', `attachment; filename="${name}"`);
    reply.header('content-length', String(await s.store.archiveSize(id)));
    return reply.send(createReadStream(path));
  });

  api.post('/backups/:id/verify', { schema: { ...doc('Verify checksums, manifest and archive', { 202: ok('Started') }), params: IdParams, body: NoFields } }, async (req, reply) => {
    const { id } = req.params;
    return reply.code(202).send({ job: await serviceOf(ctx).startVerify(id) });
  });

  api.get('/backups/:id/restore', { schema: { ...doc('What a restore would replace (for the confirmation)', { 200: ok('The plan') }), params: IdParams } }, async (req) => {
    const { id } = req.params;
    return { plan: await serviceOf(ctx).restorePlan(id) };
  });

  const restoreSchema = { ...doc('Restore (a safety backup first; IRIS stopped and started)', { 202: ok('Started') }), params: IdParams, body: BackupRestoreBody };
  api.post('/backups/:id/restore', { schema: restoreSchema }, async (req, reply) => {
    const { id } = req.params;
    const { confirm } = req.body;
    const job = await serviceOf(ctx).startRestore(id, confirm);
    ctx.options.log.warn(`Restore of backup ${id} started by ${ctx.who(req)}`);
    return reply.code(202).send({ job });
  });
}
