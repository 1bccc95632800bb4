/**
 * The contract of IrisEdge.Agent.EventLog (agent VERSION 6): a production's newest Error and
 * Warning entries of Ens.Util.Log. Every field is checked; entries beyond the limit or with a
 * longer text than the agent may send are a contract error, not something shown.
 */
import { z } from 'zod';
import { IrisContractError } from '../../model/errors.ts';
import { EVENT_LOG_LIMIT, EVENT_TEXT_MAX, type EventLogEntry } from '../../model/event-log.ts';
import { AgentFailedError, describe, failureOf, isoUtc } from './contract.ts';

/** Ens.DataType.LogType display words the query keeps (logical 2 and 3). */
const TYPES = { Error: 'error', Warning: 'warning' } as const;

export const agentEventLogSchema = z.object({
  ok: z.literal(true),
  entries: z
    .array(
      z.object({
        id: z.number().int().positive(),
        type: z.enum(['Error', 'Warning']),
        host: z.string(),
        text: z.string().max(EVENT_TEXT_MAX),
        truncated: z.boolean(),
        time: isoUtc,
        sessionId: z.number().int().nonnegative().nullable(),
        source: z.string(),
      }),
    )
    .max(EVENT_LOG_LIMIT),
});

/** Agent EventLog JSON (already JSON.parse'd) -> entries, newest first. */
export function eventLogFromAgent(value: unknown): EventLogEntry[] {
  const failure = failureOf(value);
  if (failure) throw new AgentFailedError('EventLog', failure);
  const parsed = agentEventLogSchema.safeParse(value);
  if (!parsed.success) throw new IrisContractError(`IrisEdge.Agent.EventLog returned data that breaks the contract: ${describe(parsed.error)}`);
  return parsed.data.entries.map((e) => ({ ...e, type: TYPES[e.type], time: new Date(e.time.replace(' ', 'T')).toISOString() }));
}
