/** Which databases an IRIS Edge backup holds, and why the others are left out. */
import type { DatabaseInfo } from '../model/backup.ts';

/** Scratch databases: IRIS rebuilds them at every start (research iris.md §5.2). */
const SCRATCH = new Set(['IRISTEMP', 'IRISLOCALDATA']);

export interface Selection {
  included: DatabaseInfo[];
  excluded: { name: string; directory: string; reason: string }[];
}

export function selectDatabases(all: DatabaseInfo[]): Selection {
  const out: Selection = { included: [], excluded: [] };
  for (const d of all) {
    const reason = SCRATCH.has(d.name)
      ? 'scratch database, rebuilt by IRIS at every start'
      : d.readOnly
        ? 'read-only code that comes with the IRIS image'
        : !d.mounted
          ? 'not mounted'
          : null;
    if (reason) out.excluded.push({ name: d.name, directory: d.directory, reason });
    else out.included.push(d);
  }
  return out;
}
