import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IrisCommandRefusedError } from '../../src/model/errors.ts';
import { IrisSimulator } from '../../src/iris/simulator/simulator.ts';
import { sslInputProblem, type SslConfigInput } from '../../src/model/ssl.ts';

const input = (over: Partial<SslConfigInput> = {}): SslConfigInput => ({
  name: 'IrisEdgeTest',
  type: 'client',
  caFile: '/ca.pem',
  certificateFile: '',
  privateKeyFile: '',
  verifyPeer: 1,
  tlsMinVersion: 16,
  tlsMaxVersion: 32,
  ...over,
});

describe('simulator: SSL/TLS configurations', () => {
  it('ships two examples, one used by HL7.Out.Lab in Orders.Production', async () => {
    const sim = new IrisSimulator({ transitionMs: 0 });
    const list = await sim.sslConfigs();
    assert.equal(list.length, 2);
    const lab = list.find((c) => c.name === 'LabTLS');
    assert.deepEqual(lab?.usedBy, [{ namespace: 'ORDERS', production: 'Orders.Production', host: 'HL7.Out.Lab' }]);
    assert.ok(list.every((c) => !('privateKeyPassword' in c)));
  });

  it('creates, then modifies the configuration of the same name', async () => {
    const sim = new IrisSimulator({ transitionMs: 0 });
    await sim.applySslConfig(input());
    await sim.applySslConfig(input({ type: 'server', certificateFile: '/c.pem', privateKeyFile: '/k.pem', verifyPeer: 3, privateKeyPassword: 'pw' }));
    const list = await sim.sslConfigs();
    assert.equal(list.length, 3);
    const c = list.find((x) => x.name === 'IrisEdgeTest')!;
    assert.equal(c.type, 'server');
    assert.equal(c.verifyPeer, 3);
    assert.equal(c.enabled, true);
    assert.ok(!JSON.stringify(list).includes('"pw"'));
    assert.equal(sim.sslPasswordOf('IrisEdgeTest'), 'pw');
  });

  it('refuses documented-invalid values: VerifyPeer 3 on a client, TLS values, min > max, a server without key', async () => {
    const sim = new IrisSimulator({ transitionMs: 0 });
    for (const bad of [
      input({ verifyPeer: 3 }),
      input({ tlsMinVersion: 64 }),
      input({ tlsMinVersion: 32, tlsMaxVersion: 16 }),
      input({ type: 'server', verifyPeer: 0 }),
      input({ name: '%SuperServer' }),
      input({ name: 'a/b' }),
    ]) {
      await assert.rejects(sim.applySslConfig(bad), IrisCommandRefusedError, JSON.stringify(bad));
    }
    assert.equal((await sim.sslConfigs()).length, 2);
    assert.equal(sim.sslApplyCalls.length, 0);
  });

  it('usedBy follows host settings and ignores hosts that no longer exist', async () => {
    const sim = new IrisSimulator({ transitionMs: 0 });
    sim.setHostSslConfig('ORDERS', 'Orders.Production', 'Orders.DB', 'LabTLS');
    sim.setHostSslConfig('ORDERS', 'Orders.Production', 'Nope', 'LabTLS');
    const lab = (await sim.sslConfigs()).find((c) => c.name === 'LabTLS')!;
    assert.deepEqual(lab.usedBy.map((u) => u.host).sort(), ['HL7.Out.Lab', 'Orders.DB']);
  });

  it('is unreachable like every other call when IRIS is down', async () => {
    const sim = new IrisSimulator({ transitionMs: 0 });
    sim.setReachable(false);
    await assert.rejects(sim.sslConfigs());
    await assert.rejects(sim.applySslConfig(input()));
  });

  it('sslInputProblem accepts a valid server input', () => {
    assert.equal(sslInputProblem(input({ type: 'server', certificateFile: '/c', privateKeyFile: '/k', verifyPeer: 1 })), null);
  });
});
