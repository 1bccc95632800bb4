/** The Home Assistant Supervisor's REST API, as seen from inside the add-on container. */

export class SupervisorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SupervisorError';
  }
}

export interface MqttService {
  host: string;
  port: number;
  ssl: boolean;
  username?: string;
  password?: string;
}

const BASE = 'http://supervisor';

async function get(path: string, token: string, fetchImpl: typeof fetch, post?: unknown, timeoutMs = 10_000): Promise<unknown> {
  let res: Response;
  try {
    res = await fetchImpl(BASE + path, {
      method: post === undefined ? 'GET' : 'POST',
      headers: { Authorization: `Bearer ${token}`, ...(post === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: post === undefined ? undefined : JSON.stringify(post),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new SupervisorError(`The Supervisor did not answer ${path}: ${(err as Error).message}`);
  }
  const body = (await res.json().catch(() => ({}))) as { result?: string; message?: string; data?: unknown };
  if (!res.ok || body.result !== 'ok') {
    throw new SupervisorError(`The Supervisor answered ${path} with ${res.status}: ${body.message ?? 'no message'}`);
  }
  return body.data;
}

/**
 * The host ports the user mapped for the add-on's container ports (Network section); null where
 * a port is off. From GET /addons/self/info, which needs no extra permission.
 */
export async function getMappedPorts(token: string, fetchImpl: typeof fetch = fetch): Promise<Record<string, number | null>> {
  const data = (await get('/addons/self/info', token, fetchImpl)) as { network?: Record<string, unknown> | null };
  const out: Record<string, number | null> = {};
  for (const [port, host] of Object.entries(data.network ?? {})) out[port] = typeof host === 'number' ? host : host ? Number(host) : null;
  return out;
}

/**
 * The broker Home Assistant's MQTT add-on provides (`services: mqtt:need`). The port is a string
 * in the docs' example and a number in the Supervisor's schema; both are accepted.
 */
export async function getMqttService(token: string, fetchImpl: typeof fetch = fetch): Promise<MqttService> {
  let data: Record<string, unknown>;
  try {
    data = (await get('/services/mqtt', token, fetchImpl)) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof SupervisorError && /not enabled|400/.test(err.message)) {
      throw new SupervisorError(
        'No MQTT broker is set up in Home Assistant. Install the Mosquitto broker add-on (or set the mqtt_url option) and restart IRIS Edge.',
      );
    }
    throw err;
  }
  const port = Number(data.port);
  if (typeof data.host !== 'string' || !Number.isInteger(port)) {
    throw new SupervisorError('The Supervisor returned an MQTT service without a host and port.');
  }
  return {
    host: data.host,
    port,
    ssl: data.ssl === true,
    username: typeof data.username === 'string' ? data.username : undefined,
    password: typeof data.password === 'string' ? data.password : undefined,
  };
}

/**
 * Asks the Supervisor for a partial backup of this add-on only (hassio_role: backup), so that
 * Home Assistant's backup locations, off-site ones included, receive IRIS's data. The
 * Supervisor runs backup_pre/backup_post around it (the freeze). `background` returns at once
 * with a job id; the backup itself can take minutes.
 */
export async function createAddonBackup(token: string, name: string, fetchImpl: typeof fetch = fetch): Promise<void> {
  const slug = await getAddonSlug(token, fetchImpl);
  await get('/backups/new/partial', token, fetchImpl, { name, addons: [slug], homeassistant: false, compressed: true, background: true }, 60_000);
}

/**
 * This add-on's slug as the Supervisor installed it: an add-on from a repository gets the
 * repository's hash in front of config.yaml's slug ("5c53de3b_iris_edge").
 */
export async function getAddonSlug(token: string, fetchImpl: typeof fetch = fetch): Promise<string> {
  const self = (await get('/addons/self/info', token, fetchImpl)) as { slug?: unknown };
  if (typeof self.slug !== 'string' || !/^[a-z0-9_-]+$/i.test(self.slug)) throw new SupervisorError('The Supervisor did not tell this add-on its slug.');
  return self.slug;
}

/**
 * Offers Home Assistant a service this add-on provides (Supervisor discovery: POST /discovery,
 * allowed for the services config.yaml lists under `discovery`). Home Assistant then shows the
 * integration under Settings → Devices & services → Discovered. The Supervisor keeps one message
 * per add-on and service and updates it in place when `config` changes (supervisor
 * discovery/__init__.py send()), and only Home Assistant may read it.
 */
export async function announceService(token: string, service: string, config: Record<string, unknown>, fetchImpl: typeof fetch = fetch): Promise<void> {
  await get('/discovery', token, fetchImpl, { service, config });
}
