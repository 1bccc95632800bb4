/**
 * What Home Assistant shows of the apps: the apps installed in every namespace with the registry's
 * newest version of each, refreshed at start, after every change and every few hours (a registry
 * is not asked more often than that), and the update Home Assistant asks for (its Install button):
 * the newest version through the apps service, one at a time, with the entity showing progress.
 */
import type { Logger } from '../log/logger.ts';
import type { AppStatus } from '../model/ipm.ts';
import type { AppsService, PackageCatalog } from './apps-service.ts';

export interface AppsWatchOptions {
  service: AppsService;
  registry: () => Promise<{ client: PackageCatalog }>;
  log: Pick<Logger, 'info' | 'warn' | 'debug'>;
  /** Default 6 hours. */
  intervalMs?: number;
  onChange: (apps: AppStatus[]) => void;
}

export class AppsWatch {
  private apps: AppStatus[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly busy = new Set<string>();
  private registryWarned = false;

  constructor(private readonly o: AppsWatchOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.refresh(), this.o.intervalMs ?? 6 * 3600_000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  get current(): readonly AppStatus[] {
    return this.apps;
  }

  private emit(): void {
    this.o.onChange(this.apps.map((a) => ({ ...a, inProgress: this.busy.has(`${a.namespace}/${a.name}`) })));
  }

  /** Lists again; never throws (the log says what failed, the last list stays). */
  async refresh(): Promise<void> {
    let installed: AppStatus[];
    try {
      const all = await this.o.service.listAll();
      installed = all.flatMap((n) => n.packages.map((p) => ({ namespace: n.namespace, name: p.name, installed: p.version, latest: undefined, inProgress: false })));
    } catch (e) {
      this.o.log.warn(`Apps: the installed apps could not be listed: ${(e as Error).message}`);
      return;
    }
    // No app, no question to the registry: an instance without apps never reaches out.
    if (installed.length > 0) {
      try {
        const { client } = await this.o.registry();
        const latest = new Map((await client.list()).map((p) => [p.name, p.latest]));
        for (const a of installed) a.latest = latest.get(a.name);
        this.registryWarned = false;
      } catch (e) {
        if (!this.registryWarned) this.o.log.warn(`Apps: the registry's newest versions are unknown for now: ${(e as Error).message}`);
        this.registryWarned = true;
      }
    }
    this.apps = installed;
    this.emit();
  }

  /** Home Assistant's Install: the newest version of an installed app. */
  async installLatest(namespace: string, name: string): Promise<void> {
    const key = `${namespace}/${name}`;
    if (!this.apps.some((a) => a.namespace === namespace && a.name === name)) {
      this.o.log.warn(`Apps: ignored an update of ${key}: it is not an installed app.`);
      return;
    }
    if (this.busy.has(key)) return;
    this.busy.add(key);
    this.emit();
    try {
      const outcome = await this.o.service.install(namespace, name, undefined, (l) => this.o.log.debug(`IPM ${namespace}: ${l}`));
      this.o.log.info(`Apps: ${outcome.message}`);
    } catch (e) {
      this.o.log.warn(`Apps: the update of ${key} failed: ${(e as Error).message}`);
    } finally {
      this.busy.delete(key);
      await this.refresh();
    }
  }
}
