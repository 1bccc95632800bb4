/**
 * Answers the questions the Assist automation (assist-sentences.ts) asks on Home Assistant's bus:
 * `iris_edge_assist_request` {request, ask} in, `iris_edge_assist_answer` {request, speech} out.
 * Anyone who can fire events in Home Assistant can send a request, so each is checked and a bad
 * one is dropped (one debug line per kind and window); a command has every guard of a switch.
 */
import { z } from 'zod';
import type { Logger } from '../log/logger.ts';
import { Throttle } from '../log/throttle.ts';
import { productionKey } from '../model/production.ts';
import { RefusalLog } from '../monitor/refusals.ts';
import { command, describe, isVoiceCommand, UNKNOWN_PRODUCTION, type AnswerSource } from './assist-answers.ts';
import { EVENT_ASSIST_ANSWER, EVENT_ASSIST_REQUEST, parseTriggerId, spokenName } from './assist-sentences.ts';
import { HaUnavailableError, type HaCore, type HaEvent } from './core.ts';

const requestSchema = z.object({
  // The automation run's context id (a ULID); bounded so a forged one cannot be huge.
  request: z.string().min(1).max(64),
  ask: z.string().min(1).max(400),
});

export interface ResponderOptions {
  /** How long an answer waits for a start, stop or restart to finish before saying it is under way. */
  commandWithinMs?: number;
}

export class AssistResponder {
  private readonly refusals: RefusalLog;
  private readonly ignored: Throttle;
  private started = false;
  private readonly commandWithinMs: number;
  private work = new Set<Promise<void>>();

  constructor(
    private readonly core: HaCore,
    /** Every instance's monitor, by instance id. */
    private readonly sources: ReadonlyMap<string, AnswerSource>,
    private readonly log: Logger,
    options: ResponderOptions = {},
  ) {
    this.refusals = new RefusalLog(log);
    this.ignored = new Throttle((label, n) => this.log.debug(`${n} more Assist request(s) were ignored in the last 10 s: ${label}`));
    this.commandWithinMs = options.commandWithinMs ?? 8000;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.core.onEvent(EVENT_ASSIST_REQUEST, (e) => this.track(this.handle(e)));
  }

  /** Stops answering (the subscription ends with the HaCore). */
  stop(): void {
    this.started = false;
  }

  /** Resolves when every answer started so far has been sent (tests, orderly shutdown). */
  async idle(): Promise<void> {
    while (this.work.size > 0) await Promise.allSettled([...this.work]);
  }

  private track(p: Promise<void>): void {
    this.work.add(p);
    void p.finally(() => this.work.delete(p));
  }

  private ignore(kind: string, message: string): void {
    if (this.ignored.allow(kind, message)) this.log.debug(message);
  }

  private async handle(event: HaEvent): Promise<void> {
    if (!this.started) return;
    const parsed = requestSchema.safeParse(event.data);
    if (!parsed.success) return this.ignore('shape', `Ignored an ${EVENT_ASSIST_REQUEST} event that is not {request, ask}`);
    const { request, ask } = parsed.data;
    const q = parseTriggerId(ask);
    if (!q) return this.ignore('ask', `Ignored an ${EVENT_ASSIST_REQUEST} event asking ${JSON.stringify(ask.slice(0, 60))}`);
    const source = this.sources.get(q.target.instance);
    const key = productionKey({ namespace: q.target.namespace, name: q.target.name });
    const p = source?.view.productions.find((x) => x.key === key);
    let speech: string;
    if (!source || !p) speech = UNKNOWN_PRODUCTION;
    else if (!isVoiceCommand(q.question)) speech = describe(q.question, source.view, p);
    else {
      const action = q.question;
      this.log.info(`${action} ${key}: asked by Assist`);
      try {
        speech = await command(source, p, action, this.commandWithinMs, (err) => this.refusals.report({ path: 'assist', production: key, action }, err));
      } catch (err) {
        this.log.error({ err }, `${action} ${key} asked by Assist: unexpected failure`);
        speech = `I could not ${action} ${spokenName(p.name)}: something unexpected failed; the IRIS Edge log says what.`;
      }
    }
    try {
      await this.core.fireEvent(EVENT_ASSIST_ANSWER, { request, speech });
    } catch (err) {
      // Assist then says that IRIS Edge did not answer.
      if (err instanceof HaUnavailableError) this.log.debug(`The answer to an Assist request was lost: ${err.message}`);
      else this.log.warn(`Home Assistant refused the answer to an Assist request: ${(err as Error).message}`);
    }
  }
}
