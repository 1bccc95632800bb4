// The add-on's s6 service tree (rootfs/etc/s6-overlay/s6-rc.d) as s6-overlay runs it: compiled from
// the s6-rc source format, then init-iris -> iris -> bridge brought up and down under REAL s6
// supervision (Debian sid's s6-svscan / s6-supervise / s6-svc / s6-svstat, the s6 release line
// s6-overlay 3.2.3.0 bundles) in a cached chroot (harness/prepare-s6.sh; root needed).
//
// s6-rc itself is in no Debian suite, so harness/s6-rc-standin.ts plays its part: the source-format
// checks and dependency order of s6-rc-compile, and s6-rc's up/down changes (oneshots through
// execlineb, longruns with s6-svc waiting for up / really down). Everything under supervision is
// real: the run and finish scripts (paths rewritten into a sandbox as in scripts.test.ts), their
// exit codes and signals, s6-svstat's wantedup, timeout-kill. The programs they call are stand-ins
// (harness/stand-ins/): with-contenv, bashio, iris, /iris-main, node, s6-setuidgid, id, halt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../support/fixtures.ts';
import { copyRootfs, imagePaths, pathRewriter, repoRoot } from '../support/rootfs-sandbox.ts';
import { compile, Rc, readSources, startOrder, type ChrootRun } from './harness/s6-rc-standin.ts';

const harness = join(repoRoot, 'test/addon/harness');
const ci = process.env.CI === 'true';

/**
 * The sources s6-overlay compiles: the image's /etc/s6-overlay/s6-rc.d (a copy at `tree`, plus the
 * user/type that s6-overlay 3.2.3.0 installs there) and s6-overlay's own, of which the tree needs
 * only `base`: here a bundle of one oneshot that records that it ran.
 */
function overlaySources(dir: string, tree: string, baseUp: string): string[] {
  if (!existsSync(join(tree, 'user', 'type'))) writeFileSync(join(tree, 'user', 'type'), 'bundle\n');
  const overlay = join(dir, 'overlay-sources');
  mkdirSync(join(overlay, 'base', 'contents.d'), { recursive: true });
  writeFileSync(join(overlay, 'base', 'type'), 'bundle\n');
  writeFileSync(join(overlay, 'base', 'contents.d', 'overlay-base'), '');
  mkdirSync(join(overlay, 'overlay-base'));
  writeFileSync(join(overlay, 'overlay-base', 'type'), 'oneshot\n');
  writeFileSync(join(overlay, 'overlay-base', 'up'), `${baseUp}\n`);
  return [overlay, tree];
}

// --- the compile step: needs no chroot --------------------------------------------------------

test('the s6 service tree compiles from the s6-rc source format into base -> init-iris -> iris -> bridge', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'iris-edge-s6rc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const tree = join(dir, 's6-rc.d');
  copyRootfs('etc/s6-overlay/s6-rc.d', tree, (s) => s);
  const compiled = join(dir, 'compiled');
  const db = compile(compiled, overlaySources(dir, tree, '/bin/true'));

  assert.equal(db.get('init-iris')?.type, 'oneshot');
  assert.equal(db.get('iris')?.type, 'longrun');
  assert.equal(db.get('bridge')?.type, 'longrun');
  assert.equal(db.get('user')?.type, 'bundle');
  assert.deepEqual(db.get('user')?.contents, ['bridge', 'init-iris', 'iris']);
  assert.deepEqual(db.get('init-iris')?.dependencies, ['base']);
  assert.deepEqual(db.get('iris')?.dependencies, ['init-iris']);
  assert.deepEqual(db.get('bridge')?.dependencies, ['iris']);
  assert.deepEqual(startOrder(db, ['user']), ['overlay-base', 'init-iris', 'iris', 'bridge'], 'started in this order, stopped in the reverse');

  // What s6-supervise gets: run, finish, timeout-kill; the s6-rc definition files stay behind.
  assert.deepEqual(readdirSync(join(compiled, 'servicedirs', 'iris')).sort(), ['finish', 'notification-fd', 'run', 'timeout-kill']);
  assert.deepEqual(readdirSync(join(compiled, 'servicedirs', 'bridge')).sort(), ['finish', 'run', 'timeout-kill']);
  assert.equal(readFileSync(join(compiled, 'servicedirs', 'iris', 'notification-fd'), 'utf8').trim(), '3');
  assert.equal(readFileSync(join(compiled, 'servicedirs', 'iris', 'timeout-kill'), 'utf8'), readFileSync(join(tree, 'iris', 'timeout-kill'), 'utf8'));
  assert.equal(readFileSync(join(compiled, 'oneshots', 'init-iris', 'up'), 'utf8').trim(), '/etc/s6-overlay/scripts/init-iris');
});

test('the compile step rejects what s6-rc-compile rejects', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'iris-edge-s6rc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const svc = (name: string, files: Record<string, string>): void => {
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(join(dir, 'src', name, file, '..'), { recursive: true });
      writeFileSync(join(dir, 'src', name, file), text);
    }
  };
  svc('a', { type: 'longrun\n', run: '#!/bin/sh\n', 'dependencies.d/b': '', 'timeout-kill': 'soon\n' });
  svc('b', { type: 'oneshot\n', 'dependencies.d/a': '' });
  svc('c', { type: 'longrun\n', 'dependencies.d/nowhere': '' });
  svc('d', { type: 'daemon\n' });
  svc('s6rc-mine', { type: 'bundle\n' });
  assert.throws(() => readSources([join(dir, 'src')]), (e: Error) => {
    for (const problem of [
      'a: timeout-kill must hold a number',
      'b: a oneshot needs an up file',
      'c: a longrun needs a run file',
      'c: depends on undefined service nowhere',
      'd: type must be oneshot, longrun or bundle, not "daemon"',
      's6rc-mine: the s6rc- and s6-rc- prefixes are reserved',
    ]) assert.ok(e.message.includes(problem), `reports "${problem}":\n${e.message}`);
    return true;
  });
  rmSync(join(dir, 'src'), { recursive: true });
  svc('a', { type: 'longrun\n', run: '#!/bin/sh\n', 'dependencies.d/b': '' });
  svc('b', { type: 'oneshot\n', up: 'true\n', 'dependencies.d/a': '' });
  assert.throws(() => readSources([join(dir, 'src')]), /cycle: a -> b -> a/);
});

test('the s6 harness shell scripts pass shellcheck', (t) => {
  if (spawnSync('shellcheck', ['--version'], { stdio: 'ignore' }).status !== 0) {
    if (ci) assert.fail('shellcheck is not installed; CI must install it (apt-get install shellcheck)');
    t.skip('SHELLCHECK IS NOT INSTALLED: the s6 harness scripts were NOT checked (apt-get install shellcheck)');
    return;
  }
  const standIns = readdirSync(join(harness, 'stand-ins')).map((n) => join('test/addon/harness/stand-ins', n));
  const files = [...readdirSync(harness).filter((n) => n.endsWith('.sh')).map((n) => join('test/addon/harness', n)), ...standIns];
  assert.ok(files.length >= 10, files.join(', '));
  const res = spawnSync('shellcheck', ['-s', 'bash', '-x', '--format=gcc', ...files], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(res.status, 0, `shellcheck found problems:\n${res.stdout}${res.stderr}`);
});

// --- real supervision in the chroot -----------------------------------------------------------

let chroot: { root: string } | { why: string } | undefined;

/** The prepared chroot, or null after skipping the test loudly (failing it in CI). */
function s6Root(t: { skip(msg: string): void }): string | null {
  if (chroot === undefined) chroot = prepareChroot();
  if ('root' in chroot) return chroot.root;
  if (ci) assert.fail(`the s6 supervision tests cannot run: ${chroot.why}. CI must provide it (.ci/run).`);
  t.skip(`S6 SUPERVISION DID NOT RUN: ${chroot.why}`);
  return null;
}

function prepareChroot(): { root: string } | { why: string } {
  if (process.getuid?.() !== 0) return { why: 'the s6 chroot needs root (debootstrap, chroot, namespaces)' };
  if (!process.env.IRIS_EDGE_S6_ROOT && spawnSync('sh', ['-c', 'command -v debootstrap'], { stdio: 'ignore' }).status !== 0) {
    return { why: 'debootstrap is not installed (apt-get install debootstrap)' };
  }
  const prepare = join(harness, 'prepare-s6.sh');
  // Its progress and timings go to stderr; a cold build takes about half a minute.
  const built = spawnSync('bash', [prepare], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (built.status !== 0) assert.fail(`${prepare} failed (see its output above)`);
  const root = spawnSync('bash', [prepare, '--root'], { encoding: 'utf8' });
  if (root.status !== 0) assert.fail(`${prepare} --root failed: ${root.stderr}`);
  return { root: root.stdout.trim() };
}

interface Event {
  at: number;
  what: string;
}

interface Box {
  dir: string;
  rc: Rc;
  run: ChrootRun;
  events(): Event[];
  /** The add-on log: what the services wrote to s6-svscan's stdout and stderr. */
  console(): string;
  waitFor(what: RegExp, ms: number): Promise<void>;
}

interface BoxOptions {
  /** iris/timeout-kill in the test's copy of the tree (the image's value when unset). */
  irisTimeoutKill?: number;
  /** How long the stand-in IRIS takes to shut down cleanly. */
  stopSeconds?: number;
  /** How long the stand-in IRIS takes to come up. */
  startSeconds?: number;
}

/**
 * A sandbox under /tmp (s6-enter.sh shows it at the same path inside the chroot) with the rewritten
 * rootfs, the stand-ins and a running s6-svscan on a scan directory that holds the compiled tree.
 */
async function startBox(t: { after(fn: () => unknown): void }, root: string, options: BoxOptions = {}): Promise<Box> {
  // The bridge waits for IRIS's superserver port; the test owns a listener in its place.
  const server: Server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;

  const dir = mkdtempSync('/tmp/iris-edge-s6-');
  let svscan: ChildProcess | undefined;
  t.after(async () => {
    if (svscan?.pid !== undefined && svscan.exitCode === null && svscan.signalCode === null) {
      // s6-svscan is the init of its PID namespace, a child of unshare (svscan.pid): killed, the
      // kernel ends everything under it, and unshare reaps it and exits.
      const pid = svscan.pid;
      let init = 0;
      try {
        init = Number(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0]);
      } catch {
        // unshare has no child (any more): killing unshare is enough.
      }
      if (init > 0) process.kill(init, 'SIGKILL');
      else svscan.kill('SIGKILL');
      await once(svscan, 'exit');
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const rewrite = pathRewriter([
    ...imagePaths(dir),
    ['/usr/bin/iris-edge-setup-user', join(dir, 'rootfs/usr/bin/iris-edge-setup-user')],
    ['/usr/share/iris-edge', join(dir, 'rootfs/usr/share/iris-edge')],
    ['/etc/s6-overlay', join(dir, 'rootfs/etc/s6-overlay')],
    ['/command/with-contenv', join(dir, 'command/with-contenv')],
    ['127.0.0.1 1972', `127.0.0.1 ${port}`],
  ]);
  copyRootfs('etc/s6-overlay', join(dir, 'rootfs/etc/s6-overlay'), rewrite);
  copyRootfs('usr/share/iris-edge', join(dir, 'rootfs/usr/share/iris-edge'), rewrite);
  copyRootfs('usr/bin/iris-edge-setup-user', join(dir, 'rootfs/usr/bin/iris-edge-setup-user'), rewrite);
  const tree = join(dir, 'rootfs/etc/s6-overlay/s6-rc.d');
  if (options.irisTimeoutKill !== undefined) writeFileSync(join(tree, 'iris', 'timeout-kill'), `${options.irisTimeoutKill}\n`);

  for (const d of ['fake', 'command', 'run', 'data', 'home', 'opt', 'backup', 'iris', 'container_environment']) mkdirSync(join(dir, d));
  const standIns = join(harness, 'stand-ins');
  for (const name of readdirSync(standIns)) {
    copyFileSync(join(standIns, name), join(dir, name === 'with-contenv' ? 'command' : 'fake', name));
  }
  writeFileSync(join(dir, 'container_environment', 'SUPERVISOR_TOKEN'), 'token-from-with-contenv');
  writeFileSync(join(dir, 'data', 'options.json'), JSON.stringify({ memory_profile: 'auto', poll_interval: 10 }));
  writeFileSync(join(dir, 'meminfo'), `MemTotal:       ${4 * 1024 * 1024} kB\n`);
  if (options.stopSeconds !== undefined) writeFileSync(join(dir, 'iris', 'stop-seconds'), `${options.stopSeconds}\n`);
  if (options.startSeconds !== undefined) writeFileSync(join(dir, 'iris', 'start-seconds'), `${options.startSeconds}\n`);

  const compiled = join(dir, 'compiled');
  const db = compile(compiled, overlaySources(dir, tree, join(dir, 'fake', 'overlay-base-up')));

  const enter = join(harness, 's6-enter.sh');
  const env = ['/usr/bin/env', '-i', `PATH=${join(dir, 'fake')}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`];
  const run: ChrootRun = (argv, timeoutMs) => {
    const res = spawnSync('bash', [enter, root, dir, '--', ...env, ...argv], { encoding: 'utf8', timeout: timeoutMs });
    return { status: res.status, output: `${res.stdout}${res.stderr}${res.error ? String(res.error) : ''}` };
  };
  const rc = new Rc(db, compiled, join(dir, 'live'), run);
  const scan = join(dir, 'scan');
  const servicedirs = rc.init(scan);

  // The services' stdout and stderr, as the add-on log would show them (a file, so that a full
  // pipe can never block a service while the test waits in spawnSync).
  const consoleFile = join(dir, 'console.log');
  const fd = openSync(consoleFile, 'a');
  const proc = spawn('bash', [enter, root, dir, '--', ...env, 's6-svscan', scan], { stdio: ['ignore', fd, fd] });
  svscan = proc;
  closeSync(fd);
  await waitFor(
    () => {
      if (proc.exitCode !== null) assert.fail(`s6-svscan ended:\n${readFileSync(consoleFile, 'utf8')}`);
      return servicedirs.every((sd) => run(['s6-svok', sd], 5000).status === 0);
    },
    10_000,
    () => `s6-svscan to supervise ${scan}:\n${readFileSync(consoleFile, 'utf8')}`,
  );

  const events = (): Event[] => {
    const file = join(dir, 'events.log');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => {
      const space = line.indexOf(' ');
      return { at: Number(line.slice(0, space)), what: line.slice(space + 1) };
    });
  };
  return {
    dir,
    rc,
    run,
    events,
    console: () => readFileSync(consoleFile, 'utf8'),
    async waitFor(what, ms) {
      await waitFor(() => events().some((e) => what.test(e.what)), ms, () => `an event ${what}:\n${showEvents(events())}\n--- add-on log:\n${readFileSync(consoleFile, 'utf8')}`);
    },
  };
}

const showEvents = (events: Event[]): string => events.map((e) => `  ${e.what}`).join('\n');

/** Asserts that the first event matching each pattern happens in the order given. */
function assertOrder(events: Event[], patterns: RegExp[]): void {
  let last = -1;
  for (const p of patterns) {
    const i = events.findIndex((e) => p.test(e.what));
    assert.ok(i >= 0, `no event ${p}:\n${showEvents(events)}`);
    assert.ok(i > last, `${p} happened before ${patterns[patterns.indexOf(p) - 1]}:\n${showEvents(events)}`);
    last = i;
  }
}

/** The services a change started or stopped, in its order. */
const serviceOrder = (log: string[]): string[] => log.filter((l) => / (starting|stopping)$/.test(l)).map((l) => l.replace(/^service (\S+):.*/, '$1'));

test('under s6, user comes up init-iris -> iris -> bridge and goes down bridge -> IRIS, cleanly', async (t) => {
  const root = s6Root(t);
  if (!root) return;
  const box = await startBox(t, root, { stopSeconds: 1 });

  const up = box.rc.change('up', ['user']);
  assert.ok(up.ok, `${up.log.join('\n')}\n${up.output}\n${box.console()}`);
  assert.deepEqual(serviceOrder(up.log), ['overlay-base', 'init-iris', 'iris', 'bridge']);
  await box.waitFor(/^node start/, 20_000);

  const events = box.events();
  assertOrder(events, [/^base up$/, /^enter scripts\/init-iris/, /^exit scripts\/init-iris 0/, /^enter iris\/run/, /^iris-main start/, /^IRIS is up$/]);
  assertOrder(events, [/^exit scripts\/init-iris 0/, /^enter bridge\/run/]);
  assertOrder(events, [/^IRIS is up$/, /^iris session IRIS -U %SYS$/, /^node start/]);
  const passwordOnce = join(box.dir, 'run', 'iris-password-once');
  assert.ok(events.some((e) => e.what === `iris-main start --password-file ${passwordOnce}`), `first boot: iris-main gets the generated password\n${showEvents(events)}`);
  assert.ok(existsSync(join(box.dir, 'data', 'secrets', '.iris_password_applied')), 'bridge/run saw iris-main consume the password file');
  assert.ok(events.some((e) => e.what.startsWith(`iris-main cwd ${join(box.dir, 'home')} `)), `/iris-main runs in irisowner's home\n${showEvents(events)}`);
  assert.ok(!events.some((e) => /^(exit \S+ [1-9]|missing|halt)/.test(e.what)), `no script failed, no bashio function missing, no halt:\n${showEvents(events)}`);
  const node = readFileSync(join(box.dir, 'node.env'), 'utf8');
  assert.match(node, /^SUPERVISOR_TOKEN=token-from-with-contenv$/m, 'the container environment reaches the bridge through with-contenv');
  assert.match(node, /^IRIS_USER=iris_edge$/m);
  assert.match(node, new RegExp(`^PWD=${join(box.dir, 'opt')}$`, 'm'));
  for (const svc of ['iris', 'bridge']) {
    const st = box.run(['s6-svstat', '-o', 'up,wantedup', box.rc.servicedir(svc)], 5000);
    assert.equal(st.output.trim(), 'true true', `${svc} is up under s6-supervise`);
  }
  assert.equal(readFileSync(join(box.rc.servicedir('iris'), 'timeout-kill'), 'utf8').trim(), readFileSync(join(repoRoot, 'rootfs/etc/s6-overlay/s6-rc.d/iris/timeout-kill'), 'utf8').trim(), "the image's own kill timeout");

  const down = box.rc.change('down', 'all');
  assert.ok(down.ok, `${down.log.join('\n')}\n${down.output}\n${box.console()}`);
  assert.deepEqual(serviceOrder(down.log), ['bridge', 'iris', 'init-iris', 'overlay-base']);
  const stopped = box.events();
  assertOrder(stopped, [/^node SIGTERM$/, /^exit bridge\/finish 0 0 /, /^iris-main SIGTERM$/, /^iris stop IRIS quietly$/, /^IRIS is down$/, /^iris-main exit 0$/, /^exit iris\/finish 0 0 /]);
  assert.ok(!stopped.some((e) => e.what === 'halt'), 'a requested stop does not halt the container');
  assert.ok(!existsSync(join(box.dir, 'exitcode')), 'a requested stop writes no container exit code');
  assert.match(box.console(), /INFO: InterSystems IRIS has stopped\./);
  assert.doesNotMatch(box.console(), /WARNING|ERROR/, box.console());
});

test('under s6, iris is ready only once IRIS answers, and only then does the bridge start', async (t) => {
  const root = s6Root(t);
  if (!root) return;
  // IRIS takes 3 s to come up: without the readiness signal s6-rc would start the bridge at once.
  const box = await startBox(t, root, { stopSeconds: 1, startSeconds: 3 });
  const up = box.rc.change('up', ['user']);
  assert.ok(up.ok, `${up.log.join('\n')}\n${up.output}\n${box.console()}`);
  await box.waitFor(/^node start/, 20_000);

  const events = box.events();
  assertOrder(events, [/^iris-main start/, /^iris qlist IRIS$/, /^IRIS is up$/, /^enter bridge\/run/]);
  const polls = events.filter((e) => e.what === 'iris qlist IRIS' && e.at < (events.find((x) => x.what === 'IRIS is up')?.at ?? 0));
  assert.ok(polls.length >= 1, `iris-ready polled IRIS while it was starting:\n${showEvents(events)}`);
  const st = box.run(['s6-svstat', '-o', 'up,ready', box.rc.servicedir('iris')], 5000);
  assert.equal(st.output.trim(), 'true true', 'iris is up and ready under s6-supervise');
  assert.ok(!events.some((e) => /^(exit \S+ [1-9]|missing|halt)/.test(e.what)), showEvents(events));

  const down = box.rc.change('down', 'all');
  assert.ok(down.ok, `${down.log.join('\n')}\n${down.output}\n${box.console()}`);
});

test('under s6, IRIS that outlasts iris/timeout-kill is killed and iris/finish still ends the stop cleanly', async (t) => {
  const root = s6Root(t);
  if (!root) return;
  // A short kill timeout in the test's copy; IRIS would need 30 s to shut down.
  const box = await startBox(t, root, { irisTimeoutKill: 1500, stopSeconds: 30 });
  const up = box.rc.change('up', ['user']);
  assert.ok(up.ok, `${up.log.join('\n')}\n${up.output}\n${box.console()}`);
  await box.waitFor(/^node start/, 20_000);

  const down = box.rc.change('down', 'all');
  assert.ok(down.ok, `${down.log.join('\n')}\n${down.output}\n${box.console()}`);
  const events = box.events();
  assertOrder(events, [/^node SIGTERM$/, /^iris-main SIGTERM$/, /^iris stop IRIS quietly$/, /^exit iris\/finish 0 256 9 /]);
  assert.ok(!events.some((e) => /^(IRIS is down|iris-main exit)/.test(e.what)), `IRIS was killed before its shutdown ended:\n${showEvents(events)}`);
  assert.ok(!events.some((e) => e.what === 'halt'), 'a stop that needed SIGKILL still does not halt the container');
  assert.ok(!existsSync(join(box.dir, 'exitcode')));
  assert.match(box.console(), /WARNING: IRIS did not shut down within the stop timeout and was killed/);
});

test('under s6, IRIS ending on its own makes iris/finish record the exit code and halt the container', async (t) => {
  const root = s6Root(t);
  if (!root) return;
  const box = await startBox(t, root, { stopSeconds: 1 });
  const up = box.rc.change('up', ['user']);
  assert.ok(up.ok, `${up.log.join('\n')}\n${up.output}\n${box.console()}`);
  await box.waitFor(/^node start/, 20_000);

  rmSync(join(box.dir, 'iris', 'state')); // the instance dies; /iris-main notices and exits 1
  await box.waitFor(/^halt$/, 10_000);
  assertOrder(box.events(), [/^iris-main exit 1/, /^enter iris\/finish 1 /, /^halt$/]);
  assert.equal(readFileSync(join(box.dir, 'exitcode'), 'utf8').trim(), '1', "the container's exit code");
  assert.match(box.console(), /ERROR: InterSystems IRIS exited unexpectedly \(exit code 1\)/);

  // The stand-in halt stops nothing, so s6 runs iris/run again; the tree still goes down cleanly.
  const down = box.rc.change('down', 'all');
  assert.ok(down.ok, `${down.log.join('\n')}\n${down.output}\n${box.console()}`);
});
