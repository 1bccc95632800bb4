/**
 * What the panel's "Home Assistant ↔ IRIS" page shows of the two-way traffic: the outcome of each
 * recent message, each way, and counters. An entry names what moved (an entity, an event type, an
 * action) and carries at most a short preview of its data, with values under secret-sounding keys
 * masked: the page is a window on traffic, never a copy of it.
 */

export const HA_FLOW_DIRECTIONS = ['to-iris', 'from-iris'] as const;
export type HaFlowDirection = (typeof HA_FLOW_DIRECTIONS)[number];

/**
 * delivered: IRIS took it (to-iris) or Home Assistant carried it out (from-iris).
 * refused: an allow-list or a check turned it away before it went anywhere.
 * dropped: a full queue (to-iris) or a call whose caller had given up (from-iris): never carried out.
 * failed: the other side refused it (IRIS's service, Home Assistant's error).
 */
export const HA_FLOW_OUTCOMES = ['delivered', 'refused', 'dropped', 'failed'] as const;
export type HaFlowOutcome = (typeof HA_FLOW_OUTCOMES)[number];

export interface HaFlowEntry {
  /** ISO 8601 UTC. */
  at: string;
  outcome: HaFlowOutcome;
  /** What moved: an entity id, an event type, `mqtt`, or a domain.action. */
  subject: string;
  /** Where to: "HomeAssistant in USER", or the namespace a call came from. */
  target: string;
  /** A short summary ("off → on") or the reason it did not go through. */
  detail: string | null;
  /** At most HA_FLOW_PREVIEW_CHARS of its data as JSON, secrets masked; null when it had none. */
  preview: string | null;
}

export type HaFlowCounters = Record<HaFlowOutcome, number>;

/** Entries kept per direction (newest first). */
export const HA_FLOW_KEPT = 50;
export const HA_FLOW_PREVIEW_CHARS = 160;
/** A detail longer than this is cut (an error text from the other side can be long). */
export const HA_FLOW_DETAIL_CHARS = 300;

const SECRET_KEY = /pass(word|wd)?|secret|token|api_?key|auth|credential|entity_picture|cookie|session/i;
const MASK = '••••';

/** Cuts `text` to `max` characters, marking the cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * A short JSON preview of `value` with secret-sounding keys masked at any depth. The JSON is
 * built only as far as the preview reaches: a 64 KB payload costs no more than a small one.
 */
export function flowPreview(value: unknown, max = HA_FLOW_PREVIEW_CHARS): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'object' && Object.keys(value).length === 0) return null;
  let out = '';
  const full = () => out.length > max;
  const write = (v: unknown, depth: number): void => {
    if (full()) return;
    if (v === null || typeof v !== 'object') {
      out += JSON.stringify(v) ?? 'null';
      return;
    }
    if (depth > 8) {
      out += '…';
      return;
    }
    if (Array.isArray(v)) {
      out += '[';
      v.forEach((x, i) => {
        if (full()) return;
        if (i > 0) out += ',';
        write(x, depth + 1);
      });
      out += ']';
      return;
    }
    out += '{';
    let first = true;
    for (const [k, x] of Object.entries(v)) {
      if (full()) return;
      if (!first) out += ',';
      first = false;
      out += `${JSON.stringify(k)}:`;
      if (SECRET_KEY.test(k)) out += JSON.stringify(MASK);
      else write(x, depth + 1);
    }
    out += '}';
  };
  write(value, 0);
  return clip(out, max);
}

/** One business service's queue of messages for IRIS. */
export interface HaFlowQueue {
  service: string;
  namespace: string;
  queued: number;
  queuedBytes: number;
  /** Why its oldest message waits, or null while deliveries go through. */
  waiting: string | null;
}

/** The page's whole view: each direction's allow-lists (as the options give them), counters and last outcomes. */
export interface HaFlowsView {
  /** Home Assistant is configured (HA_URL, or the Supervisor): without it no event or call flows. */
  homeAssistant: boolean;
  toIris: {
    namespace: string;
    service: string;
    entities: string[];
    events: string[];
    mqttServices: string[];
    counters: HaFlowCounters;
    queues: HaFlowQueue[];
    recent: HaFlowEntry[];
  };
  fromIris: {
    actions: string[];
    events: string[];
    states: string[];
    counters: HaFlowCounters;
    inFlight: number;
    recent: HaFlowEntry[];
  };
}
