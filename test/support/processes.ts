/** Processes seen through Linux's /proc, for tests and benches that watch what the bridge starts. */
import { readFileSync } from 'node:fs';

/** The process's children; none once it is gone. */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** The process's children started from an entry point whose path holds `entry`. */
export function childrenRunning(pid: number, entry: string): number[] {
  return childrenOf(pid).filter((child) => {
    try {
      return readFileSync(`/proc/${child}/cmdline`, 'utf8').includes(entry);
    } catch {
      return false;
    }
  });
}

/** The archive processes (src/backups/archive-child) among the process's children. */
export function archiveProcessesOf(pid: number): number[] {
  return childrenRunning(pid, 'archive-child');
}
