/**
 * Home Assistant device-based discovery payloads (HA >= 2024.11), built as pure functions of the
 * monitor's view. Abbreviated keys follow HA's MQTT abbreviation table; `default_entity_id`
 * replaces `object_id` from HA 2025.10 on.
 */
import { PRODUCTION_STATES, productionDisplayName, type ProductionSnapshot } from '../model/production.ts';
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
  /** HA 2025.10+ understands default_entity_id; older releases need object_id. */
  useDefaultEntityId: boolean;
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

/** "Orders.Production" -> "Orders Production": what the user reads and says to Assist. */
/** default_entity_id (HA 2025.10+) or object_id (older) for a component. */
export function entityId(ctx: DiscoveryContext, domain: string, id: string): Component {
  const objectId = ctx.entityPrefix ? `${ctx.entityPrefix}_${id}` : id;
  return ctx.useDefaultEntityId ? { default_entity_id: `${domain}.${objectId}` } : { object_id: objectId };
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
  const dev: Record<string, unknown> = { ids: [id], name: ctx.instanceName, mf: 'InterSystems', mdl: ctx.instanceModel };
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
      mf: 'InterSystems',
      mdl: `Interoperability production (${p.namespace})`,
      via_device: t.instanceDeviceId,
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
        ops: [...PRODUCTION_STATES],
        val_tpl: '{{ value_json.state }}',
      }),
      troubled: c('binary_sensor', 'troubled', 'Troubled', {
        dev_cla: 'problem',
        val_tpl: "{{ 'ON' if value_json.troubled else 'OFF' }}",
      }),
      queue: c('sensor', 'queue', 'Queue', {
        icon: 'mdi:tray-full',
        unit_of_meas: 'messages',
        stat_cla: 'measurement',
        val_tpl: '{{ value_json.queue }}',
      }),
      errors: c('sensor', 'errors', 'Errors', {
        icon: 'mdi:alert-circle-outline',
        unit_of_meas: 'errors',
        stat_cla: 'total_increasing',
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
      apply_update: c('button', 'apply_update', 'Apply configuration', {
        dev_cla: 'update',
        cmd_t: t.productionUpdate(p),
        pl_prs: 'PRESS',
      }),
      recover: c('button', 'recover', 'Recover', {
        icon: 'mdi:medical-bag',
        cmd_t: t.productionRecover(p),
        pl_prs: 'PRESS',
      }),
      update: c('update', 'update', 'Configuration', {
        ent_cat: 'config',
        stat_t: t.productionUpdateState(p),
        cmd_t: t.productionUpdate(p),
        pl_inst: 'INSTALL',
      }, 'configuration'),
      ...(interop
        ? {
            messages: c('sensor', 'messages', 'Messages', {
              icon: 'mdi:email-fast-outline',
              unit_of_meas: 'messages',
              stat_cla: 'total_increasing',
              val_tpl: '{{ value_json.messages }}',
            }),
          }
        : {}),
      ...hostComponents,
    },
  };
}
