/**
 * Home Assistant Core's websocket API (through the Supervisor proxy in the add-on, or a URL and a
 * long-lived token outside it). Keeps one connection alive for as long as the bridge runs: retries
 * with backoff while HA is away, pings every 30 s and forces a reconnect when a ping goes
 * unanswered (the library has no heartbeat, so a half-open connection would go unnoticed).
 *
 * Calls made while disconnected fail at once with HaUnavailableError; nothing is queued here.
 */
import { EventEmitter } from 'node:events';
import {
  createConnection,
  createLongLivedTokenAuth,
  ERR_CANNOT_CONNECT,
  ERR_CONNECTION_LOST,
  ERR_INVALID_AUTH,
  type Connection,
  type MessageBase,
} from 'home-assistant-js-websocket';
import type { Logger } from '../log/logger.ts';

/** HA is not connected (or the connection dropped while the call ran). Callers decide to retry. */
export class HaUnavailableError extends Error {
  constructor(message = 'Home Assistant is not connected') {
    super(message);
    this.name = 'HaUnavailableError';
  }
}

/** HA answered a call with an error (e.g. `not_found`, `unauthorized`). */
export class HaCommandError extends Error {
  constructor(
    readonly type: string,
    readonly code: string,
    message: string,
  ) {
    super(`Home Assistant refused ${type}: ${message} (${code})`);
    this.name = 'HaCommandError';
  }
}

export interface HaCoreOptions {
  /** Time between pings. */
  pingIntervalMs?: number;
  /** A ping unanswered for this long forces a reconnect. */
  pingTimeoutMs?: number;
  /** A call unanswered for this long fails with HaUnavailableError. */
  callTimeoutMs?: number;
  /** Delays between connection attempts while HA is away (the last one repeats). */
  retryDelaysMs?: number[];
}

interface Events {
  ready: [string];
  disconnected: [];
}

/** An event from HA's bus, as subscribe_events delivers it. Its data is unchecked input. */
export interface HaEvent {
  event_type: string;
  data: unknown;
  /** ISO 8601 with an offset, e.g. "2026-01-01T12:00:00.123456+00:00". */
  time_fired?: string;
  context?: { id?: string; user_id?: string | null };
}

type EventHandler = (event: HaEvent) => void;

interface RegistryEntry {
  entity_id: string;
  unique_id: string;
  platform: string;
}

const DEFAULTS: Required<HaCoreOptions> = {
  pingIntervalMs: 30_000,
  pingTimeoutMs: 10_000,
  callTimeoutMs: 15_000,
  retryDelaysMs: [1000, 2000, 5000, 10_000, 30_000],
};
/** A refused token does not fix itself quickly: try again rarely. */
const AUTH_RETRY_MS = 300_000;

/** Parses "2026.11.0", "2025.10.0b1", "2026.1.0.dev0" into numbers (missing parts are 0). */
function versionParts(v: string): [number, number, number] {
  const parts = v.split('.').map((p) => parseInt(p, 10));
  const n = (i: number) => (Number.isFinite(parts[i]) ? (parts[i] as number) : 0);
  return [n(0), n(1), n(2)];
}

export function versionAtLeast(have: string, want: string): boolean {
  const a = versionParts(have);
  const b = versionParts(want);
  for (let i = 0; i < 3; i++) {
    if (a[i]! !== b[i]!) return a[i]! > b[i]!;
  }
  return true;
}

/** Where a URL points, without credentials, path or query: safe for the log. */
function describe(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

export class HaCore extends EventEmitter<Events> {
  haVersion: string | null = null;
  private conn: Connection | undefined;
  private closed = false;
  private pingTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private connecting = false;
  /** What was last logged, so a state is logged once and not on every retry. */
  private logged: 'connected' | 'down' | 'auth' | 'none' = 'none';
  private registry = new Map<string, string>();
  private registryLoad: Promise<void> | undefined;
  private readonly subscriptions: { eventType: string | null; handler: EventHandler }[] = [];
  /** Connections that carry every subscription: the library renews them on its own reconnects. */
  private readonly subscribed = new WeakSet<Connection>();
  private readonly opts: Required<HaCoreOptions>;

  private constructor(
    private readonly target: { url: string; token: string },
    private readonly log: Logger,
    options: HaCoreOptions,
  ) {
    super();
    this.opts = { ...DEFAULTS, ...options };
  }

  /** Starts connecting (in the background, forever until close()). */
  static start(target: { url: string; token: string }, log: Logger, options: HaCoreOptions = {}): HaCore {
    const core = new HaCore(target, log, options);
    void core.connect(0);
    return core;
  }

  get connected(): boolean {
    return this.conn?.connected === true && this.haVersion !== null;
  }

  /** True when the connected (or last connected) HA is at least `version`, e.g. "2025.10". */
  atLeast(version: string): boolean {
    return this.haVersion !== null && versionAtLeast(this.haVersion, version);
  }

  private async connect(attempt: number): Promise<void> {
    if (this.closed || this.connecting) return;
    this.connecting = true;
    let conn: Connection;
    try {
      const auth = createLongLivedTokenAuth(this.target.url.replace(/\/+$/, ''), this.target.token);
      conn = await createConnection({ auth, setupRetry: 0 });
    } catch (err) {
      this.connecting = false;
      if (this.closed) return;
      const invalidAuth = err === ERR_INVALID_AUTH;
      if (invalidAuth && this.logged !== 'auth') {
        this.logged = 'auth';
        this.log.error(`Home Assistant at ${describe(this.target.url)} refused the access token; notifications, events and Assist exposure are off until it accepts it`);
      } else if (!invalidAuth && this.logged !== 'down') {
        this.logged = 'down';
        const why = err === ERR_CANNOT_CONNECT ? 'cannot connect' : err instanceof Error ? err.message : `error ${String(err)}`;
        this.log.warn(`Home Assistant does not answer at ${describe(this.target.url)} (${why}); retrying in the background`);
      }
      const delays = this.opts.retryDelaysMs;
      const delay = invalidAuth ? AUTH_RETRY_MS : (delays[Math.min(attempt, delays.length - 1)] ?? 30_000);
      this.retryTimer = setTimeout(() => void this.connect(attempt + 1), delay);
      return;
    }
    this.connecting = false;
    if (this.closed) {
      conn.close();
      return;
    }
    this.conn = conn;
    conn.addEventListener('ready', () => this.onReady(conn));
    conn.addEventListener('disconnected', () => this.onDisconnected());
    conn.addEventListener('reconnect-error', () => {
      // The library gives up after a refused token: start over with our own retry loop.
      if (this.conn !== conn) return;
      this.conn = undefined;
      conn.close();
      this.stopPing();
      void this.connect(0);
    });
    this.onReady(conn);
  }

  private onReady(conn: Connection): void {
    if (this.closed || this.conn !== conn) return;
    this.haVersion = conn.haVersion;
    // Entity ids may have been renamed while we were away.
    this.registry.clear();
    if (this.logged !== 'connected') {
      this.logged = 'connected';
      this.log.info(`Connected to Home Assistant ${conn.haVersion} at ${describe(this.target.url)}`);
    }
    this.startPing(conn);
    if (!this.subscribed.has(conn)) {
      this.subscribed.add(conn);
      for (const s of this.subscriptions) this.subscribe(conn, s);
    }
    this.emit('ready', conn.haVersion);
  }

  private onDisconnected(): void {
    if (this.closed) return;
    this.stopPing();
    if (this.logged === 'connected') {
      this.logged = 'down';
      this.log.warn('Lost the connection to Home Assistant; reconnecting in the background');
    }
    this.emit('disconnected');
  }

  private startPing(conn: Connection): void {
    this.stopPing();
    this.pingTimer = setInterval(() => {
      if (!conn.connected) return;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), this.opts.pingTimeoutMs);
      });
      Promise.race([conn.ping(), timeout])
        .catch(() => {
          if (this.closed || this.conn !== conn || !conn.connected) return;
          this.log.warn(`Home Assistant did not answer a ping within ${this.opts.pingTimeoutMs / 1000} s; reconnecting`);
          // Drop the socket at once (ws's close() would wait for a closing handshake that a
          // half-open connection never completes), then let the library reconnect.
          (conn.socket as unknown as { terminate?: () => void } | undefined)?.terminate?.();
          conn.reconnect(true);
        })
        .finally(() => clearTimeout(timer));
    }, this.opts.pingIntervalMs);
    this.pingTimer.unref();
  }

  private stopPing(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = undefined;
  }

  /** Sends one command; fails fast when disconnected, and after callTimeoutMs at the latest. */
  async call<T>(message: MessageBase): Promise<T> {
    const conn = this.conn;
    if (this.closed || !conn || !conn.connected) throw new HaUnavailableError();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new HaUnavailableError(`Home Assistant did not answer ${message.type} within ${this.opts.callTimeoutMs / 1000} s`)),
        this.opts.callTimeoutMs,
      );
    });
    try {
      return await Promise.race([conn.sendMessagePromise<T>({ ...message }), timeout]);
    } catch (err) {
      throw this.translate(message.type, err);
    } finally {
      clearTimeout(timer);
    }
  }

  private translate(type: string, err: unknown): Error {
    if (err instanceof HaUnavailableError) return err;
    if (err === ERR_CONNECTION_LOST) return new HaUnavailableError();
    if (err && typeof err === 'object' && 'code' in err) {
      const { code, message } = err as { code: unknown; message?: unknown };
      if (code === ERR_CONNECTION_LOST) return new HaUnavailableError(`The connection to Home Assistant dropped during ${type}`);
      return new HaCommandError(type, String(code), String(message ?? 'no message'));
    }
    return err instanceof Error ? err : new Error(String(err));
  }

  /** Fires an event on HA's bus (automations trigger on it). */
  async fireEvent(eventType: string, data: object): Promise<void> {
    await this.call({ type: 'fire_event', event_type: eventType, event_data: data });
  }

  private async callService(domain: string, service: string, data: object): Promise<void> {
    await this.call({ type: 'call_service', domain, service, service_data: data });
  }

  /**
   * Follows `eventType` (null: every event) on HA's bus for as long as this HaCore runs, across
   * reconnects. `handler` gets the event as HA sends it: whatever anyone fired, to be validated
   * before use.
   */
  onEvent(eventType: string | null, handler: EventHandler): void {
    const s = { eventType, handler };
    this.subscriptions.push(s);
    const conn = this.conn;
    if (conn && this.subscribed.has(conn)) this.subscribe(conn, s);
  }

  private subscribe(conn: Connection, s: { eventType: string | null; handler: EventHandler }): void {
    conn.subscribeEvents<HaEvent>((e) => s.handler(e), s.eventType ?? undefined).catch((err: unknown) => {
      if (this.conn !== conn) return;
      this.log.warn(`Home Assistant refused a subscription to ${s.eventType ?? 'every event'}: ${this.translate('subscribe_events', err).message}`);
    });
  }

  /** Creates (or replaces: same id) a persistent notification. */
  async notify(notificationId: string, title: string, message: string): Promise<void> {
    await this.callService('persistent_notification', 'create', { notification_id: notificationId, title, message });
  }

  /** Dismisses a persistent notification; dismissing one that does not exist is fine. */
  async dismiss(notificationId: string): Promise<void> {
    await this.callService('persistent_notification', 'dismiss', { notification_id: notificationId });
  }

  /** The entity id HA gave an entity of `platform` with `uniqueId`, or undefined when HA has none. */
  async entityIdForUniqueId(platform: string, uniqueId: string): Promise<string | undefined> {
    const key = `${platform}\u0000${uniqueId}`;
    const hit = this.registry.get(key);
    if (hit) return hit;
    // Refreshed on a miss; concurrent misses share one request.
    this.registryLoad ??= (async () => {
      try {
        const list = await this.call<RegistryEntry[]>({ type: 'config/entity_registry/list' });
        this.registry.clear();
        for (const e of list) this.registry.set(`${e.platform}\u0000${e.unique_id}`, e.entity_id);
      } finally {
        this.registryLoad = undefined;
      }
    })();
    await this.registryLoad;
    return this.registry.get(key);
  }

  /** Forgets the entity ids looked up so far (an entity was renamed): the next look-up reloads. */
  forgetEntityIds(): void {
    this.registry.clear();
  }

  /** The aliases of each entity (null: its own name, as HA stores it); absent when HA has no such entity. */
  async aliasesOf(entityIds: string[]): Promise<Map<string, (string | null)[]>> {
    const out = new Map<string, (string | null)[]>();
    if (entityIds.length === 0) return out;
    const entries = await this.call<Record<string, { aliases?: (string | null)[] } | null>>({ type: 'config/entity_registry/get_entries', entity_ids: entityIds });
    for (const [id, entry] of Object.entries(entries ?? {})) if (entry) out.set(id, Array.isArray(entry.aliases) ? entry.aliases : []);
    return out;
  }

  /**
   * Exposes an entity to Assist (the built-in "conversation" assistant) or hides it from Assist,
   * makes sure `aliases` are among its aliases and that none of `drop` is. Aliases the user added
   * are kept; the registry is written only when the aliases change.
   */
  async setExposure(entityId: string, exposed: boolean, aliases: string[], drop: string[] = []): Promise<void> {
    await this.call({ type: 'homeassistant/expose_entity', assistants: ['conversation'], entity_ids: [entityId], should_expose: exposed });
    if (aliases.length === 0 && drop.length === 0) return;
    const entry = await this.call<{ aliases?: (string | null)[] }>({ type: 'config/entity_registry/get', entity_id: entityId });
    const current = entry.aliases ?? [];
    const dropped = new Set(drop.map((a) => a.toLowerCase()));
    const kept = current.filter((a) => typeof a !== 'string' || !dropped.has(a.toLowerCase()));
    const have = new Set(kept.filter((a): a is string => typeof a === 'string').map((a) => a.toLowerCase()));
    const missing = aliases.filter((a) => !have.has(a.toLowerCase()));
    if (missing.length === 0 && kept.length === current.length) return;
    await this.call({ type: 'config/entity_registry/update', entity_id: entityId, aliases: [...kept, ...missing] });
  }

  /** Stops for good: no more reconnects, pending timers cleared. */
  close(): void {
    this.closed = true;
    this.stopPing();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.conn?.close();
    this.conn = undefined;
    this.removeAllListeners();
  }
}
