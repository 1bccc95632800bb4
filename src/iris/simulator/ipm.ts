/**
 * IPM (the InterSystems Package Manager) on the simulated instance, per namespace as IPM 0.9+
 * keeps it ("IPM is no longer mapped across namespaces", intersystems/ipm README). It takes the
 * commands `##class(%IPM.Main).Shell(cmd)` takes and writes what IPM writes, from its source
 * (intersystems/ipm, src/cls/IPM/...):
 *
 * [INSTALL] Main.cls Install: no match -> "'<name>' not found in any repository." (or
 *           "<name> <version> not found in any repository."); Utils/Module.cls writes
 *           "Building dependency graph..." then "Done."; Storage/Module.cls BuildDependencyGraph:
 *           "Could not find satisfactory version of %1 in any repositories. Required by: %2";
 *           Utils/Module.cls: "Requested version (%1 %2) does not satisfy the requirements of
 *           other modules installed in the current namespace (%3)."; dependencies are installed
 *           first, each through the lifecycle phases Initialize, Reload, Validate, Compile,
 *           Activate (Lifecycle/Base.cls "activate"), each phase reported as
 *           "[<ns>|<name>]<TAB><Phase> SUCCESS" or "[<name>]<TAB><Phase> FAILURE" (Storage/Module.cls
 *           ExecutePhases). Errors end as "ERROR! <text>" (Main.cls).
 * [HALF]    A failure does not roll back: dependencies already installed stay; the failing module's
 *           record is saved by its Reload phase, so a failure after Reload leaves it listed at the
 *           new version ("Module object refreshed."), a failure before leaves what was there.
 * [HASH]    Repo/Remote/PackageService.cls GetModule: "Download module, hash mismatch. <sha1>".
 * [UPDATE]  Main.cls Update: `update <name> [<version>]` of a module that is not installed:
 *           "Module <name> has not been installed. Please use the install or load commands to install
 *           the module before calling update."; otherwise it installs the newer version as install does
 *           (and runs its update steps, which the simulator has none of).
 * [CLEAN]   Storage/Module.cls Uninstall -> Clean phase; Lifecycle/Base.cls: a module other modules
 *           require is not removed: "Clean SKIPPED - required by N other module(s). (a; b)", and
 *           the command still ends without an error; an unknown one: "Module '<name>' not found."
 * [LOAD]    Main.cls Load: `load <file>.tgz` extracts the archive and loads the module its top-level
 *           module.xml describes ("No module.xml file found in archive." when there is none); its
 *           dependencies must be installed or found in a repository, as for install. `update <name>
 *           -path <file>.tgz` does the same for an installed module ("Location of local tarball
 *           containing the updated version of the module. Overrides 'version'"). A relative path:
 *           "The specified path must be absolute.".
 * [REPO]    README: `repo -r -n registry -url <url> -user <u> -pass <p>` points a namespace at a
 *           registry; a namespace without one finds nothing.
 * Privileges: IRIS_CALLS '%IPM.Main.Shell' and '%SYSTEM.OBJ.Load' (the owner's %All).
 */
import { bestVersion, satisfies, type PackageDependency, type PackageSource, type RegistryConnection, type RegistryPackage } from '../../model/ipm.ts';
import { ObjectScriptError, type SimProcess, type SimulatedSecurity } from './security.ts';

export const IPM_PHASES = ['Initialize', 'Reload', 'Validate', 'Compile', 'Activate'] as const;
export type IpmPhase = (typeof IPM_PHASES)[number];

interface SimModule {
  version: string;
  dependencies: PackageDependency[];
}

export interface SimulatedIpmOptions {
  /** IPM already in the image, in every namespace, at this version; default: not installed. */
  preinstalled?: string;
  /** How the simulated IPM reaches a registry (the add-on wires its registry client here). */
  sourceFor?: (repo: RegistryConnection) => PackageSource;
  /** How the simulated IPM reads a package archive on the instance's disk ([LOAD]); rejects when it cannot. */
  readArchive?: (path: string) => Promise<Pick<RegistryPackage, 'name' | 'version' | 'dependencies'>>;
}

class IpmFailure extends Error {}

function flagValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Splits an IPM command line: words, or "quoted strings" with "" for a quote. */
export function ipmWords(command: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"]|"")*)"|(\S+)/g;
  for (const m of command.matchAll(re)) words.push(m[1] !== undefined ? m[1].replace(/""/g, '"') : (m[2] as string));
  return words;
}

export class SimulatedIpm {
  private readonly versions = new Map<string, string>();
  private readonly repos = new Map<string, RegistryConnection>();
  private readonly modules = new Map<string, Map<string, SimModule>>();
  private readonly failures = new Map<string, { phase: IpmPhase; message: string }>();

  constructor(
    private readonly security: SimulatedSecurity,
    /** The namespace's database, or undefined when IRIS has no such namespace. */
    private readonly databaseOf: (namespace: string) => { database: string; directory: string } | undefined,
    private readonly options: SimulatedIpmOptions = {},
  ) {}

  /** IPM's version in a namespace, or undefined when it is not installed there. */
  versionIn(namespace: string): string | undefined {
    return this.versions.get(namespace) ?? (this.databaseOf(namespace) ? this.options.preinstalled : undefined);
  }

  /** Test control: installing this package version fails in `phase` with IPM's `message`. */
  failPhase(name: string, version: string, phase: IpmPhase, message: string): void {
    this.failures.set(`${name}@${version}`, { phase, message });
  }

  /** The namespace is gone: so is everything IPM kept in its database. */
  dropNamespace(namespace: string): void {
    this.versions.delete(namespace);
    this.repos.delete(namespace);
    this.modules.delete(namespace);
  }

  /** $system.OBJ.Load(<the IPM release's installer>, "ck") in `namespace`, as `proc`. */
  loadInstaller(proc: SimProcess, namespace: string, version: string): void {
    const db = this.enter(proc, namespace);
    this.security.enforce(proc, '%SYSTEM.OBJ.Load', db.database, db.directory);
    this.versions.set(namespace, version);
  }

  /** The modules installed in `namespace` (what `list-installed` prints), IPM itself first. */
  installed(namespace: string): Array<{ name: string; version: string }> {
    const ipm = this.versionIn(namespace);
    const rest = [...(this.modules.get(namespace) ?? new Map<string, SimModule>())].map(([name, m]) => ({ name, version: m.version })).sort((a, b) => a.name.localeCompare(b.name));
    return ipm ? [{ name: 'zpm', version: ipm }, ...rest] : rest;
  }

  /** ##class(%IPM.Main).Shell(command) in `namespace`, as `proc`; IPM's output goes to `out`. */
  async shell(proc: SimProcess, namespace: string, command: string, out: (line: string) => void): Promise<void> {
    const db = this.enter(proc, namespace);
    if (!this.versionIn(namespace)) throw new ObjectScriptError('<CLASS DOES NOT EXIST>', '*%IPM.Main');
    this.security.enforce(proc, '%IPM.Main.Shell', db.database, db.directory);
    const [verb, ...args] = ipmWords(command);
    try {
      switch (verb) {
        case 'install':
          return await this.install(namespace, args, out);
        case 'update': {
          const path = flagValue(args, '-path');
          const [name = ''] = args.filter((a, i) => !a.startsWith('-') && args[i - 1] !== '-path');
          if (!this.modules.get(namespace)?.has(name)) throw new IpmFailure(`Module ${name} has not been installed. Please use the install or load commands to install the module before calling update.`);
          return path === undefined ? await this.install(namespace, args, out) : await this.load(namespace, path, out, name);
        }
        case 'load':
          return await this.load(namespace, args.find((a) => !a.startsWith('-')) ?? '', out);
        case 'uninstall':
          return this.uninstall(namespace, args, out);
        case 'list-installed':
          for (const m of this.installed(namespace)) out(`${m.name} ${m.version}`);
          return;
        case 'repo':
          return this.repo(namespace, args, out);
        default:
          throw new IpmFailure(`Unknown command: ${verb ?? ''}`);
      }
    } catch (e) {
      if (!(e instanceof IpmFailure)) throw e;
      out(`ERROR! ${e.message}`);
    }
  }

  private enter(proc: SimProcess, namespace: string): { database: string; directory: string } {
    const db = this.databaseOf(namespace);
    if (!db) throw new ObjectScriptError('<NAMESPACE>', `*${namespace}`);
    if (!this.security.holds(proc, `%DB_${db.database}`, 'R')) throw new ObjectScriptError('<PROTECT>', `*^%SYS("NAMESPACE"),${db.directory}`);
    return db;
  }

  /** [LOAD] A module from an archive on the instance's disk, its dependencies already there or in a repository. */
  private async load(namespace: string, path: string, out: (line: string) => void, updating?: string): Promise<void> {
    if (!path) throw new IpmFailure('No path has been specified.');
    if (!path.startsWith('/')) throw new IpmFailure('The specified path must be absolute.');
    if (!this.options.readArchive) throw new IpmFailure(`Error reading archive ${path}.`);
    const m = await this.options.readArchive(path).catch((e: Error) => {
      throw new IpmFailure(/module\.xml/.test(e.message) ? 'No module.xml file found in archive.' : `Error extracting archive ${path}: ${e.message}`);
    });
    if (updating !== undefined && m.name !== updating) throw new IpmFailure(`The archive at ${path} holds ${m.name}, not ${updating}.`);
    const root: RegistryPackage = { ...m, description: '', repository: '', license: '', homePage: '', keywords: [], versions: [m.version], size: undefined, hash: undefined };
    out('Building dependency graph...');
    const installed = this.modules.get(namespace) ?? new Map<string, SimModule>();
    const plan: RegistryPackage[] = [];
    const source = this.source(namespace);
    const unavailable: PackageSource = { package: (n) => Promise.reject(new Error(n)), archive: (n) => Promise.reject(new Error(n)) };
    await this.resolve(source ?? unavailable, root, installed, plan, new Set());
    for (const p of plan) this.checkDependents(p, installed, plan);
    out('Done.');
    for (const p of plan) {
      if (p !== root && installed.get(p.name)?.version === p.version) continue;
      await this.installOne(namespace, p === root ? { archive: async () => ({ bytes: new Uint8Array(), meta: root }), package: async () => root } : (source ?? unavailable), p, out);
    }
  }

  private repo(namespace: string, args: string[], out: (line: string) => void): void {
    const flag = (name: string) => flagValue(args, name);
    const url = flag('-url');
    if (!args.includes('-r') || flag('-n') !== 'registry' || !url) throw new IpmFailure('Usage: repo -r -n registry -url <url> [-user <user> -pass <password>]');
    const username = flag('-user') ?? '';
    const password = flag('-pass') ?? '';
    this.repos.set(namespace, { url, credentials: username ? { username, password } : undefined });
    out('registry');
    out(`\tSource:                 ${url}`);
    out('\tEnabled?               Yes');
  }

  private source(namespace: string): PackageSource | undefined {
    const repo = this.repos.get(namespace);
    return repo && this.options.sourceFor ? this.options.sourceFor(repo) : undefined;
  }

  private async install(namespace: string, args: string[], out: (line: string) => void): Promise<void> {
    const [name = '', version] = args.filter((a) => !a.startsWith('-'));
    const source = this.source(namespace);
    const notFound = () => new IpmFailure(version ? `${name} ${version} not found in any repository.` : `'${name}' not found in any repository.`);
    if (!source || !name) throw notFound();
    // [INSTALL] a registry that does not answer is skipped like one that has nothing.
    const root = await source.package(name, version).catch(() => {
      throw notFound();
    });
    out('Building dependency graph...');
    const installed = this.modules.get(namespace) ?? new Map<string, SimModule>();
    const plan: RegistryPackage[] = [];
    await this.resolve(source, root, installed, plan, new Set());
    for (const p of plan) this.checkDependents(p, installed, plan);
    out('Done.');
    for (const p of plan) {
      if (p !== plan[plan.length - 1] && installed.get(p.name)?.version === p.version) continue;
      await this.installOne(namespace, source, p, out);
    }
  }

  /** Depth first, dependencies before the module that needs them ([INSTALL]). */
  private async resolve(source: PackageSource, p: RegistryPackage, installed: Map<string, SimModule>, plan: RegistryPackage[], visiting: Set<string>): Promise<void> {
    if (visiting.has(p.name)) return;
    visiting.add(p.name);
    for (const dep of p.dependencies) {
      const planned = plan.find((x) => x.name === dep.name);
      if (planned && satisfies(planned.version, dep.version)) continue;
      const have = installed.get(dep.name);
      if (!planned && have && satisfies(have.version, dep.version)) continue;
      const unsatisfied = () => new IpmFailure(`Could not find satisfactory version of ${dep.name} in any repositories. Required by: ${p.name} ${p.version}: ${dep.version}`);
      const latest = await source.package(dep.name).catch(() => {
        throw unsatisfied();
      });
      const best = bestVersion(latest.versions, dep.version);
      if (!best || planned) throw unsatisfied();
      await this.resolve(source, best === latest.version ? latest : await source.package(dep.name, best), installed, plan, visiting);
    }
    plan.push(p);
  }

  private checkDependents(p: RegistryPackage, installed: Map<string, SimModule>, plan: RegistryPackage[]): void {
    const against: string[] = [];
    for (const [name, m] of installed) {
      if (plan.some((x) => x.name === name)) continue;
      const dep = m.dependencies.find((d) => d.name === p.name);
      if (dep && !satisfies(p.version, dep.version)) against.push(`${name}: ${dep.version}`);
    }
    if (against.length) throw new IpmFailure(`Requested version (${p.name} ${p.version}) does not satisfy the requirements of other modules installed in the current namespace (${against.join('; ')}).`);
  }

  private async installOne(namespace: string, source: PackageSource, p: RegistryPackage, out: (line: string) => void): Promise<void> {
    await source.archive(p.name, p.version).catch((e: Error) => {
      // [HASH]
      throw new IpmFailure((e as { kind?: string }).kind === 'hash' ? 'Download module, hash mismatch.' : `Download module '${p.name}@${p.version}', something went wrong.`);
    });
    const failure = this.failures.get(`${p.name}@${p.version}`);
    for (const phase of IPM_PHASES) {
      if (failure?.phase === phase) {
        out(`[${p.name}]\t${phase} FAILURE`);
        throw new IpmFailure(failure.message);
      }
      if (phase === 'Reload') {
        // [HALF] the module's record is saved here.
        const mods = this.modules.get(namespace) ?? new Map<string, SimModule>();
        mods.set(p.name, { version: p.version, dependencies: p.dependencies });
        this.modules.set(namespace, mods);
      }
      out(`[${namespace}|${p.name}]\t${phase} SUCCESS`);
    }
  }

  private uninstall(namespace: string, args: string[], out: (line: string) => void): void {
    const [name = ''] = args.filter((a) => !a.startsWith('-'));
    const mods = this.modules.get(namespace);
    if (!mods?.has(name)) throw new IpmFailure(`Module '${name}' not found.`);
    const dependents = [...mods].filter(([, m]) => m.dependencies.some((d) => d.name === name)).map(([n]) => n);
    if (dependents.length) {
      // [CLEAN] skipped, and still no error.
      out(`[${namespace}|${name}]\tClean SKIPPED - required by ${dependents.length} other module${dependents.length === 1 ? '' : 's'}. (${dependents.join('; ')})`);
      return;
    }
    mods.delete(name);
    out(`[${namespace}|${name}]\tClean SUCCESS`);
  }
}
