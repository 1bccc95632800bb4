/**
 * An offline folder of IPM package archives (/share/iris-edge/packages in the add-on) as a source
 * of apps: listed and searched from each archive's own module.xml, installed by IPM from the file
 * itself (`load <archive>`, `update <name> -path <archive>`: intersystems/ipm Main.cls). IPM's own
 * installer may sit beside them as zpm-<version>.xml, the file IPM's releases publish.
 *
 * Only the folder's top level is read, only plain files named like an archive (no links: one could
 * point anywhere); names never come from a request, so no path can be made up. Each archive is
 * read once per size and modification time; one that is refused is reported with why, and the
 * others still count.
 */
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bestVersion, newestFirst, satisfies, type RegistryPackage, type RegistryPackageSummary } from '../model/ipm.ts';
import { ARCHIVE_LIMITS, ArchiveError, readArchiveManifest, type ArchiveLimits } from './package-archive.ts';
import type { ModuleManifest } from './module-manifest.ts';
import { RegistryError } from './registry-errors.ts';
import { byText } from '../model/text-order.ts';

/** What IPM's `load` takes and a command line can carry unquoted. */
const ARCHIVE_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,150}\.(tgz|tar\.gz)$/;
const MAX_FILES = 500;

export interface FolderProblem {
  file: string;
  message: string;
}

interface Entry extends ModuleManifest {
  file: string;
}

export class OfflineFolder {
  readonly kind = 'offline-folder' as const;
  private readonly cache = new Map<string, { key: string; manifest: ModuleManifest | ArchiveError }>();

  constructor(
    readonly folder: string,
    private readonly limits: ArchiveLimits = ARCHIVE_LIMITS,
  ) {}

  get address(): string {
    return `the offline folder ${this.folder}`;
  }

  /** Every archive's module, and the files refused with the reason: one reading of the folder. */
  async scan(): Promise<FolderView> {
    let names: string[];
    try {
      names = await readdir(this.folder);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new RegistryError('not-found', `The offline folder ${this.folder} does not exist; create it (for example with the Samba or File editor app) and put package archives (.tgz) in it.`);
      throw new RegistryError('unreachable', `The offline folder ${this.folder} cannot be read (${code ?? (e as Error).message}).`, { cause: e });
    }
    const archives = names.filter((n) => ARCHIVE_FILE.test(n)).sort();
    const problems: FolderProblem[] = names.filter((n) => !ARCHIVE_FILE.test(n) && /\.(tgz|tar\.gz)$/i.test(n)).map((file) => ({ file: file.slice(0, 200), message: 'its name has characters other than letters, digits, dots, dashes and underscores; rename it' }));
    if (archives.length > MAX_FILES) problems.push({ file: this.folder, message: `more than ${MAX_FILES} archives: only the first ${MAX_FILES} by name are read` });
    const entries: Entry[] = [];
    const seen = new Map<string, string>();
    for (const file of archives.slice(0, MAX_FILES)) {
      const got = await this.read(file);
      if (got instanceof ArchiveError) {
        problems.push({ file, message: `refused: ${got.message}` });
        continue;
      }
      const id = `${got.name}@${got.version}`;
      const twin = seen.get(id);
      if (twin) {
        problems.push({ file, message: `ignored: ${twin} already holds ${got.name} ${got.version}` });
        continue;
      }
      seen.set(id, file);
      entries.push({ ...got, file });
    }
    for (const key of this.cache.keys()) if (!archives.includes(key)) this.cache.delete(key);
    return new FolderView(this.folder, entries, problems);
  }

  private async read(file: string): Promise<ModuleManifest | ArchiveError> {
    const path = join(this.folder, file);
    let key: string;
    try {
      const st = await lstat(path);
      key = `${st.size}:${st.mtimeMs}:${st.isFile()}`;
    } catch (e) {
      return new ArchiveError(`it cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    const cached = this.cache.get(file);
    if (cached?.key === key) return cached.manifest;
    const manifest = await readArchiveManifest(path, this.limits).catch((e: unknown) => (e instanceof ArchiveError ? e : new ArchiveError(`it cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`)));
    this.cache.set(file, { key, manifest });
    return manifest;
  }

  async list(term = ''): Promise<RegistryPackageSummary[]> {
    return (await this.scan()).list(term);
  }

  async package(name: string, version?: string): Promise<RegistryPackage & { file: string }> {
    return (await this.scan()).package(name, version);
  }

  /** IPM's release installer, zpm-<version>.xml, when the user put it in the folder. */
  async installer(name: string, version: string): Promise<Buffer> {
    const file = join(this.folder, `${name}-${version}.xml`);
    const missing = `The offline folder ${this.folder} has no ${name}-${version}.xml: put IPM's release file there (github.com/intersystems/ipm/releases), or use an IRIS image that has IPM.`;
    let st;
    try {
      st = await lstat(file);
    } catch {
      throw new RegistryError('not-found', missing);
    }
    if (!st.isFile() || st.size > this.limits.maxArchiveBytes) throw new RegistryError('garbage', `${file} is not a plain file of at most ${Math.round(this.limits.maxArchiveBytes / 1024 / 1024)} MiB.`);
    const bytes = await readFile(file);
    if (!bytes.subarray(0, 400).toString('utf8').includes('<Export')) throw new RegistryError('garbage', `${file} is not an IRIS export (.xml) such as IPM's releases publish.`);
    return bytes;
  }
}

/**
 * One reading of the folder, which a request answers from throughout: a search's packages and
 * refusals, an install's package and plan come from the same scan, made once.
 */
export class FolderView {
  readonly kind = 'offline-folder' as const;

  constructor(
    readonly folder: string,
    readonly entries: readonly Entry[],
    readonly problems: readonly FolderProblem[],
  ) {}

  list(term = ''): RegistryPackageSummary[] {
    const entries = this.entries;
    const needle = term.trim().toLowerCase();
    const byName = new Map<string, Entry[]>();
    for (const e of entries) byName.set(e.name, [...(byName.get(e.name) ?? []), e]);
    const out: RegistryPackageSummary[] = [];
    for (const [name, all] of byName) {
      const versions = newestFirst(all.map((e) => e.version));
      const newest = all.find((e) => e.version === versions[0]) as Entry;
      if (needle && !name.includes(needle) && !newest.description.toLowerCase().includes(needle)) continue;
      out.push({ name, description: newest.description, repository: '', origin: '', latest: newest.version, versions });
    }
    return out.sort((a, b) => byText(a.name, b.name));
  }

  /** One version (the newest when none is named), with the archive it comes from. */
  package(name: string, version?: string): RegistryPackage & { file: string } {
    const all = this.entries.filter((e) => e.name === name.toLowerCase());
    const versions = newestFirst(all.map((e) => e.version));
    const want = version ?? versions[0];
    const e = all.find((x) => x.version === want);
    if (!e) throw new RegistryError('not-found', version && all.length ? `The offline folder ${this.folder} has ${name} only in ${versions.join(', ')}, not ${version}.` : `The offline folder ${this.folder} has no archive of ${name}${version ? ` ${version}` : ''}.`);
    return { name: e.name, version: e.version, description: e.description, repository: '', license: '', homePage: '', keywords: [], dependencies: e.dependencies, versions, size: undefined, hash: undefined, file: join(this.folder, e.file) };
  }

  /**
   * The archives that install `name` `version`, dependencies first (depth first, as IPM orders
   * them): each dependency `installed` does not satisfy comes from the folder's newest matching
   * version, or the plan is refused before IRIS is touched.
   */
  plan(name: string, version: string, installed: ReadonlyMap<string, string>): Array<{ name: string; version: string; file: string }> {
    const entries = this.entries;
    const plan: Entry[] = [];
    const visit = (e: Entry, visiting: Set<string>) => {
      if (visiting.has(e.name)) return;
      visiting.add(e.name);
      for (const dep of e.dependencies) {
        const planned = plan.find((p) => p.name === dep.name);
        if (planned && satisfies(planned.version, dep.version)) continue;
        const have = installed.get(dep.name);
        if (!planned && have !== undefined && satisfies(have, dep.version)) continue;
        const candidates = entries.filter((x) => x.name === dep.name);
        const best = bestVersion(candidates.map((x) => x.version), dep.version);
        if (!best || planned) {
          const has = candidates.length ? ` (it has ${newestFirst(candidates.map((x) => x.version)).join(', ')})` : '';
          throw new RegistryError('not-found', `${e.name} ${e.version} needs ${dep.name} ${dep.version}, which is neither installed in the namespace nor in the offline folder ${this.folder}${has}.`);
        }
        visit(candidates.find((x) => x.version === best) as Entry, visiting);
      }
      plan.push(e);
    };
    const root = entries.find((e) => e.name === name && e.version === version);
    if (!root) throw new RegistryError('not-found', `The offline folder ${this.folder} has no archive of ${name} ${version}.`);
    visit(root, new Set());
    return plan.map((e) => ({ name: e.name, version: e.version, file: join(this.folder, e.file) }));
  }
}
