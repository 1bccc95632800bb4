/**
 * Every MQTT topic and identifier the bridge owns, in one place. Identifiers are built from
 * stable technical keys (instance id, namespace, production class, host name), never from
 * display names (the identifiers themselves are model/ids.ts).
 */
import { DeviceIds, slug, type ProductionRef } from '../model/ids.ts';

/** A command topic, decoded. Slugs are matched against the current inventory by the caller. */
export type CommandTopic =
  | { kind: 'set' | 'restart' | 'update' | 'recover'; nsSlug: string; prodSlug: string }
  | { kind: 'host-set'; nsSlug: string; prodSlug: string; hostSlug: string }
  | { kind: 'select'; nsSlug: string }
  | { kind: 'backup' }
  | { kind: 'apps' };

const PRODUCTION_COMMANDS = new Set(['set', 'restart', 'update', 'recover']);

/** Where automations publish data for IRIS: `<base>/to_iris/<service>` (mqtt/to-iris.ts). */
export const TO_IRIS_SEGMENT = 'to_iris';

/**
 * The first segments under an instance's base that are the bridge's own (the fixed topics below
 * and to_iris). A namespace's topics start with its slug in that same place, so a namespace named
 * APPS or TO_IRIS would share topics with the apps' update entities or the data for IRIS: such a
 * namespace's segment is its slug after a `_`, which no slug starts with, so it can be no other
 * namespace's either.
 */
export const RESERVED_SEGMENTS: ReadonlySet<string> = new Set(['bridge', 'availability', 'state', 'metrics', 'sensors', 'certificates', 'backups', 'backup', 'apps', 'event', TO_IRIS_SEGMENT]);

/** A namespace's first segment in its topics: its slug, or `_<slug>` where that is a reserved segment. */
export function namespaceSegment(namespace: string): string {
  const s = slug(namespace);
  return RESERVED_SEGMENTS.has(s) ? `_${s}` : s;
}

/** The namespace slug a topic's first segment names, or null when it names none (a reserved segment). */
function namespaceSlugOf(segment: string): string | null {
  if (RESERVED_SEGMENTS.has(segment)) return null;
  if (!segment.startsWith('_')) return segment;
  const s = segment.slice(1);
  return RESERVED_SEGMENTS.has(s) ? s : null;
}

/** A host's command topic from its production's topic (Topics.production), for callers that keep that. */
export function hostSetIn(productionTopic: string, hostKey: string): string {
  return `${productionTopic}/host/${slug(hostKey)}/set`;
}

export class Topics extends DeviceIds {
  constructor(
    instanceId: string,
    readonly topicPrefix = 'iris-edge',
    readonly discoveryPrefix = 'homeassistant',
  ) {
    super(instanceId);
  }

  get base(): string {
    return `${this.topicPrefix}/${this.instanceId}`;
  }
  /** Retained; the MQTT Last Will sets it offline when the bridge dies. */
  get bridgeAvailability(): string {
    return `${this.base}/bridge/availability`;
  }
  /** Retained; offline while IRIS does not answer. */
  get irisAvailability(): string {
    return `${this.base}/availability`;
  }
  get instanceState(): string {
    return `${this.base}/state`;
  }
  /** Retained; the IRIS health figures from /api/monitor/metrics. */
  get instanceMetrics(): string {
    return `${this.base}/metrics`;
  }
  /** Retained; the values of the user's own sensors, `{"values": {<key>: <value>}}`. */
  get instanceSensors(): string {
    return `${this.base}/sensors`;
  }
  /** Retained; expiry dates of the certificates IRIS Edge stores. */
  get instanceCertificates(): string {
    return `${this.base}/certificates`;
  }
  /** Retained; IRIS Edge backups of this instance (last, next, size). */
  get instanceBackups(): string {
    return `${this.base}/backups`;
  }
  /** The Backup now button. */
  get backupCommand(): string {
    return `${this.base}/backup/press`;
  }
  /** Retained; the apps (IPM packages) installed, per namespace (a sensor). */
  get appsState(): string {
    return `${this.base}/apps/state`;
  }
  /** Every app's update entity sends "<NAMESPACE>/<package>" here to install its latest version. */
  get appsInstallCommand(): string {
    return `${this.base}/apps/install`;
  }
  /** Retained; one app's installed and latest version (its update entity); `appKey` from mqtt/apps-sensors.ts. */
  appUpdateState(appKey: string): string {
    return `${this.base}/apps/${appKey}/update`;
  }
  get instanceEvent(): string {
    return `${this.base}/event`;
  }
  /** The running production of a namespace (the select entity). */
  namespaceState(namespace: string): string {
    return `${this.base}/${namespaceSegment(namespace)}/running`;
  }
  namespaceSelect(namespace: string): string {
    return `${this.base}/${namespaceSegment(namespace)}/select`;
  }
  production(p: ProductionRef): string {
    return `${this.base}/${namespaceSegment(p.namespace)}/${slug(p.name)}`;
  }
  productionState(p: ProductionRef): string {
    return `${this.production(p)}/state`;
  }
  productionSet(p: ProductionRef): string {
    return `${this.production(p)}/set`;
  }
  productionRestart(p: ProductionRef): string {
    return `${this.production(p)}/restart`;
  }
  productionUpdate(p: ProductionRef): string {
    return `${this.production(p)}/update`;
  }
  productionRecover(p: ProductionRef): string {
    return `${this.production(p)}/recover`;
  }
  /** Not retained: the production's event entity. */
  productionEvent(p: ProductionRef): string {
    return `${this.production(p)}/event`;
  }
  /** `hostKey`: the host's slug, unique within its production (mqtt/hosts.ts hostRefs). */
  hostState(p: ProductionRef, hostKey: string): string {
    return `${this.production(p)}/host/${slug(hostKey)}/state`;
  }
  hostSet(p: ProductionRef, hostKey: string): string {
    return hostSetIn(this.production(p), hostKey);
  }
  /** Subscriptions that receive every command of this instance. */
  get commandWildcards(): string[] {
    return [
      ...[...PRODUCTION_COMMANDS].map((k) => `${this.base}/+/+/${k}`),
      `${this.base}/+/+/host/+/set`,
      `${this.base}/+/select`,
      this.backupCommand,
      this.appsInstallCommand,
    ];
  }

  instanceDiscovery(): string {
    return `${this.discoveryPrefix}/device/${this.nodeId}/instance/config`;
  }
  productionDiscovery(p: ProductionRef): string {
    return `${this.discoveryPrefix}/device/${this.nodeId}/${slug(p.namespace)}__${slug(p.name)}/config`;
  }
  hostDiscovery(p: ProductionRef, hostKey: string): string {
    return `${this.discoveryPrefix}/device/${this.nodeId}/${slug(p.namespace)}__${slug(p.name)}__${slug(hostKey)}/config`;
  }
  get discoveryWildcard(): string {
    return `${this.discoveryPrefix}/device/${this.nodeId}/+/config`;
  }
  get haStatus(): string {
    return `${this.discoveryPrefix}/status`;
  }

  /** Which command a topic carries, or null when it is not one of ours. */
  parseCommand(topic: string): CommandTopic | null {
    const prefix = this.base + '/';
    if (!topic.startsWith(prefix)) return null;
    const parts = topic.slice(prefix.length).split('/');
    if (parts.some((x) => x === '')) return null;
    if (topic === this.backupCommand) return { kind: 'backup' };
    if (topic === this.appsInstallCommand) return { kind: 'apps' };
    // The wildcards also match the bridge's own topics (an app's retained update state is
    // apps/<key>/update): those are no namespace's commands.
    const nsSlug = namespaceSlugOf(parts[0] as string);
    if (nsSlug === null) return null;
    if (parts.length === 2 && parts[1] === 'select') return { kind: 'select', nsSlug };
    if (parts.length === 3 && PRODUCTION_COMMANDS.has(parts[2] as string)) {
      return { kind: parts[2] as 'set', nsSlug, prodSlug: parts[1] as string };
    }
    if (parts.length === 5 && parts[2] === 'host' && parts[4] === 'set') {
      return { kind: 'host-set', nsSlug, prodSlug: parts[1] as string, hostSlug: parts[3] as string };
    }
    return null;
  }
}
