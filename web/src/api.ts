/** The panel API, by relative URLs (ingress mounts the panel under /api/hassio_ingress/<token>/). */
import type { Instance, Production } from './types.ts';
import type { HaFlowsView } from '../../src/model/ha-flow.ts';
import type { McpCallRecord } from '../../src/model/mcp.ts';

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * One call to the panel API. Every state change is a JSON POST (or a PUT or DELETE) with the
 * custom header the server requires against cross-site requests.
 */
export async function call<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
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
  return answer<T>(res.status, res.statusText, await res.text());
}

/** A JSON answer, or the ApiFailure carrying the server's message as it is. */
function answer<T>(status: number, statusText: string, text: string): T {
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (status < 200 || status > 299) {
    const msg = (data as { message?: string } | undefined)?.message ?? `The panel answered ${status} ${statusText}.`;
    throw new ApiFailure(status, msg);
  }
  return data as T;
}

/**
 * Sends a file as the raw request body (application/octet-stream). XMLHttpRequest rather than
 * fetch: only it reports upload progress.
 */
export function upload<T>(path: string, file: Blob, onProgress: (sent: number, total: number) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.setRequestHeader('x-iris-edge', '1');
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onload = () => {
      try {
        resolve(answer<T>(xhr.status, xhr.statusText, xhr.responseText));
      } catch (err) {
        reject(err as Error);
      }
    };
    xhr.onerror = () => reject(new ApiFailure(0, 'The upload was cut off: the panel closed the connection, or the add-on is not running.'));
    xhr.send(file);
  });
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
  action: (i: string, p: Production, action: string, confirm: boolean, overrideCooldown = false) =>
    call<ActionResult>('POST', `${prodPath(i, p)}/actions/${enc(action)}`, { ...(confirm ? { confirm: true } : {}), ...(overrideCooldown ? { overrideCooldown: true } : {}) }),
  host: (i: string, p: Production, host: string, enabled: boolean) => call<ActionResult>('POST', `${prodPath(i, p)}/hosts/${enc(host)}`, { enabled }),
  connect: () => call<ConnectInfo>('GET', 'api/connect'),
  revealAccountPassword: () => call<{ username: string; password: string }>('POST', 'api/connect/account/reveal', { confirm: true }),
  setAccountPassword: (password: string, repeat: string) => call<{ username: string; changed: true }>('POST', 'api/connect/account/password', { password, repeat }),
  logs: (level: string) => call<{ lines: LogLine[] }>('GET', `api/logs?level=${enc(level)}&limit=500`),
  messages: () => call<{ available: boolean; reason?: string; path: string | null; lines: string[] }>('GET', 'api/messages-log?lines=200'),
  mcp: () => call<McpInfo>('GET', 'api/mcp'),
  revealMcpToken: () => call<{ url: string; token: string }>('POST', 'api/mcp/token/reveal', { confirm: true }),
  rotateMcpToken: () => call<{ url: string; token: string }>('POST', 'api/mcp/token/rotate', { confirm: true }),
  haFlows: () => call<HaFlowsView>('GET', 'api/ha-flows'),
  session: () => call<{ mode: string; viaIngress: boolean; user: { displayName: string | null; name: string | null } | null }>('GET', 'api/session'),
};

export interface ConnectInfo {
  superserverPort: number | null;
  webPort: number | null;
  portalPath: string;
  /** The IRIS account for people; username null when this bridge has none. */
  account: { username: string | null; available: boolean; reason: string | null };
  /** The bridge's own IRIS user: a service account, not for people. */
  serviceAccount: string;
  remoteInstances: string[];
}

/** GET api/mcp (src/panel/mcp-api.ts). */
export interface McpInfo {
  endpoint: string;
  writeTools: boolean;
  anyNetwork: boolean;
  calls: McpCallRecord[];
}

export interface LogLine {
  seq: number;
  time: string;
  level: string;
  msg: string;
  instance?: string;
}
