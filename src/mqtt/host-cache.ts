/**
 * What the bridge derives from a production's hosts and needs at every poll: their keys, topics
 * and what their last state and discovery were built from. Slugging names and building topics for
 * a thousand hosts at every poll was a tenth of a tick's CPU, and building a state only to find it
 * unchanged another tenth; the names and topics change only when the production's hosts do.
 */
import type { HostSnapshot } from '../model/production.ts';
import type { ProductionView } from '../model/view.ts';
import { hostIds, hostRefs, productionIds, type HostIds, type HostRef } from './hosts.ts';
import type { Topics } from './topics.ts';

type HostFields = Pick<HostSnapshot, 'status' | 'queue' | 'errors' | 'lastActivity' | 'enabled'>;

export interface CachedHost {
  ref: HostRef;
  ids: HostIds;
  /** The fields its last state was built from (see stateChanged). */
  state: HostFields | undefined;
  /** What its own device's discovery was last built from (see discoveryChanged). */
  discovery: { generation: number; className: string; kind: string } | undefined;
}

/**
 * The hosts array, publisher currency (RetainedPublisher.currency) and discovery context at which
 * a loop over the production's hosts last found every one of them current. The same hosts array
 * holds the same host objects (agent/snapshot-reader.ts): at the same currency and context, the
 * loop would find them all current again.
 */
export interface AllCurrent {
  hosts: readonly HostSnapshot[];
  currency: number;
  generation: number;
}

export function stillCurrent(memo: AllCurrent | undefined, hosts: readonly HostSnapshot[], currency: number, generation = 0): boolean {
  return memo !== undefined && memo.hosts === hosts && memo.currency === currency && memo.generation === generation;
}

export interface CachedProduction {
  /** The hosts array it was last found for. */
  from: readonly HostSnapshot[];
  /** Every host's state, and every own device's discovery, as host-sync.ts last found them. */
  states?: AllCurrent;
  discovery?: AllCurrent;
  names: string[];
  stateTopic: string;
  discoveryTopic: string;
  hosts: CachedHost[];
}

export class HostCache {
  private readonly productions = new Map<string, CachedProduction>();

  constructor(private readonly topics: Topics) {}

  /** The production's entry, rebuilt when its hosts (their names, in order) changed. */
  of(p: ProductionView): CachedProduction {
    const cached = this.productions.get(p.key);
    // The agent's reader gives an unchanged production the same hosts array (snapshot-reader.ts).
    if (cached && (cached.from === p.hosts || sameNames(cached.names, p.hosts))) {
      cached.from = p.hosts;
      return cached;
    }
    const shared = productionIds(this.topics, p);
    const entry: CachedProduction = {
      from: p.hosts,
      names: p.hosts.map((h) => h.name),
      stateTopic: this.topics.productionState(p),
      discoveryTopic: this.topics.productionDiscovery(p),
      hosts: hostRefs(p.hosts).map((ref) => ({
        ref,
        ids: hostIds(this.topics, p, ref.key, shared),
        state: undefined,
        discovery: undefined,
      })),
    };
    this.productions.set(p.key, entry);
    return entry;
  }

  /** The production is gone: its topics were cleared, so its next appearance starts afresh. */
  forget(key: string): void {
    this.productions.delete(key);
  }
}

function sameNames(names: string[], hosts: readonly Pick<HostSnapshot, 'name'>[]): boolean {
  if (names.length !== hosts.length) return false;
  for (let i = 0; i < names.length; i++) if (names[i] !== hosts[i]?.name) return false;
  return true;
}

/**
 * True when the host's state must be built: a field it is made of changed since the last build.
 * Remembers `h`'s fields when it returns true. Comparing five fields costs far less than building
 * the JSON to let the publisher find it unchanged.
 */
export function stateChanged(host: CachedHost, h: HostFields): boolean {
  const s = host.state;
  if (s && s.status === h.status && s.queue === h.queue && s.errors === h.errors && s.lastActivity === h.lastActivity && s.enabled === h.enabled) return false;
  host.state = { status: h.status, queue: h.queue, errors: h.errors, lastActivity: h.lastActivity, enabled: h.enabled };
  return true;
}

/**
 * True when the host's own device's discovery must be looked at again: the context changed (a new
 * `generation`) or the host's class or kind did (its name is part of the cache's key already).
 */
export function discoveryChanged(host: CachedHost, generation: number, h: Pick<HostSnapshot, 'className' | 'kind'>): boolean {
  const d = host.discovery;
  if (d && d.generation === generation && d.className === h.className && d.kind === h.kind) return false;
  host.discovery = { generation, className: h.className, kind: h.kind };
  return true;
}
