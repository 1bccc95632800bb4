import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { IrisCommandRefusedError, IrisContractError } from '../../src/iris/errors.ts';
import { createNativeIrisClient, type NativeIrisClient } from '../../src/iris/native/client.ts';
import { FAKE_DRIVER_URL, fakeDriverData, type FakeDriverData } from './native-fake-driver.fixture.ts';

const AGENT_DIR = fileURLToPath(new URL('../../rootfs/usr/share/iris-edge/agent/', import.meta.url));
const SHIPPED = Number(/Parameter VERSION = (\d+);/.exec(readFileSync(`${AGENT_DIR}IrisEdge.Agent.cls`, 'utf8'))?.[1]);
const clients: NativeIrisClient[] = [];
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
});

function client(data: FakeDriverData) {
  const c = createNativeIrisClient({ host: 'iris.local', port: 1972, username: 'bridge', password: 'pw', agentDir: AGENT_DIR, driverModule: FAKE_DRIVER_URL, driverData: data });
  clients.push(c);
  return c;
}

describe('native client: SSL/TLS configurations (agent VERSION 3)', () => {
  it('the shipped agent is VERSION 3 or later and has SslConfigs and ApplySslConfig', () => {
    assert.ok(SHIPPED >= 3);
    const cls = readFileSync(`${AGENT_DIR}IrisEdge.Agent.cls`, 'utf8');
    assert.match(cls, /ClassMethod SslConfigs\(\) As %String/);
    assert.match(cls, /ClassMethod ApplySslConfig\(json As %String\) As %String/);
    // The password is set on the object, never put into the answer.
    assert.doesNotMatch(cls, /%Set\("privateKeyPassword"/);
  });

  it('maps SslConfigs JSON to the model, joining usedBy by name', async () => {
    const c = client(
      fakeDriverData({
        agentVersion: SHIPPED,
        agent: {
          sslConfigs: JSON.stringify({
            ok: true,
            configs: [
              { name: 'LabTLS', description: 'lab', type: 0, enabled: true, caFile: '/ca.pem', certificateFile: '', privateKeyFile: '', verifyPeer: 1, tlsMinVersion: 16, tlsMaxVersion: 32 },
              { name: 'Srv', description: '', type: 1, enabled: false, caFile: '', certificateFile: '/c.pem', privateKeyFile: '/k.pem', verifyPeer: 3, tlsMinVersion: 16, tlsMaxVersion: 16 },
            ],
            usedBy: [{ config: 'LabTLS', namespace: 'ORDERS', production: 'Orders.Production', host: 'HL7.Out.Lab' }],
            problems: [],
          }),
        },
      }),
    );
    const list = await c.sslConfigs();
    assert.equal(list.length, 2);
    assert.deepEqual(list[0]!.usedBy, [{ namespace: 'ORDERS', production: 'Orders.Production', host: 'HL7.Out.Lab' }]);
    assert.equal(list[0]!.type, 'client');
    assert.equal(list[1]!.type, 'server');
    assert.equal(list[1]!.verifyPeer, 3);
    assert.deepEqual(list[1]!.usedBy, []);
  });

  it('JSON that breaks the contract is an IrisContractError naming the path', async () => {
    const c = client(fakeDriverData({ agentVersion: SHIPPED, agent: { sslConfigs: JSON.stringify({ ok: true, configs: [{ name: 'X', type: 2 }], usedBy: [], problems: [] }) } }));
    await assert.rejects(c.sslConfigs(), (e: Error) => e instanceof IrisContractError && /configs\[0\]/.test(e.message));
  });

  it('an agent failure of SslConfigs is a refusal with IRIS text', async () => {
    const c = client(fakeDriverData({ agentVersion: SHIPPED, agent: { sslConfigs: JSON.stringify({ ok: false, code: '<PROTECT>', text: 'ERROR #939: no privilege' }) } }));
    await assert.rejects(c.sslConfigs(), (e: Error) => e instanceof IrisCommandRefusedError && /no privilege/.test(e.message));
  });

  it('applySslConfig sends one JSON document (type 0/1, the password) and create-then-modify is visible', async () => {
    const c = client(fakeDriverData({ agentVersion: SHIPPED }));
    await c.applySslConfig({ name: 'IrisEdgeTest', type: 'server', caFile: '', certificateFile: '/c.pem', privateKeyFile: '/k.pem', privateKeyPassword: 's3cret', verifyPeer: 0, tlsMinVersion: 16, tlsMaxVersion: 32 });
    await c.applySslConfig({ name: 'IrisEdgeTest', type: 'server', caFile: '/ca.pem', certificateFile: '/c.pem', privateKeyFile: '/k.pem', verifyPeer: 3, tlsMinVersion: 32, tlsMaxVersion: 32 });
    const list = await c.sslConfigs();
    assert.equal(list.length, 1);
    assert.equal(list[0]!.caFile, '/ca.pem');
    assert.equal(list[0]!.verifyPeer, 3);
    assert.equal(list[0]!.type, 'server');
    assert.ok(!JSON.stringify(list).includes('s3cret'));
  });
});
