/**
 * Where IRIS Edge's files are, for the few that are read or started by path: package.json, the
 * built panel, the IRIS agent's sources, and the entry points started as another process or
 * thread. The build bundles the bridge into files at other depths than their sources (a module of
 * src/panel/ ends up in dist/main.js or in a chunk under dist/chunks/), so no module can find these
 * by a fixed '../' from its own URL: the installation is the nearest directory up from the module
 * that holds package.json (the repository, or /opt/iris-edge in the image).
 *
 * Pure: each caller passes its own import.meta.url and how to test for a file (fs.existsSync).
 */

export interface Install {
  /** The installation directory, as a file URL ending in '/'. */
  dir: URL;
  /** True under tsx (npm start, the tests), false in the build (dist/, the image). */
  fromSources: boolean;
}

export function installOf(moduleUrl: string, exists: (file: URL) => boolean): Install {
  const from = new URL(moduleUrl);
  for (let dir = new URL('./', from); ; dir = new URL('../', dir)) {
    if (exists(new URL('package.json', dir))) return { dir, fromSources: from.pathname.endsWith('.ts') };
    if (dir.pathname === '/') throw new Error(`IRIS Edge's package.json is in no directory above ${from.pathname}`);
  }
}

/**
 * An entry point started as a process or a worker thread, by its path under src/ without
 * extension ("certs/worker"): src/certs/worker.ts from sources, dist/certs/worker.js in the
 * build, where scripts/build.ts makes each one a file of its own (IMAGE_ENTRIES).
 */
export function entryUrl(install: Install, name: string): URL {
  return new URL(install.fromSources ? `src/${name}.ts` : `dist/${name}.js`, install.dir);
}
