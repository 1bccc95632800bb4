/**
 * The contract of IrisEdge.Agent.SearchMessages (agent VERSION 7): the filter the bridge sends and
 * the message headers it gets back. Every field is checked; more rows than the limit or longer
 * texts than the agent may send are a contract error, not something shown.
 */
import { z } from 'zod';
import { IrisContractError } from '../../model/errors.ts';
import {
  MESSAGE_SEARCH_LIMIT,
  MESSAGE_STATUSES,
  MESSAGE_TEXT_MAX,
  messageStatusCode,
  messageStatusWord,
  type MessageSearch,
  type MessageSearchResult,
  type MessageStatus,
} from '../../model/message-search.ts';
import { AgentFailedError, describe, failureOf, isoUtc } from './contract.ts';

/** %EXTERNAL(Status): the display words of the model's statuses, each to its status. */
const STATUS_OF_WORD = new Map<string, MessageStatus>(MESSAGE_STATUSES.map((s) => [messageStatusWord(s), s]));
const statusWord = z.string().transform((word, ctx) => {
  const status = STATUS_OF_WORD.get(word);
  if (status === undefined) ctx.addIssue({ code: 'custom', message: `not an Ens.DataType.MessageStatus display value (${[...STATUS_OF_WORD.keys()].join(', ')})` });
  return status as MessageStatus;
});
const name = z.string().max(MESSAGE_TEXT_MAX);

export const agentMessageSearchSchema = z.object({
  ok: z.literal(true),
  more: z.boolean(),
  messages: z
    .array(
      z.object({
        id: z.number().int().positive(),
        timeCreated: isoUtc,
        source: name,
        target: name,
        bodyClass: name,
        status: statusWord,
        isError: z.boolean(),
        sessionId: z.number().int().nonnegative().nullable(),
      }),
    )
    .max(MESSAGE_SEARCH_LIMIT),
});

/** An ISO 8601 instant as IRIS's logical %TimeStamp in UTC: "YYYY-MM-DD HH:MM:SS.fff". */
export function odbcUtc(iso: string): string {
  return new Date(iso).toISOString().replace('T', ' ').replace('Z', '');
}

/** The filter argument of SearchMessages. */
export function searchFilterJson(search: MessageSearch): string {
  return JSON.stringify({
    since: odbcUtc(search.since),
    until: odbcUtc(search.until),
    production: search.production ?? '',
    host: search.host ?? '',
    status: search.status ? messageStatusCode(search.status) : 0,
    errorsOnly: search.errorsOnly,
    limit: search.limit,
  });
}

/** Agent SearchMessages JSON (already JSON.parse'd) -> message headers, newest first. */
export function messageSearchFromAgent(value: unknown): MessageSearchResult {
  const failure = failureOf(value);
  if (failure) throw new AgentFailedError('SearchMessages', failure);
  const parsed = agentMessageSearchSchema.safeParse(value);
  if (!parsed.success) throw new IrisContractError(`IrisEdge.Agent.SearchMessages returned data that breaks the contract: ${describe(parsed.error)}`);
  return {
    more: parsed.data.more,
    messages: parsed.data.messages.map((m) => ({
      ...m,
      timeCreated: new Date(m.timeCreated.replace(' ', 'T')).toISOString(),
    })),
  };
}
