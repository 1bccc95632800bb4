import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { IrisUnavailableError } from '../../src/model/errors.ts';
import { IrisServerError, NativeTransport, type AbandonedCall, type NativeTransportOptions } from '../../src/iris/native/transport.ts';
import { waitFor } from '../support/fixtures.ts';
import { FAKE_DRIVER_URL, fakeDriverData, lines, type FakeDriverData } from './native-fake-driver.fixture.ts';

const open: NativeTransport[] = [];
after(async () => {
  await Promise.all(open.map((t) => t.close()));
});

function transport(data: FakeDriverData, opts: Partial<NativeTransportOptions> = {}): NativeTransport {
  const t = new NativeTransport({
    host: '127.0.0.1',
    port: 1972,
    username: 'bridge',
    password: 'not-in-argv-or-env-7f3a',
    driverModule: FAKE_DRIVER_URL,
    driverData: data,
    callTimeoutMs: 10_000,
    ...opts,
  });
  open.push(t);
  return t;
}

/** Whether a process still exists (signal 0 probes without sending anything). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('Native transport (child process + a synchronous fake SDK)', () => {
  it('runs a call in the child and decodes BigInt, null and strings; says which driver it loaded', async () => {
    const t = transport(fakeDriverData());
    assert.equal(await t.classMethodValue('Fake', 'Echo', 'hello'), 'hello');
    assert.equal(await t.classMethodValue('Fake', 'One'), 1);
    assert.equal(await t.classMethodValue('Fake', 'Huge'), (2n ** 60n).toString());
    assert.equal(await t.classMethodValue('Fake', 'Null'), null);
    assert.equal(t.target, 'iris://127.0.0.1:1972');
    assert.equal(t.stats().driver, FAKE_DRIVER_URL);
    assert.equal(t.stats().transport, 'child-process');
  });

  it('connects without shared memory, and the password is neither on the command line nor in the environment', async () => {
    const data = fakeDriverData();
    const t = transport(data);
    await t.classMethodValue('Fake', 'Echo', 1);
    const [connect] = lines(data, 'connects').map((l) => JSON.parse(l) as { sharedmemory: boolean; ns: string; pid: number });
    assert.equal(connect?.sharedmemory, false);
    assert.equal(connect?.ns, '%SYS');
    const pid = t.stats().pid as number;
    assert.equal(connect?.pid, pid);
    for (const file of ['cmdline', 'environ']) {
      assert.ok(!readFileSync(`/proc/${pid}/${file}`, 'utf8').includes('not-in-argv-or-env-7f3a'), `the password is in /proc/${pid}/${file}`);
    }
  });

  it('serialises calls: never two at once, in order, each with its own deadline, on one connection', async () => {
    const data = fakeDriverData();
    // 5 calls of ~100 ms with a 400 ms deadline each (together > 500 ms): they only all succeed
    // if the deadline of a call starts when it is sent, i.e. if the transport queues them.
    const t = transport(data, { callTimeoutMs: 400 });
    await t.call('Fake', 'Echo', ['warm-up'], { timeoutMs: 10_000 }); // process start + connect
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => t.call('Fake', 'Sleep', [100 + i], {})));
    assert.deepEqual(results, [101, 102, 103, 104, 105]);
    let depth = 0;
    for (const line of lines(data, 'calls')) {
      depth += line.includes(' start ') ? 1 : -1;
      assert.ok(depth <= 1, 'two calls were inside the driver at the same time');
    }
    assert.equal(lines(data, 'connects').length, 1, 'one connection serves every call');
  });

  it('kills a hanging call at its deadline, counts it as abandoned, and serves the next call on a new process', async () => {
    const data = fakeDriverData();
    const told: AbandonedCall[] = [];
    const t = transport(data, { onAbandoned: (c) => told.push(c) });
    assert.equal(await t.classMethodValue('Fake', 'Echo', 'warm'), 'warm');
    const hungPid = t.stats().pid as number;
    const started = Date.now();
    await assert.rejects(t.call('Fake', 'Hang', [], { timeoutMs: 300 }), (err: unknown) => {
      assert.ok(err instanceof IrisUnavailableError, `got ${String(err)}`);
      assert.match(err.message, /did not answer Fake\.Hang within 300 ms; its connection process was killed/);
      return true;
    });
    assert.ok(Date.now() - started < 3000, 'the deadline was not honoured');
    // A worker thread blocked in native code ignored terminate(); a process does not survive SIGKILL.
    await waitFor(() => !alive(hungPid), 1000, 'the hung connection process to be gone');
    assert.equal(await t.classMethodValue('Fake', 'Echo', 'after'), 'after');
    const s = t.stats();
    assert.equal(s.processesStarted, 2, 'a new process must replace the hung one');
    assert.equal(s.callsAbandoned, 1);
    assert.equal(s.abandonedRecently, 1);
    assert.equal(s.lastAbandoned?.call, 'Fake.Hang');
    assert.deepEqual(told.map((c) => c.call), ['Fake.Hang']);
    assert.equal(lines(data, 'connects').length, 2, 'the new process opens its own connection');
  });

  it('calls queued behind a hung call still run, on the replacement process', async () => {
    const t = transport(fakeDriverData());
    const hung = t.call('Fake', 'Hang', [], { timeoutMs: 250 });
    const next = t.classMethodValue('Fake', 'Echo', 'queued');
    await assert.rejects(hung, IrisUnavailableError);
    assert.equal(await next, 'queued');
  });

  it('after maxAbandoned unanswered calls it opens no new connection until the window passes, and says so', async () => {
    const t = transport(fakeDriverData(), { maxAbandoned: 2, abandonedWindowMs: 60_000 });
    for (let i = 0; i < 2; i++) await assert.rejects(t.call('Fake', 'Hang', [], { timeoutMs: 150 }), /did not answer/);
    const started = t.stats().processesStarted;
    await assert.rejects(t.classMethodValue('Fake', 'Echo', 'x'), (err: unknown) => {
      assert.ok(err instanceof IrisUnavailableError);
      assert.match(err.message, /2 calls to IRIS .* went unanswered in the last 1 minutes .*opens no new connection before \d{4}-/);
      return true;
    });
    assert.equal(t.stats().processesStarted, started, 'a connection was opened despite the cap');
    assert.match(t.stats().holdUntil ?? '', /^\d{4}-\d{2}-\d{2}T/);
  });

  it('the cap releases once the window has passed', async () => {
    const t = transport(fakeDriverData(), { maxAbandoned: 1, abandonedWindowMs: 300 });
    await assert.rejects(t.call('Fake', 'Hang', [], { timeoutMs: 100 }), /did not answer/);
    await assert.rejects(t.classMethodValue('Fake', 'Echo', 'held'), /opens no new connection/);
    // The window is the behaviour: wait until the moment the transport itself says the hold ends.
    const until = Date.parse(t.stats().holdUntil ?? '');
    assert.ok(until <= Date.now() + 300, `held until ${t.stats().holdUntil}, beyond the 300 ms window`);
    await waitFor(() => Date.now() > until, 1000, `the hold to end at ${t.stats().holdUntil}`);
    assert.equal(await t.classMethodValue('Fake', 'Echo', 'free'), 'free');
    assert.equal(t.stats().holdUntil, null);
  });

  it('a connection-lost error fails that call with IrisUnavailableError and the next call reconnects in the same process', async () => {
    const data = fakeDriverData();
    const t = transport(data);
    assert.equal(await t.classMethodValue('Fake', 'Connects'), 1);
    await assert.rejects(t.classMethodValue('Fake', 'Drop'), (err: unknown) => {
      assert.ok(err instanceof IrisUnavailableError, `got ${String(err)}`);
      assert.match(err.message, /COMMUNICATION LINK ERROR/);
      return true;
    });
    assert.equal(await t.classMethodValue('Fake', 'Connects'), 2, 'no reconnect after the link was lost');
    assert.equal(t.stats().processesStarted, 1, 'a lost connection is reopened inside the same process');
  });

  it('server-side errors are IrisServerError with the ObjectScript code, and keep the connection', async () => {
    const data = fakeDriverData();
    const t = transport(data);
    await assert.rejects(t.classMethodValue('No.Such', 'Thing'), (err: unknown) => {
      assert.ok(err instanceof IrisServerError, `got ${String(err)}`);
      assert.equal(err.kind, 'class-missing');
      assert.equal(err.irisCode, '<CLASS DOES NOT EXIST>');
      return true;
    });
    await assert.rejects(t.classMethodValue('Fake', 'Throw', '<PROTECT> ^Ens.Runtime'), (err: unknown) => {
      assert.ok(err instanceof IrisServerError);
      assert.equal(err.kind, 'protect');
      return true;
    });
    assert.equal(await t.classMethodValue('Fake', 'Connects'), 1);
  });

  it('a failed connect is IrisUnavailableError, and every call tries again', async () => {
    const t = transport(fakeDriverData({ connectError: '<COMMUNICATION LINK ERROR> Failed to connect to server; Details: Error code: 111 ECONNREFUSED' }));
    await assert.rejects(t.classMethodValue('Fake', 'Echo', 1), IrisUnavailableError);
    await assert.rejects(t.classMethodValue('Fake', 'Echo', 1), /ECONNREFUSED/);
  });

  it('a connection process that dies mid-call rejects that call and the next call gets a new one', async () => {
    const t = transport(fakeDriverData());
    await assert.rejects(t.classMethodValue('Fake', 'Exit'), (err: unknown) => {
      assert.ok(err instanceof IrisUnavailableError);
      assert.match(err.message, /exited \(code 3\)/);
      return true;
    });
    assert.equal(await t.classMethodValue('Fake', 'Echo', 'alive'), 'alive');
  });

  it('output printed by the driver goes to onOutput, never to our stdout', async () => {
    const seen: string[] = [];
    const t = transport(fakeDriverData(), { onOutput: (line) => seen.push(line) });
    await t.classMethodValue('Fake', 'Echo', 1);
    await waitFor(() => seen.includes('fake driver connecting'), 2000, () => `the driver's line among ${JSON.stringify(seen)}`);
  });

  it('close() rejects queued calls, refuses new ones, and kills a process blocked in a call within about a second', async () => {
    const data = fakeDriverData();
    const t = transport(data);
    await t.classMethodValue('Fake', 'Echo', 'warm');
    const pid = t.stats().pid as number;
    const hung = assert.rejects(t.call('Fake', 'Hang', [], { timeoutMs: 60_000 }), IrisUnavailableError);
    const queued = assert.rejects(t.classMethodValue('Fake', 'Echo', 1), IrisUnavailableError);
    await waitFor(() => lines(data, 'calls').some((l) => l.includes('start Fake.Hang')), 2000, 'the connection process to block in Fake.Hang');
    const started = Date.now();
    await t.close();
    assert.ok(Date.now() - started < 3000, `close() took ${Date.now() - started} ms`);
    await hung;
    await queued;
    assert.equal(alive(pid), false, 'the blocked connection process outlived close()');
    await assert.rejects(t.classMethodValue('Fake', 'Echo', 1), /closed/);
  });

  it('the official SDK either fails to load here (Debian) or fails to connect: both are IrisUnavailableError, and the driver says why', async () => {
    const t = new NativeTransport({ host: '127.0.0.1', port: 1, username: 'x', password: 'y', connectTimeoutSeconds: 1, callTimeoutMs: 20_000 });
    open.push(t);
    await assert.rejects(t.classMethodValue('%SYSTEM.Version', 'GetNumber'), (err: unknown) => {
      assert.ok(err instanceof IrisUnavailableError, `got ${String(err)}`);
      assert.match(err.message, /could not be loaded|Cannot find module|COMMUNICATION LINK ERROR|connect/i);
      return true;
    });
    assert.match(t.stats().driver ?? '', /intersystems-iris-native/);
  });
});
