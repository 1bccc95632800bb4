import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IrisUnavailableError } from '../../src/iris/errors.ts';
import { IrisServerError, NativeTransport, type NativeTransportOptions } from '../../src/iris/native/transport.ts';
import { C, FAKE_DRIVER_URL, counter, fakeDriverData, type FakeDriverData } from './native-fake-driver.fixture.ts';

const open: NativeTransport[] = [];
after(async () => {
  await Promise.all(open.map((t) => t.close()));
});

function transport(data: FakeDriverData, opts: Partial<NativeTransportOptions> = {}): NativeTransport {
  const t = new NativeTransport({
    host: '127.0.0.1',
    port: 1972,
    username: 'bridge',
    password: 'secret',
    driverModule: FAKE_DRIVER_URL,
    driverData: data,
    callTimeoutMs: 5000,
    ...opts,
  });
  open.push(t);
  return t;
}

describe('Native transport (worker thread + fake driver)', () => {
  it('runs a call in the worker and decodes BigInt, null and strings', async () => {
    const t = transport(fakeDriverData());
    assert.equal(await t.classMethodValue('Fake', 'Echo', 'hello'), 'hello');
    assert.equal(await t.classMethodValue('Fake', 'One'), 1);
    assert.equal(await t.classMethodValue('Fake', 'Huge'), (2n ** 60n).toString());
    assert.equal(await t.classMethodValue('Fake', 'Null'), null);
    assert.equal(t.target, 'iris://127.0.0.1:1972');
  });

  it('serialises calls: the driver never runs two at once, in order, each with its own deadline', async () => {
    const data = fakeDriverData();
    // 5 calls of ~100 ms with a 400 ms deadline each (together > 500 ms): they only all succeed
    // if the deadline of a call starts when it is sent, i.e. if the transport queues them.
    const t = transport(data, { callTimeoutMs: 400 });
    await t.call('Fake', 'Echo', ['warm-up'], { timeoutMs: 5000 }); // worker start + connect
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => t.call('Fake', 'Sleep', [100 + i], {})));
    assert.deepEqual(results, [101, 102, 103, 104, 105]);
    assert.equal(counter(data, C.maxInFlight), 1, 'two calls were inside the driver at the same time');
    assert.equal(counter(data, C.connects), 1, 'one connection serves every call');
  });

  it('cuts a hanging call at its deadline, terminates the worker and serves the next call on a fresh one', async () => {
    const data = fakeDriverData();
    const t = transport(data);
    assert.equal(await t.classMethodValue('Fake', 'Echo', 'warm'), 'warm');
    const started = Date.now();
    await assert.rejects(t.call('Fake', 'Hang', [], { timeoutMs: 300 }), (err: unknown) => {
      assert.ok(err instanceof IrisUnavailableError, `got ${String(err)}`);
      assert.match(err.message, /did not answer Fake\.Hang within 300 ms/);
      return true;
    });
    assert.ok(Date.now() - started < 3000, 'the deadline was not honoured');
    assert.equal(await t.classMethodValue('Fake', 'Echo', 'after'), 'after');
    assert.equal(t.workersStarted, 2, 'a new worker must replace the hung one');
    assert.equal(counter(data, C.connects), 2, 'the new worker opens its own connection');
  });

  it('calls queued behind a hung call still run, on the replacement worker', async () => {
    const t = transport(fakeDriverData());
    const hung = t.call('Fake', 'Hang', [], { timeoutMs: 250 });
    const next = t.classMethodValue('Fake', 'Echo', 'queued');
    await assert.rejects(hung, IrisUnavailableError);
    assert.equal(await next, 'queued');
  });

  it('a connection-lost error fails that call with IrisUnavailableError and the next call reconnects', async () => {
    const data = fakeDriverData();
    const t = transport(data);
    assert.equal(await t.classMethodValue('Fake', 'Connects'), 1);
    await assert.rejects(t.classMethodValue('Fake', 'Drop'), (err: unknown) => {
      assert.ok(err instanceof IrisUnavailableError, `got ${String(err)}`);
      assert.match(err.message, /COMMUNICATION LINK ERROR/);
      return true;
    });
    assert.equal(await t.classMethodValue('Fake', 'Connects'), 2, 'no reconnect after the link was lost');
    assert.equal(t.workersStarted, 1, 'a lost connection is reopened inside the same worker');
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
    const data = fakeDriverData({
      connectError: '<COMMUNICATION LINK ERROR> Failed to connect to server; Details: Error code: 111 ECONNREFUSED',
    });
    const t = transport(data);
    await assert.rejects(t.classMethodValue('Fake', 'Echo', 1), IrisUnavailableError);
    await assert.rejects(t.classMethodValue('Fake', 'Echo', 1), /ECONNREFUSED/);
  });

  it('a worker that dies mid-call rejects that call and the next call gets a new worker', async () => {
    const t = transport(fakeDriverData());
    await assert.rejects(t.classMethodValue('Fake', 'Exit'), (err: unknown) => {
      assert.ok(err instanceof IrisUnavailableError);
      assert.match(err.message, /exited/);
      return true;
    });
    assert.equal(await t.classMethodValue('Fake', 'Echo', 'alive'), 'alive');
  });

  it('output printed by the driver goes to onOutput, never to our stdout', async () => {
    const lines: string[] = [];
    const t = transport(fakeDriverData(), { onOutput: (line) => lines.push(line) });
    await t.classMethodValue('Fake', 'Echo', 1);
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(lines.includes('fake driver loaded'), JSON.stringify(lines));
  });

  it('close() rejects queued calls and refuses new ones', async () => {
    const t = transport(fakeDriverData());
    const slow = assert.rejects(t.call('Fake', 'Sleep', [300], {}), IrisUnavailableError);
    const queued = assert.rejects(t.classMethodValue('Fake', 'Echo', 1), IrisUnavailableError);
    await new Promise((r) => setTimeout(r, 50));
    await t.close();
    await slow;
    await queued;
    await assert.rejects(t.classMethodValue('Fake', 'Echo', 1), /closed/);
  });

  it('the official SDK either fails to load here (Debian) or fails to connect: both are IrisUnavailableError', async () => {
    const lines: string[] = [];
    const t = new NativeTransport({
      host: '127.0.0.1',
      port: 1, // nothing listens there
      username: 'x',
      password: 'y',
      connectTimeoutSeconds: 1,
      callTimeoutMs: 10000,
      onOutput: (l) => lines.push(l),
    });
    open.push(t);
    await assert.rejects(t.classMethodValue('%SYSTEM.Version', 'GetNumber'), (err: unknown) => {
      assert.ok(err instanceof IrisUnavailableError, `got ${String(err)}`);
      assert.match(err.message, /could not be loaded|Cannot find module|COMMUNICATION LINK ERROR|connect/i);
      return true;
    });
  });
});
