/**
 * Namespaces created and deleted on the simulated instance, each with its own database, as public
 * code does it in %SYS (intersystems/ipm src/cls/IPM/Utils/Build.cls, src/cls/IPM/Test/Utils.cls):
 * SYS.Database.CreateDatabase(dir), Config.Databases.Create(name, {Directory}),
 * Config.Namespaces.Create(name, {Globals, Routines}), then %EnsembleMgr.EnableNamespace(name) for
 * interoperability; deleting runs Config.Namespaces.Delete, Config.Databases.Delete,
 * SYS.Database.DeleteDatabase. Each call enforces its privilege (IRIS_CALLS) for the process, in
 * the order IrisEdge.Setup CreateAppsNamespace / DeleteAppsNamespace make them.
 *
 * [NSNAME] GSA_config_namespace "Rules for Namespace Names": 1 to 64 characters, a letter or %
 *          first, then letters, digits, - or _; not case-sensitive, stored in upper case.
 * The status texts for a bad or taken name are the simulator's words (IRIS's own codes for them
 * were not found in public sources); the add-on checks names before it calls, so a user sees its
 * message, not these.
 */
import { namespaceNameProblem } from '../../model/ipm.ts';
import { StatusError, type SimProcess, type SimulatedSecurity } from './security.ts';

export interface SimNamespace {
  name: string;
  database: string;
  directory: string;
  interop: boolean;
}

/** Namespaces IRIS ships with: never created or deleted here. */
const SYSTEM = new Set(['%SYS', '%ALL', 'USER', 'HSLIB', 'HSSYS', 'ENSLIB', 'IRISLIB', 'IRISSYS', 'IRISTEMP']);

export class SimulatedNamespaces {
  private readonly created = new Map<string, SimNamespace>();

  constructor(
    private readonly security: SimulatedSecurity,
    /** Names taken by namespaces the instance already has (the productions'). */
    private readonly existing: () => string[],
    private readonly dataDir: () => string,
  ) {}

  list(): SimNamespace[] {
    return [...this.created.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  has(name: string): boolean {
    return this.created.has(name.toUpperCase());
  }

  /** Creates the database, the namespace and (interop) enables interoperability, as `proc`. */
  create(proc: SimProcess, name: string, interop: boolean): SimNamespace {
    const problem = namespaceNameProblem(name);
    if (problem) throw new StatusError('5001', `ERROR #5001: Invalid namespace name '${name.slice(0, 80)}': ${problem}`);
    const upper = name.toUpperCase();
    if (SYSTEM.has(upper) || this.created.has(upper) || this.existing().includes(upper)) throw new StatusError('5001', `ERROR #5001: Namespace '${upper}' already exists`);
    const directory = `${this.dataDir()}/mgr/${upper.toLowerCase().replace(/%/g, '')}/`;
    this.security.enforce(proc, 'Config.Namespaces.Exists', 'IRISSYS', directory);
    this.security.enforce(proc, 'Config.Databases.Exists', 'IRISSYS', directory);
    this.security.enforce(proc, 'Security.Resources.Exists', 'IRISSYS', directory);
    this.security.enforce(proc, 'Security.Resources.Create', 'IRISSYS', directory);
    this.security.enforce(proc, 'SYS.Database.CreateDatabase', 'IRISSYS', directory);
    this.security.enforce(proc, 'Config.Databases.Create', 'IRISSYS', directory);
    this.security.enforce(proc, 'Config.Namespaces.Create', 'IRISSYS', directory);
    if (interop) this.security.enforce(proc, '%Library.EnsembleMgr.EnableNamespace', 'IRISSYS', directory);
    const ns: SimNamespace = { name: upper, database: upper, directory, interop };
    this.security.addResource(`%DB_${upper}`);
    this.created.set(upper, ns);
    return ns;
  }

  delete(proc: SimProcess, name: string): SimNamespace {
    const upper = name.toUpperCase();
    const ns = this.created.get(upper);
    if (!ns) throw new StatusError('5001', `ERROR #5001: Namespace '${upper.slice(0, 80)}' does not exist or was not created here`);
    this.security.enforce(proc, 'Config.Namespaces.Exists', 'IRISSYS', ns.directory);
    this.security.enforce(proc, 'Config.Namespaces.Open', 'IRISSYS', ns.directory);
    this.security.enforce(proc, 'Config.Databases.Open', 'IRISSYS', ns.directory);
    this.security.enforce(proc, 'Config.Namespaces.Delete', 'IRISSYS', ns.directory);
    this.security.enforce(proc, 'Config.Databases.Delete', 'IRISSYS', ns.directory);
    this.security.enforce(proc, 'SYS.Database.DeleteDatabase', 'IRISSYS', ns.directory);
    this.created.delete(upper);
    return ns;
  }
}
