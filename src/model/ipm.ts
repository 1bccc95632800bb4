/**
 * The words of IPM (the InterSystems Package Manager, `zpm`/`%IPM`) every room shares: what a
 * registry lists, one package version's metadata, and the versions IPM orders and matches.
 *
 * Registry shapes follow the community registry's server, intersystems-community/zpm-registry
 * (ZPM.Registry routes, ZPM.Package JSON properties), and the client that reads them,
 * intersystems/ipm src/cls/IPM/Repo/Remote/PackageService.cls (ListModules, GetModule).
 * Versions: IPM's %IPM.General.SemanticVersion is Semantic Versioning 2.0, and its version
 * expressions (%IPM.General.SemanticVersionExpression: ^, ~, x, ranges, ||) are npm's range syntax.
 */
import semver from 'semver';

export type { PackageDependency, RegistryPackage, RegistryPackageSummary } from './ipm-package.ts';
import type { PackageDependency, RegistryPackage } from './ipm-package.ts';

/** A package installed in a namespace, as IPM's `list-installed` reports it. */
export interface InstalledPackage {
  namespace: string;
  name: string;
  version: string;
}

/**
 * IRIS namespace names (docs.intersystems.com, GSA_config_namespace "Rules for Namespace Names"):
 * 1 to 64 characters, a letter or % first, then letters, digits, dashes or underscores; not
 * case-sensitive, always stored and returned in upper case.
 */
export const NAMESPACE_NAME = /^[A-Za-z%][A-Za-z0-9_-]{0,63}$/;

/** Why IRIS would refuse this namespace name, or null. */
export function namespaceNameProblem(name: string): string | null {
  if (name.length === 0) return 'The namespace name is empty.';
  if (name.length > 64) return 'A namespace name has at most 64 characters.';
  if (!/^[A-Za-z%]/.test(name)) return 'A namespace name starts with a letter or %.';
  if (!NAMESPACE_NAME.test(name)) return 'A namespace name has only letters, digits, dashes (-) and underscores (_) after its first character.';
  return null;
}

/**
 * IPM module names: lower case on the registry (ZPM.Registry lower-cases every name it is asked
 * for); letters, digits, dots, dashes and underscores in the packages it holds. Anything else never
 * reaches a URL or an ObjectScript string.
 */
export const PACKAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/**
 * A version as IPM and the registries give it: semantic versioning 2.0.0 without build metadata
 * (semver.valid drops "+build", so such a text is not a version of its own). The add-on's schema
 * (config.yaml, ipm_packages version) matches it with this pattern, which the Supervisor checks
 * before the bridge starts: test/addon/config.test.ts holds the two to agreeing.
 */
export const VERSION_PATTERN = '^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(-(0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)(\\.(0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*))*)?$';

/** The one check of a version, wherever one is typed: the panel, the add-on's options, a job. */
export function isVersion(v: string): boolean {
  return semver.valid(v) === v;
}

export function isVersionExpression(expr: string): boolean {
  return expr.length <= 200 && semver.validRange(expr) !== null;
}

export function newestFirst(versions: readonly string[]): string[] {
  return versions.filter(isVersion).sort(semver.rcompare);
}

/** The newest of `versions` matching an IPM version expression; IPM prefers releases. */
export function bestVersion(versions: readonly string[], expression: string): string | null {
  return semver.maxSatisfying(versions.filter(isVersion), expression) ?? semver.maxSatisfying(versions.filter(isVersion), expression, { includePrerelease: true });
}

export function satisfies(version: string, expression: string): boolean {
  return isVersion(version) && semver.satisfies(version, expression, { includePrerelease: true });
}

/** Where IPM finds packages: a registry as `repo -r -n registry -url ... -user ... -pass ...` sets it. */
export interface RegistryConnection {
  url: string;
  credentials?: { username: string; password: string } | undefined;
}

/** What IPM asks of a registry (intersystems/ipm %IPM.Repo.Remote.PackageService). */
export interface PackageSource {
  package(name: string, version?: string): Promise<RegistryPackage>;
  archive(name: string, version: string): Promise<{ bytes: Uint8Array; meta: RegistryPackage }>;
}

/**
 * The IRIS owner's privileged path for apps: IPM commands and namespace changes run as the
 * instance's owner (`iris session` as irisowner in the add-on; the owner's process in the
 * simulator), never as the bridge's own IRIS user. Every method rejects only when IRIS could not
 * run the step at all; what IPM says goes to `out`, line by line, as IPM wrote it.
 */
export interface AppsRunner {
  namespaces(): Promise<Array<{ name: string; interop: boolean }>>;
  createNamespace(name: string, interop: boolean): Promise<string>;
  deleteNamespace(name: string): Promise<void>;
  /** Loads IPM's installer (the release's .xml) into a namespace. */
  loadIpmInstaller(namespace: string, version: string, installer: Uint8Array): Promise<void>;
  /** Points IPM in a namespace at a registry (credentials never on a command line). */
  setRegistry(namespace: string, repo: RegistryConnection, out: (line: string) => void): Promise<void>;
  /** One IPM command (install, uninstall, list-installed) in a namespace. */
  zpm(namespace: string, command: string, out: (line: string) => void): Promise<void>;
}

/** One installed app as Home Assistant shows it: its version, the registry's newest, an install under way. */
export interface AppStatus {
  namespace: string;
  name: string;
  installed: string;
  /** The registry's newest version; undefined when the registry did not say (not listed, not reached). */
  latest: string | undefined;
  inProgress: boolean;
}
