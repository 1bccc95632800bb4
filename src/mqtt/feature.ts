/**
 * What a feature adds to an IRIS instance's Home Assistant device besides the productions
 * (backups, certificates, and the features to come): its components, its retained states, and the
 * button it answers. MqttBridge merges every feature into the one discovery message of the device.
 */
import type { ProductionSnapshot } from '../model/production.ts';
import type { Component, DiscoveryContext } from './discovery.ts';

type ProductionRef = Pick<ProductionSnapshot, 'namespace' | 'name'>;

export interface StateMessage {
  topic: string;
  payload: string;
}

export interface InstanceFeature<Inputs = unknown, ProductionInputs = unknown> {
  /**
   * Everything its components are built from. The bridge rebuilds and republishes discovery
   * exactly when this changes, and components() sees nothing else, so a builder that needs a new
   * field has to add it here.
   */
  discoveryInputs(): Inputs;
  components(ctx: DiscoveryContext, inputs: Inputs): Record<string, Component>;
  /**
   * What it adds to a production's device (user sensors attached to it), like discoveryInputs:
   * part of that device's memo key, so undefined, for a production it adds nothing to, leaves the
   * device message as it was.
   */
  productionInputs?(p: ProductionRef): ProductionInputs | undefined;
  productionComponents?(ctx: DiscoveryContext, p: ProductionRef, inputs: ProductionInputs): Record<string, Component>;
  /** Its retained states as they are now (none before it has anything to show). */
  states(): StateMessage[];
  /** A command on the device: its topic and what a message there does (its payload checked by the command handler). */
  readonly press?: { topic: string; run(payload: string): void };
  /** The bridge's listener, called whenever the inputs or the states may have changed. */
  onChange(listener: () => void): void;
}

/**
 * What the features add to a production's device, from the inputs each gave for it (in the
 * features' order; undefined where a feature adds nothing there).
 */
export function productionFeatureComponents(features: readonly InstanceFeature[], ctx: DiscoveryContext, p: ProductionRef, inputs: readonly unknown[]): Record<string, Component> {
  const components: Record<string, Component> = {};
  features.forEach((f, n) => {
    const fi = inputs[n];
    if (fi !== undefined && f.productionComponents) Object.assign(components, f.productionComponents(ctx, p, fi));
  });
  return components;
}

/** Keeps a feature's one listener; features call changed() when what they show changes. */
export class FeatureSignal {
  private listener: (() => void) | undefined;

  onChange(listener: () => void): void {
    this.listener = listener;
  }

  protected changed(): void {
    this.listener?.();
  }
}
