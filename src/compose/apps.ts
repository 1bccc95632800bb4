/**
 * Apps (IPM packages) for the local instance, when this bridge can act as its owner: in the
 * add-on through `iris session` as irisowner, on the simulator as its owner process. A real IRIS
 * outside the add-on has no owner this bridge can act as, so it gets no apps (as the account for
 * people). The registry's settings live 0600 under /data/secrets.
 */
import type { Config } from '../config/config.ts';
import { AppsService, type AppsSource } from '../ipm/apps-service.ts';
import { OfflineFolder } from '../ipm/offline-folder.ts';
import { AppsWatch } from '../ipm/apps-watch.ts';
import { AppsJobs } from '../ipm/apps-jobs.ts';
import { applyDeclaredApps } from '../ipm/declared-apps.ts';
import { irisSessionApps } from '../ipm/iris-session-apps.ts';
import { RegistryClient } from '../ipm/registry-client.ts';
import { RegistrySettings } from '../ipm/registry-settings.ts';
import type { Logger } from '../log/logger.ts';
import type { AppsRunner, PackageSource, RegistryConnection } from '../model/ipm.ts';
import { AppsFeature } from '../mqtt/apps-sensors.ts';
import type { Topics } from '../mqtt/topics.ts';

/** How IPM (the simulated one too) reaches a registry: the add-on's client. */
export function registrySource(repo: RegistryConnection): PackageSource {
  return new RegistryClient({ url: repo.url, credentials: repo.credentials });
}

export interface AppsParts {
  service: AppsService;
  jobs: AppsJobs;
  settings: RegistrySettings;
  registry: () => Promise<AppsSource>;
}

/** Where apps come from under the settings saved now: the registry, or the offline folder. */
export function sourceOf(settings: RegistrySettings): () => Promise<AppsSource> {
  let folder: OfflineFolder | undefined;
  return async () => {
    const { url, credentials, offline } = await settings.connection();
    // One OfflineFolder, so that its archives are read once per change, not once per question.
    if (offline && settings.folder) return { client: (folder ??= new OfflineFolder(settings.folder)) };
    const connection = { url, credentials };
    return { client: new RegistryClient(connection), connection };
  };
}

export function appsParts(runner: AppsRunner, config: Config): AppsParts {
  const settings = new RegistrySettings(config.apps.registryFile, config.apps.offlineFolder);
  const registry = sourceOf(settings);
  return { service: new AppsService({ runner, registry }), settings, registry, jobs: new AppsJobs() };
}

/** Home Assistant's side of the apps: the feature on the instance device and what keeps it current. */
export function appsInHomeAssistant(parts: AppsParts, topics: Topics, log: Logger): { feature: AppsFeature; watch: AppsWatch } {
  let watch: AppsWatch | undefined;
  const feature = new AppsFeature(topics, (namespace, name) => void watch?.installLatest(namespace, name));
  watch = new AppsWatch({ service: parts.service, registry: parts.registry, log, onChange: (apps) => feature.update(apps) });
  // A job of the panel that ended changed the apps: Home Assistant's entities follow.
  parts.jobs.on('job', (job) => {
    if (job.state !== 'running') void watch?.refresh();
  });
  return { feature, watch };
}

/** The add-on's runner, when the bridge runs beside its IRIS as irisowner. */
export function addonAppsRunner(config: Config): AppsRunner | undefined {
  if (!config.inAddon || config.iris.mode !== 'native') return undefined;
  return irisSessionApps({ irisBin: config.addon.irisBin, agentDir: config.agentDir, workDir: config.apps.workDir });
}

/** The options' apps, in the background: a slow registry must not hold up the start. */
export function applyOptionsApps(service: AppsService, config: Config, log: Logger): Promise<void> {
  const { namespaces, packages } = config.apps;
  if (namespaces.length === 0 && packages.length === 0) return Promise.resolve();
  log.info(`Apps from the options: ${namespaces.length} namespace(s), ${packages.length} package(s) to check.`);
  return applyDeclaredApps(service, namespaces, packages, log).then(
    (r) => log.info(`Apps from the options: ${r.created.length} namespace(s) created, ${r.installed.length} installed, ${r.unchanged.length} already there, ${r.failed.length} failed.`),
    (err: unknown) => log.warn(`Apps from the options could not be applied: ${(err as Error).message}`),
  );
}
