/**
 * Home Assistant device-based discovery payloads (HA >= 2024.11), built as pure functions of the
 * monitor's view. Abbreviated keys follow HA's MQTT abbreviation table; `default_entity_id`
 * replaces `object_id` from HA 2025.10 on.
 */
import { PRODUCTION_STATES } from '../model/production.ts';
import type { ProductionView } from '../monitor/view.ts';
import { slug, type Topics } from './topics.ts';

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

type Component = Record<string, unknown>;
export interface DevicePayload {
  dev: Record<string, unknown>;
  o: Record<string, unknown>;
  cmps: Record<string, Component>;
  [key: string]: unknown;
}

/** "Orders.Production" -> "Orders Production": what the user reads and says to Assist. */
export function productionDisplayName(name: string): string {
  return name.split('.').filter(Boolean).join(' ');
}

function entityId(ctx: DiscoveryContext, domain: string, id: string): Component {
  const objectId = ctx.entityPrefix ? `${ctx.entityPrefix}_${id}` : id;
  return ctx.useDefaultEntityId ? { default_entity_id: `${domain}.${objectId}` } : { object_id: objectId };
}

function origin(ctx: DiscoveryContext): Record<string, unknown> {
  return { name: 'IRIS Edge', sw: ctx.bridgeVersion, url: ORIGIN_URL };
}

export function instanceDiscovery(ctx: DiscoveryContext): DevicePayload {
  const t = ctx.topics;
  const id = t.instanceDeviceId;
  const base = slug(ctx.instanceName);
  const dev: Record<string, unknown> = { ids: [id], name: ctx.instanceName, mf: 'InterSystems', mdl: ctx.instanceModel };
  if (ctx.irisVersion) dev.sw = ctx.irisVersion;
  return {
    dev,
    o: origin(ctx),
    // The instance device must stay available while IRIS is down: that is when "Reachable" matters.
    avty: [{ t: t.bridgeAvailability }],
    stat_t: t.instanceState,
    qos: 1,
    cmps: {
      reachable: {
        p: 'binary_sensor',
        name: 'Reachable',
        uniq_id: `${id}_reachable`,
        ...entityId(ctx, 'binary_sensor', `${base}_reachable`),
        dev_cla: 'connectivity',
        ent_cat: 'diagnostic',
        stat_t: t.irisAvailability,
        pl_on: 'online',
        pl_off: 'offline',
      },
      version: {
        p: 'sensor',
        name: 'Version',
        uniq_id: `${id}_version`,
        ...entityId(ctx, 'sensor', `${base}_version`),
        ent_cat: 'diagnostic',
        icon: 'mdi:database',
        val_tpl: '{{ value_json.iris_version }}',
      },
      bridge_version: {
        p: 'sensor',
        name: 'Bridge version',
        uniq_id: `${id}_bridge_version`,
        ...entityId(ctx, 'sensor', `${base}_bridge_version`),
        ent_cat: 'diagnostic',
        icon: 'mdi:bridge',
        val_tpl: '{{ value_json.bridge_version }}',
      },
    },
  };
}

export function productionDiscovery(ctx: DiscoveryContext, p: Pick<ProductionView, 'namespace' | 'name'>): DevicePayload {
  const t = ctx.topics;
  const id = t.productionDeviceId(p);
  const base = slug(p.name);
  return {
    dev: {
      ids: [id],
      name: productionDisplayName(p.name),
      mf: 'InterSystems',
      mdl: `Interoperability production (${p.namespace})`,
      via_device: t.instanceDeviceId,
    },
    o: origin(ctx),
    avty: [{ t: t.bridgeAvailability }, { t: t.irisAvailability }],
    avty_mode: 'all',
    stat_t: t.productionState(p),
    qos: 1,
    cmps: {
      running: {
        p: 'switch',
        // The device's main feature: its friendly name is the production's ("Orders Production").
        name: null,
        uniq_id: `${id}_running`,
        ...entityId(ctx, 'switch', base),
        icon: 'mdi:transit-connection-variant',
        cmd_t: t.productionSet(p),
        pl_on: 'START',
        pl_off: 'STOP',
        stat_on: 'ON',
        stat_off: 'OFF',
        val_tpl: "{{ 'ON' if value_json.running else 'OFF' }}",
      },
      status: {
        p: 'sensor',
        name: 'Status',
        uniq_id: `${id}_status`,
        ...entityId(ctx, 'sensor', `${base}_status`),
        dev_cla: 'enum',
        ops: [...PRODUCTION_STATES],
        val_tpl: '{{ value_json.state }}',
      },
      troubled: {
        p: 'binary_sensor',
        name: 'Troubled',
        uniq_id: `${id}_troubled`,
        ...entityId(ctx, 'binary_sensor', `${base}_troubled`),
        dev_cla: 'problem',
        val_tpl: "{{ 'ON' if value_json.troubled else 'OFF' }}",
      },
      restart: {
        p: 'button',
        name: 'Restart',
        uniq_id: `${id}_restart`,
        ...entityId(ctx, 'button', `${base}_restart`),
        dev_cla: 'restart',
        cmd_t: t.productionRestart(p),
        pl_prs: 'PRESS',
      },
    },
  };
}
