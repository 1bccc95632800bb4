/**
 * The account for people: the simulated IRIS refuses Security.Users to anyone without
 * %Admin_Secure:USE (so never to the bridge's own user) and checks IRIS's password pattern; the
 * account service changes IRIS first and the stored copy only after IRIS took the password; the
 * add-on's privileged path (iris session as the owner) passes no password on its command line
 * and trusts only its outcome line.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccountError } from '../../src/accounts/errors.ts';
import { irisSessionOwner } from '../../src/accounts/iris-session-owner.ts';
import { PersonAccountService, unstorablePassword } from '../../src/accounts/person-account.ts';
import { ADMIN_USER, simulatorAccount } from '../../src/compose/simulator-account.ts';
import { IRIS_CALLS } from '../../src/iris/privileges.ts';
import { IrisSimulator } from '../../src/iris/simulator/index.ts';
import { matchesPasswordPattern, StatusError } from '../../src/iris/simulator/security.ts';

const tmp = (p: string) => mkdtempSync(join(tmpdir(), `iris-edge-${p}-`));
const status = (code: string) => (err: unknown) => {
  assert.ok(err instanceof StatusError, `expected a %Status error, got ${String(err)}`);
  assert.equal(err.codes, code, err.text);
  return true;
};
const accountError = (code: string, text?: RegExp) => (err: unknown) => {
  assert.ok(err instanceof AccountError, `expected an AccountError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  if (text) assert.match(err.message, text);
  return true;
};

describe('IRIS password rules in the simulator', () => {
  it('3.32ANP, the default of normal installs: 3 to 32 letters, digits or punctuation (space included)', () => {
    for (const ok of ['abc', 'A1!', 'correct horse battery', 'x'.repeat(32), '{Pa55:w0rd}~']) assert.ok(matchesPasswordPattern(ok, '3.32ANP'), ok);
    for (const bad of ['', 'ab', 'x'.repeat(33), 'tab\there', 'line\nbreak', 'naïve-pass', '密码密码']) assert.ok(!matchesPasswordPattern(bad, '3.32ANP'), JSON.stringify(bad));
  });

  it('other patterns: 8.32ANP (locked down), letters only, upper and digits; a pattern IRIS cannot use is ERROR #958', () => {
    assert.ok(!matchesPasswordPattern('short1!', '8.32ANP'));
    assert.ok(matchesPasswordPattern('longer1!', '8.32ANP'));
    assert.ok(matchesPasswordPattern('abcdef', '3.10A') && !matchesPasswordPattern('abc1', '3.10A'));
    assert.ok(matchesPasswordPattern('ABC123', '6.6UN') && !matchesPasswordPattern('abc123', '6.6UN'));
    assert.throws(() => matchesPasswordPattern('whatever', '.ANP'), status('958'));
  });

  it('Security.Users.Modify checks the pattern: ERROR #845 and the password stays; an unknown user is ERROR #838', () => {
    const s = new IrisSimulator({ transitionMs: 1 });
    s.iris.ensureAdminUser({ username: ADMIN_USER, password: 'Initial-Pa55' }, false);
    assert.throws(() => s.iris.setAccountPassword(ADMIN_USER, 'ab'), status('845'));
    assert.ok(s.iris.security.passwordIs(ADMIN_USER, 'Initial-Pa55'));
    s.iris.security.passwordPattern = '8.32ANP';
    assert.throws(() => s.iris.setAccountPassword(ADMIN_USER, 'seven77'), status('845'));
    s.iris.setAccountPassword(ADMIN_USER, 'eight888');
    assert.ok(s.iris.security.passwordIs(ADMIN_USER, 'eight888'));
    assert.throws(() => s.iris.setAccountPassword('nobody', 'eight888'), status('838'));
    assert.deepEqual(s.iris.security.rolesOf(ADMIN_USER), ['%All']);
  });
});

describe('Security.Users needs %Admin_Secure:USE: the bridge cannot manage accounts', () => {
  it('is registered with its privilege and refusal', () => {
    for (const key of ['Security.Users.Exists', 'Security.Users.Create', 'Security.Users.Modify']) {
      assert.deepEqual(IRIS_CALLS[key]?.needs, [{ resource: '%Admin_Secure', permission: 'U' }], key);
      assert.equal(IRIS_CALLS[key]?.refusal, 'status-921', key);
    }
  });

  it("as the bridge's own user: ERROR #921, nothing created or changed; with %Admin_Secure:USE granted it would work", () => {
    const s = new IrisSimulator({ transitionMs: 1 });
    const bridge = s.iris.security.login(s.credentials.username, s.credentials.password);
    assert.throws(() => s.iris.ensureAdminUser({ username: ADMIN_USER, password: 'Initial-Pa55' }, false, bridge), (err: unknown) => {
      assert.ok(err instanceof StatusError && err.codes === '921');
      assert.equal(err.text, 'ERROR #921: Operation requires %Admin_Secure:USE privilege');
      return true;
    });
    assert.ok(!s.iris.security.userExists(ADMIN_USER));
    s.iris.ensureAdminUser({ username: ADMIN_USER, password: 'Initial-Pa55' }, false);
    assert.throws(() => s.iris.setAccountPassword(ADMIN_USER, 'Taken-0ver', bridge), status('921'));
    assert.ok(s.iris.security.passwordIs(ADMIN_USER, 'Initial-Pa55'));
    // The refusal is the missing privilege, not the caller's name.
    s.iris.security.grant('IrisEdgeBridge', '%Admin_Secure', 'U');
    s.iris.setAccountPassword(ADMIN_USER, 'Taken-0ver', bridge);
    assert.ok(s.iris.security.passwordIs(ADMIN_USER, 'Taken-0ver'));
  });

  it('the setup keeps a password an administrator chose, and applies a newly generated one', () => {
    const s = new IrisSimulator({ transitionMs: 1 });
    s.iris.ensureAdminUser({ username: ADMIN_USER, password: 'Generated-1' }, false);
    s.iris.setAccountPassword(ADMIN_USER, 'Chosen-by-Anna');
    s.iris.ensureAdminUser({ username: ADMIN_USER, password: 'Generated-1' }, false);
    assert.ok(s.iris.security.passwordIs(ADMIN_USER, 'Chosen-by-Anna'), 'a restart changes nothing');
    s.iris.ensureAdminUser({ username: ADMIN_USER, password: 'Generated-2' }, true);
    assert.ok(s.iris.security.passwordIs(ADMIN_USER, 'Generated-2'), 'a new password file is applied');
  });
});

describe('the account service: IRIS first, then the stored copy', () => {
  async function rig() {
    const s = new IrisSimulator({ transitionMs: 1 });
    const dir = tmp('account');
    const account = await simulatorAccount(s.iris, dir);
    const file = join(dir, 'secrets', 'iris_admin_password');
    return { s, dir, account, file, secrets: join(dir, 'secrets') };
  }

  it('generates a 0600 password the simulated setup gives the account, and shows it', async () => {
    const { s, account, file, secrets } = await rig();
    const pw = await account.readPassword();
    assert.match(pw, /^[A-Za-z0-9]{32}$/);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(secrets).mode & 0o777, 0o700);
    assert.ok(s.iris.security.passwordIs(ADMIN_USER, pw));
  });

  it('a password IRIS takes is stored (0600, atomically) and logs in; one it refuses changes nothing', async () => {
    const { s, account, file, secrets } = await rig();
    const before = readFileSync(file, 'utf8');
    await account.setPassword('N3w password!');
    assert.equal(readFileSync(file, 'utf8'), 'N3w password!\n');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.ok(s.iris.security.passwordIs(ADMIN_USER, 'N3w password!'));
    assert.notEqual(before, readFileSync(file, 'utf8'));

    await assert.rejects(account.setPassword('ab'), accountError('rejected', /IRIS refused the new password: ERROR #845: Password does not match length or pattern requirements/));
    assert.equal(readFileSync(file, 'utf8'), 'N3w password!\n');
    assert.ok(s.iris.security.passwordIs(ADMIN_USER, 'N3w password!'));
    assert.deepEqual(readdirSync(secrets), ['iris_admin_password'], 'no candidate file is left');
  });

  it('refuses what cannot be stored as one line before IRIS is asked', async () => {
    const { s, account } = await rig();
    const pw = await account.readPassword();
    for (const bad of ['', ' leading', 'trailing ', 'two\nlines', 'tab\there', 'x'.repeat(129)]) {
      assert.ok(unstorablePassword(bad), JSON.stringify(bad));
      await assert.rejects(account.setPassword(bad), accountError('rejected'));
    }
    assert.ok(s.iris.security.passwordIs(ADMIN_USER, pw));
  });

  it('one change at a time: a second one while the first runs is busy', async () => {
    let release = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const dir = tmp('busy');
    const file = join(dir, 'pw');
    writeFileSync(file, 'Old-password\n', { mode: 0o600 });
    const account = new PersonAccountService({ username: 'ha_admin', passwordFile: file, owner: { setPassword: () => gate } });
    const first = account.setPassword('First-one');
    await assert.rejects(account.setPassword('Second-one'), accountError('busy'));
    release();
    await first;
    assert.equal(readFileSync(file, 'utf8'), 'First-one\n');
  });

  it('a refusal that quotes the password does not carry it on; stale candidates are removed at start', async () => {
    const dir = tmp('quote');
    const file = join(dir, 'pw');
    writeFileSync(file, 'Old-password\n', { mode: 0o600 });
    writeFileSync(join(dir, '.pw.0123abcd.candidate'), 'Leaked-secret\n');
    const account = new PersonAccountService({
      username: 'ha_admin',
      passwordFile: file,
      owner: { setPassword: async () => Promise.reject(new AccountError('rejected', 'IRIS refused the new password: "Secret-Sauce-1" is in the dictionary')) },
    });
    await account.init();
    assert.deepEqual(readdirSync(dir), ['pw']);
    await assert.rejects(account.setPassword('Secret-Sauce-1'), (err: Error) => {
      assert.ok(!err.message.includes('Secret-Sauce-1'), err.message);
      return true;
    });
    assert.equal(readFileSync(file, 'utf8'), 'Old-password\n');
  });
});

describe("the add-on's privileged path: iris session as the IRIS owner", () => {
  /** A stand-in `iris` that records its arguments and answers what the test says. */
  function fakeIris(answer: string, exit = 0): { bin: string; args: () => string[]; seen: () => string } {
    const dir = tmp('fake-iris');
    const bin = join(dir, 'iris');
    writeFileSync(
      bin,
      `#!/usr/bin/env bash\nprintf '%s\\n' "$@" >"${dir}/args"\nfile="\${5#*\\",\\"}"; file="\${file%\\")}"\ncat "$file" >"${dir}/seen" 2>/dev/null\nprintf '${answer}'\nexit ${exit}\n`,
    );
    chmodSync(bin, 0o755);
    return { bin, args: () => readFileSync(join(dir, 'args'), 'utf8').trim().split('\n'), seen: () => (existsSync(join(dir, 'seen')) ? readFileSync(join(dir, 'seen'), 'utf8') : '') };
  }

  it('runs SetAccountPassword in %SYS with the password in a file, never on the command line', async () => {
    const iris = fakeIris('Node: x\\nIRIS-EDGE-PASSWORD-OK\\n');
    const dir = tmp('owner');
    const file = join(dir, 'iris_admin_password');
    writeFileSync(file, 'Old-password\n', { mode: 0o600 });
    const account = new PersonAccountService({ username: 'ha_admin', passwordFile: file, owner: irisSessionOwner({ irisBin: iris.bin }) });
    await account.setPassword('Brand-new-1');
    const args = iris.args();
    assert.deepEqual(args.slice(0, 4), ['session', 'IRIS', '-U', '%SYS']);
    assert.match(args[4] ?? '', /^##class\(IrisEdge\.Setup\)\.SetAccountPassword\("ha_admin","[^"]+\/\.iris_admin_password\.[0-9a-f]{16}\.candidate"\)$/);
    assert.ok(!args.join(' ').includes('Brand-new-1'));
    assert.equal(iris.seen(), 'Brand-new-1\n', 'IRIS reads the new password from the candidate file');
    assert.equal(readFileSync(file, 'utf8'), 'Brand-new-1\n');
    assert.deepEqual(readdirSync(dir), ['iris_admin_password']);
  });

  it("IRIS's refusal is 'rejected' with its words; a missing account, no outcome line or a crash is 'iris'; nothing is stored", async () => {
    const cases: Array<[string, number, string, RegExp]> = [
      ['IRIS-EDGE-PASSWORD-FAILED: ERROR #845: Password does not match length or pattern requirements\\n', 0, 'rejected', /ERROR #845/],
      ['IRIS-EDGE-PASSWORD-FAILED: ERROR #5001: ERROR #838: User ha_admin does not exist\\n', 0, 'iris', /Restart the add-on/],
      ['<UNDEFINED>zSetAccountPassword\\n', 0, 'iris', /without an outcome/],
      ['Startup error: instance IRIS is not running\\n', 1, 'iris', /exit status 1/],
    ];
    for (const [answer, exit, code, text] of cases) {
      const iris = fakeIris(answer, exit);
      const dir = tmp('owner-fail');
      const file = join(dir, 'iris_admin_password');
      writeFileSync(file, 'Old-password\n', { mode: 0o600 });
      const account = new PersonAccountService({ username: 'ha_admin', passwordFile: file, owner: irisSessionOwner({ irisBin: iris.bin }) });
      await assert.rejects(account.setPassword('Brand-new-1'), accountError(code, text));
      assert.equal(readFileSync(file, 'utf8'), 'Old-password\n');
      assert.deepEqual(readdirSync(dir), ['iris_admin_password']);
    }
  });

  it('an IRIS that does not answer in time is a clear failure, and the stored password stays', async () => {
    const dir = tmp('owner-hang');
    const bin = join(dir, 'iris');
    writeFileSync(bin, '#!/usr/bin/env bash\nexec sleep 30\n');
    chmodSync(bin, 0o755);
    const file = join(dir, 'iris_admin_password');
    writeFileSync(file, 'Old-password\n', { mode: 0o600 });
    const account = new PersonAccountService({ username: 'ha_admin', passwordFile: file, owner: irisSessionOwner({ irisBin: bin, timeoutMs: 300 }) });
    await assert.rejects(account.setPassword('Brand-new-1'), accountError('iris', /did not answer within/));
    assert.equal(readFileSync(file, 'utf8'), 'Old-password\n');
  });
});
