/**
 * The panel's account routes over real sockets, on the simulator behind the ingress-style proxy:
 * the Connect details name the account for people, its password comes only with an explicit
 * confirmation, a new password is IRIS's to accept (its pattern), nothing changes on a refusal or
 * a malformed request, no password ever reaches the log, and both routes are capped.
 */
import assert from 'node:assert/strict';
import { readFileSync, renameSync, statSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Harness } from '../browser/harness.ts';
import { CHANGES_PER_MINUTE } from '../../src/panel/connect-api.ts';
import { fetchBody, JSON_POST } from '../support/http.ts';


const req = fetchBody;
const post = (url: string, body: unknown, headers: Record<string, string> = JSON_POST) => req(url, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('the account for people through the panel API', () => {
  let h: Harness;
  const used: string[] = [];
  const stored = () => readFileSync(h.accountFile!, 'utf8');
  const irisHas = (pw: string) => h.sim.iris.security.passwordIs('ha_admin', pw);

  before(async () => {
    h = await startHarness({ mode: 'addon', proxy: true });
    used.push(await h.account!.readPassword());
  });
  after(async () => {
    const log = JSON.stringify(h.logs.lines({ minLevel: 'trace', limit: 5000 }));
    for (const pw of used) assert.ok(!log.includes(pw), 'a password reached the log');
    await h.close();
  });

  it('reveals the password only with {"confirm": true}, uncached, and logs who saw it', async () => {
    for (const body of [{}, { confirm: false }, { confirm: 'true' }, { confirm: 1 }]) {
      const r = await post(h.ingress + 'api/connect/account/reveal', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.error, 'invalid-request');
      assert.ok(!JSON.stringify(r.body).includes(used[0]!));
    }
    const r = await post(h.ingress + 'api/connect/account/reveal', { confirm: true });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { username: 'ha_admin', password: used[0] });
    assert.equal(r.headers.get('cache-control'), 'no-store');
    assert.ok(h.logs.lines().some((l) => l.msg === 'Panel: the password of the IRIS account ha_admin was shown to Anna'));
  });

  it('sets a password IRIS accepts: IRIS has it, the stored copy (0600) has it, reveal shows it', async () => {
    const pw = 'Anna-chose: 7 words!';
    used.push(pw);
    const r = await post(h.ingress + 'api/connect/account/password', { password: pw, repeat: pw });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, { username: 'ha_admin', changed: true });
    assert.ok(irisHas(pw));
    assert.equal(stored(), `${pw}\n`);
    assert.equal(statSync(h.accountFile!).mode & 0o777, 0o600);
    assert.equal((await post(h.ingress + 'api/connect/account/reveal', { confirm: true })).body.password, pw);
    assert.ok(h.logs.lines().some((l) => l.msg === 'Panel: the password of the IRIS account ha_admin was changed by Anna'));
  });

  it("a password IRIS refuses is 422 with IRIS's words, and nothing changes", async () => {
    const before = stored();
    for (const pw of ['ab', 'x'.repeat(33)]) {
      used.push(pw.length > 3 ? pw : 'never-logged');
      const r = await post(h.ingress + 'api/connect/account/password', { password: pw, repeat: pw });
      assert.equal(r.status, 422);
      assert.equal(r.body.error, 'account-rejected');
      assert.match(r.body.message, /ERROR #845: Password does not match length or pattern requirements/);
      assert.equal(stored(), before);
      assert.ok(irisHas(before.trim()));
    }
  });

  it('two different passwords, control characters, edge spaces and garbage bodies are 400 before IRIS is asked', async () => {
    const before = stored();
    const bodies: unknown[] = [
      { password: 'Same-0ne', repeat: 'Other-0ne' },
      { password: 'two\nlines', repeat: 'two\nlines' },
      { password: ' spaced', repeat: ' spaced' },
      { password: 'spaced ', repeat: 'spaced ' },
      { password: 'x'.repeat(129), repeat: 'x'.repeat(129) },
      { password: '', repeat: '' },
      { password: 'Only-one' },
      { password: 'Good-0ne', repeat: 'Good-0ne', role: '%All' },
      { password: 12345678, repeat: 12345678 },
      [],
      null,
      'Good-0ne',
    ];
    for (const body of bodies) {
      const r = await post(h.ingress + 'api/connect/account/password', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.ok(['invalid-request', 'bad-json'].includes(r.body.error), JSON.stringify(r.body));
      assert.ok(!/Same-0ne|Other-0ne|Good-0ne|spaced/.test(r.body.message), `the message repeats a password: ${r.body.message}`);
    }
    const mismatch = await post(h.ingress + 'api/connect/account/password', { password: 'Same-0ne', repeat: 'Other-0ne' });
    assert.match(mismatch.body.message, /"repeat": the two passwords are not the same/);
    assert.equal((await post(h.ingress + 'api/connect/account/password', '{"password":', JSON_POST)).status, 400);
    assert.equal((await post(h.ingress + 'api/connect/account/password', 'password=a', { 'content-type': 'application/x-www-form-urlencoded', 'x-iris-edge': '1' })).status, 415);
    assert.equal((await post(h.ingress + 'api/connect/account/password', { password: 'Good-0ne', repeat: 'Good-0ne' }, { 'content-type': 'application/json' })).status, 403, 'no CSRF header');
    assert.equal(stored(), before);
  });

  it('a stored password that cannot be read is a 503 that says what to do, logged without a secret', async () => {
    renameSync(h.accountFile!, `${h.accountFile}.away`);
    try {
      const r = await post(h.ingress + 'api/connect/account/reveal', { confirm: true });
      assert.equal(r.status, 503);
      assert.equal(r.body.error, 'account-io');
      assert.match(r.body.message, /could not be read \(ENOENT\); restarting the add-on generates it again/);
      assert.ok(h.logs.lines({ minLevel: 'warn' }).some((l) => l.msg.startsWith('Panel: the password of the IRIS account ha_admin could not be shown')));
    } finally {
      renameSync(`${h.accountFile}.away`, h.accountFile!);
    }
  });

  it(`allows ${CHANGES_PER_MINUTE} changes a minute, then 429 with Retry-After (and nothing changes)`, async () => {
    // Three changes were made above (one taken, two refused by IRIS).
    let last: Awaited<ReturnType<typeof post>> | undefined;
    for (let i = 4; i <= CHANGES_PER_MINUTE; i += 1) {
      last = await post(h.ingress + 'api/connect/account/password', { password: 'ab', repeat: 'ab' });
      assert.equal(last.status, 422);
    }
    const before = stored();
    const pw = 'Would-be-0k';
    used.push(pw);
    const capped = await post(h.ingress + 'api/connect/account/password', { password: pw, repeat: pw });
    assert.equal(capped.status, 429);
    assert.equal(capped.body.error, 'too-many-attempts');
    assert.match(capped.headers.get('retry-after') ?? '', /^\d+$/);
    assert.equal(stored(), before);
    assert.ok(!irisHas(pw));
  });
});

describe('a panel without an account for people', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ mode: 'standalone', account: false });
  });
  after(async () => h.close());

  it('says why on the Connect details and answers 503 to reveal and set', async () => {
    const c = await req(h.direct + 'api/connect');
    assert.deepEqual(c.body.account, { username: null, available: false, reason: 'This bridge runs outside the IRIS Edge add-on (test).' });
    assert.equal(c.body.serviceAccount, 'iris_edge');
    for (const [path, body] of [['api/connect/account/reveal', { confirm: true }], ['api/connect/account/password', { password: 'Good-0ne', repeat: 'Good-0ne' }]] as const) {
      const r = await post(h.direct + path, body);
      assert.equal(r.status, 503, path);
      assert.equal(r.body.error, 'account-unavailable');
    }
  });
});
