/** The contract a real IRIS must meet (test/contract), run against the simulator on every test run. */
import { IrisSimulator } from '../../src/iris/simulator/index.ts';
import { irisContract } from '../contract/expectations.ts';

irisContract('IRIS simulator', async () => ({
  client: new IrisSimulator({ transitionMs: 20 }),
  production: { namespace: 'ORDERS', name: 'Orders.Production' },
}), { settleTimeoutMs: 3000, pollMs: 20 });
