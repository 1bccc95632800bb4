/**
 * The IRIS account meant for people (the Management Portal, VS Code, the terminal): its generated
 * or chosen password, kept in the add-on's private storage, shown only when a person asks, and
 * changed only through the IRIS owner (AccountOwner), never through the bridge's own IRIS user.
 *
 * A change is IRIS first, the stored copy second: the new password is written to a candidate file
 * (0600) beside the stored one, IRIS is asked to take it from there, and only when IRIS accepted
 * it does the candidate replace the stored file (rename: a reader sees the old file or the new
 * one, never part of it). When IRIS refuses, the candidate is deleted and nothing has changed.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AccountError } from './errors.ts';
import type { AccountOwner } from './owner.ts';

export interface PersonAccountOptions {
  username: string;
  /** The stored password (first line), e.g. /data/secrets/iris_admin_password. */
  passwordFile: string;
  owner: AccountOwner;
}

/** Longest password the panel passes on: IRIS's own patterns stop at 32 by default. */
export const MAX_PASSWORD_LENGTH = 128;

/** Why a password cannot be stored as the first line of a file and read back as it was, or null. */
export function unstorablePassword(password: string): string | null {
  if (password.length === 0) return 'The password is empty.';
  if (password.length > MAX_PASSWORD_LENGTH) return `The password is longer than ${MAX_PASSWORD_LENGTH} characters.`;
  // The setup reads the first line and strips white space and control characters at its ends.
  if (/[\u0000-\u001f\u007f]/.test(password)) return 'The password has a line break, tab or other control character.';
  if (password.trim() !== password) return 'The password begins or ends with a space.';
  return null;
}

async function writeNew(path: string, text: string): Promise<void> {
  // 'wx': a fresh file of our own, 0600 from its first byte (the secrets folder is 0700 anyway).
  const fh = await open(path, 'wx', 0o600);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export class PersonAccountService {
  readonly username: string;
  private changing = false;

  constructor(private readonly o: PersonAccountOptions) {
    this.username = o.username;
  }

  private candidatePrefix(): string {
    return `.${basename(this.o.passwordFile)}.`;
  }

  /** Removes candidates a crash left behind (each holds a password); run once at the start. */
  async init(): Promise<void> {
    const dir = dirname(this.o.passwordFile);
    const prefix = this.candidatePrefix();
    const names = await readdir(dir).catch(() => [] as string[]);
    await Promise.all(names.filter((n) => n.startsWith(prefix) && n.endsWith('.candidate')).map((n) => rm(join(dir, n), { force: true })));
  }

  async readPassword(): Promise<string> {
    let text: string;
    try {
      text = await readFile(this.o.passwordFile, 'utf8');
    } catch (err) {
      throw new AccountError('io', `The stored password of ${this.username} could not be read (${(err as NodeJS.ErrnoException).code ?? 'error'}); restarting the add-on generates it again if it is missing.`, { cause: err });
    }
    const password = text.split('\n')[0]?.trim() ?? '';
    if (!password) throw new AccountError('io', `The stored password of ${this.username} is empty; restart the add-on to generate a new one.`);
    return password;
  }

  async setPassword(password: string): Promise<void> {
    const unstorable = unstorablePassword(password);
    if (unstorable) throw new AccountError('rejected', unstorable);
    if (this.changing) throw new AccountError('busy', `The password of ${this.username} is being changed already; wait for that to finish.`);
    this.changing = true;
    const dir = dirname(this.o.passwordFile);
    const candidate = join(dir, `${this.candidatePrefix()}${randomBytes(8).toString('hex')}.candidate`);
    try {
      try {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        await writeNew(candidate, `${password}\n`);
      } catch (err) {
        throw new AccountError('io', `The new password could not be written beside the stored one (${(err as NodeJS.ErrnoException).code ?? 'error'}); nothing was changed.`, { cause: err });
      }
      try {
        await this.o.owner.setPassword(this.username, candidate);
      } catch (err) {
        if (!(err instanceof AccountError)) throw new AccountError('iris', `The privileged IRIS session failed: ${(err as Error).message}`, { cause: err });
        // A validation routine of the site's own may quote what it refused.
        if (password.length >= 6 && err.message.includes(password)) throw new AccountError(err.code, err.message.split(password).join('***'));
        throw err;
      }
      try {
        await rename(candidate, this.o.passwordFile);
        await syncDir(dir);
      } catch (err) {
        throw new AccountError('io', `IRIS now has the new password, but the stored copy could not be replaced (${(err as NodeJS.ErrnoException).code ?? 'error'}): the panel shows the old one until you set it again.`, { cause: err });
      }
    } finally {
      this.changing = false;
      await rm(candidate, { force: true }).catch(() => {});
    }
  }
}
