/**
 * The contract of IrisEdge.Agent.ReadSensors (agent VERSION 7): the due user-defined sensors of
 * one namespace in one call, each answered on its own (a value, IRIS's error, or "deferred" when
 * the call's time budget was spent before it started). The request carries a global's name and
 * subscripts apart, never a reference to evaluate, and the allowed packages, which the agent
 * checks again. Every answer is checked: a key that was not asked, a value longer than the agent
 * may send, are a contract error, not something shown.
 */
import { z } from 'zod';
import { IrisContractError } from '../../model/errors.ts';
import type { UserSensor } from '../../model/sensor-definition.ts';
import { AgentFailedError, describe, failureOf } from './contract.ts';

export type SensorRequest =
  | { key: string; kind: 'sql'; query: string; attributes: boolean }
  | { key: string; kind: 'global'; name: string; subscripts: Array<string | number>; count: boolean }
  | { key: string; kind: 'method'; class: string; method: string };

/** Time the agent may spend on one call before it defers the rest, and on one sensor. */
export const SENSOR_CALL_BUDGET_MS = 5000;
export const SENSOR_LIMIT_MS = 2000;
const TEXT_MAX = 255;

/** The request for a sensor the agent reads, or undefined for a metric sensor (read from the scrape). */
export function sensorRequest(s: UserSensor): SensorRequest | undefined {
  const src = s.source;
  switch (src.kind) {
    case 'sql':
      return { key: s.key, kind: 'sql', query: src.query, attributes: src.attributes };
    case 'global':
      return { key: s.key, kind: 'global', name: src.ref.name, subscripts: src.ref.subscripts, count: src.count };
    case 'method':
      return { key: s.key, kind: 'method', class: src.ref.className, method: src.ref.method };
    case 'metric':
      return undefined;
  }
}

const reading = z.union([
  z.object({
    key: z.string(),
    ok: z.literal(true),
    value: z.union([z.string().max(TEXT_MAX), z.number()]),
    attributes: z.record(z.string().max(128), z.string().max(TEXT_MAX)).optional(),
    ms: z.number().nonnegative(),
  }),
  z.object({ key: z.string(), ok: z.literal(false), code: z.string(), text: z.string().max(500), ms: z.number().nonnegative() }),
  z.object({ key: z.string(), deferred: z.literal(true) }),
]);
export type SensorReading = z.infer<typeof reading>;

const answer = z.object({ ok: z.literal(true), results: z.array(reading) });

/** Agent ReadSensors JSON (already JSON.parse'd) -> one reading per key asked, in the order asked. */
export function sensorReadingsFromAgent(value: unknown, asked: readonly SensorRequest[]): SensorReading[] {
  const failure = failureOf(value);
  if (failure) throw new AgentFailedError('ReadSensors', failure);
  const parsed = answer.safeParse(value);
  if (!parsed.success) throw new IrisContractError(`IrisEdge.Agent.ReadSensors returned data that breaks the contract: ${describe(parsed.error)}`);
  const keys = asked.map((r) => r.key);
  const got = parsed.data.results.map((r) => r.key);
  if (got.length !== keys.length || got.some((k, i) => k !== keys[i])) {
    throw new IrisContractError(`IrisEdge.Agent.ReadSensors answered for ${got.length} sensors other than the ${keys.length} asked`);
  }
  return parsed.data.results;
}
