/**
 * Builds the panel UI (web/) with esbuild: the script (split by page), one CSS file, index.html
 * pointing at them by relative, content-hashed names (so they work under any ingress prefix and
 * can be cached for good). `buildPanelAssets(outDir)` writes them for the image (scripts/build.ts);
 * the server calls `bundlePanel()` itself in development when no built copy exists.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installOf } from '../model/install-dir.ts';
import { compressible, precompress, SIDECAR } from './precompress.ts';

/** web/ of the repository. */
export const WEB_SOURCE_DIR = fileURLToPath(new URL('web/', installOf(import.meta.url, existsSync).dir));

export interface PanelFile {
  /** Path relative to the panel root, e.g. "index.html" or "assets/app-1A2B3C.js". */
  path: string;
  body: Buffer;
}

/**
 * Bundles web/ in memory: index.html + assets/. Pages other than the Overview are split into
 * chunks the script fetches when they are opened (web/src/main.ts). esbuild names every file by
 * a hash of its content and of what it imports, which is what the imports between chunks say.
 */
export async function bundlePanel(sourceDir = WEB_SOURCE_DIR): Promise<PanelFile[]> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [join(sourceDir, 'src/main.ts'), join(sourceDir, 'src/app.css')],
    bundle: true,
    splitting: true,
    minify: true,
    format: 'esm',
    target: ['chrome110', 'firefox110', 'safari16'],
    write: false,
    outdir: '/out',
    entryNames: '[name]-[hash]',
    chunkNames: '[name]-[hash]',
    legalComments: 'none',
    logLevel: 'silent',
    metafile: true,
  });
  const files: PanelFile[] = result.outputFiles.map((f) => ({ path: `assets/${basename(f.path)}`, body: Buffer.from(f.contents) }));
  const js = files.find((f) => /^assets\/main-\w+\.js$/.test(f.path))?.path;
  const css = files.find((f) => /^assets\/app-\w+\.css$/.test(f.path))?.path;
  if (!js || !css) throw new Error('The panel build produced no main.js or app.css');
  // What the script imports up front is named in the page too, so the browser fetches it alongside
  // the script rather than after it (one round trip through ingress instead of two).
  const outputs = new Map(Object.entries(result.metafile.outputs).map(([k, v]) => [basename(k), v]));
  const upfront = new Set<string>();
  const walk = (name: string) => {
    for (const i of outputs.get(name)?.imports ?? []) {
      const dep = basename(i.path);
      if (i.kind !== 'import-statement' || upfront.has(`assets/${dep}`)) continue;
      upfront.add(`assets/${dep}`);
      walk(dep);
    }
  };
  walk(basename(js));
  const preload = [...upfront].map((p) => `<link rel="modulepreload" href="./${p}">\n`).join('');
  const template = await readFile(join(sourceDir, 'index.html'), 'utf8');
  const html = template.replace('./assets/app.css', `./${css}`).replace(/<script type="module" src="\.\/assets\/main\.js"><\/script>\n?/, `${preload}<script type="module" src="./${js}"></script>\n`);
  if (!html.includes(`./${js}`)) throw new Error('web/index.html has no <script type="module" src="./assets/main.js"></script> to point at the build');
  files.unshift({ path: 'index.html', body: Buffer.from(html) });
  return files;
}

/**
 * Writes the built panel to outDir (emptied first), each text file with its .br and .gz forms at
 * the best settings (precompress.ts). Returns the panel's files (not those forms).
 */
export async function buildPanelAssets(outDir: string, sourceDir = WEB_SOURCE_DIR): Promise<PanelFile[]> {
  const files = await bundlePanel(sourceDir);
  await rm(outDir, { recursive: true, force: true });
  for (const f of files) {
    const target = join(outDir, f.path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, f.body);
    if (!compressible(f.path)) continue;
    const forms = await precompress(f.body, true);
    await writeFile(target + SIDECAR.br, forms.br);
    await writeFile(target + SIDECAR.gzip, forms.gzip);
  }
  return files;
}
