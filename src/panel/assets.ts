/**
 * The panel's static files, held in memory with their brotli and gzip forms (precompress.ts).
 * Served by exact path from a map, so no request path ever reaches the filesystem.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installOf } from '../model/install-dir.ts';
import { bundlePanel, type PanelFile } from './build.ts';
import { compressible, precompress, SIDECAR, type Coding } from './precompress.ts';

export interface Asset {
  body: Buffer;
  /** The compressed forms worth sending (smaller than the body). */
  encoded: Partial<Record<Coding, Buffer>>;
  type: string;
  etag: string;
  /** Content-hashed names can be cached for good; index.html never. */
  immutable: boolean;
}

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  json: 'application/json; charset=utf-8',
};

/** The built panel (dist/web) in the image; none when running from src/ with tsx. */
const install = installOf(import.meta.url, existsSync);
export const BUILT_DIR: string | undefined = install.fromSources ? undefined : fileURLToPath(new URL('dist/web/', install.dir));

async function readDir(dir: string): Promise<PanelFile[]> {
  const out: PanelFile[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push({ path: relative(dir, p).split(sep).join('/'), body: await readFile(p) });
    }
  };
  await walk(dir);
  return out;
}

export async function toAssets(files: PanelFile[]): Promise<Map<string, Asset>> {
  const byPath = new Map(files.map((f) => [f.path, f.body]));
  const sidecars = new Set(files.flatMap((f) => Object.values(SIDECAR).map((ext) => f.path + ext)).filter((p) => byPath.has(p)));
  const map = new Map<string, Asset>();
  for (const f of files) {
    if (sidecars.has(f.path)) continue;
    const ext = f.path.slice(f.path.lastIndexOf('.') + 1);
    const encoded: Partial<Record<Coding, Buffer>> = {};
    if (compressible(f.path)) {
      const built = { br: byPath.get(f.path + SIDECAR.br), gzip: byPath.get(f.path + SIDECAR.gzip) };
      const made = built.br && built.gzip ? (built as Record<Coding, Buffer>) : await precompress(f.body, false);
      for (const c of ['br', 'gzip'] as const) if (made[c].length < f.body.length) encoded[c] = made[c];
    }
    map.set(f.path, {
      body: f.body,
      encoded,
      type: TYPES[ext] ?? 'application/octet-stream',
      etag: `"${createHash('sha1').update(f.body).digest('base64url')}"`,
      immutable: f.path.startsWith('assets/'),
    });
  }
  return map;
}

/** From a built directory when there is one (the image), else bundled from web/ now (development). */
export async function loadAssets(dir: string | undefined): Promise<Map<string, Asset>> {
  const d = dir ?? BUILT_DIR;
  if (d !== undefined && existsSync(join(d, 'index.html'))) return await toAssets(await readDir(d));
  if (dir) throw new Error(`The panel assets directory ${dir} has no index.html (run the build).`);
  return await toAssets(await bundlePanel());
}
