/** Entries of a production's Event Log (Ens.Util.Log): what the production page shows behind each error count. */

/** How many entries one read returns at most, newest first: the page shows recent trouble, not history. */
export const EVENT_LOG_LIMIT = 50;
/** Characters of an entry's text kept (the agent cuts it; the bridge checks it). */
export const EVENT_TEXT_MAX = 500;

export interface EventLogEntry {
  /** Ens.Util.Log ID: rises with every entry of the namespace. */
  id: number;
  type: 'error' | 'warning';
  /** The config item (business host) that logged it, or the production's own name. */
  host: string;
  text: string;
  /** The text was longer than EVENT_TEXT_MAX and was cut. */
  truncated: boolean;
  /** When it was logged, ISO 8601 UTC. */
  time: string;
  /** The message session it belongs to, when it belongs to one. */
  sessionId: number | null;
  /** "Class:Method" that logged it, or "". */
  source: string;
}
