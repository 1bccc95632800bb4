/**
 * The bridge's recent log lines for the panel's Logs page: a fixed-size ring buffer that is a pino
 * destination. Tee pino into it with pino.multistream (see the wiring note in the report / DOCS):
 *
 *   const logs = new LogBuffer(1000);
 *   pino(options, pino.multistream([{ level: 'trace', stream: pretty }, { level: 'trace', stream: logs }]))
 *
 * pino applies redaction before it serialises a line, so the buffer never holds what the add-on
 * log would not show. Lines that are not pino JSON are kept as info lines with the raw text.
 */
import { EventEmitter } from 'node:events';

export const PANEL_LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type PanelLogLevel = (typeof PANEL_LOG_LEVELS)[number];

const BY_NUMBER: Record<number, PanelLogLevel> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

export interface LogLine {
  /** Increasing number of the line since the bridge started (lets a page ask for what is new). */
  seq: number;
  /** ISO-8601 UTC. */
  time: string;
  level: PanelLogLevel;
  msg: string;
  /** The remote IRIS instance a child logger named, when there is one. */
  instance?: string;
}

export function levelRank(level: PanelLogLevel): number {
  return PANEL_LOG_LEVELS.indexOf(level);
}

/** A bounded, in-memory tail of the log. `write` is what pino calls (one JSON line per call). */
export class LogBuffer extends EventEmitter<{ line: [LogLine] }> {
  private readonly ring: (LogLine | undefined)[];
  private next = 0;
  private seq = 0;
  private partial = '';

  constructor(readonly capacity = 1000) {
    super();
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('LogBuffer capacity must be a positive integer');
    this.ring = new Array<LogLine | undefined>(capacity);
  }

  /** pino's destination contract: a string (or Buffer) holding one or more newline-ended lines. */
  write(chunk: string | Uint8Array): boolean {
    const text = this.partial + (typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    if (this.partial.length > 64 * 1024) this.partial = '';
    for (const raw of parts) if (raw.trim()) this.push(parse(raw));
    return true;
  }

  /** Adds a line directly (tests, or a non-pino source). */
  add(line: Omit<LogLine, 'seq'>): LogLine {
    return this.push(line);
  }

  private push(line: Omit<LogLine, 'seq'>): LogLine {
    const full: LogLine = { seq: ++this.seq, ...line };
    this.ring[this.next] = full;
    this.next = (this.next + 1) % this.capacity;
    this.emit('line', full);
    return full;
  }

  /** The kept lines, oldest first, at `minLevel` or above, the newest `limit` of them. */
  lines(opts: { minLevel?: PanelLogLevel; limit?: number; afterSeq?: number } = {}): LogLine[] {
    const min = levelRank(opts.minLevel ?? 'trace');
    const out: LogLine[] = [];
    for (let i = 0; i < this.capacity; i++) {
      const l = this.ring[(this.next + i) % this.capacity];
      if (!l) continue;
      if (levelRank(l.level) < min) continue;
      if (opts.afterSeq !== undefined && l.seq <= opts.afterSeq) continue;
      out.push(l);
    }
    const limit = opts.limit ?? this.capacity;
    return out.length > limit ? out.slice(out.length - limit) : out;
  }
}

function parse(raw: string): Omit<LogLine, 'seq'> {
  try {
    const o = JSON.parse(raw) as Record<string, unknown>;
    const lvl = typeof o.level === 'number' ? BY_NUMBER[o.level] : typeof o.level === 'string' && (PANEL_LOG_LEVELS as readonly string[]).includes(o.level) ? (o.level as PanelLogLevel) : undefined;
    const time = typeof o.time === 'number' ? new Date(o.time).toISOString() : typeof o.time === 'string' ? o.time : new Date().toISOString();
    let msg = typeof o.msg === 'string' ? o.msg : '';
    const err = o.err as { message?: unknown } | undefined;
    if (err && typeof err.message === 'string') msg = msg ? `${msg}: ${err.message}` : err.message;
    const line: Omit<LogLine, 'seq'> = { time, level: lvl ?? 'info', msg };
    if (typeof o.instance === 'string') line.instance = o.instance;
    return line;
  } catch {
    return { time: new Date().toISOString(), level: 'info', msg: raw };
  }
}
