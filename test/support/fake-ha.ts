/**
 * A small fake of Home Assistant Core's websocket API, for unit and integration tests of src/ha/.
 * Speaks the real handshake (auth_required -> auth -> auth_ok with ha_version) and answers the
 * commands the bridge uses, recording every message it received. It can drop its connections,
 * stop answering pings, and go away and come back on the same port.
 *
 *   const ha = await FakeHa.start({ token: 't' });
 *   HaCore.start({ url: ha.url, token: 't' }, log);
 *   ...
 *   await ha.close();
 */
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface FakeEntity {
  entity_id: string;
  unique_id: string;
  platform: string;
  aliases: (string | null)[];
}

export interface Received {
  type: string;
  id?: number;
  [key: string]: unknown;
}

export interface FakeHaOptions {
  token?: string;
  haVersion?: string;
  port?: number;
}

export class FakeHa {
  readonly token: string;
  haVersion: string;
  /** Every message after authentication, in order (pings included). */
  readonly received: Received[] = [];
  /** Tokens offered in auth messages. */
  readonly authAttempts: string[] = [];
  readonly entities = new Map<string, FakeEntity>();
  /** entity_id -> exposed to "conversation". */
  readonly exposed = new Map<string, boolean>();
  /** Open persistent notifications by id. */
  readonly notifications = new Map<string, { title: string; message: string }>();
  /** When true, pings get no pong (a half-open connection, as far as the client can tell). */
  refusePings = false;
  /** Command types the fake receives but never answers (a call that would hang). */
  readonly ignore = new Set<string>();
  /** Connections accepted so far (each reconnect adds one). */
  accepted = 0;
  private server: WebSocketServer | undefined;
  private sockets = new Set<WebSocket>();
  /** subscribe_events of each connection: subscription id by event type. */
  private subscriptions = new Map<WebSocket, Map<string, number>>();
  private _port: number;

  private constructor(options: FakeHaOptions) {
    this.token = options.token ?? 'fake-token';
    this.haVersion = options.haVersion ?? '2026.11.0';
    this._port = options.port ?? 0;
  }

  static async start(options: FakeHaOptions = {}): Promise<FakeHa> {
    const ha = new FakeHa(options);
    await ha.listen();
    return ha;
  }

  get port(): number {
    return this._port;
  }

  /** The HTTP base URL, as HaCore takes it. */
  get url(): string {
    return `http://127.0.0.1:${this._port}`;
  }

  get connectionCount(): number {
    return this.sockets.size;
  }

  /** Received messages of one type. */
  ofType(type: string): Received[] {
    return this.received.filter((m) => m.type === type);
  }

  addEntity(e: Omit<FakeEntity, 'aliases'> & { aliases?: (string | null)[] }): void {
    this.entities.set(e.entity_id, { aliases: [], ...e });
  }

  private async listen(): Promise<void> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: this._port });
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    this._port = (server.address() as AddressInfo).port;
    this.server = server;
    server.on('connection', (ws) => this.accept(ws));
  }

  private accept(ws: WebSocket): void {
    this.sockets.add(ws);
    this.accepted++;
    ws.on('close', () => {
      this.sockets.delete(ws);
      this.subscriptions.delete(ws);
    });
    ws.on('error', () => undefined);
    let authed = false;
    const send = (msg: object) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
    };
    send({ type: 'auth_required', ha_version: this.haVersion });
    ws.on('message', (raw) => {
      let msg: Received;
      try {
        msg = JSON.parse(String(raw)) as Received;
      } catch {
        ws.close();
        return;
      }
      if (!authed) {
        if (msg.type !== 'auth') return void ws.close();
        this.authAttempts.push(String(msg.access_token));
        if (msg.access_token === this.token) {
          authed = true;
          send({ type: 'auth_ok', ha_version: this.haVersion });
        } else {
          send({ type: 'auth_invalid', message: 'Invalid access token or password' });
          ws.close();
        }
        return;
      }
      this.received.push(msg);
      if (this.ignore.has(msg.type)) return;
      const ok = (result: unknown = null) => send({ id: msg.id, type: 'result', success: true, result });
      const fail = (code: string, message: string) => send({ id: msg.id, type: 'result', success: false, error: { code, message } });
      switch (msg.type) {
        case 'ping':
          if (!this.refusePings) send({ id: msg.id, type: 'pong' });
          return;
        case 'supported_features':
          return ok();
        case 'fire_event':
          return ok({ context: { id: 'ctx' } });
        case 'subscribe_events': {
          const subs = this.subscriptions.get(ws) ?? new Map<string, number>();
          this.subscriptions.set(ws, subs);
          subs.set(String(msg.event_type), msg.id as number);
          return ok();
        }
        case 'call_service': {
          const data = (msg.service_data ?? {}) as Record<string, string>;
          if (msg.domain === 'persistent_notification' && msg.service === 'create') {
            this.notifications.set(data.notification_id ?? 'x', { title: data.title ?? '', message: data.message ?? '' });
          } else if (msg.domain === 'persistent_notification' && msg.service === 'dismiss') {
            this.notifications.delete(data.notification_id ?? 'x');
          }
          return ok({ context: { id: 'ctx' } });
        }
        case 'config/entity_registry/list':
          return ok([...this.entities.values()].map((e) => ({ ...e })));
        case 'config/entity_registry/get': {
          const e = this.entities.get(String(msg.entity_id));
          return e ? ok({ ...e }) : fail('not_found', 'Entity not found');
        }
        case 'config/entity_registry/get_entries': {
          const ids = msg.entity_ids as string[];
          return ok(Object.fromEntries(ids.map((id) => [id, this.entities.has(id) ? { ...this.entities.get(id) } : null])));
        }
        case 'config/entity_registry/update': {
          const e = this.entities.get(String(msg.entity_id));
          if (!e) return fail('not_found', 'Entity not found');
          if (Array.isArray(msg.aliases)) e.aliases = msg.aliases as (string | null)[];
          return ok({ entity_entry: { ...e } });
        }
        case 'homeassistant/expose_entity': {
          const ids = msg.entity_ids as string[];
          for (const id of ids) this.exposed.set(id, msg.should_expose as boolean);
          return ok({ changed_entity_ids: ids });
        }
        default:
          return fail('unknown_command', `Unknown command ${msg.type}`);
      }
    });
  }

  /** Puts an event on the bus: every connection subscribed to its type receives it. */
  emitEvent(eventType: string, data: unknown, contextId = 'ctx'): void {
    for (const [ws, subs] of this.subscriptions) {
      const id = subs.get(eventType);
      if (id === undefined || ws.readyState !== ws.OPEN) continue;
      ws.send(JSON.stringify({ id, type: 'event', event: { event_type: eventType, data, origin: 'LOCAL', time_fired: new Date().toISOString(), context: { id: contextId } } }));
    }
  }

  /** Connections subscribed to `eventType`. */
  subscribers(eventType: string): number {
    return [...this.subscriptions].filter(([ws, subs]) => subs.has(eventType) && ws.readyState === ws.OPEN).length;
  }

  /** Closes every client connection (the server keeps listening). */
  dropConnections(): void {
    for (const ws of this.sockets) ws.terminate();
  }

  /** Stops listening and drops every connection: HA is away. */
  async stopServer(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.dropConnections();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Listens again on the same port: HA is back. */
  async startServer(): Promise<void> {
    if (!this.server) await this.listen();
  }

  async close(): Promise<void> {
    await this.stopServer();
  }
}
