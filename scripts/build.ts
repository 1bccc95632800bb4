/**
 * `npm run build`: what the image runs, in dist/. The bridge and the libraries it uses are
 * bundled by esbuild into one file per entry point (and chunks they share), minified, with only
 * the code that is reached: measured on Node 22.23.5 at 10 x 100, the bundle's resident memory is
 * several MB below the same code loaded as ~250 compiled modules and their libraries' full
 * sources (V8 keeps every loaded module's source text; zod alone loads 50 locales). The IRIS
 * Native SDK stays in node_modules: it is a native addon, loaded by the connection process.
 *
 * CLI: `tsx scripts/build.ts <outDir>` (package.json's build passes dist).
 */
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { buildPanelAssets } from '../src/panel/build.ts';

/**
 * What the image starts, by path under src/ without extension: the bridge, the restore recovery
 * that the iris service runs, the simulator, and the process and threads the bridge starts by
 * path (src/model/install-dir.ts's entryUrl finds them).
 */
export const IMAGE_ENTRIES = ['main', 'simulator-main', 'backups/recover-cli', 'backups/archive-child', 'iris/native/child', 'iris/simulator/driver', 'certs/worker'] as const;

/**
 * Bundles `entries` into outDir as ES modules, each at its path under src/. Whitespace and syntax
 * are minified, names are not: errors name themselves by their class (model/errors.ts) and stack
 * traces stay readable. Measured at 10 x 100, alternated: renaming too (esbuild's full minify)
 * saved about 1 MB more, keeping names through it (keepNames) cost 2-3 MB.
 */
export async function bundleBridge(outDir: string, entries: readonly string[]): Promise<void> {
  await rm(outDir, { recursive: true, force: true });
  const root = new URL('..', import.meta.url);
  await esbuild.build({
    entryPoints: Object.fromEntries(entries.map((e) => [e, new URL(`src/${e}.ts`, root).pathname])),
    outdir: outDir,
    bundle: true,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    platform: 'node',
    format: 'esm',
    target: 'node22',
    minifyWhitespace: true,
    minifySyntax: true,
    // esbuild is only loaded to bundle the panel when no built copy exists (development).
    external: ['@intersystems/intersystems-iris-native', 'esbuild'],
    // CommonJS libraries inside an ES module bundle still call require() for Node's modules.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    logLevel: 'warning',
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const out = process.argv[2];
  if (!out) {
    process.stderr.write('usage: tsx scripts/build.ts <outDir>\n');
    process.exit(2);
  }
  await bundleBridge(resolve(out), IMAGE_ENTRIES);
  const files = await buildPanelAssets(join(resolve(out), 'web'));
  process.stdout.write(`Bridge bundled into ${out} (${IMAGE_ENTRIES.join(', ')}); panel: ${files.map((f) => `${f.path} (${f.body.length} B)`).join(', ')}\n`);
}
