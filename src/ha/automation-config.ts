/**
 * Home Assistant's automation editor API (components/config/automation.py), the one way an app
 * can add an automation without the user editing YAML: GET/POST/DELETE
 * `/api/config/automation/config/<id>`. POST writes automations.yaml and reloads that one
 * automation; it needs `automation: !include automations.yaml` in configuration.yaml, which
 * Home Assistant writes on a new installation. Reached through the Supervisor's proxy
 * (`http://supervisor/core/api/`, config.yaml `homeassistant_api: true`) in the add-on, or a URL
 * and a long-lived token outside it. The websocket API has no call that writes automations.
 */
import { HaCommandError, HaUnavailableError } from './core.ts';

export class AutomationConfigApi {
  constructor(
    private readonly target: { url: string; token: string },
    private readonly timeoutMs = 15_000,
  ) {}

  private async request(method: 'GET' | 'POST' | 'DELETE', id: string, body?: unknown): Promise<{ status: number; text: string }> {
    const url = `${this.target.url.replace(/\/+$/, '')}/api/config/automation/config/${encodeURIComponent(id)}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${this.target.token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new HaUnavailableError(`Home Assistant's automation editor API did not answer: ${(err as Error).message}`);
    }
    // Bounded: HA's own answers here are small JSON documents.
    const text = (await res.text()).slice(0, 64 * 1024);
    return { status: res.status, text };
  }

  private refused(method: string, r: { status: number; text: string }): HaCommandError {
    let message = r.text.slice(0, 300);
    try {
      message = String((JSON.parse(r.text) as { message?: unknown }).message ?? message);
    } catch {
      // Not JSON: the text as it came.
    }
    if (r.status === 404 && method === 'POST') message = `${message}; is "automation: !include automations.yaml" in configuration.yaml?`;
    return new HaCommandError(`${method} automation config`, String(r.status), message);
  }

  /** The automation's stored configuration, or null when there is none with this id. */
  async get(id: string): Promise<Record<string, unknown> | null> {
    const r = await this.request('GET', id);
    if (r.status === 404) return null;
    if (r.status !== 200) throw this.refused('GET', r);
    return JSON.parse(r.text) as Record<string, unknown>;
  }

  /** Creates or replaces the automation, which Home Assistant reloads at once. */
  async put(id: string, config: Record<string, unknown>): Promise<void> {
    const r = await this.request('POST', id, config);
    if (r.status !== 200) throw this.refused('POST', r);
  }

  /** Removes the automation (and its entity); one that is not there is fine. */
  async remove(id: string): Promise<void> {
    const r = await this.request('DELETE', id);
    // HA answers 400 "Resource not found" for an id it does not have.
    if (r.status === 200 || r.status === 400 || r.status === 404) return;
    throw this.refused('DELETE', r);
  }
}
