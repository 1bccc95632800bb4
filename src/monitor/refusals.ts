/**
 * One log line for every command the bridge or IRIS refused, whatever path it came by: the
 * panel, an AI assistant over MCP, MQTT (a dashboard, an automation, or Assist's "turn off",
 * which turns the same MQTT entities and cannot be told apart from them), or an Assist sentence
 * such as "restart X". Each edge reports its own refusals here once; a flood of the
 * same refusal is one line and a summary (Throttle).
 */
import type { Logger } from '../log/logger.ts';
import { Throttle } from '../log/throttle.ts';
import { IrisCommandRefusedError } from '../model/errors.ts';
import { CommandGuardError } from './errors.ts';

export type CommandPath = 'panel' | 'mqtt' | 'mcp' | 'assist';

const PATH_WORDS: Record<CommandPath, string> = {
  panel: 'the panel',
  mqtt: 'MQTT (a dashboard, an automation or Assist)',
  mcp: 'an AI assistant (MCP)',
  assist: 'Assist',
};

export interface Refusal {
  path: CommandPath;
  /** "<NAMESPACE>/<Production>" */
  production: string;
  /** start, stop, restart, update, recover, enable <host>, disable <host>, select <production> */
  action: string;
  /** Who asked, when the path knows (the panel's Home Assistant user). */
  by?: string;
}

/** A refusal by the bridge's guards or by IRIS; anything else is a failure, not a refusal. */
export function isRefusal(err: unknown): err is CommandGuardError | IrisCommandRefusedError {
  return err instanceof CommandGuardError || err instanceof IrisCommandRefusedError;
}

export class RefusalLog {
  private readonly throttle: Throttle;

  constructor(private readonly log: Logger) {
    this.throttle = new Throttle((label, n) => this.log.warn(`${n} more refusal(s) like this in the last 10 s were not logged one by one: ${label}`));
  }

  /** Logs the refusal `err` of `r` once (per kind and window). */
  report(r: Refusal, err: CommandGuardError | IrisCommandRefusedError): void {
    const by = err instanceof CommandGuardError ? 'the bridge' : 'IRIS';
    const reason = err.message;
    const line = `Refused ${r.action} ${r.production} from ${PATH_WORDS[r.path]}${r.by ? ` (${r.by})` : ''}, by ${by}: ${reason}`;
    // Numbers (seconds left) vary within a flood of the same refusal.
    const kind = `${r.path}|${r.production}|${r.action}|${reason.replace(/\d+/g, '#')}`;
    if (this.throttle.allow(kind, line)) this.log.warn(line);
  }
}
