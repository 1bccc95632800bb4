// The scripts and s6-overlay v3 services baked into the image (rootfs/): shellcheck-clean, with
// run bits on disk and in git's index, and a service tree that boots init-iris -> iris -> bridge
// and stops within the add-on's stop timeout (research ha-addon.md §3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { IMAGE_ENTRIES } from '../../scripts/build.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const rootfs = join(root, 'rootfs');
const s6 = join(rootfs, 'etc/s6-overlay/s6-rc.d');
const ci = process.env.CI === 'true';

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

const firstLine = (file: string): string => readFileSync(file, 'utf8').split('\n', 1)[0] ?? '';

/** Executables the oneshots' `up` files point at (an `up` file is a command line). */
function upTargets(): string[] {
  return walk(s6)
    .filter((f) => f.endsWith('/up'))
    .map((f) => readFileSync(f, 'utf8').trim().split(/\s+/)[0] ?? '')
    .filter((cmd) => cmd.startsWith('/'))
    .map((cmd) => join(rootfs, cmd));
}

/** Scripts that are executed: a shebang, an s6 run/finish, or the target of an `up` file. */
function executableScripts(): string[] {
  const scripts = new Set<string>();
  for (const f of walk(rootfs)) {
    if (firstLine(f).startsWith('#!')) scripts.add(f);
    if (f.startsWith(s6) && /\/(run|finish)$/.test(f)) scripts.add(f);
  }
  for (const t of upTargets()) scripts.add(t);
  return [...scripts].sort();
}

/** Everything shellcheck must read: executed scripts plus sourced shell libraries. */
function shellFiles(): string[] {
  const files = new Set(executableScripts().filter((f) => existsSync(f)));
  for (const f of walk(rootfs)) {
    if (f.endsWith('.sh') || /^# shellcheck shell=(ba)?sh/.test(firstLine(f))) files.add(f);
  }
  return [...files].sort();
}

function hasShellcheck(): boolean {
  return spawnSync('shellcheck', ['--version'], { stdio: 'ignore' }).status === 0;
}

test('every shell script under rootfs/ passes shellcheck', (t) => {
  if (!hasShellcheck()) {
    if (ci) assert.fail('shellcheck is not installed; CI must install it (apt-get install shellcheck)');
    t.skip('SHELLCHECK IS NOT INSTALLED: the rootfs scripts were NOT checked (apt-get install shellcheck)');
    return;
  }
  const files = shellFiles().map((f) => relative(root, f));
  assert.ok(files.length >= 8, `found the scripts (${files.join(', ')})`);
  // -x follows `source` lines; their `# shellcheck source=rootfs/...` paths are relative to root.
  const res = spawnSync('shellcheck', ['-s', 'bash', '-x', '--format=gcc', ...files], { cwd: root, encoding: 'utf8' });
  assert.equal(res.status, 0, `shellcheck found problems:\n${res.stdout}${res.stderr}`);
});

test('executed scripts have their run bits, on disk and in git', () => {
  const scripts = executableScripts();
  const tracked = new Map<string, string>();
  const ls = spawnSync('git', ['ls-files', '-s', '--', 'rootfs'], { cwd: root, encoding: 'utf8' });
  if (ls.status === 0) {
    for (const line of ls.stdout.split('\n')) {
      const m = /^(\d{6}) \S+ \d+\t(.+)$/.exec(line);
      if (m?.[1] && m[2]) tracked.set(m[2], m[1]);
    }
  }
  const problems: string[] = [];
  for (const f of scripts) {
    const rel = relative(root, f);
    if (!existsSync(f)) {
      problems.push(`${rel} does not exist`);
      continue;
    }
    if ((statSync(f).mode & 0o111) === 0) problems.push(`${rel} is not executable (chmod +x)`);
    const mode = tracked.get(rel);
    if (mode !== undefined && mode !== '100755') problems.push(`${rel} is tracked with mode ${mode} (git update-index --chmod=+x)`);
    const text = readFileSync(f, 'utf8');
    if (!text.startsWith('#!')) problems.push(`${rel} has no shebang`);
    if (text.includes('\r')) problems.push(`${rel} has CRLF line ends`);
  }
  assert.deepEqual(problems, []);
  assert.ok(scripts.some((f) => f.endsWith('/usr/bin/backup_pre')) && scripts.some((f) => f.endsWith('/usr/bin/healthcheck')));
});

test('the s6 services form the chain init-iris -> iris -> bridge in the user bundle', () => {
  const services = readdirSync(s6).filter((n) => statSync(join(s6, n)).isDirectory());
  const read = (svc: string, file: string): string | null => {
    const p = join(s6, svc, file);
    return existsSync(p) ? readFileSync(p, 'utf8').trim() : null;
  };
  const list = (svc: string, dir: string): string[] => {
    const p = join(s6, svc, dir);
    return existsSync(p) ? readdirSync(p).sort() : [];
  };
  const problems: string[] = [];
  for (const svc of services) {
    // s6-overlay itself defines the `user` bundle; the image only adds user/contents.d entries.
    const type = svc === 'user' ? (read(svc, 'type') ?? 'bundle') : read(svc, 'type');
    if (!['oneshot', 'longrun', 'bundle'].includes(type ?? '')) problems.push(`${svc}: type is ${type}`);
    if (type === 'longrun' && read(svc, 'run') === null) problems.push(`${svc}: a longrun needs run`);
    if (type === 'oneshot') {
      const up = read(svc, 'up');
      const target = up?.split(/\s+/)[0] ?? '';
      if (!target.startsWith('/') || !existsSync(join(rootfs, target))) problems.push(`${svc}: up must name a script in the image, not ${up}`);
    }
    for (const dep of list(svc, 'dependencies.d')) {
      if (dep !== 'base' && !services.includes(dep)) problems.push(`${svc}: depends on unknown ${dep}`);
      if (readFileSync(join(s6, svc, 'dependencies.d', dep), 'utf8') !== '') problems.push(`${svc}: dependencies.d/${dep} must be empty`);
    }
  }
  assert.deepEqual(problems, []);

  assert.equal(read('init-iris', 'type'), 'oneshot');
  assert.equal(read('iris', 'type'), 'longrun');
  assert.equal(read('bridge', 'type'), 'longrun');
  assert.equal(read('user', 'type') ?? 'bundle', 'bundle');
  assert.ok(list('init-iris', 'dependencies.d').includes('base'), 'init-iris depends on base');
  assert.ok(list('iris', 'dependencies.d').includes('init-iris'), 'iris depends on init-iris');
  assert.ok(list('bridge', 'dependencies.d').includes('iris'), 'bridge depends on iris');
  const contents = list('user', 'contents.d');
  for (const svc of services.filter((s) => s !== 'user')) assert.ok(contents.includes(svc), `user/contents.d lists ${svc}`);
  for (const svc of contents) assert.ok(services.includes(svc), `user/contents.d/${svc} is a service`);
  assert.ok(existsSync(join(s6, 'iris', 'finish')), 'iris has a finish script (halts the container on a crash)');
});

test('the services stop within the add-on stop timeout', () => {
  const config = parse(readFileSync(join(root, 'config.yaml'), 'utf8')) as { timeout: number };
  const budget = config.timeout * 1000;
  const kill = (svc: string): number => {
    const p = join(s6, svc, 'timeout-kill');
    assert.ok(existsSync(p), `${svc} has a timeout-kill`);
    const v = readFileSync(p, 'utf8').trim();
    assert.match(v, /^\d+$/, `${svc}/timeout-kill is a number of milliseconds`);
    return Number(v);
  };
  const iris = kill('iris');
  const bridge = kill('bridge');
  assert.ok(iris < budget, `iris timeout-kill ${iris} ms < stop timeout ${budget} ms`);
  assert.ok(iris >= budget - 15000, `iris gets nearly all of the stop timeout (${iris} of ${budget} ms)`);
  // s6 stops the bridge first, then IRIS, then s6-overlay gives what is left S6_KILL_GRACETIME
  // (3000 ms unless the image sets it) before its SIGKILL; all of it before Docker's.
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const grace = Number(/S6_KILL_GRACETIME=(\d+)/.exec(dockerfile)?.[1] ?? 3000);
  assert.ok(bridge + iris + grace < budget, `bridge ${bridge} + iris ${iris} + s6 grace ${grace} ms fit into ${budget} ms`);
});

test('the iris finish script never turns a clean stop into exit code 143', () => {
  const finish = readFileSync(join(s6, 'iris', 'finish'), 'utf8');
  const stopBranch = finish.indexOf('wantedup');
  const writes = finish.indexOf('/run/s6-linux-init-container-results/exitcode');
  assert.ok(stopBranch > 0 && writes > stopBranch, 'the "stop requested" branch comes before any exit code is written');
  assert.match(finish, /exec \/run\/s6\/basedir\/bin\/halt/);
});

test('every built bridge file a rootfs script runs is an entry point of the build, from a source file', () => {
  const refs = new Set<string>();
  for (const file of walk(rootfs)) {
    for (const m of readFileSync(file, 'utf8').matchAll(/\/opt\/iris-edge\/dist\/([\w/.-]+)\.js/g)) refs.add(m[1] as string);
  }
  assert.ok(refs.has('main') && refs.has('backups/recover-cli'), `found ${[...refs].join(', ')}`);
  for (const ref of refs) {
    assert.ok(existsSync(join(root, 'src', `${ref}.ts`)), `rootfs runs dist/${ref}.js but src/${ref}.ts does not exist`);
    // The build bundles everything else into chunks: only its entry points are files of their own.
    assert.ok((IMAGE_ENTRIES as readonly string[]).includes(ref), `rootfs runs dist/${ref}.js but scripts/build.ts does not build it`);
  }
});
