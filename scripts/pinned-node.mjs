#!/usr/bin/env node
// The Node.js the add-on image runs, for the npm scripts of a development checkout: `npm ci` runs
// this (postinstall), so `npm test`, `npm start` and `npm run bench*` find it first on PATH as
// node_modules/.bin/node, and so do the tools they start through `#!/usr/bin/env node` (tsc, tsx).
//
// The version is `.node-version` (the Dockerfile's NODE_IMAGE must name the same release; a test
// keeps them equal). The binary comes from the npm registry, as the package node-linux-<arch>
// (the official build repackaged; npm pack checks the registry's integrity and uses npm's cache),
// and must have the sha256 the Dockerfile pins for the image's node (NODE_SHA256_<ARCH>): the
// tests run on byte for byte the image's node. It is kept verified in
// ${XDG_CACHE_HOME:-~/.cache}/iris-edge/node/ so `npm ci`, which empties node_modules, does not
// unpack it again.
//
//   node scripts/pinned-node.mjs          make node_modules/.bin/node the pinned node
//   node scripts/pinned-node.mjs --path   only print the pinned node's path (.ci/run puts its
//                                         directory first on PATH, so npm itself runs on it)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The image's architectures and the Dockerfile ARG holding each one's bin/node sha256. */
const PINNED_ARCHES = { x64: 'NODE_SHA256_AMD64', arm64: 'NODE_SHA256_ARM64' };

/** The pinned release ("22.23.5") from `.node-version` under `root`. */
export function readPin(root) {
  const text = readFileSync(join(root, '.node-version'), 'utf8').trim().replace(/^v/, '');
  if (!/^\d+\.\d+\.\d+$/.test(text)) throw new Error(`.node-version must hold one exact release like 22.23.5, not "${text}"`);
  return text;
}

/** null when `version` (process.version) has the pin's major, else what is wrong and what to do. */
export function nodeMismatch(pin, version) {
  const major = (v) => v.replace(/^v/, '').split('.')[0];
  if (major(pin) === major(version)) return null;
  return `this runs on Node ${version}, but the add-on image runs Node ${pin} (.node-version). ` +
    'Run `npm ci` (it installs that Node as node_modules/.bin/node) and start the tests with `npm test`.';
}

function dockerfileArgs(root) {
  const args = new Map();
  for (const m of readFileSync(join(root, 'Dockerfile'), 'utf8').matchAll(/^ARG ([A-Z0-9_]+)=(\S+)$/gm)) args.set(m[1], m[2]);
  return args;
}

async function sha256Of(file) {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk);
  return hash.digest('hex');
}

function run(cmd, args, options) {
  const res = spawnSync(cmd, args, { encoding: 'utf8', ...options });
  if (res.error) throw new Error(`${cmd} ${args.join(' ')}: ${res.error.message}`);
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${res.status}):\n${res.stderr}`);
  return res.stdout;
}

/** The verified pinned node, fetched into the cache when it is not there yet. */
async function ensureCached(root, pin) {
  const shaArg = PINNED_ARCHES[process.arch];
  const args = dockerfileArgs(root);
  const image = args.get('NODE_IMAGE') ?? '';
  if (!image.startsWith(`node:${pin}-`)) {
    throw new Error(`.node-version says ${pin} but the Dockerfile's NODE_IMAGE is "${image}": the sha256 pins belong to the image's release, so change both together`);
  }
  const expected = args.get(shaArg);
  if (!/^[0-9a-f]{64}$/.test(expected ?? '')) throw new Error(`the Dockerfile has no sha256 ARG ${shaArg}`);

  const pkg = `node-linux-${process.arch}@${pin}`;
  const cacheRoot = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'iris-edge', 'node');
  const dir = join(cacheRoot, `v${pin}-linux-${process.arch}`);
  const bin = join(dir, 'bin', 'node');
  if (existsSync(bin) && (await sha256Of(bin)) === expected) return bin;

  mkdirSync(cacheRoot, { recursive: true });
  const work = mkdtempSync(join(cacheRoot, '.fetch-'));
  try {
    // Run by npm, use the same npm (npm_execpath); by hand, the one on PATH.
    const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];
    const out = run(npm[0], [...npm.slice(1), 'pack', pkg, '--json', '--pack-destination', work], { cwd: work });
    const tarball = join(work, JSON.parse(out)[0].filename);
    const unpacked = join(work, 'unpacked');
    mkdirSync(unpacked);
    run('tar', ['-xzf', tarball, '-C', unpacked, 'package/bin/node']);
    const got = join(unpacked, 'package', 'bin', 'node');
    const actual = await sha256Of(got);
    if (actual !== expected) {
      throw new Error(`${pkg}: bin/node has sha256 ${actual}, but the Dockerfile pins ${shaArg}=${expected}; nothing was installed`);
    }
    const said = run(got, ['--version']).trim();
    if (said !== `v${pin}`) throw new Error(`${pkg}: bin/node says it is ${said}`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(join(unpacked, 'package'), dir);
    return bin;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The pinned node's path: the running node when it is that release, else the cached one. */
export async function pinnedNode(root) {
  const pin = readPin(root);
  if (process.version === `v${pin}`) return process.execPath;
  if (process.platform !== 'linux' || !(process.arch in PINNED_ARCHES)) return null;
  return ensureCached(root, pin);
}

async function main() {
  const root = process.cwd();
  const pin = readPin(root);
  const node = await pinnedNode(root);
  if (process.argv.includes('--path')) {
    if (!node) throw new Error(`the image's Node is built for linux x64 and arm64 only, not ${process.platform}-${process.arch}`);
    console.log(node);
    return;
  }
  if (!node) {
    console.warn(`pinned-node: no Node ${pin} build for ${process.platform}-${process.arch} (the image's are linux x64 and arm64); npm scripts run on this machine's Node ${process.version}.`);
    return;
  }
  const link = join(root, 'node_modules', '.bin', 'node');
  mkdirSync(dirname(link), { recursive: true });
  try {
    unlinkSync(link);
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
  }
  symlinkSync(node, link);
  console.log(`pinned-node: npm scripts run on Node ${pin} (${node}), the add-on image's.`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(`pinned-node: ${err.message}`);
    process.exit(1);
  });
}
