/**
 * The apps API (issue 16), mounted under /api beside api.ts: the registry (its address and user,
 * never the password back), search and a package's details from it, the apps installed per
 * namespace, and the changes, each a job (202) whose IPM output and progress follow on the live
 * feed ({type:"apps-job"}) and at GET api/apps/job. Uninstalling repeats the package's name and
 * deleting a namespace repeats its name: typed confirmations. Every change runs through the IRIS
 * owner's privileged path (src/ipm/iris-session-apps.ts), never the bridge's own IRIS user.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isVersion, NAMESPACE_NAME, PACKAGE_NAME, type RegistryPackage } from '../model/ipm.ts';
import type { PanelApps, PanelContext } from './context.ts';
import { ApiError } from './errors.ts';
import { err, ok } from './schemas.ts';

// Checked here, so that a name IRIS or the registry would refuse never starts a job (400 at once).
const Namespace = z.string().regex(NAMESPACE_NAME, 'a namespace name: a letter or % first, then letters, digits, - or _ (at most 64)').describe('An IRIS namespace, e.g. APPS');
const Package = z.string().regex(PACKAGE_NAME, 'a package name: letters, digits, dots, dashes and underscores').describe('A package name in the registry, e.g. webterminal');
const Version = z.string().max(256).refine(isVersion, 'a version such as 4.9.2').describe('A version such as 4.9.2');

export const AppsRegistryBody = z
  .union([
    z
      .object({
        url: z.string().max(500).describe('The registry, e.g. https://pm.community.intersystems.com/'),
        username: z.string().max(200).optional(),
        password: z.string().max(500).optional().describe('Left out: the stored one stays (same address and user only); "": none'),
      })
      .strict(),
    z.object({ offlineFolder: z.literal(true).describe("Apps from the add-on's offline folder of package archives; the registry's settings stay") }).strict(),
  ])
  .meta({ id: 'AppsRegistry' });
export const AppsInstallBody = z.object({ namespace: Namespace, name: Package, version: Version.optional().describe('Left out: the newest') }).strict().meta({ id: 'AppsInstall' });
export const AppsUninstallBody = z
  .object({ namespace: Namespace, name: Package, confirm: z.string().max(100).describe("The package's name again") })
  .strict()
  .meta({ id: 'AppsUninstall' });
export const AppsNamespaceBody = z.object({ name: Namespace, interoperability: z.boolean().optional().describe('Default true') }).strict().meta({ id: 'AppsNamespace' });
export const AppsDeleteNamespaceBody = z.object({ confirm: z.string().max(100).describe("The namespace's name, typed") }).strict().meta({ id: 'AppsDeleteNamespace' });

const ERRORS = {
  400: err('Bad input: a name IRIS or the registry would refuse, a confirmation that does not match'),
  404: err('No such package, version or namespace'),
  409: err('Another apps job runs, or IPM refused (its message)'),
  502: err('The registry does not answer, refuses the credentials, or answers something else than the IPM registry API'),
  503: err('Apps are not available here (no IRIS owner to act as), or IRIS could not run the step'),
};
const tags = ['apps'];
const doc = <A extends Record<number, unknown>>(summary: string, answers: A) => ({ summary, tags, response: { ...answers, ...ERRORS } });

function appsOf(ctx: PanelContext): PanelApps {
  const a = ctx.options.apps;
  if (!a) throw new ApiError(503, 'apps-unavailable', "IRIS Edge installs apps only into the add-on's own IRIS (or the simulator), as its owner; this bridge has no owner to act as.");
  return a;
}

export async function registerAppsApi(app: FastifyInstance, ctx: PanelContext): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const log = ctx.options.log;

  api.get('/apps', { schema: doc('The registry in use, the apps installed per namespace, the current job', { 200: ok('OK') }) }, async () => {
    const a = appsOf(ctx);
    return { registry: await a.settings.view(), namespaces: await a.service.listAll(), job: a.jobs.current() ?? null };
  });

  api.put('/apps/registry', { schema: { ...doc('Use another registry, the same with other credentials (stored 0600; the password is never answered), or the offline folder', { 200: ok('Saved') }), body: AppsRegistryBody } }, async (req) => {
    const a = appsOf(ctx);
    const view = 'offlineFolder' in req.body ? await a.settings.useOfflineFolder() : await a.settings.save(req.body);
    const where = view.source === 'offline-folder' ? `the offline folder ${view.folder}` : `the registry ${view.url}${view.username ? ` as ${view.username}` : ''}`;
    log.info(`Apps: they now come from ${where} (set in the panel by ${ctx.who(req)})`);
    return { registry: view };
  });

  const SearchQuery = z.object({ q: z.string().max(100).optional().describe('Words in the name or description; empty: every package') }).strict();
  api.get('/apps/search', { schema: { ...doc('Packages of the registry', { 200: ok('Up to 200, by name') }), querystring: SearchQuery } }, async (req) => {
    const { client } = await appsOf(ctx).registry();
    // The offline folder is read once for the answer: its packages, and the archives it refused and why.
    const view = client.scan ? await client.scan() : undefined;
    const all = await (view ?? client).list(req.query.q ?? '');
    const problems = view ? view.problems.slice(0, 100) : [];
    return { registry: client.address, source: client.kind, total: all.length, packages: all.slice(0, 200), problems };
  });

  const PackageParams = z.object({ name: Package });
  const PackageQuery = z.object({ version: Version.optional() }).strict();
  api.get('/apps/packages/:name', { schema: { ...doc("One package's details: version, description, dependencies, source", { 200: ok('OK') }), params: PackageParams, querystring: PackageQuery } }, async (req) => {
    const { client } = await appsOf(ctx).registry();
    // Where the archive is stays with the bridge: the registry's download URL, the folder's file.
    const { archiveUrl: _url, file: _file, ...pkg } = (await client.package(req.params.name, req.query.version)) as RegistryPackage & { archiveUrl?: string; file?: string };
    return { registry: client.address, source: client.kind, package: pkg };
  });

  api.get('/apps/job', { schema: doc('The running apps job, or the last one', { 200: ok('OK') }) }, async () => ({ job: appsOf(ctx).jobs.current() ?? null }));

  api.post('/apps/install', { schema: { ...doc('Install or update a package (the newest, or the version named) with its dependencies', { 202: ok('Started; follow the job') }), body: AppsInstallBody } }, async (req, reply) => {
    const a = appsOf(ctx);
    const { namespace, name, version } = req.body;
    log.info(`Apps: install of ${name}${version ? ` ${version}` : ''} into ${namespace} requested in the panel by ${ctx.who(req)}`);
    const job = a.jobs.start({ action: 'install', namespace: namespace.toUpperCase(), name, version: version ?? null }, async (out) => (await a.service.install(namespace, name, version, out)).message);
    return reply.code(202).send({ job });
  });

  api.post('/apps/uninstall', { schema: { ...doc('Uninstall a package (confirm repeats its name)', { 202: ok('Started; follow the job') }), body: AppsUninstallBody } }, async (req, reply) => {
    const a = appsOf(ctx);
    const { namespace, name, confirm } = req.body;
    if (confirm !== name) throw new ApiError(400, 'not-confirmed', `To uninstall ${name} from ${namespace}, send "confirm": "${name}".`);
    log.info(`Apps: uninstall of ${name} from ${namespace} requested in the panel by ${ctx.who(req)}`);
    const job = a.jobs.start({ action: 'uninstall', namespace: namespace.toUpperCase(), name, version: null }, async (out) => (await a.service.uninstall(namespace, name, out)).message);
    return reply.code(202).send({ job });
  });

  api.post('/apps/namespaces', { schema: { ...doc('Create a namespace with its own database (interoperability-enabled unless asked otherwise)', { 202: ok('Started; follow the job') }), body: AppsNamespaceBody } }, async (req, reply) => {
    const a = appsOf(ctx);
    const { name, interoperability } = req.body;
    log.info(`Apps: namespace ${name} requested in the panel by ${ctx.who(req)}`);
    const job = a.jobs.start({ action: 'create-namespace', namespace: name.toUpperCase(), name: null, version: null }, async () => `The namespace ${await a.service.createNamespace(name, interoperability ?? true)} is ready.`);
    return reply.code(202).send({ job });
  });

  const NamespaceParams = z.object({ name: Namespace });
  const deleteSchema = { ...doc('Delete a namespace and its database (confirm types its name)', { 202: ok('Started; follow the job') }), params: NamespaceParams, body: AppsDeleteNamespaceBody };
  api.post('/apps/namespaces/:name/delete', { schema: deleteSchema }, async (req, reply) => {
    const a = appsOf(ctx);
    const { name } = req.params;
    const { confirm } = req.body;
    if (confirm !== name.toUpperCase()) throw new ApiError(400, 'not-confirmed', `To delete the namespace ${name.toUpperCase()} with everything in it, send "confirm": "${name.toUpperCase()}".`);
    log.warn(`Apps: deletion of the namespace ${name.toUpperCase()} requested in the panel by ${ctx.who(req)}`);
    const job = a.jobs.start({ action: 'delete-namespace', namespace: name.toUpperCase(), name: null, version: null }, async () => {
      await a.service.deleteNamespace(name, confirm);
      return `The namespace ${name.toUpperCase()} was deleted.`;
    });
    return reply.code(202).send({ job });
  });
}
