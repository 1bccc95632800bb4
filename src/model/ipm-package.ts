/** What an IPM registry says of its packages (ZPM.Registry, ZPM.Package): plain shapes the panel's page shares. */

/** The InterSystems community registry, IPM's default (intersystems/ipm README). */
export const COMMUNITY_REGISTRY = 'https://pm.community.intersystems.com/';

/** Where apps come from, as the panel sees it: never the password, only whether one is stored. */
export interface RegistryView {
  /** Where apps come from: the registry below, or the offline folder of package archives. */
  source: 'registry' | 'offline-folder';
  /** The registry (kept while the offline folder is in use, to go back to it). */
  url: string;
  username: string;
  hasPassword: boolean;
  /** The offline folder this add-on reads, when it has one. */
  folder: string | null;
}

/** One package in a registry's list (GET /packages/-/all): its latest version and, asked for, all. */
export interface RegistryPackageSummary {
  name: string;
  description: string;
  /** Where its source lives (a GitHub URL on the community registry), or ''. */
  repository: string;
  /** The upstream registry it came from through an uplink, or ''. */
  origin: string;
  latest: string;
  /** Newest first. */
  versions: string[];
}

export interface PackageDependency {
  name: string;
  /** An IPM version expression, e.g. "^1.2.0" or "*". */
  version: string;
}

/** One version of a package (GET /packages/:name[/:version]). */
export interface RegistryPackage {
  name: string;
  version: string;
  description: string;
  repository: string;
  license: string;
  homePage: string;
  keywords: string[];
  dependencies: PackageDependency[];
  /** Every version the registry holds, newest first. */
  versions: string[];
  /** The archive's size in bytes and SHA-1 (hex), when the registry said. */
  size: number | undefined;
  hash: string | undefined;
}

