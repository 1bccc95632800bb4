/**
 * The local instance's account for people (src/accounts/) in the add-on: the one the setup created
 * (ha_admin), changed through `iris session` as irisowner. Outside the add-on a real IRIS has no
 * owner this bridge can act as, so there is none; the simulator's is in simulator-account.ts.
 */
import { irisSessionOwner } from '../accounts/iris-session-owner.ts';
import { PersonAccountService } from '../accounts/person-account.ts';
import type { Config } from '../config/config.ts';

/** The add-on's account for people, when the bridge runs beside its IRIS. */
export function addonAccount(config: Config): PersonAccountService | undefined {
  const { adminUser, adminPasswordFile, irisBin } = config.addon;
  if (!adminUser || !adminPasswordFile) return undefined;
  return new PersonAccountService({ username: adminUser, passwordFile: adminPasswordFile, owner: irisSessionOwner({ irisBin }) });
}
