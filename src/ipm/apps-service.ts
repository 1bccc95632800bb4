/**
 * Apps in IRIS through IPM: search the registry, install (with IPM itself first when the namespace
 * has none), update, uninstall and list per namespace, and the namespaces apps live in. Every
 * change to IRIS goes through the AppsRunner, the IRIS owner's privileged path; the registry is
 * asked first so that an unknown package, a missing version or a registry that does not answer is
 * reported before IRIS is touched. One operation at a time: IPM is not made for two at once in a
 * namespace, and the panel, the options and Home Assistant may all ask.
 *
 * After a failed install the namespace is listed again and compared with before: IPM rolls
 * nothing back (dependencies stay, the failing module may stay listed), so the message says
 * exactly what remains.
 */
import { PACKAGE_NAME, isVersion, namespaceNameProblem, type AppsRunner, type InstalledPackage, type RegistryConnection, type RegistryPackage, type RegistryPackageSummary } from '../model/ipm.ts';
import { AppsError } from './apps-errors.ts';
import { ipmError, ipmSkipped, parseInstalled } from './ipm-output.ts';
import { FolderView, OfflineFolder } from './offline-folder.ts';
import type { RegistryClient } from './registry-client.ts';
import { RegistryError } from './registry-errors.ts';

/** The IPM release installed where a namespace has none (intersystems/ipm CHANGELOG: 0.10.9, 2026-08-05). */
export const PINNED_IPM = '0.10.9';

/** What the panel and Home Assistant ask of wherever apps come from. */
export interface PackageCatalog {
  readonly kind: 'registry' | 'offline-folder';
  /** For messages: the registry's address, or "the offline folder <path>". */
  readonly address: string;
  list(term?: string): Promise<RegistryPackageSummary[]>;
  package(name: string, version?: string): Promise<RegistryPackage>;
}

/** A registry IPM is pointed at, or the offline folder whose archives IPM loads by path. */
export type AppsSource = { client: RegistryClient; connection: RegistryConnection } | { client: OfflineFolder; connection?: undefined };

export interface AppsServiceOptions {
  runner: AppsRunner;
  /** Where apps come from under the settings in force now. */
  registry: () => Promise<AppsSource>;
  ipmVersion?: string;
}

export interface NamespaceApps {
  namespace: string;
  /** IPM's version there; undefined when IPM is not installed in it. */
  ipm: string | undefined;
  packages: InstalledPackage[];
}

export interface AppOutcome {
  namespace: string;
  name: string;
  /** The version installed afterwards (install), or undefined (uninstall). */
  version: string | undefined;
  message: string;
}

type Out = (line: string) => void;

function describeChange(before: InstalledPackage[], after: InstalledPackage[]): string[] {
  const was = new Map(before.map((p) => [p.name, p.version]));
  const now = new Map(after.map((p) => [p.name, p.version]));
  const lines: string[] = [];
  for (const [name, version] of now) {
    const old = was.get(name);
    if (old === undefined) lines.push(`${name} ${version} (installed)`);
    else if (old !== version) lines.push(`${name} ${version} (was ${old})`);
  }
  for (const [name, version] of was) if (!now.has(name)) lines.push(`${name} ${version} (removed)`);
  return lines;
}

export class AppsService {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly ipmVersion: string;

  constructor(private readonly o: AppsServiceOptions) {
    this.ipmVersion = o.ipmVersion ?? PINNED_IPM;
  }

  /** Runs `fn` after every operation before it has ended. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private checkNamespace(namespace: string): string {
    const problem = namespaceNameProblem(namespace);
    if (problem) throw new AppsError('bad-input', problem);
    return namespace.toUpperCase();
  }

  private checkPackage(name: string, version: string | undefined): void {
    if (!PACKAGE_NAME.test(name)) throw new AppsError('bad-input', `"${name.slice(0, 100)}" is not a package name (letters, digits, dots, dashes and underscores).`);
    if (version !== undefined && !isVersion(version)) throw new AppsError('bad-input', `"${version.slice(0, 100)}" is not a version (such as 1.2.3).`);
  }

  private async existing(namespace: string): Promise<{ name: string; interop: boolean }> {
    const ns = (await this.o.runner.namespaces()).find((n) => n.name === namespace);
    if (!ns) throw new AppsError('not-found', `IRIS has no namespace ${namespace}; create it first.`);
    return ns;
  }

  /** A step on the privileged path; IRIS's own refusal becomes an AppsError naming the step. */
  private async iris<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof AppsError) throw e;
      throw new AppsError('iris', `IRIS could not ${what}: ${(e as Error).message}`, { cause: e });
    }
  }

  private async zpm(namespace: string, command: string, out: Out): Promise<string[]> {
    const lines: string[] = [];
    await this.o.runner.zpm(namespace, command, (l) => {
      lines.push(l);
      out(l);
    });
    return lines;
  }

  /** IPM's version and the packages in a namespace (IPM itself not among them). */
  private async listIn(namespace: string): Promise<NamespaceApps> {
    let lines: string[];
    try {
      lines = await this.zpm(namespace, 'list-installed', () => {});
    } catch (e) {
      if (/<CLASS DOES NOT EXIST>/.test((e as Error).message)) return { namespace, ipm: undefined, packages: [] };
      throw new AppsError('iris', `IRIS could not list the apps in ${namespace}: ${(e as Error).message}`, { cause: e });
    }
    const all = parseInstalled(lines);
    return { namespace, ipm: all.find((p) => p.name === 'zpm')?.version, packages: all.filter((p) => p.name !== 'zpm').map((p) => ({ namespace, ...p })) };
  }

  async list(namespace: string): Promise<NamespaceApps> {
    const ns = this.checkNamespace(namespace);
    return this.serial(async () => {
      await this.existing(ns);
      return this.listIn(ns);
    });
  }

  /** Every namespace with IPM's packages in it (namespaces without IPM have none). */
  listAll(): Promise<NamespaceApps[]> {
    return this.serial(async () => {
      const out: NamespaceApps[] = [];
      for (const n of await this.o.runner.namespaces()) if (n.name !== '%SYS') out.push(await this.listIn(n.name));
      return out;
    });
  }

  private async registryCall<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof RegistryError) throw new AppsError(e.kind === 'not-found' ? 'not-found' : 'registry', `${e.message} Nothing was changed in IRIS.`, { cause: e });
      throw e;
    }
  }

  /**
   * IPM in the namespace (`listed` says what is there), installed from the registry's release when
   * missing, pointed at the registry. Resolves to what the namespace holds now: `listed` itself
   * unless IPM had to be installed.
   */
  private async prepare(listed: NamespaceApps, out: Out, { client, connection }: AppsSource): Promise<NamespaceApps> {
    const { namespace } = listed;
    let now = listed;
    if (now.ipm === undefined) {
      out(`IPM is not installed in ${namespace}: installing IPM ${this.ipmVersion} from ${client.address}`);
      const xml = await this.registryCall(() => client.installer('zpm', this.ipmVersion));
      await this.iris(`load IPM ${this.ipmVersion} into ${namespace}`, () => this.o.runner.loadIpmInstaller(namespace, this.ipmVersion, xml));
      now = await this.listIn(namespace);
      if (now.ipm === undefined) throw new AppsError('ipm', `IPM ${this.ipmVersion} did not install in ${namespace}; IRIS's messages.log may say why.`);
    }
    // The offline folder's archives are loaded by path: no repository to point IPM at.
    if (connection) await this.iris(`point IPM in ${namespace} at the registry`, () => this.o.runner.setRegistry(namespace, connection, out));
    return now;
  }

  /**
   * The IPM commands that install `meta`: from a registry, IPM's own install or update; from the
   * offline folder, IPM's load (or update -path) of each archive, dependencies the folder holds
   * first, since IPM would look for them in a repository.
   */
  private async commands(catalog: PackageCatalog | FolderView, meta: { name: string; version: string }, before: InstalledPackage[]): Promise<string[]> {
    const verb = (name: string) => (before.some((p) => p.name === name) ? 'update' : 'install');
    if (!(catalog instanceof FolderView)) return [`${verb(meta.name)} ${meta.name} ${meta.version}`];
    const plan = await this.registryCall(async () => catalog.plan(meta.name, meta.version, new Map(before.map((p) => [p.name, p.version]))));
    // IPM 0.10.4+ refuses load over an installed module with update steps, as install (Main.cls Update).
    return plan.map((p) => (verb(p.name) === 'update' ? `update ${p.name} -path ${p.file}` : `load ${p.file}`));
  }

  /** Installs (or updates to) a package version, the latest when none is given. */
  async install(namespace: string, name: string, version: string | undefined, out: Out = () => {}): Promise<AppOutcome> {
    const ns = this.checkNamespace(namespace);
    this.checkPackage(name, version);
    return this.serial(async () => {
      await this.existing(ns);
      const source = await this.o.registry();
      // The offline folder is read once: the package and the archives of its plan come from the same scan.
      const { client } = source;
      const catalog = client instanceof OfflineFolder ? await this.registryCall(() => client.scan()) : client;
      const meta = await this.registryCall(async (): Promise<RegistryPackage> => catalog.package(name, version));
      // Listed twice, before and after: the listing that finds IPM (or not) is the one compared with after.
      const listed = await this.listIn(ns);
      // Everything the offline folder must hold is known before IRIS is touched.
      const planned = await this.commands(catalog, meta, listed.packages);
      const before = (await this.prepare(listed, out, source)).packages;
      // IPM 0.10.4+ refuses `install` over an installed package whose new version has update steps
      // (intersystems/ipm README); `update` runs them (Main.cls Update).
      let error: string | undefined;
      for (const command of planned) {
        const lines = await this.iris(`run IPM in ${ns}`, () => this.zpm(ns, command, out));
        error = ipmError(lines);
        if (error) break;
      }
      const after = (await this.listIn(ns)).packages;
      const changed = describeChange(before, after);
      if (error) {
        const remains = changed.length ? `What changed in ${ns} and remains: ${changed.join(', ')}.` : `Nothing in ${ns} changed.`;
        throw new AppsError('ipm', `IPM could not install ${meta.name} ${meta.version}: ${error} ${remains}`);
      }
      const installed = after.find((p) => p.name === meta.name);
      if (installed?.version !== meta.version) throw new AppsError('ipm', `IPM reported no error, but ${meta.name} ${meta.version} is not listed in ${ns}.`);
      return { namespace: ns, name: meta.name, version: meta.version, message: `${meta.name} ${meta.version} is installed in ${ns}.` };
    });
  }

  async uninstall(namespace: string, name: string, out: Out = () => {}): Promise<AppOutcome> {
    const ns = this.checkNamespace(namespace);
    this.checkPackage(name, undefined);
    return this.serial(async () => {
      await this.existing(ns);
      const before = await this.listIn(ns);
      if (!before.packages.some((p) => p.name === name.toLowerCase())) throw new AppsError('not-found', `${name} is not installed in ${ns}.`);
      const lines = await this.iris(`run IPM in ${ns}`, () => this.zpm(ns, `uninstall ${name.toLowerCase()}`, out));
      const error = ipmError(lines);
      if (error) throw new AppsError('ipm', `IPM could not uninstall ${name}: ${error}`);
      const skipped = ipmSkipped(lines);
      if (skipped) throw new AppsError('ipm', `IPM did not uninstall ${name}: ${skipped} Uninstall those first.`);
      if ((await this.listIn(ns)).packages.some((p) => p.name === name.toLowerCase())) throw new AppsError('ipm', `IPM reported no error, but ${name} is still listed in ${ns}.`);
      return { namespace: ns, name: name.toLowerCase(), version: undefined, message: `${name} was uninstalled from ${ns}.` };
    });
  }

  /** A namespace with its own database, interoperability-enabled unless asked otherwise. */
  async createNamespace(name: string, interop = true): Promise<string> {
    const ns = this.checkNamespace(name);
    return this.serial(async () => {
      if ((await this.o.runner.namespaces()).some((n) => n.name === ns)) throw new AppsError('bad-input', `IRIS already has a namespace ${ns}.`);
      return this.iris(`create the namespace ${ns}`, () => this.o.runner.createNamespace(ns, interop));
    });
  }

  /** Deletes a namespace and its database: only when `typed` repeats its name exactly. */
  async deleteNamespace(name: string, typed: string): Promise<void> {
    const ns = this.checkNamespace(name);
    if (typed !== ns) throw new AppsError('bad-input', `Type the namespace's name, ${ns}, to delete it with everything in it.`);
    return this.serial(async () => {
      await this.existing(ns);
      await this.iris(`delete the namespace ${ns}`, () => this.o.runner.deleteNamespace(ns));
    });
  }
}
