/**
 * The simulator's account for people: the one the simulated setup makes (as init-iris does in the
 * add-on), changed through the simulated owner as IrisEdge.Setup.SetAccountPassword changes it.
 * Loaded with the simulator only (simulated-iris.ts).
 */
import { randomInt } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AccountError } from '../accounts/errors.ts';
import type { AccountOwner } from '../accounts/owner.ts';
import { PersonAccountService } from '../accounts/person-account.ts';
import { writeAtomic } from '../files/atomic-write.ts';
import type { SimulatedIris } from '../iris/simulator/server.ts';
import { StatusError } from '../iris/simulator/security.ts';

export const ADMIN_USER = 'ha_admin';

/** What IrisEdge.Setup.SetAccountPassword does, on the simulated instance as its owner. */
function simulatedOwner(iris: SimulatedIris): AccountOwner {
  return {
    async setPassword(username, passwordFile) {
      // Read as ReadSecret reads it: the first line, without white space at its ends.
      const password = (await readFile(passwordFile, 'utf8')).split('\n')[0]?.trim() ?? '';
      try {
        iris.setAccountPassword(username, password);
      } catch (err) {
        if (!(err instanceof StatusError)) throw err;
        if (err.codes === '838') throw new AccountError('iris', `IRIS says: ${err.text}. Restart the bridge: its setup creates the account again.`);
        throw new AccountError('rejected', `IRIS refused the new password: ${err.text}`);
      }
    },
  };
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** The stored password, generated (32 letters and digits, like init-iris) when there is none. */
async function ensureSecret(file: string): Promise<{ password: string; created: boolean }> {
  try {
    const password = (await readFile(file, 'utf8')).split('\n')[0]?.trim() ?? '';
    if (password) return { password, created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const password = Array.from({ length: 32 }, () => ALNUM[randomInt(ALNUM.length)]).join('');
  await writeAtomic(file, `${password}\n`, { mode: 0o600 });
  return { password, created: true };
}

/** The simulated setup's account for people, its password kept under the state directory. */
export async function simulatorAccount(iris: SimulatedIris, stateDir: string): Promise<PersonAccountService> {
  const passwordFile = join(stateDir, 'secrets', 'iris_admin_password');
  const { password, created } = await ensureSecret(passwordFile);
  iris.ensureAdminUser({ username: ADMIN_USER, password }, created);
  const account = new PersonAccountService({ username: ADMIN_USER, passwordFile, owner: simulatedOwner(iris) });
  await account.init();
  return account;
}
