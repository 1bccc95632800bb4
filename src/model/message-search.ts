/**
 * A search of a namespace's message headers (Ens.MessageHeader): what the MCP tool search_messages
 * asks of IRIS and what comes back. Bounded on every side: a time window, a row limit, short texts.
 */

/** Rows one search returns at most, newest first. */
export const MESSAGE_SEARCH_LIMIT = 50;
/** The widest time window one search may cover. */
export const MESSAGE_WINDOW_MAX_DAYS = 31;
/** Characters of a host or class name the agent sends at most (IRIS's names are shorter). */
export const MESSAGE_TEXT_MAX = 256;

/**
 * Ens.DataType.MessageStatus, in the order of its logical values 1 to 9 (Ens.MessageHeader class
 * reference); the words are its display values in lower case.
 */
export const MESSAGE_STATUSES = ['created', 'queued', 'delivered', 'discarded', 'suspended', 'deferred', 'aborted', 'error', 'completed'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** The logical Ens.DataType.MessageStatus value of a status word. */
export function messageStatusCode(status: MessageStatus): number {
  return MESSAGE_STATUSES.indexOf(status) + 1;
}

/** The status of a logical Ens.DataType.MessageStatus value; undefined for one the model does not know. */
export function messageStatusOfCode(code: number): MessageStatus | undefined {
  return MESSAGE_STATUSES[code - 1];
}

/** The display value of a status (%EXTERNAL(Status): "Completed"), as IRIS and the agent give it. */
export function messageStatusWord(status: MessageStatus): string {
  return status.charAt(0).toUpperCase() + status.slice(1);
}

export interface MessageSearch {
  /** Only messages from or to a host of this production; null: the whole namespace. */
  production: string | null;
  /** TimeCreated >= since and < until, ISO 8601 UTC. */
  since: string;
  until: string;
  /** Only messages from or to this business host. */
  host: string | null;
  status: MessageStatus | null;
  /** Only headers with IsError set. */
  errorsOnly: boolean;
  /** 1 to MESSAGE_SEARCH_LIMIT. */
  limit: number;
}

export interface MessageHeaderRow {
  /** Ens.MessageHeader ID: rises with every message of the namespace. */
  id: number;
  /** When the message was created, ISO 8601 UTC. */
  timeCreated: string;
  source: string;
  target: string;
  /** The class of the message body, "" for a message without a body. */
  bodyClass: string;
  status: MessageStatus;
  isError: boolean;
  sessionId: number | null;
}

export interface MessageSearchResult {
  messages: MessageHeaderRow[];
  /** More messages matched than the limit let through. */
  more: boolean;
}
