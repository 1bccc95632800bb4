/**
 * The apps the add-on's options declare (`ipm_namespaces`, `ipm_packages`), made true at start:
 * a missing namespace is created, a missing package installed, a package at another version than
 * the one named is installed at that version; what is already there is left alone, so a restart
 * changes nothing. A package taken off the list is NOT uninstalled: removing code is for a person
 * to decide in the panel. One failure is logged and the others still go ahead.
 */
import type { Logger } from '../log/logger.ts';
import type { AppsService } from './apps-service.ts';

export interface DeclaredApp {
  name: string;
  version?: string | undefined;
  namespace: string;
}

export interface DeclaredResult {
  created: string[];
  installed: string[];
  unchanged: string[];
  failed: Array<{ what: string; message: string }>;
}

export async function applyDeclaredApps(service: AppsService, namespaces: readonly string[], apps: readonly DeclaredApp[], log: Pick<Logger, 'info' | 'warn'>): Promise<DeclaredResult> {
  const result: DeclaredResult = { created: [], installed: [], unchanged: [], failed: [] };
  const fail = (what: string, e: unknown) => {
    const message = (e as Error).message;
    result.failed.push({ what, message });
    log.warn(`Option ipm: ${what}: ${message}`);
  };
  const all = await service.listAll().catch((e: unknown) => {
    fail('listing the namespaces', e);
    return undefined;
  });
  if (!all) return result;
  const have = new Set(all.map((n) => n.namespace));
  // What each namespace holds comes from that one listing; a namespace is listed again only after
  // an install into it (its dependencies came too), not once per declared app.
  const held = new Map(all.map((n) => [n.namespace, n.packages]));
  for (const ns of new Set([...namespaces, ...apps.map((a) => a.namespace)].map((n) => n.toUpperCase()))) {
    if (have.has(ns) || ns === '%SYS') continue;
    try {
      await service.createNamespace(ns, true);
      result.created.push(ns);
      log.info(`Option ipm: created the interoperability namespace ${ns}.`);
    } catch (e) {
      fail(`namespace ${ns}`, e);
    }
  }
  for (const app of apps) {
    const ns = app.namespace.toUpperCase();
    const what = `${app.name}${app.version ? ` ${app.version}` : ''} in ${ns}`;
    try {
      const installed = held.get(ns)?.find((p) => p.name === app.name.toLowerCase());
      if (installed && (!app.version || installed.version === app.version)) {
        result.unchanged.push(what);
        continue;
      }
      const outcome = await service.install(app.namespace, app.name, app.version);
      result.installed.push(what);
      log.info(`Option ipm: ${outcome.message}`);
      held.set(ns, (await service.list(ns)).packages);
    } catch (e) {
      fail(what, e);
    }
  }
  return result;
}
