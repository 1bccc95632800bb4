/**
 * Crash points for the crash tests: IRIS_EDGE_FAILPOINT=<name> makes the process kill itself with
 * SIGKILL when it reaches that point, exactly as a power cut or the OOM killer would. Unset in
 * normal use, where this does nothing.
 */
export function failpoint(name: string): void {
  if (process.env.IRIS_EDGE_FAILPOINT === name) process.kill(process.pid, 'SIGKILL');
}
