/**
 * Certificate expiry in Home Assistant: a timestamp sensor per stored certificate and the soonest
 * expiry, on the instance device. Timestamps carry their timezone, as HA requires.
 */
import type { CertExpiry } from '../certs/expiry.ts';
import { entityId, type Component, type DiscoveryContext } from './discovery.ts';
import { slug } from '../model/ids.ts';

export function certificateComponents(ctx: DiscoveryContext, stateTopic: string, certs: CertExpiry[]): Record<string, Component> {
  if (certs.length === 0) return {};
  const id = ctx.topics.instanceDeviceId;
  const base = slug(ctx.instanceName);
  // The bridge, not IRIS, owns the store: these stay available while IRIS is down.
  const common = { stat_t: stateTopic, avty: [{ t: ctx.topics.bridgeAvailability }], dev_cla: 'timestamp', ent_cat: 'diagnostic' };
  const out: Record<string, Component> = {
    cert_soonest: {
      p: 'sensor',
      name: 'Soonest certificate expiry',
      uniq_id: `${id}_cert_soonest`,
      ...entityId(ctx, 'sensor', `${base}_soonest_certificate_expiry`),
      val_tpl: '{{ value_json.soonest }}',
      ...common,
    },
  };
  for (const c of certs) {
    out[`cert_${c.id}`] = {
      p: 'sensor',
      name: `Certificate ${c.name} expiry`,
      uniq_id: `${id}_cert_${c.id}`,
      ...entityId(ctx, 'sensor', `${base}_certificate_${slug(c.name)}_expiry`),
      icon: 'mdi:certificate',
      val_tpl: `{{ value_json.certs[${JSON.stringify(c.id)}] | default('None') }}`,
      ...common,
    };
  }
  return out;
}

export function certificateState(certs: CertExpiry[]): string {
  return JSON.stringify({
    soonest: certs[0]?.notAfter ?? 'None',
    certs: Object.fromEntries(certs.map((c) => [c.id, c.notAfter])),
  });
}
