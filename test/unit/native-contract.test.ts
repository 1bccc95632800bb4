/**
 * The contract suite (test/contract/expectations.ts) run through the whole native stack
 * (NativeIrisClient -> worker thread -> fake driver emulating the agent). It checks that the
 * native client and the expectations fit each other; a real IRIS is test/contract/iris.test.ts.
 */
import { fileURLToPath } from 'node:url';
import { createNativeIrisClient } from '../../src/iris/native/client.ts';
import { irisContract } from '../contract/expectations.ts';
import { FAKE_DRIVER_URL, fakeDriverData } from './native-fake-driver.fixture.ts';

const AGENT_DIR = fileURLToPath(new URL('../../rootfs/usr/share/iris-edge/agent/', import.meta.url));

irisContract(
  'NativeIrisClient over the fake driver',
  async () => {
    const production = { namespace: 'USER', name: 'Demo.Production' };
    return {
      client: createNativeIrisClient({
        host: '127.0.0.1',
        port: 1972,
        username: 'bridge',
        password: 'secret',
        agentDir: AGENT_DIR,
        driverModule: FAKE_DRIVER_URL,
        driverData: fakeDriverData({ agent: { stateful: { namespace: 'USER', production: 'Demo.Production' } } }),
      }),
      production,
    };
  },
  { settleTimeoutMs: 2000, pollMs: 20 },
);
