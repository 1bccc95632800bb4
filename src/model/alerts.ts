/** IRIS system alerts (/api/monitor/alerts), as every consumer shows them. */

/**
 * Severity words by IRIS's numeric severity: 0 info, 1 warning, 2 severe, 3 fatal. [UNVERIFIED]
 * research/iris.md §3.1 infers this by analogy with the messages.log levels; the docs only show
 * severity "2" in the example. Unknown codes map to the nearest end of the scale.
 */
export type AlertSeverityWord = 'info' | 'warning' | 'severe' | 'fatal';

export interface IrisAlert {
  /** ISO 8601 with timezone ("...Z"). */
  time: string;
  severity: number;
  severityWord: AlertSeverityWord;
  message: string;
}

export function severityWord(severity: number): AlertSeverityWord {
  if (severity <= 0) return 'info';
  if (severity === 1) return 'warning';
  if (severity === 2) return 'severe';
  return 'fatal';
}
