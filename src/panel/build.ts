/**
 * Builds the panel UI (web/) with esbuild: one JS bundle, one CSS file, index.html pointing at
 * them by relative, content-hashed names (so they work under any ingress prefix and can be cached
 * for good). `buildPanelAssets(outDir)` writes them for the image; the server calls
 * `bundlePanel()` itself in development when no built copy exists.
 *
 * CLI: `tsx src/panel/build.ts dist/web`.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compressible, precompress, SIDECAR } from './precompress.ts';

/** web/ of the repository, from src/panel/ or dist/panel/. */
export const WEB_SOURCE_DIR = fileURLToPath(new URL('../../web/', import.meta.url));

export interface PanelFile {
  /** Path relative to the panel root, e.g. "index.html" or "assets/app-1A2B3C.js". */
  path: string;
  body: Buffer;
}

function hash(b: Buffer): string {
  return createHash('sha256').update(b).digest('base64url').slice(0, 10);
}

/** Bundles web/ in memory: index.html + assets/. */
export async function bundlePanel(sourceDir = WEB_SOURCE_DIR): Promise<PanelFile[]> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [join(sourceDir, 'src/main.ts'), join(sourceDir, 'src/app.css')],
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['chrome110', 'firefox110', 'safari16'],
    write: false,
    outdir: '/out',
    legalComments: 'none',
    logLevel: 'silent',
  });
  const files: PanelFile[] = [];
  const names: Record<string, string> = {};
  for (const f of result.outputFiles) {
    const body = Buffer.from(f.contents);
    const name = basename(f.path);
    const dot = name.lastIndexOf('.');
    const hashed = `${name.slice(0, dot)}-${hash(body)}${name.slice(dot)}`;
    names[name] = hashed;
    files.push({ path: `assets/${hashed}`, body });
  }
  const js = names['main.js'];
  const css = names['app.css'];
  if (!js || !css) throw new Error('The panel build produced no main.js or app.css');
  const template = await readFile(join(sourceDir, 'index.html'), 'utf8');
  const html = template.replace('./assets/main.js', `./assets/${js}`).replace('./assets/app.css', `./assets/${css}`);
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

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const out = process.argv[2];
  if (!out) {
    process.stderr.write('usage: tsx src/panel/build.ts <outDir>\n');
    process.exit(2);
  }
  const files = await buildPanelAssets(resolve(out));
  process.stdout.write(`Panel built into ${out}: ${files.map((f) => `${f.path} (${f.body.length} B)`).join(', ')}\n`);
}
