// apparmor.txt as the Supervisor uses it (home-assistant/supervisor, read at 090ef31, 2026-08):
//  - supervisor/utils/apparmor.py: the file holds exactly one line matching RE_PROFILE
//    `^profile ([^ ]+).*$`; adjust_profile() renames that profile to the app's slug and
//    validate_profile() checks the result; docker/app.py then runs the container with
//    `apparmor=<slug>`. Naming it after the slug keeps the file and the loaded profile one name.
//  - the host's apparmor_parser must accept it (Debian's `apparmor` package here, -Q: parse and
//    compile without loading into a kernel).
//  - supervisor/apps/utils.py rating_security(): the rating shown in the app store, rewritten below
//    rule for rule, with config.yaml and the presence of apparmor.txt as its input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../support/rootfs-sandbox.ts';

const profileFile = join(repoRoot, 'apparmor.txt');
const config = parse(readFileSync(join(repoRoot, 'config.yaml'), 'utf8')) as Record<string, unknown>;
const RE_PROFILE = /^profile ([^ ]+).*$/;

/** supervisor/utils/apparmor.py get_profile_name(): the one profile named at a line start. */
function profileName(text: string): string {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const m = RE_PROFILE.exec(line);
    if (m?.[1]) names.add(m[1]);
  }
  if (names.size === 0) throw new Error('Missing AppArmor profile inside file');
  if (names.size !== 1) throw new Error('Too many AppArmor profiles inside file');
  return [...names][0] as string;
}

// supervisor/apps/utils.py rating_security(), with the AppModel properties it reads taken from
// config.yaml (the Supervisor's defaults where a key is absent) and `apparmor` as apps/model.py
// derives it: disabled when config says `apparmor: false`, "profile" once apparmor.txt is loaded
// (apps/app.py install_apparmor loads it whenever the file exists), "default" otherwise.
const RATING_PRIVILEGES = ['BPF', 'CHECKPOINT_RESTORE', 'DAC_READ_SEARCH', 'NET_ADMIN', 'NET_RAW', 'PERFMON', 'SYS_ADMIN', 'SYS_MODULE', 'SYS_PTRACE', 'SYS_RAWIO'];

function ratingSecurity(cfg: Record<string, unknown>, hasProfileFile: boolean): number {
  const apparmor = cfg.apparmor === false ? 'disable' : hasProfileFile ? 'profile' : 'default';
  const privileged = (cfg.privileged as string[] | undefined) ?? [];
  let rating = 5;
  if (apparmor === 'disable') rating += -1;
  else if (apparmor === 'profile') rating += 1;
  if (cfg.ingress === true) rating += 2;
  else if (cfg.auth_api === true) rating += 1;
  // app.signed is always False ("Currently no signing support").
  if (privileged.some((p) => RATING_PRIVILEGES.includes(p)) || cfg.kernel_modules === true) rating += -1;
  if (cfg.hassio_role === 'manager') rating += -1;
  else if (cfg.hassio_role === 'admin') rating += -2;
  if (cfg.host_network === true) rating += -1;
  if (cfg.host_pid === true) rating += -2;
  if (cfg.host_uts === true && privileged.includes('SYS_ADMIN')) rating += -1;
  if (cfg.docker_api === true || cfg.full_access === true) rating = 1;
  return Math.max(Math.min(8, rating), 1);
}

function hasParser(): boolean {
  return spawnSync('apparmor_parser', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** apparmor_parser -Q: parse and compile, load nothing; -K: no cache. */
function parseProfile(file: string): { status: number | null; output: string } {
  const res = spawnSync('apparmor_parser', ['-Q', '-K', file], { encoding: 'utf8' });
  return { status: res.status, output: `${res.stdout}${res.stderr}` };
}

test('apparmor.txt names one profile, the app slug, as the Supervisor reads it', () => {
  const text = readFileSync(profileFile, 'utf8');
  assert.equal(profileName(text), config.slug);
  assert.throws(() => profileName(text.replace(/^profile /m, '  profile ')), /Missing AppArmor profile/);
  assert.throws(() => profileName(`${text}\nprofile other {\n}\n`), /Too many AppArmor profiles/);
});

test("apparmor.txt passes the host's apparmor_parser", (t) => {
  if (!hasParser()) {
    if (process.env.CI === 'true') assert.fail('apparmor_parser is not installed: .ci/run must install it (apt-get install apparmor)');
    t.skip('APPARMOR_PARSER IS NOT INSTALLED: apparmor.txt was NOT parsed (apt-get install apparmor)');
    return;
  }
  const ok = parseProfile(profileFile);
  assert.equal(ok.status, 0, `apparmor_parser rejected apparmor.txt:\n${ok.output}`);

  // The same parser rejects a broken copy, so the pass above means something.
  const dir = mkdtempSync(join(tmpdir(), 'iris-edge-apparmor-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const broken = join(dir, 'apparmor.txt');
  writeFileSync(broken, readFileSync(profileFile, 'utf8').replace('capability chown,', 'capability chown_everything,'));
  assert.notEqual(parseProfile(broken).status, 0, 'an unknown capability must be rejected');
});

test('the profile covers the paths the image runs and writes', () => {
  const text = readFileSync(profileFile, 'utf8');
  // Each: a path the image uses (Dockerfile, rootfs/, config.yaml map) and the rule that allows it.
  const needs: Array<[string, RegExp]> = [
    ['s6-overlay /init', /^\s*\/init rix,$/m],
    ['s6-overlay /command', /^\s*\/command\/\*\* rix,$/m],
    ['s6 run-time state', /^\s*\/run\/\*\* rw\w*,$/m],
    ['bashio', /^\s*\/usr\/lib\/bashio\/\*\* r\w*x,$/m],
    ['/iris-main', /^\s*\/iris-main rix,$/m],
    ['IRIS install directory', /^\s*\/usr\/irissys\/\*\* rw\w*m\w*x,$/m],
    ['irisowner home', /^\s*\/home\/irisowner\/\*\* rw\w*,$/m],
    ['durable data', /^\s*\/data\/\*\* rwlk,$/m],
    ['IRIS Edge backups', /^\s*\/backup\/\*\* rw\w*,$/m],
    ['the bridge (its native addon is mapped: m)', /^\s*\/opt\/iris-edge\/\*\* rm,$/m],
    ['node', /^\s*\/usr\/local\/bin\/\*\* r\w*x,$/m],
    ['hooks write the app log', /^\s*@\{PROC\}\/@\{pid\}\/fd\/\* w,$/m],
    ['shared memory', /^\s*\/dev\/shm\/\*\* rw\w*,$/m],
    ['superserver and web server', /^\s*network inet stream,$/m],
  ];
  for (const [what, rule] of needs) assert.match(text, rule, what);
  assert.match(text, /^\s*deny mount,$/m);
  assert.doesNotMatch(text, /^\s*capability,$|^\s*capability sys_admin,$|^\s*file,$/m, 'no blanket capability or file rule');
});

/** The profile's path rules: an AppArmor glob (`*`, `**`, `{a,b}`) as a RegExp, and its permissions. */
function pathRules(text: string): Array<{ glob: string; re: RegExp; perms: string; deny: boolean }> {
  const out = [];
  for (const m of text.matchAll(/^\s*(deny\s+)?(\/\S*)\s+([rwlkmixa]+),\s*$/gm)) {
    const glob = m[2] as string;
    const source = glob
      .replace(/[.+^$()|[\]\\]/g, '\\$&')
      .replace(/\{([^}]*)\}/g, (_, alts: string) => `(?:${alts.split(',').join('|')})`)
      .replace(/\*\*/g, '\u0000')
      .replace(/\*/g, '[^/]*')
      .replace(/\u0000/g, '.*');
    out.push({ glob, re: new RegExp(`^${source}$`), perms: m[3] as string, deny: m[1] !== undefined });
  }
  return out;
}

test('every executable the image ships under rootfs/ may be run under the profile', () => {
  const rules = pathRules(readFileSync(profileFile, 'utf8'));
  const executables = spawnSync('find', [join(repoRoot, 'rootfs'), '-type', 'f', '-perm', '-u+x'], { encoding: 'utf8' })
    .stdout.split('\n').filter(Boolean).map((f) => f.slice(join(repoRoot, 'rootfs').length));
  assert.ok(executables.includes('/usr/share/iris-edge/setup/iris-ready') && executables.length >= 8, executables.join(', '));
  for (const path of [...executables, '/usr/local/bin/node', '/iris-main', '/usr/irissys/bin/irisdb', '/command/s6-notifyoncheck']) {
    const allowing = rules.filter((r) => !r.deny && r.re.test(path) && /r/.test(r.perms) && /x/.test(r.perms));
    assert.ok(allowing.length > 0, `${path}: no rule lets it be read and executed`);
    assert.ok(!rules.some((r) => r.deny && r.re.test(path) && /x/.test(r.perms)), `${path} is denied`);
  }
  // The matcher itself: a path outside every rule is refused.
  assert.ok(!rules.some((r) => !r.deny && r.re.test('/srv/evil') && /x/.test(r.perms)));
});

test("the app's security rating, computed as the Supervisor does, is 8", () => {
  assert.ok(existsSync(profileFile));
  assert.equal(ratingSecurity(config, true), 8);
  // Every rule of the rating moves it: without them the 8 above could be luck.
  const cases: Array<[string, Record<string, unknown>, boolean, number]> = [
    ['no apparmor.txt', {}, false, 7],
    ['apparmor disabled', { apparmor: false }, true, 6],
    ['no ingress, auth_api', { ingress: false, auth_api: true }, true, 7],
    ['no ingress', { ingress: false }, true, 6],
    ['privileged SYS_ADMIN', { privileged: ['SYS_ADMIN'] }, true, 7],
    ['kernel modules', { kernel_modules: true }, true, 7],
    ['manager role', { hassio_role: 'manager' }, true, 7],
    ['admin role', { hassio_role: 'admin' }, true, 6],
    ['host network', { host_network: true }, true, 7],
    ['host pid', { host_pid: true }, true, 6],
    ['host uts with SYS_ADMIN', { host_uts: true, privileged: ['SYS_ADMIN'] }, true, 6],
    ['docker api', { docker_api: true }, true, 1],
    ['full access', { full_access: true }, true, 1],
  ];
  for (const [what, change, file, expected] of cases) {
    assert.equal(ratingSecurity({ ...config, ...change }, file), expected, what);
  }
});
