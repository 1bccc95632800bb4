/**
 * Calls from IRIS to Home Assistant (IrisEdge.HA.Home): what the bridge takes from the outboxes,
 * the requests ObjectScript writes (checked here: IRIS code is input like any other), and the
 * answers written back.
 */
import { z } from 'zod';

/** The largest request JSON the bridge acts on. */
export const MAX_HA_CALL_BYTES = 64 * 1024;
/** Calls taken per look at the outboxes. */
export const HA_CALLS_PER_TAKE = 50;

/** One call as IrisEdge.Agent.TakeHaCalls hands it over. */
export interface TakenHaCall {
  namespace: string;
  id: number;
  /** The request JSON as written by IrisEdge.HA.Home (unchecked). */
  request: string;
  /** The waiting process, to wake with the answer. */
  pid: string;
  /** UTC seconds. */
  deadline: number;
}

export interface TakenHaCalls {
  /** IRIS's clock, UTC seconds: deadlines are compared with it, not with the bridge's clock. */
  now: number;
  calls: TakenHaCall[];
  problems: { namespace: string; text: string }[];
}

const name = z.string().regex(/^[a-z0-9_]{1,64}$/, 'lower-case letters, digits and _');
const object = z.record(z.string(), z.unknown());

export const haCallRequestSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('action'), domain: name, service: name, data: object.optional(), target: object.optional(), return_response: z.boolean().optional() }),
  z.object({ kind: z.literal('event'), event_type: z.string().regex(/^[a-z0-9_]{1,128}$/, 'lower-case letters, digits and _'), data: object.optional() }),
  z.object({ kind: z.literal('state'), entity_id: z.string().regex(/^[a-z0-9_]+\.[a-z0-9_]+$/, 'an entity id such as input_boolean.porch') }),
]);
export type HaCallRequest = z.infer<typeof haCallRequestSchema>;

/** What IRIS gets back: {"ok":true,...} or {"ok":false,"text"}. */
export type HaCallAnswer = { ok: true; response?: unknown; state?: string; attributes?: Record<string, unknown> } | { ok: false; text: string };

/** A request from IRIS, checked; or why it cannot be one (said to the IRIS caller). */
export function parseHaCallRequest(json: string): { ok: true; request: HaCallRequest } | { ok: false; text: string } {
  if (Buffer.byteLength(json) > MAX_HA_CALL_BYTES) return { ok: false, text: `IRIS Edge refused the call: its JSON is over ${MAX_HA_CALL_BYTES / 1024} KB` };
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return { ok: false, text: 'IRIS Edge refused the call: it is not JSON' };
  }
  const parsed = haCallRequestSchema.safeParse(value);
  if (!parsed.success) {
    return { ok: false, text: `IRIS Edge refused the call: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; ')}` };
  }
  return { ok: true, request: parsed.data };
}

/** The name an allow-list judges: the action "domain.service", the event type, or the entity id. */
export function haCallSubject(r: HaCallRequest): string {
  return r.kind === 'action' ? `${r.domain}.${r.service}` : r.kind === 'event' ? r.event_type : r.entity_id;
}
