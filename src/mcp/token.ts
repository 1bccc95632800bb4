/**
 * The MCP server's access token: 32 random bytes (base64url), kept in one 0600 file under the
 * secrets folder like the bridge's other secrets, created at the first start and replaced when the
 * user rotates it in the panel. Compared in constant time.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeAtomic } from '../files/atomic-write.ts';

/** 43 characters of base64url: what a token file must hold. */
const TOKEN_FORM = /^[A-Za-z0-9_-]{43}$/;

export class McpToken {
  private value = '';

  constructor(readonly file: string) {}

  /** Reads the stored token, or makes one when there is none (or the file holds no valid token). */
  async init(): Promise<void> {
    try {
      const stored = (await readFile(this.file, 'utf8')).trim();
      if (TOKEN_FORM.test(stored)) {
        this.value = stored;
        return;
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    await this.rotate();
  }

  /** A new token; the old one stops working at once. */
  async rotate(): Promise<string> {
    const next = randomBytes(32).toString('base64url');
    await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
    await writeAtomic(this.file, `${next}\n`, { mode: 0o600, durable: true });
    this.value = next;
    return next;
  }

  get current(): string {
    return this.value;
  }

  /** Whether `candidate` is the token, in time that does not depend on where they differ. */
  matches(candidate: string): boolean {
    if (this.value === '') return false;
    const a = Buffer.from(candidate);
    const b = Buffer.from(this.value);
    return a.length === b.length && timingSafeEqual(a, b);
  }
}
