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
  hostDeviceId(p: ProductionRef, host: string): string {
    return `${this.productionDeviceId(p)}__${slug(host)}`;
  }
}
