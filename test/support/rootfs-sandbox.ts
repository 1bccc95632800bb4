// Runs the image's rootfs scripts outside the image: every absolute path they use (/data, /run/iris-edge,
// /proc/1/fd/1, /iris-main, ...) is rewritten into a sandbox directory. Used by the script tests
// (test/addon/scripts.test.ts) and the s6 supervision tests (test/addon/s6.test.ts).
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const rootfsDir = join(repoRoot, 'rootfs');

export type PathTable = Array<[from: string, to: string]>;

/**
 * The image's run-time paths inside sandbox `dir`, in the layout scripts.test.ts uses: fakes in
 * dir/fake, /run/iris-edge in dir/run, /data in dir/data, the add-on log in dir/addon.log.
 */
export function imagePaths(dir: string): PathTable {
  return [
    ['/usr/local/bin/node', join(dir, 'fake', 'node')],
    ['/iris-main', join(dir, 'fake', 'iris-main')],
    ['/opt/iris-edge', join(dir, 'opt')],
    ['/run/s6-linux-init-container-results/exitcode', join(dir, 'exitcode')],
    ['/run/s6/basedir/bin/halt', join(dir, 'fake', 'halt')],
    ['/run/iris-edge', join(dir, 'run')],
    ['/proc/1/fd/1', join(dir, 'addon.log')],
    ['/proc/meminfo', join(dir, 'meminfo')],
    ['/data/options.json', join(dir, 'data', 'options.json')],
    ['/data/iris-edge', join(dir, 'data', 'iris-edge')],
    ['/data/secrets', join(dir, 'data', 'secrets')],
    ['/data/iris', join(dir, 'data', 'iris')],
    ['/backup/iris-edge', join(dir, 'backup', 'iris-edge')],
    ['/home/irisowner', join(dir, 'home')],
  ];
}

/**
 * A function that rewrites every `from` of `table` to its `to`, in one pass (a replacement is never
 * rewritten again) and longest match first (/data/iris-edge is not /data/iris + "-edge"). A later
 * entry for the same `from` wins, so callers can override imagePaths().
 */
export function pathRewriter(table: PathTable): (text: string) => string {
  const map = new Map(table);
  const froms = [...map.keys()].sort((a, b) => b.length - a.length);
  const pattern = new RegExp(froms.map((f) => f.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|'), 'g');
  return (text) => text.replace(pattern, (m) => map.get(m) ?? m);
}

/** Copies rootfs/<from> (a file or a tree) to `to`, rewriting every file and keeping its run bits. */
export function copyRootfs(from: string, to: string, rewrite: (text: string) => string): void {
  const src = join(rootfsDir, from);
  const copy = (s: string, d: string): void => {
    const st = statSync(s);
    if (st.isDirectory()) {
      mkdirSync(d, { recursive: true });
      for (const name of readdirSync(s)) copy(join(s, name), join(d, name));
      return;
    }
    writeFileSync(d, rewrite(readFileSync(s, 'utf8')));
    chmodSync(d, st.mode & 0o777);
  };
  if (relative(rootfsDir, src).startsWith('..')) throw new Error(`${from} is outside rootfs/`);
  mkdirSync(dirname(to), { recursive: true });
  copy(src, to);
}
