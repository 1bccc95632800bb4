// Behaviour of the image's shell scripts, run for real with bash in a sandbox: the absolute paths
// of the image (/data, /backup/iris-edge, /run/iris-edge, /proc/1/fd/1, ...) are rewritten to a
// temporary directory, and `iris`, `s6-setuidgid`, `s6-svstat`, halt and node are small fakes that
// record their calls. `sleep` is the real one, counted: a script that waits for something sleeps
// between its checks, so the test sees it wait by its sleeps rather than by the clock.
// What IRIS itself does is outside this test (it needs a real IRIS image).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor, within } from '../support/fixtures.ts';
import { imagePaths, pathRewriter } from '../support/rootfs-sandbox.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const rootfs = join(root, 'rootfs');
const realSleep = spawnSync('sh', ['-c', 'command -v sleep'], { encoding: 'utf8' }).stdout.trim();

/** The scripts read /data/options.json with jq (installed in the image). */
function requireJq(t: { skip(msg: string): void }): boolean {
  if (spawnSync('jq', ['--version'], { stdio: 'ignore' }).status === 0) return true;
  if (process.env.CI === 'true') assert.fail('jq is not installed; CI must install it (apt-get install jq)');
  t.skip('JQ IS NOT INSTALLED: this script test did NOT run (apt-get install jq)');
  return false;
}

interface RunResult {
  status: number | null;
  log: string;
  calls: string[];
}

/** A script started in the background; `exited` rejects when it has not ended within `ms`. */
interface Running {
  calls(): string[];
  /** How many times the script has called sleep so far. */
  sleeps(): number;
  running(): boolean;
  exited(ms: number): Promise<RunResult>;
}

interface Sandbox {
  dir: string;
  run(script: string, env?: Record<string, string>, args?: string[]): RunResult;
  start(script: string, env?: Record<string, string>, args?: string[]): Running;
  cleanup(): void;
}

function sandbox(extra: Array<[string, string]> = []): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'iris-edge-scripts-'));
  for (const d of ['setup', 'bin', 'fake', 'run', 'home', 'data', 'opt']) mkdirSync(join(dir, d));
  // The image's paths in this sandbox, plus what only these tests move (the setup scripts and
  // the setup-user command, which bridge/run calls).
  const rewritePaths = pathRewriter([
    ...imagePaths(dir),
    ['/usr/bin/iris-edge-setup-user', join(dir, 'fake', 'iris-edge-setup-user')],
    ['/usr/share/iris-edge/setup', join(dir, 'setup')],
    ...extra,
  ]);
  const rewrite = (text: string): string =>
    rewritePaths(text.replace(/^#!\/command\/with-contenv bashio\n/, `#!/usr/bin/env bash\nset -o errexit -o nounset -o pipefail\nsource ${join(dir, 'fake', 'bashio.sh')}\n`));
  const install = (src: string, dest: string): void => {
    writeFileSync(dest, rewrite(readFileSync(join(rootfs, src), 'utf8')));
    chmodSync(dest, 0o755);
  };
  install('usr/share/iris-edge/setup/functions.sh', join(dir, 'setup', 'functions.sh'));
  install('usr/share/iris-edge/setup/freeze.sh', join(dir, 'setup', 'freeze.sh'));
  writeFileSync(join(dir, 'setup', 'bridge-user.script'), readFileSync(join(rootfs, 'usr/share/iris-edge/setup/bridge-user.script')));
  for (const name of ['backup_pre', 'backup_post', 'healthcheck', 'iris-edge-setup-user']) install(`usr/bin/${name}`, join(dir, 'bin', name));
  install('etc/s6-overlay/scripts/init-iris', join(dir, 'bin', 'init-iris'));
  install('etc/s6-overlay/s6-rc.d/iris/finish', join(dir, 'bin', 'iris-finish'));
  install('etc/s6-overlay/s6-rc.d/bridge/run', join(dir, 'bin', 'bridge-run'));
  install('etc/s6-overlay/s6-rc.d/iris/run', join(dir, 'bin', 'iris-run'));

  const fake = (name: string, body: string): void => {
    writeFileSync(join(dir, 'fake', name), `#!/usr/bin/env bash\n${body}\n`);
    chmodSync(join(dir, 'fake', name), 0o755);
  };
  const calls = join(dir, 'calls.log');
  const sleeps = join(dir, 'sleeps.log');
  fake('iris', `echo "iris $*" >>"${calls}"
case "$1" in
  qlist)
    if [[ "\${FAKE_IRIS_STATE:-running}" == running ]]; then
      echo "IRIS^/usr/irissys^2026.1.0.100.0^running, since Sun Nov 22 02:00:00 2026^iris.cpf^1972^52773^0^ok^IRIS^^^/usr/irissys"
    else
      echo "IRIS^/usr/irissys^2026.1.0.100.0^down, last used Sun Nov 22 01:00:00 2026^iris.cpf^1972^52773^0^^IRIS^^^/usr/irissys"
    fi ;;
  session)
    cat >"${join(dir, 'session.stdin')}"
    env | grep '^IRIS_EDGE_' | sort >"${join(dir, 'session.env')}"
    printf '%b' "\${FAKE_SESSION_OUTPUT:-}"
    exit "\${FAKE_SESSION_STATUS:-5}" ;;
esac`);
  fake('s6-setuidgid', `echo "s6-setuidgid $1" >>"${calls}"; shift; exec "$@"`);
  fake('s6-svstat', `echo "\${FAKE_WANTEDUP:-true}"`);
  // s6-notifyoncheck OPTIONS -c CHECK PROG...: records its check program, then runs PROG (the
  // readiness polling itself runs under real s6 in s6.test.ts).
  fake('s6-notifyoncheck', `while [[ "$1" == -* ]]; do case "$1" in -c) echo "s6-notifyoncheck $2" >>"${calls}"; shift 2 ;; -d) shift ;; *) shift 2 ;; esac; done; exec "$@"`);
  fake('halt', `echo "halt" >>"${calls}"`);
  fake('iris-main', `echo "iris-main $*" >>"${calls}"; echo "ISC_CPF_MERGE_FILE=\${ISC_CPF_MERGE_FILE:-}" >"${join(dir, 'iris-main.env')}"; echo "ISC_DATA_DIRECTORY=\${ISC_DATA_DIRECTORY:-}" >>"${join(dir, 'iris-main.env')}"; echo "PWD=$(pwd)" >>"${join(dir, 'iris-main.env')}"`);
  fake('iris-edge-setup-user', `echo "setup-user" >>"${calls}"; exit "\${FAKE_SETUP_STATUS:-0}"`);
  fake('node', `echo "node $*" >>"${calls}"; env | sort >"${join(dir, 'node.env')}"; pwd >>"${join(dir, 'node.env')}"; exit "\${FAKE_NODE_STATUS:-0}"`);
  fake('sleep', `echo "$*" >>"${sleeps}"; exec ${realSleep} "$@"`);
  fake('id', `id_real=/usr/bin/id; if [[ "\${2:-}" == irisowner ]]; then "$id_real" "$1"; else exec "$id_real" "$@"; fi`);
  writeFileSync(join(dir, 'fake', 'bashio.sh'), [
    'bashio::log.info() { echo "[INFO] $*"; }',
    'bashio::log.warning() { echo "[WARNING] $*"; }',
    'bashio::log.error() { echo "[ERROR] $*"; }',
  ].join('\n') + '\n');

  const readCalls = (): string[] => (existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n').filter(Boolean) : []);
  const result = (status: number | null, output: string): RunResult => ({
    status,
    log: (existsSync(join(dir, 'addon.log')) ? readFileSync(join(dir, 'addon.log'), 'utf8') : '') + output,
    calls: readCalls(),
  });
  const prepare = (env: Record<string, string>) => {
    rmSync(calls, { force: true });
    rmSync(sleeps, { force: true });
    rmSync(join(dir, 'addon.log'), { force: true });
    return { cwd: dir, env: { PATH: `${join(dir, 'fake')}:${process.env.PATH ?? '/usr/bin:/bin'}`, HOME: dir, ...env } };
  };

  return {
    dir,
    run(script, env = {}, args = []) {
      const res = spawnSync(join(dir, 'bin', script), args, { ...prepare(env), encoding: 'utf8' });
      return result(res.status, res.stdout + res.stderr);
    },
    start(script, env = {}, args = []) {
      const child = spawn(join(dir, 'bin', script), args, prepare(env));
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const closed = once(child, 'close') as Promise<[number | null]>;
      return {
        calls: readCalls,
        sleeps: () => (existsSync(sleeps) ? readFileSync(sleeps, 'utf8').split('\n').filter(Boolean).length : 0),
        running: () => child.exitCode === null && child.signalCode === null,
        async exited(ms) {
          const [status] = await within(closed, ms, () => `${script} to end:\n${result(null, output).log}`).catch((err: unknown) => {
            child.kill('SIGKILL');
            throw err;
          });
          return result(status, output);
        },
      };
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The bridge's durable directory (created by init-iris in the image) and two of its files. */
function stateDir(box: Sandbox): { marker: string; hold: string } {
  const dir = join(box.dir, 'data', 'iris-edge');
  mkdirSync(dir, { recursive: true });
  return { marker: join(dir, 'freeze.json'), hold: join(dir, 'iris.hold') };
}

/** A process that lives until the test ends, e.g. the bridge that owns a restore's hold. */
async function liveProcess(t: { after(fn: () => void): void }): Promise<ChildProcess> {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  t.after(() => child.kill());
  await once(child, 'spawn');
  return child;
}

/** The pid of a process that has ended. */
const deadPid = (): number => spawnSync('true').pid;

/**
 * Resolves once a script that waits for something has slept twice: it checked, found it must
 * wait, slept, checked again, found the same and slept again. Fails at once if the script ends.
 */
async function checkedTwice(script: Running, what: string): Promise<void> {
  await waitFor(() => {
    assert.ok(script.running(), `${what}: the script ended instead of waiting`);
    return script.sleeps() >= 2;
  }, 10_000, `${what}: two checks, each followed by a sleep`);
}

test('backup_pre freezes IRIS through iris session as irisowner and reports the outcome', (t) => {
  const box = sandbox();
  t.after(() => box.cleanup());
  const { marker } = stateDir(box);

  const ok = box.run('backup_pre', { FAKE_SESSION_STATUS: '5' });
  assert.equal(ok.status, 0, ok.log);
  assert.ok(ok.calls.includes('s6-setuidgid irisowner'), `runs as irisowner: ${ok.calls.join(' | ')}`);
  assert.ok(ok.calls.includes('iris session IRIS -U %SYS ##Class(Backup.General).ExternalFreeze()'), ok.calls.join(' | '));
  assert.match(ok.log, /ExternalFreeze succeeded/);
  rmSync(marker);

  const failed = box.run('backup_pre', { FAKE_SESSION_STATUS: '3' });
  assert.equal(failed.status, 1, 'exit status 3 of the session is a failed freeze');
  assert.match(failed.log, /ERROR.*ExternalFreeze failed/);

  const odd = box.run('backup_pre', { FAKE_SESSION_STATUS: '1' });
  assert.equal(odd.status, 1, 'anything but 5 is a failure');
  assert.match(odd.log, /unexpected status 1/);

  const down = box.run('backup_pre', { FAKE_IRIS_STATE: 'down' });
  assert.equal(down.status, 0, 'nothing to freeze while IRIS is down');
  assert.ok(!down.calls.some((c) => c.startsWith('iris session')), 'no session when IRIS is down');
  assert.match(down.log, /not running/);
});

test('backup_post thaws IRIS and fails clearly when the thaw fails', (t) => {
  const box = sandbox();
  t.after(() => box.cleanup());
  const ok = box.run('backup_post', { FAKE_SESSION_STATUS: '5' });
  assert.equal(ok.status, 0, ok.log);
  assert.ok(ok.calls.includes('iris session IRIS -U %SYS ##Class(Backup.General).ExternalThaw()'), ok.calls.join(' | '));
  const failed = box.run('backup_post', { FAKE_SESSION_STATUS: '3' });
  assert.equal(failed.status, 1);
  assert.match(failed.log, /ExternalThaw failed/);
});

test('backup_pre records the Home Assistant freeze only once IRIS holds it; backup_post removes the record', (t) => {
  const box = sandbox();
  t.after(() => box.cleanup());
  const { marker } = stateDir(box);

  const failed = box.run('backup_pre', { FAKE_SESSION_STATUS: '3' });
  assert.equal(failed.status, 1);
  assert.ok(!existsSync(marker), 'a failed freeze is not recorded');
  assert.equal(box.run('backup_pre', { FAKE_IRIS_STATE: 'down' }).status, 0);
  assert.ok(!existsSync(marker), 'nothing is frozen while IRIS is down');

  const before = Date.now() - 1000;
  const frozen = box.run('backup_pre', { FAKE_SESSION_STATUS: '5' });
  assert.equal(frozen.status, 0, frozen.log);
  const record = JSON.parse(readFileSync(marker, 'utf8')) as { by: string; at: string };
  assert.equal(record.by, 'home-assistant');
  assert.match(record.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'ISO-8601 UTC');
  assert.ok(Date.parse(record.at) >= before && Date.parse(record.at) <= Date.now(), record.at);
  // The bridge runs as irisowner; the sandbox's `id` maps irisowner to the test's own user.
  assert.equal(statSync(marker).uid, process.getuid?.());
  assert.deepEqual(readdirSync(join(box.dir, 'data', 'iris-edge')), ['freeze.json'], 'no temporary file is left');

  const thawFails = box.run('backup_post', { FAKE_SESSION_STATUS: '3' });
  assert.equal(thawFails.status, 1);
  assert.ok(existsSync(marker), 'a failed thaw keeps the record, so the bridge can thaw later');
  const thawed = box.run('backup_post', { FAKE_SESSION_STATUS: '5' });
  assert.equal(thawed.status, 0, thawed.log);
  assert.ok(!existsSync(marker), 'the record goes with the thaw');

  writeFileSync(marker, JSON.stringify({ by: 'home-assistant', at: '2026-11-22T05:00:00Z' }));
  assert.equal(box.run('backup_post', { FAKE_IRIS_STATE: 'down' }).status, 0);
  assert.ok(!existsSync(marker), 'IRIS down: no freeze is left, nor its record');
});

test('backup_pre thaws again and fails when it cannot record the freeze', (t) => {
  const box = sandbox();
  t.after(() => box.cleanup());
  // No /data/iris-edge: the marker cannot be written.
  const res = box.run('backup_pre', { FAKE_SESSION_STATUS: '5' });
  assert.equal(res.status, 1, 'Home Assistant runs no backup_post after a failed backup_pre');
  assert.deepEqual(res.calls.filter((c) => c.startsWith('iris session')), [
    'iris session IRIS -U %SYS ##Class(Backup.General).ExternalFreeze()',
    'iris session IRIS -U %SYS ##Class(Backup.General).ExternalThaw()',
  ]);
  assert.match(res.log, /ERROR.*could not write .*freeze\.json.*thawing IRIS again/);
});

test('backup_pre waits for an IRIS Edge backup to release the freeze and fails clearly if it does not', async (t) => {
  if (!requireJq(t)) return;
  const box = sandbox();
  t.after(() => box.cleanup());
  const { marker } = stateDir(box);
  const edge = JSON.stringify({ by: 'iris-edge', at: '2026-11-22T05:00:00.000Z' });

  writeFileSync(marker, edge);
  const refused = box.run('backup_pre', { IRIS_EDGE_FREEZE_WAIT_SECONDS: '1' });
  assert.equal(refused.status, 1);
  assert.ok(!refused.calls.some((c) => c.startsWith('iris session')), 'IRIS is not frozen a second time');
  assert.match(refused.log, /ERROR.*IRIS Edge backup still holds the IRIS freeze after 1 s \(since 2026-11-22T05:00:00\.000Z\).*Run the Home Assistant backup again/);
  assert.equal(readFileSync(marker, 'utf8'), edge, "the IRIS Edge backup's record is left alone");

  writeFileSync(marker, '{"by":');
  const unreadable = box.run('backup_pre', { IRIS_EDGE_FREEZE_WAIT_SECONDS: '0' });
  assert.equal(unreadable.status, 1, 'an unreadable record counts as an IRIS Edge freeze, as in the bridge');

  writeFileSync(marker, edge);
  const waiting = box.start('backup_pre', { IRIS_EDGE_FREEZE_WAIT_SECONDS: '30', FAKE_SESSION_STATUS: '5' });
  await checkedTwice(waiting, 'backup_pre waits for the IRIS Edge backup');
  assert.ok(!waiting.calls().some((c) => c.startsWith('iris session')), 'no freeze while IRIS Edge holds one');
  rmSync(marker);
  const done = await waiting.exited(10_000);
  assert.equal(done.status, 0, done.log);
  assert.match(done.log, /IRIS Edge backup has IRIS frozen .*waiting up to 30 s/);
  assert.ok(done.calls.includes('iris session IRIS -U %SYS ##Class(Backup.General).ExternalFreeze()'));
  assert.equal((JSON.parse(readFileSync(marker, 'utf8')) as { by: string }).by, 'home-assistant');
});

test('healthcheck wants IRIS running and a recent bridge heartbeat', (t) => {
  if (!requireJq(t)) return;
  const box = sandbox();
  t.after(() => box.cleanup());
  const heartbeat = join(box.dir, 'run', 'heartbeat');
  writeFileSync(join(box.dir, 'data', 'options.json'), JSON.stringify({ poll_interval: 20 }));

  assert.equal(box.run('healthcheck').status, 1, 'no heartbeat yet: unhealthy');
  writeFileSync(heartbeat, '');
  const healthy = box.run('healthcheck');
  assert.equal(healthy.status, 0, healthy.log);

  const age = (seconds: number): void => {
    const when = Date.now() / 1000 - seconds;
    utimesSync(heartbeat, when, when);
  };
  age(50);
  assert.equal(box.run('healthcheck').status, 0, '50 s is within 3 poll intervals of 20 s');
  age(70);
  const stale = box.run('healthcheck');
  assert.equal(stale.status, 1, '70 s is more than 3 poll intervals of 20 s');
  assert.match(stale.log, /last poll was 7\d s ago \(limit 60 s\)/);

  age(0);
  const down = box.run('healthcheck', { FAKE_IRIS_STATE: 'down' });
  assert.equal(down.status, 1);
  assert.match(down.log, /IRIS is not running/);
});

test('healthcheck passes while a live bridge holds IRIS down for a restore', async (t) => {
  const box = sandbox();
  t.after(() => box.cleanup());
  const { hold } = stateDir(box);
  const bridge = await liveProcess(t);

  writeFileSync(hold, String(bridge.pid));
  const restoring = box.run('healthcheck', { FAKE_IRIS_STATE: 'down' });
  assert.equal(restoring.status, 0, 'the watchdog must not restart the add-on in the middle of a restore');
  assert.match(restoring.log, /IRIS Edge restores a backup/);

  writeFileSync(hold, String(deadPid()));
  const orphaned = box.run('healthcheck', { FAKE_IRIS_STATE: 'down' });
  assert.equal(orphaned.status, 1, 'a hold whose bridge is gone proves nothing');
  assert.match(orphaned.log, /IRIS is not running/);
});

test('the iris finish script exits 0 on a requested stop and halts the container on a crash', (t) => {
  const box = sandbox();
  t.after(() => box.cleanup());
  const exitcode = join(box.dir, 'exitcode');

  for (const [code, signal] of [['0', '0'], ['256', '15'], ['143', '0'], ['256', '9']] as const) {
    rmSync(exitcode, { force: true });
    const stop = box.run('iris-finish', { FAKE_WANTEDUP: 'false' }, [code, signal]);
    assert.equal(stop.status, 0, `stop with ${code}/${signal}`);
    assert.ok(!existsSync(exitcode), `a requested stop writes no container exit code (${code}/${signal})`);
    assert.ok(!stop.calls.includes('halt'));
  }

  const crash = box.run('iris-finish', { FAKE_WANTEDUP: 'true' }, ['1', '0']);
  assert.equal(readFileSync(exitcode, 'utf8').trim(), '1');
  assert.ok(crash.calls.includes('halt'), 'a crash halts the container');
  assert.match(crash.log, /exited unexpectedly/);

  box.run('iris-finish', { FAKE_WANTEDUP: 'true' }, ['256', '11']);
  assert.equal(readFileSync(exitcode, 'utf8').trim(), '139', 'killed by SIGSEGV: 128 + 11');
  box.run('iris-finish', { FAKE_WANTEDUP: 'true' }, ['0', '0']);
  assert.equal(readFileSync(exitcode, 'utf8').trim(), '1', 'an exit nobody asked for is a failure');
});

test('the iris finish script exits 0 without halting when the bridge stopped IRIS for a restore', (t) => {
  const box = sandbox();
  t.after(() => box.cleanup());
  const { hold } = stateDir(box);
  writeFileSync(hold, String(process.pid));
  for (const [code, signal] of [['0', '0'], ['256', '15'], ['1', '0']] as const) {
    const res = box.run('iris-finish', { FAKE_WANTEDUP: 'true' }, [code, signal]);
    assert.equal(res.status, 0, `exit ${code}/${signal} during a restore: ${res.log}`);
    assert.ok(!res.calls.includes('halt'), 'the container keeps running; s6 runs iris/run again');
    assert.ok(!existsSync(join(box.dir, 'exitcode')));
    assert.match(res.log, /stopped by IRIS Edge for a restore/);
  }
});

test('init-iris creates secrets, stages the predefined password once and writes the memory profile', (t) => {
  if (!requireJq(t)) return;
  const box = sandbox();
  t.after(() => box.cleanup());
  const secrets = join(box.dir, 'data', 'secrets');
  const meminfo = (gib: number): void => writeFileSync(join(box.dir, 'meminfo'), `MemTotal:       ${Math.round(gib * 1024 * 1024)} kB\nMemFree: 1 kB\n`);
  const merge = (): string => readFileSync(join(box.dir, 'run', 'merge.cpf'), 'utf8');

  meminfo(1.8);
  const first = box.run('init-iris');
  assert.equal(first.status, 0, first.log);
  for (const name of ['iris_password', 'iris_edge_password', 'iris_edge_sensors_password', 'iris_admin_password']) {
    const file = join(secrets, name);
    assert.match(readFileSync(file, 'utf8'), /^[A-Za-z0-9]{24,32}\n$/, `${name} holds a generated password`);
    assert.equal(statSync(file).mode & 0o777, 0o600, `${name} is 0600`);
  }
  assert.equal(statSync(secrets).mode & 0o777, 0o700);
  assert.notEqual(readFileSync(join(secrets, 'iris_password'), 'utf8'), readFileSync(join(secrets, 'iris_edge_password'), 'utf8'));
  assert.notEqual(readFileSync(join(secrets, 'iris_admin_password'), 'utf8'), readFileSync(join(secrets, 'iris_password'), 'utf8'));
  const once = join(box.dir, 'run', 'iris-password-once');
  assert.equal(readFileSync(once, 'utf8'), readFileSync(join(secrets, 'iris_password'), 'utf8'), 'iris-main gets a copy');
  assert.equal(merge(), '[config]\nglobals=0,0,64,0,0,0\nroutines=0,0,0,0,0,32\ngmheap=40960\n', 'auto picks small at 1.8 GiB');
  assert.ok(existsSync(join(box.dir, 'data', 'iris')) && existsSync(join(box.dir, 'data', 'iris-edge')));

  // Second boot: same passwords; once the bridge marked the password applied, no copy any more.
  const before = readFileSync(join(secrets, 'iris_edge_password'), 'utf8');
  const adminBefore = readFileSync(join(secrets, 'iris_admin_password'), 'utf8');
  writeFileSync(join(secrets, '.iris_password_applied'), '');
  writeFileSync(join(secrets, '.iris_admin_password_applied'), '');
  meminfo(4);
  assert.equal(box.run('init-iris').status, 0);
  assert.equal(readFileSync(join(secrets, 'iris_edge_password'), 'utf8'), before, 'passwords survive restarts');
  assert.equal(readFileSync(join(secrets, 'iris_admin_password'), 'utf8'), adminBefore, 'the password of the account for people survives restarts');
  assert.ok(existsSync(join(secrets, '.iris_admin_password_applied')), 'an existing password file is not applied again');
  assert.ok(!existsSync(once), 'the predefined password is applied only once');
  assert.match(merge(), /globals=0,0,256,0,0,0\nroutines=0,0,0,0,0,64\ngmheap=65536/, 'auto picks medium at 4 GiB');

  meminfo(16);
  assert.equal(box.run('init-iris').status, 0);
  assert.match(merge(), /globals=0,0,1024,/, 'auto picks large at 16 GiB');

  writeFileSync(join(box.dir, 'data', 'options.json'), JSON.stringify({ memory_profile: 'small' }));
  assert.equal(box.run('init-iris').status, 0);
  assert.match(merge(), /globals=0,0,64,/, 'an explicit profile wins over auto');

  // A lost password file is generated anew and applied again.
  rmSync(join(secrets, 'iris_password'));
  rmSync(join(secrets, 'iris_admin_password'));
  const regenerated = box.run('init-iris');
  assert.equal(regenerated.status, 0, regenerated.log);
  assert.ok(existsSync(once) && !existsSync(join(secrets, '.iris_password_applied')));
  assert.notEqual(readFileSync(join(secrets, 'iris_admin_password'), 'utf8'), adminBefore);
  assert.ok(!existsSync(join(secrets, '.iris_admin_password_applied')), 'the setup gives the account the new password');

  // A restore's hold from before this boot: its pid (here a live one) names no bridge any more.
  const hold = join(box.dir, 'data', 'iris-edge', 'iris.hold');
  writeFileSync(hold, String(process.pid));
  assert.equal(box.run('init-iris').status, 0);
  assert.equal(readFileSync(hold, 'utf8'), '', 'emptied, so iris/run recovers the restore instead of waiting');
  rmSync(hold);
  assert.equal(box.run('init-iris').status, 0);
  assert.ok(!existsSync(hold), 'no hold is made up');
});

test('bridge/run waits for IRIS, sets up the bridge user and starts the bridge with its environment', async (t) => {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;
  // The superserver port and the waits are shortened; everything else runs as in the image.
  const box = sandbox([
    ['127.0.0.1 1972', `127.0.0.1 ${port}`],
    ['wait_for_iris 900', 'wait_for_iris 2'],
    ['sleep 30', 'sleep 0'],
  ]);
  t.after(() => box.cleanup());
  mkdirSync(join(box.dir, 'data', 'secrets'));
  writeFileSync(join(box.dir, 'data', 'options.json'), JSON.stringify({ poll_interval: 10 }));
  writeFileSync(join(box.dir, 'run', 'heartbeat'), '');

  const started = box.run('bridge-run', { SUPERVISOR_TOKEN: 'token-from-with-contenv' });
  assert.equal(started.status, 0, started.log);
  assert.deepEqual(started.calls.filter((c) => !c.startsWith('iris qlist')), [
    'setup-user',
    's6-setuidgid irisowner',
    // The V8 flags chosen by measurement (the run script's comment has the figures).
    `node --max-semi-space-size=2 --v8-pool-size=1 ${join(box.dir, 'opt')}/dist/main.js`,
  ]);
  const env = Object.fromEntries(
    readFileSync(join(box.dir, 'node.env'), 'utf8').split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  assert.equal(env.IRIS_HOST, '127.0.0.1');
  assert.equal(env.IRIS_PORT, '1972');
  assert.equal(env.IRIS_WEB_PORT, '52773');
  assert.equal(env.IRIS_USER, 'iris_edge');
  assert.equal(env.IRIS_PASSWORD_FILE, join(box.dir, 'data', 'secrets', 'iris_edge_password'));
  // User-defined sensors log in as their own user, never as the bridge's.
  assert.equal(env.IRIS_SENSORS_USER, 'iris_edge_sensors');
  assert.equal(env.IRIS_SENSORS_PASSWORD_FILE, join(box.dir, 'data', 'secrets', 'iris_edge_sensors_password'));
  assert.equal(env.IRIS_EDGE_AGENT_DIR, '/usr/share/iris-edge/agent');
  assert.equal(env.IRIS_EDGE_HEARTBEAT_FILE, join(box.dir, 'run', 'heartbeat'));
  assert.equal(env.IRIS_EDGE_OPTIONS_FILE, join(box.dir, 'run', 'options.json'));
  assert.equal(env.IRIS_EDGE_CERT_DIR, join(box.dir, 'data', 'iris-edge', 'certs'));
  assert.equal(env.IRIS_EDGE_STATE_DIR, join(box.dir, 'data', 'iris-edge'));
  assert.equal(env.IRIS_EDGE_BACKUP_DIR, join(box.dir, 'backup', 'iris-edge'));
  assert.equal(env.IRIS_EDGE_IRIS_BIN, join(box.dir, 'fake', 'iris'), 'the iris the bridge stops IRIS with for a restore');
  const backups = statSync(join(box.dir, 'backup', 'iris-edge'));
  assert.ok(backups.isDirectory(), 'the backup directory is created');
  assert.equal(backups.mode & 0o777, 0o700);
  assert.equal(backups.uid, process.getuid?.(), "irisowner's (the test's user in the sandbox)");
  assert.equal(env.SUPERVISOR_TOKEN, 'token-from-with-contenv', 'the container environment reaches the bridge');
  assert.equal(env.MALLOC_ARENA_MAX, '2', "glibc's arenas capped (bench:resources measures with it)");
  assert.deepEqual(JSON.parse(readFileSync(join(box.dir, 'run', 'options.json'), 'utf8')), { poll_interval: 10 });
  assert.equal(statSync(join(box.dir, 'run', 'options.json')).mode & 0o777, 0o600);
  assert.ok(!existsSync(join(box.dir, 'run', 'heartbeat')), 'a stale heartbeat is removed before the bridge starts');
  assert.ok(existsSync(join(box.dir, 'data', 'secrets', '.iris_password_applied')), 'the consumed predefined password is recorded');

  const setupFails = box.run('bridge-run', { FAKE_SETUP_STATUS: '1' });
  assert.equal(setupFails.status, 1, 'no bridge without its IRIS user; s6 runs the script again');
  assert.ok(!setupFails.calls.some((c) => c.startsWith('node')));

  const irisDown = box.run('bridge-run', { FAKE_IRIS_STATE: 'down' });
  assert.equal(irisDown.status, 1);
  assert.match(irisDown.log, /did not accept connections/);
  assert.ok(!irisDown.calls.includes('setup-user'));
});

test('iris/run starts /iris-main as irisowner with the merge file and, once, the password file', (t) => {
  const box = sandbox();
  t.after(() => box.cleanup());
  writeFileSync(join(box.dir, 'run', 'merge.cpf'), '[config]\n');
  writeFileSync(join(box.dir, 'run', 'iris-password-once'), 'secret\n');
  const first = box.run('iris-run');
  assert.equal(first.status, 0, first.log);
  const ready = `s6-notifyoncheck ${join(box.dir, 'setup', 'iris-ready')}`;
  assert.deepEqual(first.calls, [ready, 's6-setuidgid irisowner', `iris-main --password-file ${join(box.dir, 'run', 'iris-password-once')}`]);
  assert.equal(
    readFileSync(join(box.dir, 'iris-main.env'), 'utf8'),
    `ISC_CPF_MERGE_FILE=${join(box.dir, 'run', 'merge.cpf')}\nISC_DATA_DIRECTORY=${join(box.dir, 'data', 'iris')}\nPWD=${join(box.dir, 'home')}\n`,
    "/iris-main runs in irisowner's home",
  );
  rmSync(join(box.dir, 'run', 'iris-password-once'));
  assert.deepEqual(box.run('iris-run').calls, [ready, 's6-setuidgid irisowner', 'iris-main'], 'no password file once it was consumed');
});

test('iris/run waits while a live bridge holds IRIS down and starts IRIS once the hold is released', async (t) => {
  const box = sandbox();
  t.after(() => box.cleanup());
  const { hold } = stateDir(box);
  const bridge = await liveProcess(t);
  writeFileSync(hold, String(bridge.pid));

  const waiting = box.start('iris-run');
  await checkedTwice(waiting, 'iris/run waits');
  assert.deepEqual(waiting.calls(), [], 'IRIS is not started during the restore');
  rmSync(hold);
  const started = await waiting.exited(10_000);
  assert.equal(started.status, 0, started.log);
  assert.deepEqual(started.calls, [`s6-notifyoncheck ${join(box.dir, 'setup', 'iris-ready')}`, 's6-setuidgid irisowner', 'iris-main'], 'a released hold needs no recovery');
});

test('iris/run recovers the restore of a bridge that died holding IRIS down, then starts IRIS', async (t) => {
  const box = sandbox();
  t.after(() => box.cleanup());
  const { hold } = stateDir(box);
  const recovered = ['s6-setuidgid irisowner', `node ${join(box.dir, 'opt')}/dist/backups/recover-cli.js ${join(box.dir, 'data', 'iris-edge')}`, `s6-notifyoncheck ${join(box.dir, 'setup', 'iris-ready')}`, 's6-setuidgid irisowner', 'iris-main'];

  const bridge = await liveProcess(t);
  writeFileSync(hold, String(bridge.pid));
  const waiting = box.start('iris-run');
  await checkedTwice(waiting, 'iris/run waits while the bridge lives');
  bridge.kill();
  await once(bridge, 'exit');
  const afterDeath = await waiting.exited(10_000);
  assert.equal(afterDeath.status, 0, afterDeath.log);
  assert.deepEqual(afterDeath.calls, recovered);
  assert.ok(!existsSync(hold), 'the hold is gone once recovered');
  assert.match(afterDeath.log, /WARNING.*bridge that stopped IRIS for a restore is gone/);

  // The pid of a bridge that has ended, and the empty hold init-iris leaves after a restart.
  for (const owner of [String(deadPid()), '']) {
    writeFileSync(hold, owner);
    const res = box.run('iris-run');
    assert.equal(res.status, 0, res.log);
    assert.deepEqual(res.calls, recovered, `hold "${owner}"`);
    assert.ok(!existsSync(hold));
  }

  writeFileSync(hold, '');
  const failed = box.run('iris-run', { FAKE_NODE_STATUS: '1' });
  assert.equal(failed.status, 0, 'IRIS starts even when the recovery fails');
  assert.deepEqual(failed.calls, recovered);
  assert.match(failed.log, /ERROR.*could not be recovered/);
  assert.ok(!existsSync(hold));
});

test('iris-edge-setup-user feeds the setup script to iris session and trusts only its OK line', (t) => {
  const box = sandbox();
  t.after(() => box.cleanup());
  mkdirSync(join(box.dir, 'data', 'secrets'));
  writeFileSync(join(box.dir, 'data', 'secrets', 'iris_edge_password'), 'Secret123\n');
  writeFileSync(join(box.dir, 'data', 'secrets', 'iris_edge_sensors_password'), 'SensorSecret789\n');
  writeFileSync(join(box.dir, 'data', 'secrets', 'iris_admin_password'), 'AdminSecret456\n');
  const applied = join(box.dir, 'data', 'secrets', '.iris_admin_password_applied');

  const ok = box.run('iris-edge-setup-user', {
    FAKE_SESSION_OUTPUT: 'Node: x, Instance: IRIS\\n%SYS>IRIS-EDGE-SETUP-INFO: role IrisEdgeBridge grants %Service_Bindings:U\\nIRIS-EDGE-SETUP-OK\\n',
    FAKE_SESSION_STATUS: '0',
  });
  assert.equal(ok.status, 0, ok.log);
  assert.ok(ok.calls.includes('s6-setuidgid irisowner') && ok.calls.includes('iris session IRIS -U %SYS'), ok.calls.join(' | '));
  assert.equal(readFileSync(join(box.dir, 'session.stdin'), 'utf8'), readFileSync(join(rootfs, 'usr/share/iris-edge/setup/bridge-user.script'), 'utf8'));
  const env = readFileSync(join(box.dir, 'session.env'), 'utf8');
  assert.match(env, /^IRIS_EDGE_BRIDGE_USER=iris_edge$/m);
  assert.ok(env.includes(`IRIS_EDGE_BRIDGE_PASSWORD_FILE=${join(box.dir, 'data', 'secrets', 'iris_edge_password')}`));
  // The setup loads IrisEdge.Setup.cls, bridge-role.json and IrisEdge.Agent.cls from the agent folder.
  assert.match(env, /^IRIS_EDGE_AGENT_DIR=\/usr\/share\/iris-edge\/agent$/m);
  assert.ok(!env.includes('Secret123'), 'the password itself is never passed in the environment');
  // The sensors' own user: its name and password file, never its password.
  assert.match(env, /^IRIS_EDGE_SENSORS_USER=iris_edge_sensors$/m);
  assert.ok(env.includes(`IRIS_EDGE_SENSORS_PASSWORD_FILE=${join(box.dir, 'data', 'secrets', 'iris_edge_sensors_password')}`));
  assert.ok(!env.includes('SensorSecret789'));
  // The account for people: its name and password file, and "apply the file" while no setup has.
  assert.match(env, /^IRIS_EDGE_ADMIN_USER=ha_admin$/m);
  assert.ok(env.includes(`IRIS_EDGE_ADMIN_PASSWORD_FILE=${join(box.dir, 'data', 'secrets', 'iris_admin_password')}`));
  assert.match(env, /^IRIS_EDGE_ADMIN_PASSWORD_RESET=1$/m);
  assert.ok(!env.includes('AdminSecret456'));
  assert.ok(existsSync(applied), 'a successful setup records that IRIS has the stored password');
  const again = box.run('iris-edge-setup-user', { FAKE_SESSION_OUTPUT: 'IRIS-EDGE-SETUP-OK\n', FAKE_SESSION_STATUS: '0' });
  assert.equal(again.status, 0, again.log);
  assert.match(readFileSync(join(box.dir, 'session.env'), 'utf8'), /^IRIS_EDGE_ADMIN_PASSWORD_RESET=0$/m, 'later starts leave a chosen password alone');
  rmSync(applied);
  assert.match(ok.log, /role IrisEdgeBridge grants/);

  const failed = box.run('iris-edge-setup-user', {
    FAKE_SESSION_OUTPUT: 'IRIS-EDGE-SETUP-FAILED: ERROR #5001: no such role\\n',
    FAKE_SESSION_STATUS: '1',
  });
  assert.equal(failed.status, 1);
  assert.match(failed.log, /ERROR.*no such role/);
  assert.ok(!existsSync(applied), 'a failed setup records nothing');

  const silent = box.run('iris-edge-setup-user', { FAKE_SESSION_OUTPUT: '<UNDEFINED>\\n', FAKE_SESSION_STATUS: '0' });
  assert.equal(silent.status, 1, 'exit status 0 without the OK line is a failure');
});
