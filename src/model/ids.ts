/**
 * The identifier scheme of an IRIS instance's devices, shared by everything that names them (MQTT
 * discovery, Home Assistant notifications and Assist). Built from stable technical keys (instance
 * id, namespace, production class, host name), never from display names, so renaming nothing in
 * IRIS can move an entity.
 */

/** Lower-case, [a-z0-9_] only: valid in discovery topics, unique ids and entity ids. */
export function slug(text: string): string {
  const s = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return s || 'x';
}

/**
 * A slug per name, unique among `names`: a name whose slug another name already took gets `_2`,
 * `_3`... in name order, so the result does not depend on the order IRIS lists them in.
 */
export function uniqueSlugs(names: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set<string>();
  for (const name of [...new Set(names)].sort()) {
    const base = slug(name);
    let s = base;
    for (let i = 2; used.has(s); i++) s = `${base}_${i}`;
    used.add(s);
    out.set(name, s);
  }
  return out;
}

export interface ProductionRef {
  namespace: string;
  name: string;
}

export class DeviceIds {
  constructor(readonly instanceId: string) {}

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
  /** `hostKey`: the host's slug, unique within its production (uniqueSlugs of its host names). */
  hostDeviceId(p: ProductionRef, hostKey: string): string {
    return hostDeviceIdIn(this.productionDeviceId(p), hostKey);
  }
}

/** A host's device id from its production's (productionDeviceId), for callers that keep that. */
export function hostDeviceIdIn(productionDeviceId: string, hostKey: string): string {
  return `${productionDeviceId}__${slug(hostKey)}`;
}
