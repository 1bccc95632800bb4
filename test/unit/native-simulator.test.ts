/**
 * The connection process against the simulated instance's superserver: what happens when IRIS
 * hangs in a call, refuses the login, or keeps an abandoned call's process alive.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IrisUnavailableError } from '../../src/model/errors.ts';
import { createNativeIrisClient, type NativeIrisClient } from '../../src/iris/native/client.ts';
import { SIMULATOR_DRIVER, SimulatedIris, startSuperserver, type RunningSuperserver } from '../../src/iris/simulator/index.ts';
import { SOURCE_AGENT_DIR } from '../../src/iris/agent/source-dir.ts';
import { waitFor } from '../support/fixtures.ts';

const open: Array<{ close(): Promise<void> | void }> = [];
after(async () => {
  for (const o of open.reverse()) await o.close();
});

async function instance(): Promise<{ iris: SimulatedIris; server: RunningSuperserver; client: (over?: { password?: string; callTimeoutMs?: number }) => NativeIrisClient }> {
  const iris = new SimulatedIris({ transitionMs: 1 });
  iris.runSetup({ username: 'iris_edge', password: 'pw-1' });
  const server = await startSuperserver(iris);
  open.push(iris, server);
  return {
    iris,
    server,
    client: (over = {}) => {
      const c = createNativeIrisClient({
        host: server.host,
        port: server.port,
        username: 'iris_edge',
        password: over.password ?? 'pw-1',
        agentDir: SOURCE_AGENT_DIR,
        driverModule: SIMULATOR_DRIVER,
        kind: 'simulator',
        callTimeoutMs: over.callTimeoutMs ?? 10_000,
      });
      open.push(c);
      return c;
    },
  };
}

describe('the connection process against the simulator superserver', () => {
  it('a call that hangs inside IRIS is abandoned at its deadline; the IRIS process lives on until the call ends', async () => {
    const { iris, client } = await instance();
    const c = client({ callTimeoutMs: 600 });
    // A call's deadline includes starting a connection process, which alone can take longer than
    // 600 ms on a loaded machine: each new process is started by a call given room for that, so
    // the 600 ms apply to IRIS's answers only.
    const startProcess = () => c.nativeTransport.call('%SYSTEM.Version', 'GetNumber', [], { timeoutMs: 10_000 });
    await startProcess();
    await c.snapshot();
    const before = iris.processCount;
    const release = iris.hang('Snapshot');
    await assert.rejects(c.snapshot(), (err: unknown) => err instanceof IrisUnavailableError && /did not answer IrisEdge\.Agent\.Snapshot within 600 ms/.test((err as Error).message));
    assert.equal(c.nativeTransport.stats().callsAbandoned, 1);
    // The killed client's socket is gone, but IRIS still runs the call: its process remains.
    assert.equal(iris.processCount, before, 'the abandoned process ended before its call did');
    release();
    await waitFor(() => iris.processCount < before, 1000, 'the abandoned process to end with its call');
    assert.equal(iris.processCount, before - 1);
    await startProcess();
    assert.ok((await c.snapshot()).productions.length > 0, 'the next call works on a new connection');
    assert.equal(c.nativeTransport.stats().processesStarted, 2);
  });

  it('a refused login says so, and names what to check', async () => {
    const { client } = await instance();
    await assert.rejects(client({ password: 'wrong' }).snapshot(), (err: unknown) => {
      assert.ok(err instanceof IrisUnavailableError);
      assert.match(err.message, /refused the bridge's login.*Access Denied.*Check the user and password/);
      return true;
    });
  });

  it('says which driver and process it uses', async () => {
    const { client } = await instance();
    const c = client();
    await c.snapshot();
    const s = c.transportReport();
    assert.equal(s?.transport, 'child-process');
    assert.match(s?.driver ?? '', /IRIS simulator/);
    assert.equal(s?.callsAbandoned, 0);
  });
});
