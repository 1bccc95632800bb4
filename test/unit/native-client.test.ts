import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  IrisCommandRefusedError,
  IrisContractError,
  IrisUnavailableError,
  UnknownProductionError,
} from '../../src/iris/errors.ts';
import { createNativeIrisClient, type NativeIrisClient } from '../../src/iris/native/client.ts';
import type { AgentInstallResult } from '../../src/iris/agent/installer.ts';
import { C, FAKE_DRIVER_URL, counter, fakeDriverData, type FakeDriverData } from './native-fake-driver.fixture.ts';

const AGENT_DIR = fileURLToPath(new URL('../../rootfs/usr/share/iris-edge/agent/', import.meta.url));
/** The VERSION parameter of the shipped agent class. */
const SHIPPED = Number(/Parameter VERSION = (\d+);/.exec(readFileSync(`${AGENT_DIR}IrisEdge.Agent.cls`, 'utf8'))?.[1]);
const clients: NativeIrisClient[] = [];
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
});

function client(data: FakeDriverData, extra: { onAgentInstalled?: (r: AgentInstallResult) => void; callTimeoutMs?: number } = {}) {
  const c = createNativeIrisClient({
    host: 'iris.local',
    port: 1972,
    username: 'bridge',
    password: 'very-secret',
    agentDir: AGENT_DIR,
    driverModule: FAKE_DRIVER_URL,
    driverData: data,
    ...extra,
  });
  clients.push(c);
  return c;
}

const SNAPSHOT = JSON.stringify({
  ok: true,
  agentVersion: SHIPPED,
  takenAt: '2026-03-01T10:00:00.000Z',
  instance: { version: 'IRIS for UNIX 2025.1', versionNumber: '2025.1.0.225.1' },
  namespaces: ['USER'],
  productions: [
    {
      namespace: 'USER',
      name: 'Demo.Production',
      stateCode: 4,
      needsUpdate: false,
      updateReason: '',
      hosts: [
        {
          name: 'Demo.In',
          className: 'EnsLib.File.PassthroughService',
          kind: 'service',
          enabled: true,
          status: 'Error',
          queue: 2,
          errors: 7,
          lastActivity: '2026-03-01T09:00:00Z',
        },
      ],
    },
  ],
  problems: [],
});

describe('NativeIrisClient (transport + installer + contract, fake driver)', () => {
  it('is a "native" client whose target carries no secrets', () => {
    const c = client(fakeDriverData());
    assert.equal(c.kind, 'native');
    assert.equal(c.target, 'iris://iris.local:1972');
    assert.doesNotMatch(c.target, /secret|bridge/);
  });

  it('installs the agent on first use, then maps Agent.Snapshot to the model', async () => {
    const data = fakeDriverData({ agent: { snapshot: SNAPSHOT } });
    const installs: AgentInstallResult[] = [];
    const c = client(data, { onAgentInstalled: (r) => installs.push(r) });
    const s = await c.snapshot();
    assert.deepEqual(installs, [{ action: 'installed', from: null, to: SHIPPED, via: 'file' }]);
    assert.equal(counter(data, C.agentVersion), SHIPPED);
    assert.equal(s.productions[0]!.state, 'troubled');
    assert.deepEqual(s.productions[0]!.hosts[0], {
      name: 'Demo.In',
      className: 'EnsLib.File.PassthroughService',
      kind: 'service',
      enabled: true,
      status: 'error',
      queue: 2,
      errors: 7,
      lastActivity: '2026-03-01T09:00:00.000Z',
    });
    await c.snapshot();
    assert.equal(counter(data, C.loads), 1, 'the agent is installed once, not per call');
  });

  it('does not reinstall a current agent', async () => {
    const data = fakeDriverData({ agentVersion: SHIPPED });
    await client(data).snapshot();
    assert.equal(counter(data, C.loads), 0);
  });

  it('control() passes namespace, production, action, timeout and force to Agent.Control', async () => {
    const data = fakeDriverData({ agentVersion: SHIPPED });
    const c = client(data);
    await c.control({ namespace: 'USER', production: 'Demo.Production', action: 'stop', timeoutSeconds: 20, force: true });
    await c.control({ namespace: 'USER', production: 'Demo.Production', action: 'start' });
    assert.equal(counter(data, C.controls), 2);
  });

  it('an IRIS refusal is IrisCommandRefusedError with IRIS\'s code and text', async () => {
    const data = fakeDriverData({
      agentVersion: SHIPPED,
      agent: {
        control: {
          start: JSON.stringify({
            ok: false,
            code: '<Ens>ErrProductionAlreadyRunning',
            text: "ERROR <Ens>ErrProductionAlreadyRunning: Production 'Demo.Production' is already running",
          }),
          stop: JSON.stringify({
            ok: false,
            code: '<Ens>ErrProductionNotQuiescent',
            text: 'ERROR <Ens>ErrProductionNotQuiescent: Production not quiescent',
          }),
        },
      },
    });
    const c = client(data);
    await assert.rejects(c.control({ namespace: 'USER', production: 'Demo.Production', action: 'start' }), (err: unknown) => {
      assert.ok(err instanceof IrisCommandRefusedError, `got ${String(err)}`);
      assert.equal(err.irisCode, '<Ens>ErrProductionAlreadyRunning');
      assert.match(err.message, /already running/);
      return true;
    });
    await assert.rejects(
      c.control({ namespace: 'USER', production: 'Demo.Production', action: 'stop' }),
      (err: unknown) => err instanceof IrisCommandRefusedError && err.irisCode === '<Ens>ErrProductionNotQuiescent',
    );
  });

  it('an unknown production or namespace is UnknownProductionError', async () => {
    const data = fakeDriverData({
      agentVersion: SHIPPED,
      agent: {
        control: {
          restart: JSON.stringify({
            ok: false,
            code: '<IrisEdge>UnknownProduction',
            text: "Production 'Nope' does not exist in namespace 'USER'",
          }),
        },
      },
    });
    await assert.rejects(
      client(data).control({ namespace: 'USER', production: 'Nope', action: 'restart' }),
      (err: unknown) => err instanceof UnknownProductionError && /Nope/.test(err.message),
    );
  });

  it('agent data that breaks the contract is IrisContractError', async () => {
    const bad = JSON.parse(SNAPSHOT);
    bad.productions[0].hosts[0].errors = -1;
    const c = client(fakeDriverData({ agentVersion: SHIPPED, agent: { snapshot: JSON.stringify(bad) } }));
    await assert.rejects(c.snapshot(), (err: unknown) => err instanceof IrisContractError && /hosts\[0\]\.errors/.test(err.message));
  });

  it('an {"ok":false} snapshot (IRIS error inside the agent) is IrisUnavailableError with IRIS\'s text', async () => {
    const c = client(
      fakeDriverData({ agentVersion: SHIPPED, agent: { snapshot: '{"ok":false,"code":"<PROTECT>","text":"<PROTECT> ^Ens.Runtime"}' } }),
    );
    await assert.rejects(c.snapshot(), (err: unknown) => err instanceof IrisUnavailableError && /PROTECT/.test(err.message));
  });

  it('IRIS not reachable is IrisUnavailableError for snapshot and control', async () => {
    const c = client(fakeDriverData({ connectError: '<COMMUNICATION LINK ERROR> Failed to connect; ECONNREFUSED' }));
    await assert.rejects(c.snapshot(), IrisUnavailableError);
    await assert.rejects(c.control({ namespace: 'USER', production: 'Demo.Production', action: 'start' }), IrisUnavailableError);
  });

  it('reinstalls the agent when it disappears from IRIS', async () => {
    const data = fakeDriverData({ agentVersion: SHIPPED });
    const c = client(data);
    await c.snapshot();
    Atomics.store(new Int32Array(data.counters), C.agentVersion, 0); // IRIS lost the class
    await assert.rejects(c.snapshot(), IrisUnavailableError);
    await c.snapshot();
    assert.equal(counter(data, C.loads), 1);
  });
});
