/**
 * IRIS calls Home Assistant (IrisEdge.HA.Home), on the local instance, when the options allow
 * anything: otherwise nothing polls IRIS, and a call from ObjectScript times out saying the app
 * does not answer.
 */
import type { Config } from '../config/config.ts';
import type { HaCore } from '../ha/core.ts';
import type { FlowSink } from '../ha/flow-record.ts';
import { IrisToHa, OUTBOX_POLL_MS } from '../ha/iris-to-ha.ts';
import type { IrisClient } from '../iris/client.ts';
import type { Logger } from '../log/logger.ts';

export function startIrisToHa(ha: HaCore, iris: IrisClient, config: Config, log: Logger, record?: FlowSink): IrisToHa | undefined {
  const { actions, events, states } = config.fromIris;
  if (actions.empty && events.empty && states.empty) return undefined;
  const flow = new IrisToHa(ha, iris, { actions, events, states }, log, OUTBOX_POLL_MS, record);
  flow.start();
  const list = (l: readonly string[]) => (l.length === 0 ? 'none' : l.join(', '));
  log.info(`IRIS may call ${list(actions.patterns)}, fire ${list(events.patterns)} and read ${list(states.patterns)} in Home Assistant`);
  return flow;
}
