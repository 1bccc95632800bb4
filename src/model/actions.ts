/**
 * Which production commands make sense in which state: the panel enables only these and fills
 * the main one. The monitor still answers "nothing to do" or IRIS refuses when a script sends
 * another; this table is what a person is offered, not a guard.
 */
import type { IrisProductionState, ProductionAction } from './production.ts';
import { PRODUCTION_ACTIONS } from './production.ts';

export interface ActionChoice {
  action: ProductionAction;
  enabled: boolean;
  /** The one command the state calls for (at most one per production). */
  primary: boolean;
}

interface Facts {
  irisState: IrisProductionState;
  needsUpdate: boolean;
  commandInFlight: ProductionAction | null;
}

/** What each IRIS state allows, and its main command. */
const TABLE: Record<IrisProductionState, { allowed: ProductionAction[]; primary: ProductionAction | null }> = {
  // StopProduction/RestartProduction act on the running production; UpdateProduction only when it needs one.
  running: { allowed: ['stop', 'restart', 'update'], primary: 'stop' },
  stopped: { allowed: ['start'], primary: 'start' },
  // Its jobs stopped without a clean shutdown: RecoverProduction is what it needs ([EGMG] "Recovering a Production").
  troubled: { allowed: ['recover', 'stop', 'restart', 'update'], primary: 'recover' },
  // It still holds its namespace (isActive): stopping it is the way out.
  suspended: { allowed: ['stop', 'restart'], primary: 'stop' },
  network_stopped: { allowed: ['stop', 'restart'], primary: 'stop' },
  // The bridge cannot tell: offer what IRIS can judge, none as the main one.
  unknown: { allowed: ['start', 'stop', 'restart'], primary: null },
};

export function actionChoices(p: Facts): ActionChoice[] {
  const row = TABLE[p.irisState];
  const busy = p.commandInFlight !== null;
  const primary = p.needsUpdate && row.allowed.includes('update') && p.irisState === 'running' ? 'update' : row.primary;
  return PRODUCTION_ACTIONS.map((action) => {
    const enabled = !busy && row.allowed.includes(action) && (action !== 'update' || p.needsUpdate);
    return { action, enabled, primary: enabled && action === primary };
  });
}
