/**
 * A Home Assistant event as IRIS receives it: the JSON IrisEdge.HA.Event.FromJSON reads
 * (rootfs/usr/share/iris-edge/agent/IrisEdge.HA.Event.cls), made from what Home Assistant's
 * websocket delivers, which is unchecked input: whatever anyone fired.
 *
 * - A state change (`state_changed`) passes when its entity is allowed; it becomes kind "state"
 *   with the entity, old and new state, the new state's attributes, time and context id.
 * - Any other event passes when its type is allowed; it becomes kind "event" with its data.
 *   `state_changed` never passes as an event type: the entity list decides about state changes.
 * - A message whose JSON exceeds MAX_HA_EVENT_BYTES is refused as oversized (a camera's or a
 *   calendar's attributes can be large; IRIS gets nothing rather than half).
 */
import { z } from 'zod';
import type { AllowList } from './allow-list.ts';
import { flowPreview, type HaFlowEntry } from './ha-flow.ts';

/** The largest event JSON handed to IRIS. */
export const MAX_HA_EVENT_BYTES = 64 * 1024;

/** What the websocket delivers, as far as this module reads it. */
export interface HaBusEvent {
  event_type: string;
  data: unknown;
  time_fired?: unknown;
  context?: { id?: unknown };
}

export interface HaEventMessage {
  kind: 'state' | 'event';
  event_type: string;
  entity: string;
  old_state: string;
  new_state: string;
  attributes: Record<string, unknown> | null;
  data: Record<string, unknown> | null;
  /** When Home Assistant fired it, ISO 8601 UTC with "Z". */
  time: string;
  context_id: string;
}

/**
 * A message on its way into IRIS, made once: the JSON IRIS is handed, its size (the queues' bound
 * and the 64 KB limit) and what the panel's record shows of it.
 */
export interface ForIris {
  json: string;
  bytes: number;
  shown: Pick<HaFlowEntry, 'subject' | 'detail' | 'preview'>;
}

/** A message of kind "event": a Home Assistant event of an allowed type, or data published over MQTT. */
export function eventMessage(eventType: string, data: Record<string, unknown>, time: string, contextId: string): HaEventMessage {
  return { kind: 'event', event_type: eventType, entity: '', old_state: '', new_state: '', attributes: null, data, time, context_id: contextId };
}

/** The message as it travels; over MAX_HA_EVENT_BYTES when `bytes` says so (the caller refuses it). */
export function forIris(message: HaEventMessage): ForIris {
  const json = JSON.stringify(message);
  const shown =
    message.kind === 'state'
      ? { subject: message.entity, detail: `${message.old_state || '—'} → ${message.new_state || '—'}`, preview: null }
      : { subject: message.event_type, detail: null, preview: flowPreview(message.data) };
  return { json, bytes: Buffer.byteLength(json), shown };
}

export type HaEventOutcome =
  | { kind: 'pass'; message: HaEventMessage; item: ForIris }
  | { kind: 'oversized'; what: string; bytes: number }
  | { kind: 'malformed'; what: string; why: string }
  | { kind: 'not-allowed' };

const stateSchema = z.object({ state: z.string().max(255), attributes: z.record(z.string(), z.unknown()).default({}) }).nullable();
const stateChangedSchema = z.object({
  entity_id: z.string().regex(/^[a-z0-9_]+\.[a-z0-9_]+$/, 'an entity id'),
  old_state: stateSchema.default(null),
  new_state: stateSchema.default(null),
});
const dataSchema = z.record(z.string(), z.unknown());

/** ISO 8601 UTC of HA's time_fired ("2026-01-01T12:00:00.123456+00:00"), or of `now` when it has none. */
function utc(timeFired: unknown, now: Date): string {
  const t = typeof timeFired === 'string' ? new Date(timeFired) : now;
  return (Number.isNaN(t.getTime()) ? now : t).toISOString();
}

export function haEventToIris(event: HaBusEvent, allow: { entities: AllowList; events: AllowList }, now: Date = new Date()): HaEventOutcome {
  // Only for events the allow-lists pass: with a pattern on event types, every event of the bus comes here.
  const stamp = () => ({ time: utc(event.time_fired, now), context_id: typeof event.context?.id === 'string' ? event.context.id.slice(0, 64) : '' });
  let message: HaEventMessage;
  let what: string;
  if (event.event_type === 'state_changed') {
    const entity = (event.data as { entity_id?: unknown } | null)?.entity_id;
    if (typeof entity !== 'string' || !allow.entities.allows(entity)) return { kind: 'not-allowed' };
    what = `the state change of ${entity}`;
    const parsed = stateChangedSchema.safeParse(event.data);
    if (!parsed.success) return { kind: 'malformed', what, why: parsed.error.issues.map((i) => `${i.path.join('.') || 'data'}: ${i.message}`).join('; ') };
    const d = parsed.data;
    message = {
      kind: 'state',
      event_type: 'state_changed',
      entity,
      old_state: d.old_state?.state ?? '',
      new_state: d.new_state?.state ?? '',
      attributes: d.new_state?.attributes ?? {},
      data: null,
      ...stamp(),
    };
  } else {
    if (!allow.events.allows(event.event_type)) return { kind: 'not-allowed' };
    what = `the event ${event.event_type}`;
    const parsed = dataSchema.safeParse(event.data ?? {});
    if (!parsed.success) return { kind: 'malformed', what, why: 'its data is not an object' };
    const { time, context_id } = stamp();
    message = eventMessage(event.event_type, parsed.data, time, context_id);
  }
  const item = forIris(message);
  if (item.bytes > MAX_HA_EVENT_BYTES) return { kind: 'oversized', what, bytes: item.bytes };
  return { kind: 'pass', message, item };
}
