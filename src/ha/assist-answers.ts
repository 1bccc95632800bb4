/**
 * What Assist says to a question about a production: built from the monitor's view at the moment
 * of the question (IRIS's state, its hosts' queues and errors), and for a start, stop or restart
 * from what the monitor did with the command: done, still running, or refused and why.
 */
import { IrisCommandRefusedError, IrisUnavailableError, UnknownProductionError } from '../model/errors.ts';
import type { MonitorView, ProductionView } from '../model/view.ts';
import { CommandCooldownError, CommandInProgressError, type CommandGuardError } from '../monitor/errors.ts';
import type { CommandResult } from '../monitor/monitor.ts';
import { isRefusal } from '../monitor/refusals.ts';
import type { AssistQuestion } from './assist-sentences.ts';
import { spokenName } from './assist-sentences.ts';

/** What answering needs of one instance's monitor. */
export interface AnswerSource {
  readonly view: MonitorView;
  execute(namespace: string, production: string, action: VoiceCommand): Promise<CommandResult>;
}

/** The commands Assist gives, with the words it says them in. */
export const VOICE_COMMANDS = { start: ['Started', 'Starting'], stop: ['Stopped', 'Stopping'], restart: ['Restarted', 'Restarting'] } as const;
export type VoiceCommand = keyof typeof VOICE_COMMANDS;

export function isVoiceCommand(q: AssistQuestion): q is VoiceCommand {
  return Object.hasOwn(VOICE_COMMANDS, q);
}

export const UNKNOWN_PRODUCTION = 'IRIS Edge does not know that production any more.';

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "running", "network stopped", "restarting"; Home Assistant's own words for the rest. */
function stateWords(p: ProductionView): string {
  if (p.state === 'unknown') return 'in a state IRIS Edge does not know';
  return p.state.replace(/_/g, ' ');
}

/** The answer to a question that reads the view. */
export function describe(question: Exclude<AssistQuestion, VoiceCommand>, view: MonitorView, p: ProductionView): string {
  const name = spokenName(p.name);
  if (!view.reachable) return `IRIS does not answer, so I cannot tell how ${name} is now.`;
  const queued = p.hosts.reduce((n, h) => n + h.queue, 0);
  const errors = p.hosts.reduce((n, h) => n + h.errors, 0);
  switch (question) {
    case 'status':
      return `${name} is ${stateWords(p)}.`;
    case 'troubled':
      return p.irisState === 'troubled' ? `Yes, ${name} is troubled.` : `No, ${name} is ${stateWords(p)}.`;
    case 'queue':
      if (queued === 0) return `No messages are waiting in ${name}.`;
      return `${plural(queued, 'message is', 'messages are')} waiting in ${name}.`;
    case 'errors':
      return errors === 0 ? `${name} has no errors.` : `${name} has ${plural(errors, 'error', 'errors')}.`;
  }
}

/** Why a command did not happen, said as a refusal; undefined for a failure that is not one. */
export function refusalSpeech(action: VoiceCommand, name: string, err: unknown): string | undefined {
  if (err instanceof CommandCooldownError) {
    return `I did not ${action} ${name}: it was stopped or restarted moments ago. Try again in ${plural(err.retryInSeconds, 'second', 'seconds')}.`;
  }
  if (err instanceof CommandInProgressError) return `I did not ${action} ${name}: a ${err.running} command for it is still running.`;
  if (err instanceof IrisCommandRefusedError) return `IRIS refused to ${action} ${name}: ${err.message}`;
  if (err instanceof IrisUnavailableError) return `I could not ${action} ${name}: IRIS does not answer.`;
  if (err instanceof UnknownProductionError) return UNKNOWN_PRODUCTION;
  return undefined;
}

/**
 * Runs `action` on `p` and says how it went: done (with the state IRIS reports afterwards),
 * nothing to do, refused, or still running after `withinMs` (Assist cannot wait for a slow
 * production; the Events entity and the log report the end). An unexpected failure is rethrown
 * for the caller to log.
 */
export async function command(
  source: AnswerSource,
  p: ProductionView,
  action: VoiceCommand,
  withinMs: number,
  onRefused: (err: CommandGuardError | IrisCommandRefusedError) => void = () => undefined,
): Promise<string> {
  const name = spokenName(p.name);
  const [done, doing] = VOICE_COMMANDS[action];
  let timer: NodeJS.Timeout | undefined;
  const slow = new Promise<'slow'>((resolve) => {
    timer = setTimeout(() => resolve('slow'), withinMs);
  });
  const running = source.execute(p.namespace, p.name, action);
  try {
    const outcome = await Promise.race([running, slow]);
    if (outcome === 'slow') {
      // Settled later, by the monitor (events, log); nothing is left waiting on it here.
      running.catch(() => undefined);
      return `${doing} ${name}. IRIS has not finished yet.`;
    }
    if (outcome.outcome === 'nothing-to-do') return `I did not ${action} ${name}: ${outcome.reason}.`;
    const now = source.view.productions.find((x) => x.key === p.key);
    return now ? `${done} ${name}. It is ${stateWords(now)}.` : `${done} ${name}.`;
  } catch (err) {
    if (isRefusal(err)) onRefused(err);
    const said = refusalSpeech(action, name, err);
    if (said === undefined) throw err;
    return said;
  } finally {
    clearTimeout(timer);
  }
}
