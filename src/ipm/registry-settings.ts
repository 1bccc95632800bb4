/**
 * Which IPM registry the add-on uses, and its credentials: one JSON file, 0600 in a 0700 folder
 * (/data/secrets/ipm_registry.json in the add-on), written whole or not at all. What the rest of
 * the add-on sees of it is `RegistryView`: the address and the user name, never the password.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { writeAtomic } from '../files/atomic-write.ts';
import { COMMUNITY_REGISTRY, type RegistryView } from '../model/ipm-package.ts';
import { registryBase, type RegistryCredentials } from './registry-client.ts';
import { RegistryError } from './registry-errors.ts';

export interface RegistrySettingsInput {
  url: string;
  username?: string | undefined;
  /** Undefined keeps the stored password (when the address and user name stay); '' removes it. */
  password?: string | undefined;
}

const stored = z.object({ url: z.string(), username: z.string().max(200), password: z.string().max(500), offline: z.boolean().optional() });

/** User names and passwords go into an HTTP basic header: no control characters, no ':' in the name. */
function checkCredentials(username: string, password: string): void {
  if (/[\u0000-\u001f\u007f:]/.test(username)) throw new RegistryError('invalid-url', 'The registry user name has a colon or a control character.');
  if (username.length > 200 || password.length > 500) throw new RegistryError('invalid-url', 'The registry user name or password is too long.');
  if (/[\u0000-\u001f\u007f]/.test(password)) throw new RegistryError('invalid-url', 'The registry password has a control character.');
  // They reach IPM as quoted words of its `repo` command (IrisEdge.Setup.SetIpmRegistry).
  if (username.includes('"') || password.includes('"')) throw new RegistryError('invalid-url', 'The registry user name or password has a double quote ("), which IPM\'s repo command cannot take.');
  if (!username !== !password) throw new RegistryError('invalid-url', 'Give both a user name and a password for the registry, or neither.');
}

export class RegistrySettings {
  constructor(
    private readonly file: string,
    /** The offline folder of package archives, when this add-on has one. */
    readonly folder?: string,
  ) {}

  private async read(): Promise<z.infer<typeof stored>> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { url: COMMUNITY_REGISTRY, username: '', password: '' };
      throw e;
    }
    const p = stored.safeParse(JSON.parse(text));
    if (!p.success) throw new RegistryError('invalid-url', `${this.file} is not a registry settings file; delete it to return to the community registry.`);
    return p.data;
  }

  async view(): Promise<RegistryView> {
    const s = await this.read();
    return this.viewOf(s);
  }

  private viewOf(s: z.infer<typeof stored>): RegistryView {
    return { source: s.offline && this.folder ? 'offline-folder' : 'registry', url: s.url, username: s.username, hasPassword: s.password !== '', folder: this.folder ?? null };
  }

  /** The address and credentials the registry client needs; for the client only. */
  async connection(): Promise<{ url: string; credentials: RegistryCredentials | undefined; offline: boolean }> {
    const s = await this.read();
    return { url: s.url, credentials: s.username ? { username: s.username, password: s.password } : undefined, offline: Boolean(s.offline && this.folder) };
  }

  /** Apps from the offline folder; the registry's settings stay for a way back. */
  async useOfflineFolder(): Promise<RegistryView> {
    if (!this.folder) throw new RegistryError('invalid-url', 'This bridge has no offline folder of package archives.');
    // Made here so that the user finds it in /share; without the right to, the search says to create it.
    await mkdir(this.folder, { recursive: true }).catch(() => {});
    return this.write({ ...(await this.read()), offline: true });
  }

  private async write(s: z.infer<typeof stored>): Promise<RegistryView> {
    await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
    await writeAtomic(this.file, `${JSON.stringify(s)}\n`, { mode: 0o600, durable: true });
    return this.viewOf(s);
  }

  async save(input: RegistrySettingsInput): Promise<RegistryView> {
    const url = registryBase(input.url.trim()).href;
    const before = await this.read();
    const raw = input.username ?? '';
    if (/[\u0000-\u001f\u007f]/.test(raw)) throw new RegistryError('invalid-url', 'The registry user name has a control character.');
    const username = raw.trim();
    // A kept password follows only its own address and user name: never sent to a new host.
    const keep = input.password === undefined && before.url === url && before.username === username;
    const password = keep ? before.password : (input.password ?? '');
    checkCredentials(username, password);
    return this.write({ url, username, password });
  }
}
