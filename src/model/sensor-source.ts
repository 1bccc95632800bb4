/**
 * The texts that say where a user-defined sensor reads its value, parsed strictly so that what
 * reaches IRIS is data the agent can check, never code: a global reference is taken apart into a
 * name and literal subscripts, a method into a class and a method name, a metric into a name and
 * label values. An SQL statement gets a first lexical check here (one statement starting with
 * SELECT or WITH); the agent's %Prepare and statement type are what decides it is a query.
 * Each parser returns the parsed value or the reason it refused, in words for the user.
 */

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const no = <T>(reason: string): Parsed<T> => ({ ok: false, reason });

export const SQL_MAX_CHARS = 4000;

/**
 * Strips comments and string/identifier literals (keeping their places) so a keyword or `;`
 * inside a literal is not taken for one. IRIS SQL: '...' strings with '' for a quote, "..."
 * delimited identifiers, -- and /* *\/ comments (InterSystems SQL Reference, "Literals",
 * "Comments"). Returns null when a literal or comment is left open. `keepIdentifiers` leaves the
 * "..." identifiers as they are, for a reader of the names a query uses (sensors/role-grants.ts).
 */
export function sqlSkeleton(sql: string, { keepIdentifiers = false } = {}): string | null {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i] as string;
    if (ch === "'" || ch === '"') {
      let j = i + 1;
      for (;;) {
        if (j >= sql.length) return null;
        if (sql[j] === ch) {
          if (sql[j + 1] === ch) j += 2;
          else break;
        } else j++;
      }
      out += keepIdentifiers && ch === '"' ? sql.slice(i, j + 1) : ' x ';
      i = j + 1;
    } else if (ch === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end;
      out += ' ';
    } else if (ch === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end === -1) return null;
      i = end + 2;
      out += ' ';
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

/** One SELECT (or WITH ... SELECT); the trailing `;` of a single statement is allowed and dropped. */
export function parseSqlQuery(text: string): Parsed<string> {
  const sql = text.trim();
  if (sql === '') return no('the query is empty');
  if (sql.length > SQL_MAX_CHARS) return no(`the query is longer than ${SQL_MAX_CHARS} characters`);
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(sql)) return no('the query holds control characters');
  const skeleton = sqlSkeleton(sql);
  if (skeleton === null) return no('a quote or a /* comment is not closed');
  const body = skeleton.trim().replace(/;\s*$/, '');
  if (body.includes(';')) return no('only one statement is allowed (remove the ";" and what follows)');
  const first = /^\s*\(*\s*([A-Za-z]+)/.exec(body)?.[1]?.toUpperCase();
  if (first !== 'SELECT' && first !== 'WITH') return no(`only a SELECT (or WITH ... SELECT) query is allowed, not ${first ?? 'this'}`);
  return ok(sql.replace(/;\s*$/, '').trimEnd());
}

/** A global node: ^Name(sub, ...) with literal subscripts only. */
export interface GlobalRef {
  /** Without the caret, e.g. "Orders" or "Demo.Counts". */
  name: string;
  subscripts: Array<string | number>;
}

// Global names: letters and digits with dots inside, a leading % allowed, at most 31 characters
// significant (InterSystems, "Using Globals", Global naming rules). Extended references
// (^|"NS"|Name, ^["NS"]Name) are refused: the sensor's namespace says where to read.
const GLOBAL_NAME = /^%?[A-Za-z][A-Za-z0-9]*(\.[A-Za-z0-9]+)*$/;
const CANONICAL_NUMBER = /^-?(0|[1-9]\d{0,17})(\.\d{1,15})?$/;
export const MAX_SUBSCRIPTS = 16;
const MAX_SUBSCRIPT_CHARS = 500;

/** Parses `^Orders("count")`, `^Demo.Stats(2026,"x""y")`; numbers must be literal numbers. */
export function parseGlobalRef(text: string): Parsed<GlobalRef> {
  const s = text.trim();
  if (!s.startsWith('^')) return no('a global reference starts with ^, e.g. ^Orders("count")');
  if (s[1] === '|' || s[1] === '[') return no('extended references are not allowed; set the namespace field instead');
  const open = s.indexOf('(');
  const name = open === -1 ? s.slice(1) : s.slice(1, open);
  if (!GLOBAL_NAME.test(name) || name.length > 31) return no(`"^${name}" is not a global name (letters and digits, dots inside, at most 31 characters)`);
  if (open === -1) return ok({ name, subscripts: [] });
  if (!s.endsWith(')')) return no('the subscript list is not closed with )');
  const inner = s.slice(open + 1, -1);
  const subscripts: Array<string | number> = [];
  let i = 0;
  for (;;) {
    while (inner[i] === ' ') i++;
    if (inner[i] === '"') {
      let j = i + 1;
      let value = '';
      for (;;) {
        if (j >= inner.length) return no('a string subscript is not closed with "');
        if (inner[j] === '"') {
          if (inner[j + 1] === '"') {
            value += '"';
            j += 2;
            continue;
          }
          break;
        }
        value += inner[j];
        j++;
      }
      if (value === '') return no('an empty string is not a valid subscript');
      if (value.length > MAX_SUBSCRIPT_CHARS) return no(`a subscript is longer than ${MAX_SUBSCRIPT_CHARS} characters`);
      subscripts.push(value);
      i = j + 1;
    } else {
      const m = /^[^,\s)]*/.exec(inner.slice(i))?.[0] ?? '';
      if (!CANONICAL_NUMBER.test(m)) return no(`subscript ${m === '' ? '(empty)' : JSON.stringify(m)} is neither a "string" nor a number; variables and expressions are not allowed`);
      subscripts.push(Number(m));
      i += m.length;
    }
    while (inner[i] === ' ') i++;
    if (i >= inner.length) break;
    if (inner[i] !== ',') return no(`unexpected ${JSON.stringify(inner[i])} in the subscripts; separate them with commas`);
    i++;
  }
  if (subscripts.length > MAX_SUBSCRIPTS) return no(`at most ${MAX_SUBSCRIPTS} subscripts`);
  return ok({ name, subscripts });
}

/** A class method: Package.Class.Method, called with no arguments. */
export interface MethodRef {
  className: string;
  method: string;
}

/** A class name with its package (IRIS has no class outside a package); no % classes. */
export const CLASS_NAME = /^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)+$/;
/** IRIS's limit on a class name's length (Class Definitions reference, "Class Names"). */
export const MAX_CLASS_NAME = 220;
const METHOD_NAME = /^[A-Za-z][A-Za-z0-9]{0,179}$/;
export const PACKAGE_NAME = /^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$/;

/**
 * `Orders.Stats.OpenCount` -> class Orders.Stats, method OpenCount. The class must sit in one of
 * `packages` (the user's explicit list); system classes (%...) are never callable.
 */
export function parseMethodRef(text: string, packages: readonly string[]): Parsed<MethodRef> {
  const s = text.trim().replace(/\(\)$/, '');
  const dot = s.lastIndexOf('.');
  const className = s.slice(0, dot);
  const method = s.slice(dot + 1);
  if (dot === -1 || !CLASS_NAME.test(className) || className.length > MAX_CLASS_NAME) return no('write Package.Class.Method, e.g. Orders.Stats.OpenCount (no % classes)');
  if (!METHOD_NAME.test(method)) return no(`"${method}" is not a method name`);
  const inPackage = packages.some((p) => className.toLowerCase().startsWith(`${p.toLowerCase()}.`));
  if (!inPackage) {
    return no(packages.length === 0 ? 'no package is allowed for method sensors; list the class\'s package in "Packages for method sensors"' : `class ${className} is not in an allowed package (${packages.join(', ')})`);
  }
  return ok({ className, method });
}

/** A line of /api/monitor/metrics: its name and the labels it must carry. */
export interface MetricSelector {
  name: string;
  labels: Record<string, string>;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Prometheus selector syntax: `iris_db_size_mb{id="USER"}`; values in "..." with \\ \" \n escapes. */
export function parseMetricSelector(text: string): Parsed<MetricSelector> {
  const s = text.trim();
  const brace = s.indexOf('{');
  const name = brace === -1 ? s : s.slice(0, brace);
  if (!METRIC_NAME.test(name) || name.length > 200) return no(`"${name}" is not a metric name such as iris_cpu_usage`);
  const labels: Record<string, string> = {};
  if (brace === -1) return ok({ name, labels });
  if (!s.endsWith('}')) return no('the labels are not closed with }');
  const inner = s.slice(brace + 1, -1);
  let i = 0;
  for (;;) {
    while (inner[i] === ' ') i++;
    if (i >= inner.length) break;
    const key = /^[^=\s]*/.exec(inner.slice(i))?.[0] ?? '';
    if (!LABEL_NAME.test(key)) return no(`${JSON.stringify(key)} is not a label name`);
    i += key.length;
    while (inner[i] === ' ') i++;
    if (inner[i] !== '=' || inner[i + 1] === '~' || inner[i + 1] === '=') return no(`label ${key}: only key="value" matches are supported`);
    i++;
    while (inner[i] === ' ') i++;
    if (inner[i] !== '"') return no(`label ${key}: the value goes in double quotes`);
    let j = i + 1;
    let value = '';
    for (;;) {
      if (j >= inner.length) return no(`label ${key}: the value is not closed with "`);
      const c = inner[j] as string;
      if (c === '"') break;
      if (c === '\\') {
        const n = inner[j + 1];
        value += n === 'n' ? '\n' : (n ?? '');
        j += 2;
      } else {
        value += c;
        j++;
      }
    }
    if (key in labels) return no(`label ${key} is given twice`);
    labels[key] = value;
    i = j + 1;
    while (inner[i] === ' ') i++;
    if (i >= inner.length) break;
    if (inner[i] !== ',') return no('separate labels with commas');
    i++;
  }
  return ok({ name, labels });
}
