/**
 * Certificate expiry in Home Assistant: a timestamp sensor per stored certificate and the soonest
 * expiry, on the instance device. Timestamps carry their timezone, as HA requires.
 */
import type { CertExpiry } from '../model/certificate.ts';
import { componentNamer, type Component, type DiscoveryContext } from './discovery.ts';
import { FeatureSignal, type InstanceFeature, type StateMessage } from './feature.ts';
import { slug } from '../model/ids.ts';

export function certificateComponents(ctx: DiscoveryContext, stateTopic: string, certs: Pick<CertExpiry, 'id' | 'name'>[]): Record<string, Component> {
  if (certs.length === 0) return {};
  const c = componentNamer(ctx, ctx.topics.instanceDeviceId, slug(ctx.instanceName));
  // The bridge, not IRIS, owns the store: these stay available while IRIS is down.
  const common = { stat_t: stateTopic, avty: [{ t: ctx.topics.bridgeAvailability }], dev_cla: 'timestamp', ent_cat: 'diagnostic' };
  const out: Record<string, Component> = {
    cert_soonest: c('sensor', 'cert_soonest', 'Soonest certificate expiry', {
      val_tpl: '{{ value_json.soonest }}',
      ...common,
    }, 'soonest_certificate_expiry'),
  };
  for (const cert of certs) {
    out[`cert_${cert.id}`] = c(
      'sensor',
      `cert_${cert.id}`,
      `Certificate ${cert.name} expiry`,
      { icon: 'mdi:certificate', val_tpl: `{{ value_json.certs[${JSON.stringify(cert.id)}] | default('None') }}`, ...common },
      `certificate_${slug(cert.name)}_expiry`,
    );
  }
  return out;
}

export function certificateState(certs: CertExpiry[]): string {
  return JSON.stringify({
    soonest: certs[0]?.notAfter ?? 'None',
    certs: Object.fromEntries(certs.map((c) => [c.id, c.notAfter])),
  });
}

/** The certificate store's expiry dates on the instance device, as a device feature. */
export class CertificateFeature extends FeatureSignal implements InstanceFeature<Pick<CertExpiry, 'id' | 'name'>[]> {
  private certs: CertExpiry[] = [];
  /** Once a sensor was shown its state keeps being published, as an empty list if need be. */
  private shown = false;

  constructor(private readonly stateTopic: string) {
    super();
  }

  update(certs: CertExpiry[]): void {
    this.certs = certs;
    this.shown ||= certs.length > 0;
    this.changed();
  }

  discoveryInputs(): Pick<CertExpiry, 'id' | 'name'>[] {
    return this.certs.map((c) => ({ id: c.id, name: c.name }));
  }

  components(ctx: DiscoveryContext, certs: Pick<CertExpiry, 'id' | 'name'>[]): Record<string, Component> {
    return certificateComponents(ctx, this.stateTopic, certs);
  }

  states(): StateMessage[] {
    return this.shown ? [{ topic: this.stateTopic, payload: certificateState(this.certs) }] : [];
  }
}

