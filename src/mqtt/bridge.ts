import type { IPublishPacket, MqttClient } from 'mqtt';
import type { IrisAlert } from '../model/alerts.ts';
import { unknownMetrics } from '../model/instance-health.ts';
import type { Logger } from '../log/logger.ts';
import type { ProductionEvent } from '../monitor/events.ts';
import type { Monitor } from '../monitor/monitor.ts';
import type { MonitorView, ProductionView } from '../model/view.ts';
import { CommandHandler } from './commands.ts';
import { alertedProductions, publishEvent } from './events.ts';
import { instanceDiscovery, productionDiscovery, stateTopicOf, type DiscoveryContext } from './discovery.ts';
import { hostComponentsForProduction, hostRefs, hostsOnOwnDevices } from './hosts.ts';
import { HostDiscoveryJson } from './host-discovery-json.ts';
import { productionFeatureComponents, type InstanceFeature } from './feature.ts';
import { instanceSensorComponents, metricsState } from './instance-sensors.ts';
import { RetainedPublisher } from './publisher.ts';
import { DiscoveryPacer } from './pacer.ts';
import { HostCache } from './host-cache.ts';
import { syncHostDiscovery, syncHostStates, type HostSync } from './host-sync.ts';
import { PublishWindow } from './window.ts';
import { retainedQuietPeriod } from './inventory.ts';
import { instanceState, namespaceState, productionState } from './state.ts';
import type { Topics } from './topics.ts';

/** How long Home Assistant gets to remove entities before their state topics are cleared. */
const STATE_CLEAR_DELAY_MS = 3000;

/**
 * The least time between two discovery messages of one device (see pacer.ts). Setting a device's
 * components up took Home Assistant longer than the ~110 ms between the two start-up messages
 * (test/e2e/discovery-pacing.e2e.test.ts loses the certificate sensors without pacing); five
 * seconds leaves room for a busy Raspberry Pi, and a change then shows at most that much later.
 */
export const DEFAULT_DISCOVERY_HOLDOFF_MS = 5000;

/** How long to listen for our own retained discovery topics at start, after the last one arrives. */
export const DEFAULT_INVENTORY_WINDOW_MS = 500;

/**
 * QoS 1 publishes in flight at once (mqtt/window.ts): enough that the broker is never idle waiting
 * for our next message on a loopback or LAN link, few enough that a tick never holds thousands of
 * unacknowledged messages in memory.
 */
const PUBLISH_WINDOW = 64;

export interface MqttBridgeOptions {
  client: MqttClient;
  monitor: Monitor;
  log: Logger;
  discovery: Omit<DiscoveryContext, 'irisVersion'>;
  /** Productions with more hosts than this get one device per host. */
  hostDeviceThreshold: number;
  /**
   * What the instance's device shows besides its productions (backups, certificates...). Given at
   * construction, with what they know at start, so the device's first discovery message has them.
   */
  features?: InstanceFeature[];
  /** How long to listen for our own retained discovery topics at start (ms). */
  inventoryWindowMs?: number;
  /** Upper bound of the random delay before answering Home Assistant's birth message (ms). */
  birthJitterMs?: number;
  /** Delay between removing entities and clearing their state topics (ms). */
  stateClearDelayMs?: number;
  /** Least time between two discovery messages of one device (ms). */
  discoveryHoldoffMs?: number;
}

/**
 * Mirrors the monitor's view into MQTT: discovery (on change only), availability, states (on
 * change only), commands in, Home Assistant's birth message, and cleanup of what we no longer own.
 */
export class MqttBridge {
  private readonly client: MqttClient;
  private readonly topics: Topics;
  private readonly publisher: RetainedPublisher;
  private readonly commands: CommandHandler;
  /** Our retained discovery topics found on the broker at start, with their state topics. */
  private readonly foundAtStart = new Map<string, string | undefined>();
  private collecting = true;
  /** Settles when the start-up scan of our retained discovery topics is over. */
  private inventory: Promise<void> = Promise.resolve();
  private cleanedUp = false;
  private chain: Promise<void> = Promise.resolve();
  private birthTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Delayed state clears; a stop runs them at once rather than leaving retained orphans. */
  private readonly pendingClears = new Set<() => void>();
  private databases: string[] = [];
  private readonly features: InstanceFeature[];
  /** What each discovery payload was last built from (see publishDiscovery). */
  private readonly discoveryInputs = new Map<string, string>();
  /** Productions for which IRIS has published interoperability metrics. */
  private readonly interop = new Set<string>();
  private readonly pacer: DiscoveryPacer;
  private readonly hostCache: HostCache;
  /** The discovery context last synced, and a number that changes with it (see host-cache.ts). */
  private ctxKey = '';
  private ctxGeneration = 0;
  private readonly hostJson = new HostDiscoveryJson();

  constructor(private readonly opts: MqttBridgeOptions) {
    this.client = opts.client;
    this.topics = opts.discovery.topics;
    this.publisher = new RetainedPublisher(this.client);
    this.features = opts.features ?? [];
    this.hostCache = new HostCache(this.topics);
    this.pacer = new DiscoveryPacer(opts.discoveryHoldoffMs ?? DEFAULT_DISCOVERY_HOLDOFF_MS, (topic, payload) => {
      this.enqueue(async () => {
        if (!this.stopped) await this.publisher.publish(topic, payload);
      });
    });
    const presses = new Map(this.features.flatMap((f) => (f.press ? [[f.press.topic, f.press.run] as const] : [])));
    this.commands = new CommandHandler(this.topics, opts.monitor, opts.log, (topic) => presses.get(topic));
  }

  /** Subscribes, learns what we left on the broker last time, and starts mirroring. */
  async start(): Promise<void> {
    this.client.on('message', this.onMessage);
    await this.waitConnected();
    // No Local (MQTT 5): our own first publishes, which overlap the scan, are not sent back to us;
    // retained copies from an earlier run (another client id) still are.
    await this.client.subscribeAsync(this.topics.discoveryWildcard, { qos: 1, nl: true });
    // The scan for what we left last time runs beside the first publishes; only removeStale waits.
    this.inventory = retainedQuietPeriod(this.client, this.topics.discoveryPrefix + '/device/', this.opts.inventoryWindowMs ?? DEFAULT_INVENTORY_WINDOW_MS).then(async () => {
      this.collecting = false;
      await this.client.unsubscribeAsync(this.topics.discoveryWildcard).catch((err: unknown) => this.opts.log.debug({ err }, 'Could not unsubscribe from discovery'));
    });
    await this.client.subscribeAsync(this.topics.haStatus, { qos: 1 });
    await this.client.subscribeAsync(this.topics.commandWildcards, { qos: 1, rap: true });
    await this.publisher.publish(this.topics.bridgeAvailability, 'online', true);
    this.client.on('connect', this.onReconnect);
    this.opts.monitor.on('view', this.onView);
    this.opts.monitor.on('removed', this.onRemoved);
    this.opts.monitor.on('event', this.onEvent);
    this.opts.monitor.on('alert', this.onAlert);
    for (const f of this.features) f.onChange(() => this.onView(this.opts.monitor.view));
    this.onView(this.opts.monitor.view);
    await this.chain;
    await this.inventory;
  }

  /** Marks the bridge offline on purpose (a clean stop does not fire the Last Will). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.birthTimer) clearTimeout(this.birthTimer);
    this.opts.monitor.off('view', this.onView);
    this.opts.monitor.off('removed', this.onRemoved);
    this.opts.monitor.off('event', this.onEvent);
    this.opts.monitor.off('alert', this.onAlert);
    for (const run of [...this.pendingClears]) run();
    this.client.off('message', this.onMessage);
    this.client.off('connect', this.onReconnect);
    await this.chain;
    // What was held goes out now: Home Assistant reads the retained copy when it next starts.
    for (const [topic, payload] of this.pacer.drain()) await this.publisher.publish(topic, payload);
    if (this.client.connected) await this.publisher.publish(this.topics.bridgeAvailability, 'offline');
  }

  /** Resolves when everything queued so far has been published. */
  settled(): Promise<void> {
    return this.chain;
  }

  private enqueue(work: () => Promise<void>): void {
    this.chain = this.chain.then(work).catch((err: unknown) => {
      this.opts.log.error({ err }, 'Publishing to MQTT failed');
    });
  }

  private waitConnected(): Promise<void> {
    if (this.client.connected) return Promise.resolve();
    return new Promise((resolve) => this.client.once('connect', () => resolve()));
  }

  private readonly onMessage = (topic: string, payload: Buffer, packet: IPublishPacket): void => {
    if (this.collecting && topic.startsWith(this.topics.discoveryPrefix + '/device/' + this.topics.nodeId + '/')) {
      // What the broker kept from an earlier run; not our own publishes of this run coming back.
      if (packet.retain && payload.length > 0) this.foundAtStart.set(topic, stateTopicOf(payload));
      return;
    }
    if (topic === this.topics.haStatus) {
      this.onBirth(payload.toString(), packet.retain);
      return;
    }
    this.commands.handle(topic, payload, packet);
  };

  private readonly onReconnect = (): void => {
    this.enqueue(async () => {
      const n = await this.publisher.resend(() => true, this.rebuild);
      this.opts.log.info(`Republished ${n} retained messages after reconnecting`);
    });
  };

  /** Availability and all the view makes, built anew (the publisher keeps digests): discovery through the pacer, as always. */
  private readonly rebuild = async (): Promise<void> => {
    await this.publisher.publish(this.topics.bridgeAvailability, 'online', true);
    await this.sync(this.opts.monitor.view);
  };

  /**
   * Home Assistant announces itself with "online" when it (re)starts. Discovery is retained, so it
   * has it; availability and states are sent again after a random delay so that many bridges do
   * not answer in the same instant. A retained birth message is a replay, not a restart.
   */
  private onBirth(status: string, retained: boolean): void {
    if (status !== 'online' || retained || this.stopped) return;
    this.pacer.receivedAll();
    if (this.birthTimer) clearTimeout(this.birthTimer);
    const jitter = Math.round(Math.random() * (this.opts.birthJitterMs ?? 2500));
    this.birthTimer = setTimeout(() => {
      this.enqueue(async () => {
        const n = await this.publisher.resend((t) => !t.startsWith(this.topics.discoveryPrefix + '/'), this.rebuild);
        this.opts.log.info(`Home Assistant came online: republished availability and ${n} states`);
      });
    }, jitter);
  }

  private readonly onView = (view: MonitorView): void => {
    this.enqueue(() => this.sync(view));
  };

  private readonly onRemoved = (gone: ProductionView[]): void => {
    this.enqueue(async () => {
      const states: string[] = [];
      for (const p of gone) {
        this.hostCache.forget(p.key);
        for (const h of hostRefs(p.hosts)) {
          const topic = this.topics.hostDiscovery(p, h.key);
          if (this.publisher.has(topic)) await this.clearDiscovery(topic);
          states.push(this.topics.hostState(p, h.key));
        }
        await this.clearDiscovery(this.topics.productionDiscovery(p));
        states.push(this.topics.productionState(p));
      }
      this.clearLater(states);
    });
  };

  /**
   * Retained state topics of removed entities are cleared only after Home Assistant has had time
   * to remove the entities: an empty payload reaching a still-subscribed template is an error in
   * its log ("'value_json' is undefined").
   */
  private clearLater(topics: string[]): void {
    if (topics.length === 0) return;
    const run = () => {
      this.pendingClears.delete(run);
      clearTimeout(timer);
      this.enqueue(async () => {
        for (const t of topics) await this.publisher.clear(t);
      });
    };
    const timer = setTimeout(run, this.opts.stateClearDelayMs ?? STATE_CLEAR_DELAY_MS);
    this.pendingClears.add(run);
  }

  private readonly onEvent = (e: ProductionEvent): void => {
    this.publishEvent(this.topics.productionEvent({ namespace: e.namespace, name: e.production }), e.type, e.detail);
  };

  /** An IRIS alert is an event on the instance, and on every production its text names. */
  private readonly onAlert = (a: IrisAlert): void => {
    this.publishEvent(this.topics.instanceEvent, a.severityWord, a.message);
    for (const p of alertedProductions(a, this.opts.monitor.view.productions)) this.publishEvent(this.topics.productionEvent(p), 'alert', a.message);
  };

  private publishEvent(topic: string, eventType: string, detail: string): void {
    publishEvent(this.client, topic, eventType, detail, (err) => this.opts.log.debug({ err }, 'Could not publish an event'));
  }

  private async sync(view: MonitorView): Promise<void> {
    if (this.stopped) return;
    const w = new PublishWindow(PUBLISH_WINDOW, this.publisher);
    try {
      await this.syncInto(w, view);
    } finally {
      // Every acknowledgement is awaited before the next sync, even after a failure.
      await w.drain();
    }
  }

  private async syncInto(w: PublishWindow, view: MonitorView): Promise<void> {
    const ctx: DiscoveryContext = { ...this.opts.discovery, irisVersion: view.instance?.versionNumber ?? null };
    const t = this.topics;
    // Health sensors appear once the first scrape tells which databases exist, and stay after.
    if (view.metrics) this.databases = [...new Set([...this.databases, ...view.metrics.databases.map((d) => d.name)])].sort();
    const ctxKey = JSON.stringify(ctx);
    if (ctxKey !== this.ctxKey) {
      this.ctxKey = ctxKey;
      this.ctxGeneration++;
    }
    const instanceInputs = {
      productions: view.productions.map((p) => ({ namespace: p.namespace, name: p.name })),
      databases: this.databases,
      withHealth: view.metrics !== null || this.publisher.has(t.instanceMetrics),
      features: this.features.map((f) => f.discoveryInputs()),
    };
    await this.publishDiscovery(w, ctxKey, t.instanceDiscovery(), instanceInputs, (i) => {
      const components = i.withHealth ? instanceSensorComponents(ctx, t.instanceMetrics, i.databases) : {};
      this.features.forEach((f, n) => Object.assign(components, f.components(ctx, i.features[n])));
      return instanceDiscovery(ctx, i.productions, components);
    });
    for (const f of this.features) for (const s of f.states()) await this.publishState(w, s.topic, s.payload);
    if (view.metrics) await this.publishState(w, t.instanceMetrics, metricsState(view.metrics, view.instance?.license));
    // While the scrape fails the figures read unknown rather than showing stale values.
    else if (this.publisher.has(t.instanceMetrics)) await this.publishState(w, t.instanceMetrics, metricsState(unknownMetrics()));
    await this.publishState(w, t.instanceState, instanceState(view, ctx.bridgeVersion));
    await this.publishState(w, t.irisAvailability, view.reachable ? 'online' : 'offline');
    if (!view.inventoried) return;
    // Discovery first, parents before children (instance, productions, hosts with devices of
    // their own), then the states they read: the window starts sends in this order.
    const ownHosts = (p: ProductionView) => hostsOnOwnDevices(p.hosts.length, this.opts.hostDeviceThreshold);
    const interopOf = (p: ProductionView) =>
      view.metrics?.interop.find((i) => i.production === p.name && (i.namespace === null || i.namespace === p.namespace));
    for (const p of view.productions) {
      // Once seen, the Messages sensor stays (unknown) rather than vanishing during a failed scrape.
      if (interopOf(p)) this.interop.add(p.key);
      // Hosts on devices of their own add nothing to the production's device.
      const hosts = ownHosts(p) ? [] : p.hosts.map((h) => ({ name: h.name }));
      const features = this.features.map((f) => f.productionInputs?.(p));
      const inputs = { namespace: p.namespace, name: p.name, interop: this.interop.has(p.key), hosts, features };
      await this.publishDiscovery(w, ctxKey, this.hostCache.of(p).discoveryTopic, inputs, (i) => productionDiscovery(ctx, i,
        { ...hostComponentsForProduction(ctx, i), ...productionFeatureComponents(this.features, ctx, i, i.features) }, i.interop));
    }
    const sync: HostSync = { publisher: this.publisher, pacer: this.pacer, hostJson: this.hostJson, publish: (topic, payload, d) => this.publishState(w, topic, payload, d) };
    for (const p of view.productions.filter(ownHosts)) await syncHostDiscovery(sync, this.hostCache.of(p), p, ctx, this.ctxGeneration);
    for (const p of view.productions) {
      const cached = this.hostCache.of(p);
      const interop = this.interop.has(p.key) ? (interopOf(p) ?? { production: p.name, namespace: null, queued: null, errored: null, messages: null }) : undefined;
      await this.publishState(w, cached.stateTopic, productionState(p, interop));
      await syncHostStates(sync, cached, p);
    }
    for (const ns of new Set(view.productions.map((p) => p.namespace))) {
      await this.publishState(w, t.namespaceState(ns), namespaceState(ns, view.productions));
    }
    if (!this.cleanedUp) {
      this.cleanedUp = true;
      await w.drain();
      await this.inventory;
      await this.removeStale(view);
    }
  }

  /**
   * Builds and publishes a discovery payload only when what it is built from changed: with a
   * thousand hosts, serialising every payload on every poll just to compare it costs more CPU
   * than everything else the bridge does while nothing happens. The builder is handed only the
   * context and `inputs`, and the memo key is made of both, so a builder that reads a new field
   * must take it from `inputs`, and its change republishes.
   */
  private async publishDiscovery<I>(w: PublishWindow, ctxKey: string, topic: string, inputs: I, build: (inputs: I) => object): Promise<void> {
    const key = ctxKey + JSON.stringify(inputs);
    if (this.discoveryInputs.get(topic) === key && this.publisher.current(topic)) return;
    this.discoveryInputs.set(topic, key);
    const payload = JSON.stringify(build(inputs));
    if (this.pacer.admit(topic, payload)) await this.publishState(w, topic, payload);
  }

  /**
   * Hands a retained message to the window; an unchanged one is not sent (RetainedPublisher). A
   * promise when the caller must wait for room in the window. `d`: the payload's digest when the
   * caller has one (see HostDiscoveryJson.digest), having checked that it is new.
   */
  private publishState(w: PublishWindow, topic: string, payload: string, d: string | null = this.publisher.changedDigest(topic, payload)): Promise<void> | undefined {
    return d === null ? undefined : w.add(topic, payload, d);
  }

  private async clearDiscovery(topic: string): Promise<void> {
    this.pacer.forget(topic);
    this.discoveryInputs.delete(topic);
    await this.publisher.clear(topic);
  }

  /**
   * Deletes the discovery (and state) topics we published in an earlier run for productions that
   * no longer exist. Runs once, and only after a successful inventory: an IRIS that does not answer
   * must never make entities disappear.
   */
  private async removeStale(view: MonitorView): Promise<void> {
    const wanted = new Set([
      this.topics.instanceDiscovery(),
      ...view.productions.map((p) => this.topics.productionDiscovery(p)),
      ...view.productions.flatMap((p) => hostRefs(p.hosts).map((h) => this.topics.hostDiscovery(p, h.key))),
    ]);
    const stale = [...this.foundAtStart].filter(([topic]) => !wanted.has(topic));
    for (const [topic] of stale) await this.publisher.clear(topic);
    this.clearLater(stale.map(([, stateTopic]) => stateTopic).filter((t): t is string => !!t?.startsWith(this.topics.base + '/')));
    if (stale.length > 0) this.opts.log.info(`Removed ${stale.length} devices left over from productions that no longer exist`);
    this.foundAtStart.clear();
  }
}
