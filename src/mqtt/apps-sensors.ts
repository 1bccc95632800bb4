/**
 * Apps (IPM packages) in Home Assistant, on the instance device: an update entity per installed
 * app (installed version, the registry's newest, Install runs the update through the owner's
 * path), and a sensor counting the apps installed with the list as attributes. The update entity
 * is what Home Assistant lists under Settings -> Updates when the registry has a newer version.
 */
import { createHash } from 'node:crypto';
import type { AppStatus } from '../model/ipm.ts';
import { slug } from '../model/ids.ts';
import { componentNamer, type Component, type DiscoveryContext } from './discovery.ts';
import { FeatureSignal, type InstanceFeature, type StateMessage } from './feature.ts';
import type { Topics } from './topics.ts';
import { byText } from '../model/text-order.ts';

const key = (a: Pick<AppStatus, 'namespace' | 'name'>) => `${a.namespace}/${a.name}`;

/**
 * The id of each app in topics and unique ids: namespace and package as slugs. Slugs can meet
 * (%TOOLS and TOOLS, A-B and A_B): apps whose slugs meet get a short hash of their exact name, so
 * no two apps ever share an entity.
 */
export function appKeys(apps: readonly Pick<AppStatus, 'namespace' | 'name'>[]): Map<string, string> {
  const base = (a: Pick<AppStatus, 'namespace' | 'name'>) => `${slug(a.namespace)}_${slug(a.name)}`;
  const count = new Map<string, number>();
  for (const a of apps) count.set(base(a), (count.get(base(a)) ?? 0) + 1);
  return new Map(apps.map((a) => [key(a), (count.get(base(a)) ?? 0) > 1 ? `${base(a)}_${createHash('sha1').update(key(a)).digest('hex').slice(0, 6)}` : base(a)]));
}

export function appsComponents(ctx: DiscoveryContext, topics: Topics, apps: readonly Pick<AppStatus, 'namespace' | 'name'>[]): Record<string, Component> {
  const c = componentNamer(ctx, ctx.topics.instanceDeviceId, slug(ctx.instanceName));
  // The bridge keeps the list: it stays available while IRIS is down, as the backups do.
  const avty = [{ t: ctx.topics.bridgeAvailability }];
  const out: Record<string, Component> = {
    apps_installed: c('sensor', 'apps_installed', 'Apps installed', {
      icon: 'mdi:package-variant-closed',
      stat_cla: 'measurement',
      stat_t: topics.appsState,
      val_tpl: '{{ value_json.count }}',
      json_attr_t: topics.appsState,
      json_attr_tpl: '{{ {"apps": value_json.apps} | tojson }}',
      avty,
    }),
  };
  const keys = appKeys(apps);
  for (const a of apps) {
    const k = keys.get(key(a)) as string;
    const id = `app_${k}`;
    out[id] = c('update', id, `${a.name} (${a.namespace})`, {
      stat_t: topics.appUpdateState(k),
      cmd_t: topics.appsInstallCommand,
      pl_inst: key(a),
      avty,
    });
  }
  return out;
}

/** The update entity's JSON state (HA MQTT update: installed_version, latest_version, title, in_progress). */
export function appUpdateState(a: AppStatus): string {
  return JSON.stringify({
    installed_version: a.installed,
    // Without a registry answer the installed version is the newest known: no false "update available".
    latest_version: a.latest ?? a.installed,
    title: a.name,
    in_progress: a.inProgress,
  });
}

export class AppsFeature extends FeatureSignal implements InstanceFeature<string[]> {
  readonly press: { topic: string; run(payload: string): void };
  private apps: AppStatus[] = [];

  constructor(
    private readonly topics: Topics,
    /** "<NAMESPACE>/<package>": install its newest version. */
    install: (namespace: string, name: string) => void,
  ) {
    super();
    this.press = {
      topic: topics.appsInstallCommand,
      run: (payload) => {
        const [namespace = '', name = ''] = payload.split('/');
        install(namespace, name);
      },
    };
  }

  update(apps: AppStatus[]): void {
    this.apps = [...apps].sort((a, b) => byText(key(a), key(b)));
    this.changed();
  }

  /** The entities follow the set of installed apps; versions are in the states. */
  discoveryInputs(): string[] {
    return this.apps.map(key);
  }

  components(ctx: DiscoveryContext): Record<string, Component> {
    return appsComponents(ctx, this.topics, this.apps);
  }

  states(): StateMessage[] {
    const keys = appKeys(this.apps);
    return [
      { topic: this.topics.appsState, payload: JSON.stringify({ count: this.apps.length, apps: this.apps.map((a) => `${a.name} ${a.installed} (${a.namespace})`) }) },
      ...this.apps.map((a) => ({ topic: this.topics.appUpdateState(keys.get(key(a)) as string), payload: appUpdateState(a) })),
    ];
  }
}
