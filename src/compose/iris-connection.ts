/**
 * How the bridge reaches an IRIS: the Native API client (in a process the bridge can kill), the
 * sensors connection opened when first used, and what a local instance gives the bridge. Shared
 * by a real IRIS (iris.ts) and the simulator (simulated-iris.ts, loaded only when it is used).
 */
import type { NativeIrisClient, NativeIrisClientOptions } from '../iris/native/client.ts';
// superserver.ts alone, not the simulator's index: a bridge that reaches a simulator in another
// process (IRIS_EDGE_IRIS_DRIVER=simulator) names its driver and loads none of the simulator.
import { SIMULATOR_DRIVER } from '../iris/simulator/superserver.ts';
import type { Logger } from '../log/logger.ts';
import type { SensorSource } from '../monitor/agent-sensors.ts';
import type { PersonAccountService } from '../accounts/person-account.ts';
import type { AppsRunner } from '../model/ipm.ts';
import type { InstancePlan } from './instance.ts';

type NativeTarget = { host: string; port: number; username: string; password: string; agentDir: string };

export async function nativeClient(t: NativeTarget, log: Logger, extra: Pick<NativeIrisClientOptions, 'inAddon'> & Partial<NativeIrisClientOptions>): Promise<NativeIrisClient> {
  const { createNativeIrisClient } = await import('../iris/native/client.ts');
  let announced = false;
  return createNativeIrisClient({
    ...t,
    onProblems: (problems) => {
      for (const p of problems) log.warn(`IRIS namespace ${p.namespace} was skipped in the inventory: ${p.text}`);
    },
    onDriver: (driver, pid) => {
      const line = `IRIS at ${t.host}:${t.port} is reached through ${driver}, in a separate process (pid ${pid ?? '?'}) the bridge can kill`;
      if (announced) log.debug(line);
      else log.info(line);
      announced = true;
    },
    onAbandoned: (call, stats) =>
      log.warn(
        `IRIS did not answer ${call.call} within ${Math.round(call.afterMs / 1000)} s; its connection process was killed ` +
          `(${stats.abandonedRecently} unanswered calls in the last 10 minutes, ${stats.callsAbandoned} since the start).`,
      ),
    onOutput: (line) => log.debug(`IRIS connection process: ${line}`),
    ...extra,
  });
}

/** How a bridge reaches a simulated IRIS's superserver: the simulator's driver, not the SDK. */
export const SIMULATOR_LINK = { kind: 'simulator', driverModule: SIMULATOR_DRIVER, inAddon: false } as const;

/**
 * The local instance's IRIS side, its account for people when this bridge can manage it, the
 * sensors connection (logged in as the sensors' own user, opened when first used), and the
 * owner's path for IPM apps where this bridge has one.
 */
export type LocalIris = Pick<InstancePlan, 'iris' | 'health' | 'close' | 'control'> & { account?: PersonAccountService; sensors?: SensorConnection; apps?: AppsRunner };

/** The sensors connection: read sensors, and close (startBridge's stop closes it). */
export type SensorConnection = SensorSource & { close(): Promise<void> };

/**
 * The sensors connection, opened at its first read: the panel may add the first SQL, global or
 * method sensor at any time, and a bridge without one never starts that connection's process.
 * An open that fails is tried again at the next read.
 */
export function lazySensorConnection(open: () => Promise<SensorConnection>): SensorConnection {
  let opened: Promise<SensorConnection> | undefined;
  return {
    readSensors: async (namespace, requests, packages) => {
      opened ??= open().catch((err: unknown) => {
        opened = undefined;
        throw err;
      });
      return (await opened).readSensors(namespace, requests, packages);
    },
    close: async () => {
      if (opened) await (await opened.catch(() => undefined))?.close();
    },
  };
}
