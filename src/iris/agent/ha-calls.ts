/**
 * The contract of IrisEdge.Agent.TakeHaCalls and AnswerHaCall (agent VERSION 7): the calls
 * ObjectScript wrote to the outboxes, each checked here; a field that does not fit is a contract
 * error naming its path.
 */
import { z } from 'zod';
import { IrisContractError } from '../../model/errors.ts';
import { HA_CALLS_PER_TAKE, type TakenHaCalls } from '../../model/ha-outbound.ts';
import { AgentFailedError, describe, failureOf } from './contract.ts';

export const agentTakenHaCallsSchema = z.object({
  ok: z.literal(true),
  now: z.number().nonnegative(),
  calls: z
    .array(
      z.object({
        namespace: z.string().min(1),
        id: z.number().int().positive(),
        request: z.string(),
        pid: z.union([z.string(), z.number()]).transform(String),
        deadline: z.number().nonnegative(),
      }),
    )
    .max(HA_CALLS_PER_TAKE),
  problems: z.array(z.object({ namespace: z.string(), text: z.string() })),
});

export function takenHaCallsFromAgent(value: unknown): TakenHaCalls {
  const failure = failureOf(value);
  if (failure) throw new AgentFailedError('TakeHaCalls', failure);
  const parsed = agentTakenHaCallsSchema.safeParse(value);
  if (!parsed.success) throw new IrisContractError(`IrisEdge.Agent.TakeHaCalls returned data that breaks the contract: ${describe(parsed.error)}`);
  const { now, calls, problems } = parsed.data;
  return { now, calls, problems };
}

export function answerDeliveredFromAgent(value: unknown): boolean {
  const failure = failureOf(value);
  if (failure) throw new AgentFailedError('AnswerHaCall', failure);
  const parsed = z.object({ ok: z.literal(true), delivered: z.boolean() }).safeParse(value);
  if (!parsed.success) throw new IrisContractError(`IrisEdge.Agent.AnswerHaCall returned data that breaks the contract: ${describe(parsed.error)}`);
  return parsed.data.delivered;
}
