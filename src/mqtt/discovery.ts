/**
 * Home Assistant device-based discovery payloads (HA >= 2024.11), built as pure functions of the
 * monitor's view. Abbreviated keys follow HA's MQTT abbreviation table.
 */
import { APPLY_CONFIGURATION, PRODUCTION_STATES, productionDisplayName, type ProductionSnapshot } from '../model/production.ts';
import { PRODUCTION_EVENT_TYPES } from '../monitor/events.ts';
import { slug } from '../model/ids.ts';
import type { Topics } from './topics.ts';

export interface DiscoveryContext {
  topics: Topics;
  bridgeVersion: string;
  /** Entity id prefix for this instance's entities ("" for the local instance). */
  entityPrefix: string;
  /** Device name of the IRIS instance, e.g. "IRIS". */
  instanceName: string;
  instanceModel: string;
  /** IRIS version number for the device's sw_version, once known. */
  irisVersion: string | null;
  /**
   * The device page's "Visit" link: the IRIS Edge panel, `homeassistant://hassio/ingress/<slug>`
   * in the add-on; null where Home Assistant has no page to open (outside the Supervisor).
   */
  panelUrl: string | null;
}

export const ORIGIN_URL = 'https://github.com/iris-edge/iris-edge';
/**
 * The select's option for "no production runs in this namespace". Not "None": an MQTT select reads
 * that payload as "no option" and shows unknown.
 */
export const NO_PRODUCTION = 'No production';

export type Component = Record<string, unknown>;
export interface DevicePayload {
  dev: Record<string, unknown>;
  o: Record<string, unknown>;
  cmps: Record<string, Component>;
  [key: string]: unknown;
}

/**
 * Both id keys, always: HA 2024.11 to 2025.9 reads only object_id, 2025.10 on reads
 * default_entity_id (and prefers it when both are there), and 2026.4 on drops object_id as an
 * unknown key without a word. The ids are fixed when an entity is first created, so they must be
 * right in the first message, before anything can tell which release is listening.
 */
export function entityId(ctx: DiscoveryContext, domain: string, id: string): Component {
  const objectId = ctx.entityPrefix ? `${ctx.entityPrefix}_${id}` : id;
  return { default_entity_id: `${domain}.${objectId}`, object_id: objectId };
}

/** Options of the status enum: "unknown" is Home Assistant's own state, never an option. */
export const STATUS_OPTIONS = PRODUCTION_STATES.filter((s) => s !== 'unknown');

/**
 * The manufacturer of a class: InterSystems for its own packages (EnsLib, Ens, HS, %), nobody
 * named for the user's own classes, which are what most productions and many hosts are.
 */
export function manufacturerOf(className: string): Record<string, string> {
  return vendorClass(className) ? { mf: 'InterSystems' } : {};
}

export const vendorClass = (className: string) => /^(%|Ens\.|EnsLib\.|HS\.)/.test(className);

/** The device's link to its page in the IRIS Edge panel, where there is one. */
export function panelLink(ctx: DiscoveryContext): Record<string, string> {
  return ctx.panelUrl ? { cu: ctx.panelUrl } : {};
}

/**
 * Builds the components of one device with one naming rule: unique id `<uidPrefix>_<key>` and
 * entity id `<entityPrefix>_<entity>` (the key unless given; the bare prefix when ''). The id
 * scheme is written here once; the builders say only what differs.
 */
export function componentNamer(ctx: DiscoveryContext, uidPrefix: string, entityPrefix: string) {
  return (p: string, key: string, name: string | null, fields: Component, entity = key): Component => ({
    p,
    name,
    uniq_id: `${uidPrefix}_${key}`,
    ...entityId(ctx, p, entity ? `${entityPrefix}_${entity}` : entityPrefix),
    ...fields,
  });
}

export function origin(ctx: DiscoveryContext): Record<string, unknown> {
  return { name: 'IRIS Edge', sw: ctx.bridgeVersion, url: ORIGIN_URL };
}

/** Availability of everything that shows IRIS data: the bridge is alive AND IRIS answers. */
export function irisAvailability(ctx: DiscoveryContext): Record<string, unknown> {
  return { avty: [{ t: ctx.topics.bridgeAvailability }, { t: ctx.topics.irisAvailability }], avty_mode: 'all' };
}

export function instanceDiscovery(
  ctx: DiscoveryContext,
  productions: Pick<ProductionSnapshot, 'namespace' | 'name'>[] = [],
  extra: Record<string, Component> = {},
): DevicePayload {
  const t = ctx.topics;
  const id = t.instanceDeviceId;
  const c = componentNamer(ctx, id, slug(ctx.instanceName));
  const dev: Record<string, unknown> = { ids: [id], name: ctx.instanceName, mf: 'InterSystems', mdl: ctx.instanceModel, ...panelLink(ctx) };
  if (ctx.irisVersion) dev.sw = ctx.irisVersion;
  const selects: Record<string, Component> = {};
  const namespaces = [...new Set(productions.map((p) => p.namespace))].sort();
  for (const ns of namespaces) {
    const options = productions.filter((p) => p.namespace === ns).map((p) => productionDisplayName(p.name)).sort();
    selects[`ns_${slug(ns)}_production`] = c('select', `ns_${slug(ns)}_production`, `${ns} running production`, {
      icon: 'mdi:transit-connection-variant',
      ops: [...options, NO_PRODUCTION],
      stat_t: t.namespaceState(ns),
      val_tpl: '{{ value_json.option }}',
      cmd_t: t.namespaceSelect(ns),
      ...irisAvailability(ctx),
    }, `${slug(ns)}_production`);
  }
  return {
    dev,
    o: origin(ctx),
    // The instance device must stay available while IRIS is down: that is when "Reachable" matters.
    avty: [{ t: t.bridgeAvailability }],
    stat_t: t.instanceState,
    qos: 1,
    cmps: {
      reachable: c('binary_sensor', 'reachable', 'Reachable', {
        dev_cla: 'connectivity',
        ent_cat: 'diagnostic',
        stat_t: t.irisAvailability,
        pl_on: 'online',
        pl_off: 'offline',
      }),
      version: c('sensor', 'version', 'Version', {
        ent_cat: 'diagnostic',
        icon: 'mdi:database',
        val_tpl: '{{ value_json.iris_version }}',
      }),
      bridge_version: c('sensor', 'bridge_version', 'Bridge version', {
        ent_cat: 'diagnostic',
        icon: 'mdi:bridge',
        val_tpl: '{{ value_json.bridge_version }}',
      }),
      events: c('event', 'alerts', 'Alerts', {
        evt_typ: ['info', 'warning', 'severe', 'fatal'],
        stat_t: t.instanceEvent,
      }),
      ...selects,
      ...extra,
    },
  };
}

/**
 * A production's device. `hostComponents` are merged in when its hosts live on this device
 * (few hosts); otherwise each host has its own device (see hosts.ts).
 */
export function productionDiscovery(
  ctx: DiscoveryContext,
  p: Pick<ProductionSnapshot, 'namespace' | 'name'>,
  hostComponents: Record<string, Component> = {},
  /** IRIS publishes interoperability metrics for this production (EnableSAMForNamespace). */
  interop = false,
): DevicePayload {
  const t = ctx.topics;
  const id = t.productionDeviceId(p);
  const c = componentNamer(ctx, id, slug(p.name));
  return {
    dev: {
      ids: [id],
      name: productionDisplayName(p.name),
      ...manufacturerOf(p.name),
      mdl: `Interoperability production (${p.namespace})`,
      via_device: t.instanceDeviceId,
      ...panelLink(ctx),
    },
    o: origin(ctx),
    ...irisAvailability(ctx),
    stat_t: t.productionState(p),
    qos: 1,
    cmps: {
      // The device's main feature: its friendly name is the production's ("Orders Production").
      running: c('switch', 'running', null, {
        icon: 'mdi:transit-connection-variant',
        cmd_t: t.productionSet(p),
        pl_on: 'START',
        pl_off: 'STOP',
        stat_on: 'ON',
        stat_off: 'OFF',
        val_tpl: "{{ 'ON' if value_json.running else 'OFF' }}",
      }, ''),
      status: c('sensor', 'status', 'Status', {
        dev_cla: 'enum',
        ops: [...STATUS_OPTIONS],
        val_tpl: '{{ value_json.state }}',
      }),
      troubled: c('binary_sensor', 'troubled', 'Troubled', {
        dev_cla: 'problem',
        val_tpl: "{{ 'ON' if value_json.troubled else 'OFF' }}",
      }),
      // Counts have no unit: "12", not "12 messages".
      queue: c('sensor', 'queue', 'Queue', {
        icon: 'mdi:tray-full',
        stat_cla: 'measurement',
        sug_dsp_prc: 0,
        val_tpl: '{{ value_json.queue }}',
      }),
      errors: c('sensor', 'errors', 'Errors', {
        icon: 'mdi:alert-circle-outline',
        stat_cla: 'total_increasing',
        sug_dsp_prc: 0,
        val_tpl: '{{ value_json.errors }}',
      }),
      events: c('event', 'events', 'Events', {
        evt_typ: [...PRODUCTION_EVENT_TYPES],
        stat_t: t.productionEvent(p),
      }),
      restart: c('button', 'restart', 'Restart', {
        dev_cla: 'restart',
        cmd_t: t.productionRestart(p),
        pl_prs: 'PRESS',
      }),
      // Ens.Director.UpdateProduction. Not an update entity: that is for versions, and would
      // list every production with saved changes under Settings -> Updates.
      apply_update: c('button', 'apply_update', APPLY_CONFIGURATION, {
        icon: 'mdi:cog-sync',
        cmd_t: t.productionUpdate(p),
        pl_prs: 'PRESS',
      }),
      config_pending: c('binary_sensor', 'config_pending', 'Configuration pending', {
        icon: 'mdi:cog-sync-outline',
        val_tpl: "{{ 'ON' if value_json.config_pending else 'OFF' }}",
        json_attr_t: t.productionState(p),
        json_attr_tpl: '{{ {"reason": value_json.config_reason} | tojson }}',
      }, 'configuration_pending'),
      recover: c('button', 'recover', 'Recover', {
        icon: 'mdi:medical-bag',
        cmd_t: t.productionRecover(p),
        pl_prs: 'PRESS',
      }),
      ...(interop
        ? {
            messages: c('sensor', 'messages', 'Messages', {
              icon: 'mdi:email-fast-outline',
              stat_cla: 'total_increasing',
              sug_dsp_prc: 0,
              val_tpl: '{{ value_json.messages }}',
            }),
          }
        : {}),
      ...hostComponents,
    },
  };
}

/** The state topic a retained discovery payload names, or undefined (not ours, not JSON). */
export function stateTopicOf(payload: Buffer): string | undefined {
  try {
    const doc = JSON.parse(payload.toString()) as { stat_t?: unknown; state_topic?: unknown };
    const t = doc.stat_t ?? doc.state_topic;
    return typeof t === 'string' ? t : undefined;
  } catch {
    return undefined;
  }
}
