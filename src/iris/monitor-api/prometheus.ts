/**
 * A parser for the Prometheus text format as IRIS's /api/monitor/metrics writes it. Pure.
 *
 * IRIS's output differs from what a strict exposition-format parser expects, so this one is lenient
 * (research/iris.md §3.1, a capture from IRIS for Health 2024.1):
 * - HELP and TYPE lines may be missing entirely; comments are ignored whatever they say;
 * - numbers are written in ObjectScript canonical form, so fractions start with a dot (`.051929`,
 *   `-.5`);
 * - values may be `NaN`, `+Inf`, `-Inf` (e.g. iris_db_free_space before its daily update);
 * - label values are quoted with `\"`, `\\` and `\n` escapes (database directories, host names).
 * A line that is not a sample is skipped and counted, never fatal: one odd line must not cost the
 * user every sensor.
 */

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  /** May be NaN or ±Infinity, exactly as IRIS wrote it; the mapping decides what that means. */
  value: number;
}

export interface PromParseResult {
  samples: PromSample[];
  /** Non-blank, non-comment lines that were not valid samples. */
  skipped: number;
  /** The first few skipped lines (truncated), for a log message a user can act on. */
  skippedExamples: string[];
}

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*/;
// Decimal with optional leading digits (".051929"), optional exponent.
const NUMBER_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const MAX_EXAMPLES = 3;

/** Parses one sample value; null when it is not a number Prometheus or IRIS would write. */
export function parsePromValue(text: string): number | null {
  if (NUMBER_RE.test(text)) return Number(text);
  switch (text.toLowerCase()) {
    case 'nan':
      return Number.NaN;
    case '+inf':
    case 'inf':
    case '+infinity':
    case 'infinity':
      return Number.POSITIVE_INFINITY;
    case '-inf':
    case '-infinity':
      return Number.NEGATIVE_INFINITY;
    default:
      return null;
  }
}

/** Parses the `{a="1",b="x"}` part starting at text[0] === '{'. Returns the labels and the rest. */
function parseLabels(text: string): { labels: Record<string, string>; rest: string } | null {
  const labels: Record<string, string> = {};
  let i = 1;
  const skipSpaces = () => {
    while (text[i] === ' ' || text[i] === '\t') i++;
  };
  for (;;) {
    skipSpaces();
    if (text[i] === '}') return { labels, rest: text.slice(i + 1) };
    const m = LABEL_NAME_RE.exec(text.slice(i));
    if (!m) return null;
    const key = m[0];
    i += key.length;
    skipSpaces();
    if (text[i] !== '=') return null;
    i++;
    skipSpaces();
    if (text[i] !== '"') return null;
    i++;
    let value = '';
    for (;;) {
      const c = text[i];
      if (c === undefined) return null; // unterminated string
      if (c === '"') {
        i++;
        break;
      }
      if (c === '\\') {
        const n = text[i + 1];
        if (n === undefined) return null;
        value += n === 'n' ? '\n' : n; // \" -> ", \\ -> \, \n -> newline, anything else literally
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    labels[key] = value;
    skipSpaces();
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (text[i] === '}') return { labels, rest: text.slice(i + 1) };
    return null;
  }
}

/** Parses one line; null when it is not a sample. Comments and blank lines are the caller's. */
export function parsePromLine(line: string): PromSample | null {
  const m = NAME_RE.exec(line);
  if (!m) return null;
  const name = m[0];
  let rest = line.slice(name.length);
  let labels: Record<string, string> = {};
  const trimmed = rest.replace(/^[ \t]+/, '');
  if (trimmed.startsWith('{')) {
    const parsed = parseLabels(trimmed);
    if (!parsed) return null;
    labels = parsed.labels;
    rest = parsed.rest;
  } else if (trimmed === rest) {
    return null; // the name must be followed by labels or whitespace
  }
  // value, then an optional timestamp (ignored)
  const fields = rest.trim().split(/[ \t]+/);
  if (fields.length < 1 || fields.length > 2 || fields[0] === '') return null;
  const value = parsePromValue(fields[0]!);
  if (value === null) return null;
  if (fields.length === 2 && !/^-?\d+$/.test(fields[1]!)) return null;
  return { name, labels, value };
}

export function parsePrometheus(text: string): PromParseResult {
  const samples: PromSample[] = [];
  const skippedExamples: string[] = [];
  let skipped = 0;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const sample = parsePromLine(line);
    if (sample) samples.push(sample);
    else {
      skipped++;
      if (skippedExamples.length < MAX_EXAMPLES) skippedExamples.push(line.length > 120 ? `${line.slice(0, 117)}...` : line);
    }
  }
  return { samples, skipped, skippedExamples };
}
