/** The contract a real IRIS must meet (test/contract), run against the simulator on every test run. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedDatabases } from '../../src/iris/simulator/databases.ts';
import { IrisSimulator } from '../../src/iris/simulator/index.ts';
import { irisContract } from '../contract/expectations.ts';

irisContract('IRIS simulator', async () => {
  const client = new IrisSimulator({ transitionMs: 20, databases: new SimulatedDatabases(mkdtempSync(join(tmpdir(), 'iris-edge-contract-')), { namespaces: ['ORDERS'], blocks: 4 }) });
  return { client, production: { namespace: 'ORDERS', name: 'Orders.Production' }, sensors: client.sensorClient() };
}, { settleTimeoutMs: 3000, pollMs: 20 });
