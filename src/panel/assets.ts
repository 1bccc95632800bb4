/**
 * The panel's static files, held in memory with their gzip form. Served by exact path from a map,
 * so no request path ever reaches the filesystem.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { bundlePanel, type PanelFile } from './build.ts';

export interface Asset {
  body: Buffer;
  gzip: Buffer;
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

/** dist/web beside dist/panel in the image; absent when running from src/ with tsx. */
export const BUILT_DIR = fileURLToPath(new URL('../web/', import.meta.url));

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

export function toAssets(files: PanelFile[]): Map<string, Asset> {
  const map = new Map<string, Asset>();
  for (const f of files) {
    const ext = f.path.slice(f.path.lastIndexOf('.') + 1);
    map.set(f.path, {
      body: f.body,
      gzip: gzipSync(f.body, { level: 9 }),
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
  if (existsSync(join(d, 'index.html'))) return toAssets(await readDir(d));
  if (dir) throw new Error(`The panel assets directory ${dir} has no index.html (run the build).`);
  return toAssets(await bundlePanel());
}
