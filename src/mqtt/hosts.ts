/**
 * Business hosts in Home Assistant: a fixed, small set of entities per host. They live on their
 * production's device, or (past the host_device_threshold option) on a device of their own below
 * the production's, so that large productions stay readable.
 */
import { HOST_STATUSES, type HostSnapshot, type ProductionSnapshot } from '../model/production.ts';
import { componentNamer, irisAvailability, manufacturerOf, origin, panelLink, type Component, type DevicePayload, type DiscoveryContext } from './discovery.ts';
import { hostDeviceIdIn, slug, uniqueSlugs } from '../model/ids.ts';
import { hostSetIn, type Topics } from './topics.ts';

type ProductionRef = Pick<ProductionSnapshot, 'namespace' | 'name'>;

/**
 * A host as discovery names it: `key` is its slug, unique within the production (uniqueSlugs), so
 * that "HL7.In" and "HL7_In" get topics and ids of their own.
 */
export interface HostRef {
  name: string;
  key: string;
}

/** The production's hosts with their keys. */
export function hostRefs(hosts: readonly Pick<HostSnapshot, 'name'>[]): HostRef[] {
  const keys = uniqueSlugs(hosts.map((h) => h.name));
  return hosts.map((h) => ({ name: h.name, key: keys.get(h.name) as string }));
}

/** What the ids of a production's hosts are made from: derived once for all of them. */
export interface ProductionIds {
  deviceId: string;
  /** Its topics' base (Topics.production). */
  topic: string;
  nameSlug: string;
}

export function productionIds(topics: Topics, p: ProductionRef): ProductionIds {
  return { deviceId: topics.productionDeviceId(p), topic: topics.production(p), nameSlug: slug(p.name) };
}

/**
 * A host's topics and ids. Deriving them from the production's names for every message slugged
 * those names a dozen times a host, half the cost of building it; the bridge keeps its
 * production's ids and the two topics it needs at every poll (host-cache.ts), and the rest are
 * joined from those when a message is built. Keeping every id of every host doubled the cache.
 */
export interface HostIds {
  /** The host's key (hostRefs). */
  key: string;
  production: ProductionIds;
  stateTopic: string;
  discoveryTopic: string;
}

/** The ids of the host with key `key` in production `p`; `production` when its hosts share one. */
export function hostIds(topics: Topics, p: ProductionRef, key: string, production = productionIds(topics, p)): HostIds {
  return { key, production, stateTopic: topics.hostState(p, key), discoveryTopic: topics.hostDiscovery(p, key) };
}

/**
 * The components of one host. `label` prefixes entity names when the host shares its
 * production's device ("HL7.In.File queue"); on its own device names stand alone ("Queue").
 */
export function hostComponents(ctx: DiscoveryContext, ids: HostIds, label: string): Record<string, Component> {
  const c = componentNamer(ctx, `${ids.production.deviceId}_host_${ids.key}`, `${ids.production.nameSlug}_${ids.key}`);
  // "HL7.In.File queue" on the production's device, "Queue" on the host's own.
  const named = (what: string) => (label ? `${label} ${what}` : what.charAt(0).toUpperCase() + what.slice(1));
  const key = (metric: string) => (label ? `h_${ids.key}_${metric}` : metric);
  // On the production's device the host figures go to its Diagnostic section, so that the
  // production's own Status, Queue and Troubled come first: Home Assistant lists a device's
  // entities by section, then by name, and "HL7.In.File queue" sorts before "Queue".
  // On a device of its own every component reads the host's state topic: the device says it once
  // (hostDiscovery). On the production's device the production's own topic is the shared one.
  const common = label ? { stat_t: ids.stateTopic } : {};
  const figure = { ...common, ...(label ? { ent_cat: 'diagnostic' } : {}) };
  return {
    [key('status')]: c('sensor', 'status', named('status'), {
      dev_cla: 'enum',
      ops: [...HOST_STATUSES],
      val_tpl: '{{ value_json.status }}',
      ...figure,
    }),
    [key('queue')]: c('sensor', 'queue', named('queue'), {
      icon: 'mdi:tray-full',
      stat_cla: 'measurement',
      sug_dsp_prc: 0,
      val_tpl: '{{ value_json.queue }}',
      ...figure,
    }),
    // Per-host errors and activity change often and matter less than the production totals:
    // off by default, one click to enable in Home Assistant.
    [key('errors')]: c('sensor', 'errors', named('errors'), {
      icon: 'mdi:alert-circle-outline',
      stat_cla: 'total_increasing',
      sug_dsp_prc: 0,
      en: false,
      val_tpl: '{{ value_json.errors }}',
      ...figure,
    }),
    [key('last_activity')]: c('sensor', 'last_activity', named('last activity'), {
      dev_cla: 'timestamp',
      en: false,
      val_tpl: '{{ value_json.last_activity }}',
      ...figure,
    }),
    [key('enabled')]: c('switch', 'enabled', named('enabled'), {
      icon: 'mdi:power-plug-outline',
      ent_cat: 'config',
      cmd_t: hostSetIn(ids.production.topic, ids.key),
      pl_on: 'ON',
      pl_off: 'OFF',
      stat_on: 'ON',
      stat_off: 'OFF',
      val_tpl: "{{ 'ON' if value_json.enabled else 'OFF' }}",
      ...common,
    }),
  };
}

/** A host's own device, below its production's. */
export function hostDiscovery(ctx: DiscoveryContext, ids: HostIds, host: Pick<HostSnapshot, 'name' | 'className' | 'kind'>): DevicePayload {
  return {
    dev: {
      ids: [hostDeviceIdIn(ids.production.deviceId, ids.key)],
      name: host.name,
      ...manufacturerOf(host.className),
      mdl: `Business ${host.kind} (${host.className})`,
      via_device: ids.production.deviceId,
      ...panelLink(ctx),
    },
    o: origin(ctx),
    ...irisAvailability(ctx),
    // Once for the five components, not five times: state_topic is one of the options a device
    // message shares with its components (HA 2026.11 mqtt/schemas.py SHARED_OPTIONS). Not the
    // "~" base topic: HA expands "~" per component and does not share it, so a device-level "~"
    // would leave its components reading a topic that starts with "~".
    stat_t: ids.stateTopic,
    qos: 1,
    cmps: hostComponents(ctx, ids, ''),
  };
}

/** True when this production's hosts get devices of their own. */
export function hostsOnOwnDevices(hostCount: number, threshold: number): boolean {
  return hostCount > threshold;
}

/** Components to merge into the production's device: none when its hosts have devices of their own. */
export function hostComponentsForProduction(
  ctx: DiscoveryContext,
  p: ProductionRef & { hosts: Pick<HostSnapshot, 'name'>[] },
  ownDevices = false,
): Record<string, Component> {
  if (ownDevices) return {};
  const shared = productionIds(ctx.topics, p);
  return Object.assign({}, ...hostRefs(p.hosts).map((h) => hostComponents(ctx, hostIds(ctx.topics, p, h.key, shared), h.name)));
}

