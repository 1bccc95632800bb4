/**
 * The two loops over a production's hosts at every sync: the discovery of hosts on devices of
 * their own, and every host's state. Each host costs a comparison with what it was built from
 * last (host-cache.ts). A production whose hosts array is the one the loop last found all
 * current, at the same publisher currency and discovery context, is not looked into at all: the
 * agent's reader gives a production with no changed host the same array (snapshot-reader.ts), and
 * at 50 productions x 100 hosts walking 10,000 unchanged hosts was a tenth of a poll's CPU.
 */
import type { HostSnapshot } from '../model/production.ts';
import type { ProductionView } from '../model/view.ts';
import type { DiscoveryContext } from './discovery.ts';
import type { HostDiscoveryJson } from './host-discovery-json.ts';
import { discoveryChanged, stateChanged, stillCurrent, type CachedHost, type CachedProduction } from './host-cache.ts';
import type { DiscoveryPacer } from './pacer.ts';
import type { RetainedPublisher } from './publisher.ts';
import { hostState } from './state.ts';

export interface HostSync {
  publisher: RetainedPublisher;
  pacer: DiscoveryPacer;
  hostJson: HostDiscoveryJson;
  /**
   * Hands a retained message to the sync's publish window: unless unchanged, where no digest is
   * given (the caller's digest says it is new). A promise when the loop must wait for room.
   */
  publish(topic: string, payload: string, digest?: string): Promise<void> | undefined;
}

/** The discovery of each host's own device, where it changed or the broker lacks it. */
export async function syncHostDiscovery(s: HostSync, cached: CachedProduction, p: ProductionView, ctx: DiscoveryContext, generation: number): Promise<void> {
  const currency = s.publisher.currency;
  if (stillCurrent(cached.discovery, p.hosts, currency, generation)) return;
  let held = false;
  for (let n = 0; n < p.hosts.length; n++) {
    const h = p.hosts[n] as HostSnapshot;
    const c = cached.hosts[n] as CachedHost;
    const topic = c.ids.discoveryTopic;
    if (!discoveryChanged(c, generation, h) && s.publisher.current(topic)) continue;
    // discoveryChanged is this device's memo: no JSON key per device (publishDiscovery's). The
    // digest of the inputs spares the message where the broker has it already (the production's
    // hosts changed, so each of its devices was looked at anew), unless the pacer holds an older
    // one, which this one must replace.
    const d = s.hostJson.digest(ctx, generation, c.ids, h);
    if (s.publisher.holds(topic, d) && !s.pacer.holding(topic)) continue;
    const payload = s.hostJson.of(ctx, generation, c.ids, h);
    if (s.pacer.admit(topic, payload)) {
      const room = s.publish(topic, payload, d);
      if (room) await room;
    } else held = true;
  }
  // A payload the pacer holds goes out later: until then the loop must look again.
  cached.discovery = held ? undefined : { hosts: p.hosts, currency, generation };
}

/** Each host's state, where it changed or the broker lacks it. */
export async function syncHostStates(s: HostSync, cached: CachedProduction, p: ProductionView): Promise<void> {
  const currency = s.publisher.currency;
  if (stillCurrent(cached.states, p.hosts, currency)) return;
  for (let n = 0; n < p.hosts.length; n++) {
    const h = p.hosts[n] as HostSnapshot;
    const c = cached.hosts[n] as CachedHost;
    // An unchanged host costs a comparison, not a JSON document.
    if (stateChanged(c, h) || !s.publisher.current(c.ids.stateTopic)) {
      const room = s.publish(c.ids.stateTopic, hostState(h));
      if (room) await room;
    }
  }
  cached.states = { hosts: p.hosts, currency, generation: 0 };
}
