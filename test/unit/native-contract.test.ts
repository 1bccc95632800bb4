/**
 * The contract suite (test/contract/expectations.ts) through the whole chain the bridge uses for a
 * real IRIS: agent client -> connection process (child) -> driver -> superserver -> a simulated
 * instance whose setup created the bridge's least-privilege user. Only the instance and the
 * driver are stand-ins; a real IRIS is test/contract/iris.test.ts.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNativeIrisClient } from '../../src/iris/native/client.ts';
import { SimulatedDatabases } from '../../src/iris/simulator/databases.ts';
import { SIMULATOR_DRIVER, SimulatedIris, startSuperserver } from '../../src/iris/simulator/index.ts';
import { SOURCE_AGENT_DIR } from '../../src/iris/agent/source-dir.ts';
import { irisContract } from '../contract/expectations.ts';

irisContract(
  'Native API client over the simulator superserver (connection process, bridge user)',
  async () => {
    const data = new SimulatedDatabases(mkdtempSync(join(tmpdir(), 'iris-edge-native-contract-')), { namespaces: ['ORDERS', 'LAB'], blocks: 4, writeIntervalMs: 0 });
    const instance = new SimulatedIris({ transitionMs: 20, databases: data });
    const credentials = { username: 'iris_edge', password: 'contract-pw' };
    const sensorCredentials = { username: 'iris_edge_sensors', password: 'contract-sensors-pw' };
    instance.runSetup(credentials, undefined, sensorCredentials);
    const server = await startSuperserver(instance);
    return {
      client: createNativeIrisClient({
        host: server.host,
        port: server.port,
        ...credentials,
        agentDir: SOURCE_AGENT_DIR,
        driverModule: SIMULATOR_DRIVER,
        kind: 'simulator',
      }),
      production: { namespace: 'ORDERS', name: 'Orders.Production' },
      sensors: createNativeIrisClient({ host: server.host, port: server.port, ...sensorCredentials, agentDir: SOURCE_AGENT_DIR, driverModule: SIMULATOR_DRIVER, kind: 'simulator' }),
      deleteSslConfig: async (name) => void instance.ssl.delete(name),
      cleanup: async () => {
        await server.close();
        instance.close();
      },
    };
  },
  { settleTimeoutMs: 5000, pollMs: 50 },
);
