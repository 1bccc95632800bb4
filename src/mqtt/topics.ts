/**
 * Every MQTT topic and identifier the bridge owns, in one place. Identifiers are built from
 * stable technical keys (instance id, namespace, production class), never from display names.
 */

/** Lower-case, [a-z0-9_] only: valid in discovery topics, unique ids and entity ids. */
export function slug(text: string): string {
  const s = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return s || 'x';
}

export interface ProductionRef {
  namespace: string;
  name: string;
}

export class Topics {
  constructor(
    readonly instanceId: string,
    readonly topicPrefix = 'iris-edge',
    readonly discoveryPrefix = 'homeassistant',
  ) {}

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
  production(p: ProductionRef): string {
    return `${this.base}/${slug(p.namespace)}/${slug(p.name)}`;
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
  /** Subscriptions that receive every production command of this instance. */
  get commandWildcards(): string[] {
    return [`${this.base}/+/+/set`, `${this.base}/+/+/restart`];
  }

  /** Discovery node id: scopes every discovery topic we own, so cleanup never touches others'. */
  get nodeId(): string {
    return `iris_edge_${this.instanceId}`;
  }
  get instanceDeviceId(): string {
    return this.nodeId;
  }
  productionDeviceId(p: ProductionRef): string {
    return `${this.nodeId}_${slug(p.namespace)}_${slug(p.name)}`;
  }
  instanceDiscovery(): string {
    return `${this.discoveryPrefix}/device/${this.nodeId}/instance/config`;
  }
  productionDiscovery(p: ProductionRef): string {
    return `${this.discoveryPrefix}/device/${this.nodeId}/${slug(p.namespace)}__${slug(p.name)}/config`;
  }
  get discoveryWildcard(): string {
    return `${this.discoveryPrefix}/device/${this.nodeId}/+/config`;
  }
  get haStatus(): string {
    return `${this.discoveryPrefix}/status`;
  }

  /** Which command a topic carries, or null when it is not one of ours. */
  parseCommand(topic: string): { nsSlug: string; prodSlug: string; kind: 'set' | 'restart' } | null {
    const prefix = this.base + '/';
    if (!topic.startsWith(prefix)) return null;
    const parts = topic.slice(prefix.length).split('/');
    if (parts.length !== 3) return null;
    const [nsSlug, prodSlug, kind] = parts as [string, string, string];
    if (kind !== 'set' && kind !== 'restart') return null;
    return { nsSlug, prodSlug, kind };
  }
}
