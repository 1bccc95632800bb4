/**
 * The add-on's privileged path for the account for people: `iris session IRIS -U %SYS` run by the
 * bridge process, which is irisowner, so IRIS authenticates it by the operating system as the
 * instance's owner (research/iris.md §6), the same path as the setup at every start and the
 * freeze and thaw of backups. It runs IrisEdge.Setup.SetAccountPassword, which the setup compiled
 * into %SYS at this start; the new password goes in a 0600 file, never on a command line or in
 * the environment, and IRIS's output is read for the one outcome line only (a terminal may echo
 * what it is given, so nothing of it is logged).
 */
import { execFile } from 'node:child_process';
import { AccountError } from './errors.ts';
import type { AccountOwner } from './owner.ts';

export interface IrisSessionOwnerOptions {
  irisBin?: string;
  instance?: string;
  timeoutMs?: number;
}

const OK = 'IRIS-EDGE-PASSWORD-OK';
const FAILED = 'IRIS-EDGE-PASSWORD-FAILED:';
/** User names and paths go into ObjectScript string literals: nothing that could end one. */
const SAFE = /^[A-Za-z0-9_.\/%-]+$/;

function run(bin: string, args: string[], timeoutMs: number): Promise<{ code: number | string | null; stdout: string }> {
  return new Promise((resolve) => {
    execFile(bin, args, { timeout: timeoutMs, maxBuffer: 1024 * 1024, encoding: 'utf8' }, (err, stdout) => {
      const code = err ? ((err as { code?: number | string }).code ?? (err.killed ? 'killed' : 1)) : 0;
      resolve({ code, stdout: String(stdout ?? '') });
    });
  });
}

export function irisSessionOwner(o: IrisSessionOwnerOptions = {}): AccountOwner {
  const bin = o.irisBin ?? 'iris';
  const timeoutMs = o.timeoutMs ?? 60_000;
  return {
    async setPassword(username, passwordFile) {
      if (!SAFE.test(username) || !SAFE.test(passwordFile)) throw new AccountError('iris', 'The account name or the password file has characters the privileged path does not pass to IRIS.');
      const routine = `##class(IrisEdge.Setup).SetAccountPassword("${username}","${passwordFile}")`;
      const { code, stdout } = await run(bin, ['session', o.instance ?? 'IRIS', '-U', '%SYS', routine], timeoutMs);
      const lines = stdout.split(/\r?\n/);
      if (lines.some((l) => l.includes(OK))) return;
      const failed = lines.find((l) => l.includes(FAILED));
      if (failed) {
        const text = failed.slice(failed.indexOf(FAILED) + FAILED.length).trim().slice(0, 500);
        // #838: the account is gone (deleted in the Management Portal); the setup makes it again.
        if (/ERROR #838\b/.test(text)) throw new AccountError('iris', `IRIS says: ${text}. Restart the add-on: its setup creates the account again.`);
        throw new AccountError('rejected', `IRIS refused the new password: ${text}`);
      }
      const why = code === 'ETIMEDOUT' || code === 'killed' ? `did not answer within ${Math.round(timeoutMs / 1000)} s` : `ended without an outcome (exit status ${String(code)})`;
      throw new AccountError('iris', `The privileged IRIS session ${why}; the stored password was not changed. Check that IRIS runs (the add-on log says more), then try again.`);
    },
  };
}
