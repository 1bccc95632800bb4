import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IrisCommandRefusedError, IrisUnavailableError } from '../../src/model/errors.ts';
import { IrisSimulator, scaleScenario } from '../../src/iris/simulator/index.ts';

const refusedWith = (code: string) => (e: unknown) => e instanceof IrisCommandRefusedError && e.irisCode === code;

describe('IRIS simulator', () => {
  it('has at least two interoperability namespaces', async () => {
    const snap = await new IrisSimulator().snapshot();
    assert.ok(new Set(snap.productions.map((p) => p.namespace)).size >= 2);
  });

  it('runs only one production per namespace', async () => {
    const sim = new IrisSimulator({ transitionMs: 1 });
    await assert.rejects(sim.control({ namespace: 'ORDERS', production: 'Orders.Replay.Production', action: 'start' }), refusedWith('<Ens>ErrProductionAlreadyRunning'));
    await sim.control({ namespace: 'ORDERS', production: 'Orders.Production', action: 'stop' });
    await sim.control({ namespace: 'ORDERS', production: 'Orders.Replay.Production', action: 'start' });
    assert.equal(sim.stateOf('ORDERS', 'Orders.Replay.Production'), 'running');
  });

  it('refuses a non-forced stop while a host is busy, and stops when forced', async () => {
    const sim = new IrisSimulator({ transitionMs: 1 });
    sim.setBusy('LAB', 'Lab.Results.Production', 'Results.Router', true);
    await assert.rejects(sim.control({ namespace: 'LAB', production: 'Lab.Results.Production', action: 'stop' }), refusedWith('<Ens>ErrProductionNotQuiescent'));
    assert.equal(sim.stateOf('LAB', 'Lab.Results.Production'), 'running');
    await sim.control({ namespace: 'LAB', production: 'Lab.Results.Production', action: 'stop', force: true });
    assert.equal(sim.stateOf('LAB', 'Lab.Results.Production'), 'stopped');
  });

  it('turns troubled, refuses to start until recovered, and can be stopped', async () => {
    const sim = new IrisSimulator({ transitionMs: 1 });
    sim.makeTroubled('ORDERS', 'Orders.Production');
    const snap = await sim.snapshot();
    const p = snap.productions.find((x) => x.name === 'Orders.Production');
    assert.equal(p?.state, 'troubled');
    assert.ok(p?.hosts.every((h) => h.status === 'error' || h.status === 'disabled'));
    await assert.rejects(sim.control({ namespace: 'ORDERS', production: 'Orders.Production', action: 'start' }), refusedWith('<Ens>ErrProductionNotShutdownCleanly'));
    await sim.control({ namespace: 'ORDERS', production: 'Orders.Production', action: 'stop' });
    await assert.rejects(sim.control({ namespace: 'ORDERS', production: 'Orders.Production', action: 'stop' }), refusedWith('<IrisEdge>ProductionNotRunning'));
  });

  it('reports stopped hosts for a stopped production and restarts a running one', async () => {
    const sim = new IrisSimulator({ transitionMs: 1 });
    await sim.control({ namespace: 'LAB', production: 'Lab.Results.Production', action: 'restart' });
    assert.equal(sim.stateOf('LAB', 'Lab.Results.Production'), 'running');
    await sim.control({ namespace: 'LAB', production: 'Lab.Results.Production', action: 'stop' });
    const hosts = (await sim.snapshot()).productions.find((x) => x.name === 'Lab.Results.Production')?.hosts ?? [];
    assert.deepEqual(hosts.map((h) => h.status), ['stopped', 'stopped', 'stopped', 'disabled']);
    await assert.rejects(sim.control({ namespace: 'LAB', production: 'Lab.Results.Production', action: 'restart' }), refusedWith('<IrisEdge>ProductionNotRunning'));
  });

  it('a host enabled or disabled through the bridge is saved to the production class, so a recompile keeps it, and the running production applies it', async () => {
    const sim = new IrisSimulator({ transitionMs: 1 });
    await sim.setHostEnabled({ namespace: 'ORDERS', production: 'Orders.Production', host: 'Orders.DB', enable: false });
    const host = async () => (await sim.snapshot()).productions.find((p) => p.name === 'Orders.Production')?.hosts.find((h) => h.name === 'Orders.DB');
    assert.deepEqual([(await host())?.enabled, (await host())?.status], [false, 'disabled'], 'UpdateProduction applied it to the running production');
    // A compile of the class reloads the configuration from its XData ([CFG], interop.ts).
    sim.iris.interop.compileClass('ORDERS', 'Orders.Production');
    assert.equal((await host())?.enabled, false, 'the change was not saved to the class: a recompile undid it');
    await sim.setHostEnabled({ namespace: 'ORDERS', production: 'Orders.Production', host: 'Orders.DB', enable: true });
    sim.iris.interop.compileClass('ORDERS', 'Orders.Production');
    assert.deepEqual([(await host())?.enabled, (await host())?.status], [true, 'ok']);
    // A stopped production: the definition changes, nothing runs.
    await sim.setHostEnabled({ namespace: 'ORDERS', production: 'Orders.Replay.Production', host: 'Replay.In.File', enable: false });
    sim.iris.interop.compileClass('ORDERS', 'Orders.Replay.Production');
    const replay = (await sim.snapshot()).productions.find((p) => p.name === 'Orders.Replay.Production');
    assert.deepEqual([replay?.state, replay?.hosts[0]?.enabled, replay?.hosts[0]?.status], ['stopped', false, 'disabled']);
    await assert.rejects(sim.setHostEnabled({ namespace: 'ORDERS', production: 'Orders.Production', host: 'No.Such', enable: false }), refusedWith('<Ens>ErrConfigItemNotFound'));
  });

  it('a change made only in the configuration tables (what EnableConfigItem does) is undone by the next compile', () => {
    const sim = new IrisSimulator({ transitionMs: 1 });
    const h = sim.iris.interop.find('ORDERS', 'Orders.Production')?.hosts.find((x) => x.name === 'Orders.DB');
    assert.ok(h);
    h.enabled = false;
    sim.iris.interop.compileClass('ORDERS', 'Orders.Production');
    assert.equal(h.enabled, true);
  });

  it('fails every call while IRIS is unreachable', async () => {
    const sim = new IrisSimulator();
    sim.setReachable(false);
    await assert.rejects(sim.snapshot(), IrisUnavailableError);
    await assert.rejects(sim.control({ namespace: 'LAB', production: 'Lab.Results.Production', action: 'stop' }), IrisUnavailableError);
  });

  it('builds the scale scenario', async () => {
    const snap = await new IrisSimulator({ productions: scaleScenario(10, 100) }).snapshot();
    assert.equal(snap.productions.length, 10);
    assert.equal(snap.productions.reduce((n, p) => n + p.hosts.length, 0), 1000);
  });
});
