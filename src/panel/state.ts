/** What the panel shows of one monitored instance: the monitor's view, shaped for the API. */
import type { InstanceBody } from './schemas.ts';
import type { PanelInstance } from './context.ts';

export function instanceBody(i: PanelInstance): InstanceBody {
  const v = i.monitor.view;
  return {
    id: i.id,
    name: i.instanceName,
    reachable: v.reachable,
    inventoried: v.inventoried,
    version: v.instance?.version ?? null,
    versionNumber: v.instance?.versionNumber ?? null,
    simulator: i.simulator === true,
    portal: i.portal ?? null,
    metrics: v.metrics as InstanceBody['metrics'],
    productions: v.productions,
  };
}
