/**
 * A simulated IRIS, its monitor and the panel in standalone mode, for the tests and the bench
 * that look at the panel from outside. The monitor polls only when the caller says (a poll an
 * hour): tests and benches trigger each poll themselves.
 */
import pino from 'pino';
import { IrisSimulator, demoScenario, type ProductionSeed } from '../../src/iris/simulator/index.ts';
import { Monitor } from '../../src/monitor/monitor.ts';
import type { FeedLimits, HaFlowsSource, PanelApps } from '../../src/panel/context.ts';
import { LogBuffer } from '../../src/panel/log-buffer.ts';
import { startPanel, type RunningPanel } from '../../src/panel/server.ts';

export interface PanelRig {
  sim: IrisSimulator;
  monitor: Monitor;
  panel: RunningPanel;
  close(): Promise<void>;
}

export async function startPanelRig(o: { productions?: ProductionSeed[]; feed?: Partial<FeedLimits>; haFlows?: HaFlowsSource; apps?: PanelApps } = {}): Promise<PanelRig> {
  const sim = new IrisSimulator({ productions: o.productions ?? demoScenario(), transitionMs: 10 });
  const logs = new LogBuffer(100);
  const log = pino({ level: 'warn', base: undefined }, pino.multistream([{ level: 'warn', stream: logs }]));
  const monitor = new Monitor(sim, { pollIntervalMs: 3_600_000, removalGracePolls: 2 }, log);
  await monitor.start();
  const panel = await startPanel({
    monitors: [{ id: 'iris', monitor, instanceName: 'IRIS' }],
    mode: 'standalone',
    port: 0,
    connect: { superserverPort: 1972, webPort: 52773, portalPath: '/csp/sys/UtilHome.csp', serviceAccount: 'iris_edge' },
    logs,
    log,
    feed: o.feed ?? {},
    ...(o.haFlows ? { haFlows: o.haFlows } : {}),
    ...(o.apps ? { apps: o.apps } : {}),
  });
  return {
    sim,
    monitor,
    panel,
    async close() {
      await panel.close();
      monitor.stop();
      await sim.close();
    },
  };
}
