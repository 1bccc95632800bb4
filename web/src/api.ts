/** The panel API, by relative URLs (ingress mounts the panel under /api/hassio_ingress/<token>/). */
import type { Instance, Production } from './types.ts';

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * One call to the panel API. Every state change is a JSON POST (or a DELETE) with the custom
 * header the server requires against cross-site requests.
 */
export async function call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET') headers['x-iris-edge'] = '1';
  const payload = method === 'POST' ? JSON.stringify(body ?? {}) : body === undefined ? undefined : JSON.stringify(body);
  if (payload !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { method, headers, credentials: 'same-origin', body: payload });
  } catch {
    throw new ApiFailure(0, 'The panel does not answer: is the add-on running?');
  }
  const text = await res.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const msg = (data as { message?: string } | undefined)?.message ?? `The panel answered ${res.status} ${res.statusText}.`;
    throw new ApiFailure(res.status, msg);
  }
  return data as T;
}

const enc = encodeURIComponent;
const prodPath = (i: string, p: Pick<Production, 'namespace' | 'name'>) => `api/instances/${enc(i)}/productions/${enc(p.namespace)}/${enc(p.name)}`;

export interface ActionResult {
  outcome: 'done' | 'nothing-to-do';
  reason?: string;
  production: Production;
}

export const api = {
  state: () => call<{ instances: Instance[] }>('GET', 'api/state'),
  action: (i: string, p: Production, action: string, confirm: boolean) =>
    call<ActionResult>('POST', `${prodPath(i, p)}/actions/${enc(action)}`, confirm ? { confirm: true } : {}),
  host: (i: string, p: Production, host: string, enabled: boolean) => call<ActionResult>('POST', `${prodPath(i, p)}/hosts/${enc(host)}`, { enabled }),
  connect: () => call<{ superserverPort: number | null; webPort: number | null; portalPath: string; username: string }>('GET', 'api/connect'),
  password: () => call<{ password: string }>('POST', 'api/connect/password', {}),
  logs: (level: string) => call<{ lines: LogLine[] }>('GET', `api/logs?level=${enc(level)}&limit=500`),
  messages: () => call<{ available: boolean; reason?: string; path: string | null; lines: string[] }>('GET', 'api/messages-log?lines=200'),
  session: () => call<{ mode: string; viaIngress: boolean; user: { displayName: string | null; name: string | null } | null }>('GET', 'api/session'),
};

export interface LogLine {
  seq: number;
  time: string;
  level: string;
  msg: string;
  instance?: string;
}
