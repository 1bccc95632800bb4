/**
 * IRIS calls Home Assistant: the calls ObjectScript wrote with IrisEdge.HA.Home (an action, an
 * event, a state) are taken from IRIS a few times a second over the bridge's own connection,
 * checked against the allow-lists of the options (default deny), carried out on the bridge's
 * websocket to Home Assistant, and answered, with Home Assistant's own error text when it fails.
 *
 * - Taken once: IRIS hands each call out once, and nothing here retries: an action runs at most
 *   once. A call whose deadline (IRIS's clock) has passed is not carried out.
 * - Refused: a call outside the lists is answered with the reason, logged once per subject and
 *   minute, and raised in Home Assistant as an `iris_edge_action_refused` event; nothing else
 *   happens in Home Assistant.
 * - Bounded: at most HA_CALLS_PER_TAKE calls in flight; while that many run, nothing more is taken.
 */
import type { AllowList } from '../model/allow-list.ts';
import { flowPreview, type HaFlowEntry } from '../model/ha-flow.ts';
import { IrisUnavailableError } from '../model/errors.ts';
import { HA_CALLS_PER_TAKE, haCallSubject, parseHaCallRequest, type HaCallAnswer, type HaCallRequest, type TakenHaCall, type TakenHaCalls } from '../model/ha-outbound.ts';
import type { Logger } from '../log/logger.ts';
import { throttledWarnings } from '../log/throttle.ts';
import type { HaCore } from './core.ts';

export const EVENT_ACTION_REFUSED = 'iris_edge_action_refused';
/** How often the outboxes are looked at: the longest a call waits before it is taken. */
export const OUTBOX_POLL_MS = 250;

export interface IrisOutbox {
  takeHaCalls(max: number): Promise<TakenHaCalls>;
  answerHaCall(namespace: string, id: number, pid: string, answer: string): Promise<boolean>;
}

export interface IrisToHaAllow {
  actions: AllowList;
  events: AllowList;
  states: AllowList;
}

const OPTION: Record<HaCallRequest['kind'], string> = { action: 'from_iris_actions', event: 'from_iris_events', state: 'from_iris_states' };
const WHAT: Record<HaCallRequest['kind'], string> = { action: 'call', event: 'fire', state: 'read' };

export interface IrisToHaStats {
  done: number;
  failed: number;
  refused: number;
  inFlight: number;
}

export class IrisToHa {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private inFlight = 0;
  private done = 0;
  private failed = 0;
  private refused = 0;
  private irisAway = false;
  private readonly warnings: (key: string, line: string) => void;

  constructor(
    private readonly core: Pick<HaCore, 'call' | 'fireEvent'>,
    private readonly iris: IrisOutbox,
    private readonly allow: IrisToHaAllow,
    private readonly log: Logger,
    private readonly pollMs = OUTBOX_POLL_MS,
    /** The panel's record of each call's outcome (flow-record.ts). */
    private readonly record: (entry: Omit<HaFlowEntry, 'at'>) => void = () => {},
  ) {
    this.warnings = throttledWarnings(this.log);
  }

  start(): void {
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  stats(): IrisToHaStats {
    return { done: this.done, failed: this.failed, refused: this.refused, inFlight: this.inFlight };
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.poll(), this.pollMs);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    try {
      const room = HA_CALLS_PER_TAKE - this.inFlight;
      if (room <= 0) return;
      const taken = await this.iris.takeHaCalls(room);
      if (this.irisAway) this.log.info('IRIS answers again: its calls to Home Assistant are taken again');
      this.irisAway = false;
      for (const p of taken.problems) this.report(`problem|${p.namespace}`, `Calls to Home Assistant from namespace ${p.namespace} cannot be taken: ${p.text}`);
      for (const call of taken.calls) void this.run(call, taken.now);
    } catch (err) {
      if (err instanceof IrisUnavailableError) {
        // The monitor says so too; once here is enough.
        this.irisAway = true;
      } else {
        this.report('take', `Calls to Home Assistant could not be taken from IRIS: ${(err as Error).message}`);
      }
    } finally {
      this.schedule();
    }
  }

  private async run(call: TakenHaCall, irisNow: number): Promise<void> {
    this.inFlight += 1;
    try {
      const answer = await this.answerFor(call, irisNow);
      if (answer === null) return;
      if (answer.ok) this.done += 1;
      else this.failed += 1;
      await this.iris.answerHaCall(call.namespace, call.id, call.pid, JSON.stringify(answer));
    } catch (err) {
      this.report('answer', `The answer to a call from IRIS (${call.namespace}, call ${call.id}) could not be written back: ${(err as Error).message}`);
    } finally {
      this.inFlight -= 1;
    }
  }

  /** The answer for one call; null when its caller has given up already (nothing is carried out). */
  private async answerFor(call: TakenHaCall, irisNow: number): Promise<HaCallAnswer | null> {
    const left = call.deadline - irisNow;
    const parsed = parseHaCallRequest(call.request);
    if (left <= 0) {
      const subject = parsed.ok ? haCallSubject(parsed.request) : 'call';
      this.record({ outcome: 'dropped', subject, target: call.namespace, detail: 'Its caller in IRIS had stopped waiting: not carried out', preview: null });
      return null;
    }
    if (!parsed.ok) {
      this.report(`bad|${call.namespace}`, `A call from IRIS (${call.namespace}) was refused: ${parsed.text}`);
      this.record({ outcome: 'refused', subject: 'call', target: call.namespace, detail: parsed.text, preview: null });
      return { ok: false, text: parsed.text };
    }
    const r = parsed.request;
    const subject = haCallSubject(r);
    const list = r.kind === 'action' ? this.allow.actions : r.kind === 'event' ? this.allow.events : this.allow.states;
    if (!list.allows(subject)) return this.refuse(call.namespace, r, subject);
    const preview = r.kind === 'state' ? null : flowPreview(r.kind === 'action' ? { ...(r.data ?? {}), ...(r.target ? { target: r.target } : {}) } : r.data);
    try {
      const answer = await this.carryOut(r);
      this.record({ outcome: answer.ok ? 'delivered' : 'failed', subject, target: call.namespace, detail: answer.ok ? null : answer.text, preview });
      return answer;
    } catch (err) {
      this.record({ outcome: 'failed', subject, target: call.namespace, detail: (err as Error).message, preview });
      return { ok: false, text: (err as Error).message };
    }
  }

  private async refuse(namespace: string, r: HaCallRequest, subject: string): Promise<HaCallAnswer> {
    this.refused += 1;
    const text = `IRIS Edge does not let IRIS ${WHAT[r.kind]} ${subject}: it is not in the option ${OPTION[r.kind]}`;
    this.report(`refused|${r.kind}|${subject}`, `Refused a call from IRIS (${namespace}): ${text}`);
    this.record({ outcome: 'refused', subject, target: namespace, detail: text, preview: null });
    try {
      await this.core.fireEvent(EVENT_ACTION_REFUSED, { namespace, kind: r.kind, subject, option: OPTION[r.kind] });
    } catch (err) {
      this.report('refused-event', `The ${EVENT_ACTION_REFUSED} event could not be fired: ${(err as Error).message}`);
    }
    return { ok: false, text };
  }

  private async carryOut(r: HaCallRequest): Promise<HaCallAnswer> {
    if (r.kind === 'action') {
      const message = {
        type: 'call_service',
        domain: r.domain,
        service: r.service,
        ...(r.data ? { service_data: r.data } : {}),
        ...(r.target ? { target: r.target } : {}),
        ...(r.return_response ? { return_response: true } : {}),
      };
      const result = await this.core.call<{ response?: unknown } | null>(message);
      return r.return_response ? { ok: true, response: result?.response ?? null } : { ok: true };
    }
    if (r.kind === 'event') {
      await this.core.fireEvent(r.event_type, r.data ?? {});
      return { ok: true };
    }
    const states = await this.core.call<{ entity_id: string; state: string; attributes: Record<string, unknown> }[]>({ type: 'get_states' });
    const found = states.find((s) => s.entity_id === r.entity_id);
    if (!found) return { ok: false, text: `Home Assistant has no entity ${r.entity_id}` };
    return { ok: true, state: found.state, attributes: found.attributes };
  }

  private report(key: string, line: string): void {
    this.warnings(key, line);
  }
}
