/**
 * The panel's static files, compressed once: at build time for the image (written beside each file
 * as .gz and .br), else when the panel loads them (development, tests). Never per request.
 *
 * Why precompressed rather than @fastify/compress: the files are fixed at build time, so compressing
 * them per request (or caching that) is work and a dependency for nothing, and brotli's best
 * quality is too slow to run anywhere but the build. Behind ingress none of this reaches the
 * browser as sent: the Supervisor's client decodes what the add-on sends and Home Assistant
 * compresses again for the browser (bench/support/ingress-border.py). What it buys there is that
 * the add-on spends no CPU on it; a browser connecting directly (outside Home Assistant) gets the
 * brotli or gzip form.
 */
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

export type Coding = 'br' | 'gzip';
export const SIDECAR: Record<Coding, string> = { br: '.br', gzip: '.gz' };

/** Text compresses; images and anything unknown are sent as they are. */
export function compressible(path: string): boolean {
  return /\.(html|js|css|svg|json)$/.test(path);
}

/** `best`: the build's settings (brotli 11); otherwise settings that cost a panel start little. */
export async function precompress(body: Buffer, best: boolean): Promise<Record<Coding, Buffer>> {
  const [gz, br] = await Promise.all([
    gzipAsync(body, { level: 9 }),
    brotliAsync(body, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: best ? 11 : 9,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
      },
    }),
  ]);
  return { gzip: gz, br };
}

/**
 * The coding to answer an Accept-Encoding with (RFC 9110 §12.5.3): brotli, then gzip, among those
 * there are (`available`) and the client accepts with a q above 0; null for the identity.
 */
export function pickCoding(acceptEncoding: string | undefined, available: readonly Coding[]): Coding | null {
  if (!acceptEncoding) return null;
  const q = new Map<string, number>();
  for (const part of acceptEncoding.slice(0, 512).split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const qp = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const value = qp ? Number(qp.slice(2)) : 1;
    q.set(name, Number.isFinite(value) ? value : 0);
  }
  const accepts = (c: string) => (q.get(c) ?? (c === 'gzip' ? q.get('x-gzip') : undefined) ?? q.get('*') ?? 0) > 0;
  return (['br', 'gzip'] as const).find((c) => available.includes(c) && accepts(c)) ?? null;
}
