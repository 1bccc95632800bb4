/** An apps operation the panel started (install, update, uninstall, a namespace), as the panel shows it. */
export interface AppsJob {
  id: number;
  action: 'install' | 'uninstall' | 'create-namespace' | 'delete-namespace';
  namespace: string;
  name: string | null;
  version: string | null;
  state: 'running' | 'done' | 'failed';
  /** IPM's output so far (the newest 400 lines, each at most 500 characters). */
  lines: string[];
  /** Lifecycle phases IPM has reported as done: the progress while it works. */
  phasesDone: number;
  /** The outcome, or IPM's own message and what remains when it failed. */
  message: string;
  startedAt: string;
  endedAt: string | null;
}
