/**
 * What a scenario puts in the simulated instance for user-defined sensors to read: tables,
 * globals and class methods of the user's own application, per namespace. The simulator answers
 * as IRIS answers, never more kindly:
 * [PREP]  %SQL.Statement %Prepare accepts ONE statement; text after it is SQLCODE -25 "Input (;)
 *         encountered after end of query" (InterSystems SQL error reference); an unknown table is
 *         SQLCODE -30 "Table '<name>' not found". %Metadata.statementType is the type of the prepared
 *         statement: 1 SELECT (WITH ... SELECT too), 2 INSERT, 3 UPDATE, 4 DELETE, 45 CALL
 *         (%SQL.StatementMetadata class reference, "SQL Metadata"); other statements get 99 here.
 * [SQLP]  SELECT privileges are checked at %Prepare (security.ts).
 * [GLO]   $DATA/$GET/$ORDER of ^Name(...) read the namespace's globals database (READ on it).
 * [CLM]   $CLASSMETHOD of a class that is not compiled in the namespace: <CLASS DOES NOT EXIST>;
 *         of a method the class lacks: <METHOD DOES NOT EXIST>.
 * The SQL this models is deliberately small: `SELECT [TOP n] <columns | * | COUNT(*)> FROM
 * Schema.Table`, optionally after `WITH name AS (...)`, and `SELECT <literals>` without FROM; anything else it reports as a statement the
 * simulator does not model, so a test cannot pass on SQL the simulator did not understand.
 */
import { ObjectScriptError, StatusError } from './security.ts';

export type SimRow = Record<string, string | number>;

export interface UserDataSeed {
  /** "Schema.Table" -> rows (every row has the same columns, in order). */
  tables?: Record<string, SimRow[]>;
  /** Global name without ^ -> nodes: JSON of the subscript list (e.g. '["count"]') -> value. */
  globals?: Record<string, Record<string, string | number>>;
  /** "Package.Class.Method" -> the method (it may throw an ObjectScriptError, as user code can). */
  methods?: Record<string, () => string | number>;
}

export interface PreparedStatement {
  statementType: number;
  /** The tables the statement reads, for the SELECT privilege check. */
  tables: string[];
  /** The first row as column -> value; undefined when there is none. */
  firstRow(): SimRow | undefined;
  /** The columns in order (%Metadata.columns). */
  columns(): string[];
}

const sqlError = (code: number, message: string): StatusError => new StatusError('5540', `ERROR #5540: SQLCODE: ${code} Message: ${message}`);

const TYPES: Record<string, number> = { SELECT: 1, WITH: 1, INSERT: 2, UPDATE: 3, DELETE: 4, CALL: 45 };

/** Strips 'strings' and "identifiers" so that a ; or keyword inside one is not taken for one. */
function skeleton(sql: string): string {
  return sql.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"/g, ' x ').replace(/--[^\n]*/g, ' ').replace(/\/\*[\s\S]*?\*\//g, ' ');
}

export class SimulatedUserData {
  private readonly seeds = new Map<string, UserDataSeed>();

  /** Defines (or replaces) what namespace `ns` holds. */
  define(ns: string, seed: UserDataSeed): void {
    this.seeds.set(ns.toUpperCase(), seed);
  }

  private seed(ns: string): UserDataSeed {
    return this.seeds.get(ns.toUpperCase()) ?? {};
  }

  /** [PREP] %Prepare: one statement, its type, the tables it reads. */
  prepare(ns: string, sql: string): PreparedStatement {
    const body = skeleton(sql).trim().replace(/;\s*$/, '');
    if (body.includes(';')) throw sqlError(-25, 'Input (;) encountered after end of query');
    const first = /^\(*\s*([A-Za-z]+)/.exec(body)?.[1]?.toUpperCase() ?? '';
    const statementType = TYPES[first] ?? 99;
    const tables = [...body.matchAll(/\b(?:FROM|JOIN|INTO|UPDATE)\s+([A-Za-z%][\w.]*)/gi)].map((m) => m[1] as string);
    const known = this.seed(ns).tables ?? {};
    const byUpper = new Map(Object.keys(known).map((t) => [t.toUpperCase(), t]));
    for (const t of tables) if (!byUpper.has(t.toUpperCase())) throw sqlError(-30, `Table '${t.toUpperCase()}' not found`);
    // [PREP] SELECT of literals without FROM: one row, columns Expression_1, Expression_2...
    const literals = /^SELECT\s+((?:-?\d+(?:\.\d+)?|'(?:[^']|'')*')(?:\s*,\s*(?:-?\d+(?:\.\d+)?|'(?:[^']|'')*'))*)\s*$/i.exec(sql.trim().replace(/;\s*$/, ''));
    if (literals && statementType === 1) {
      const values = (literals[1] as string).match(/-?\d+(?:\.\d+)?|'(?:[^']|'')*'/g) ?? [];
      const row: SimRow = Object.fromEntries(values.map((v, i) => [`Expression_${i + 1}`, v.startsWith("'") ? v.slice(1, -1).replace(/''/g, "'") : Number(v)]));
      return { statementType, tables, firstRow: () => row, columns: () => Object.keys(row) };
    }
    const select = /SELECT\s+(?:TOP\s+\d+\s+)?(.+?)\s+FROM\s+([A-Za-z%][\w.]*)\s*\)?\s*(?:[A-Za-z]\w*)?\s*$/i.exec(body.replace(/^WITH\s+\w+\s+AS\s+\(/i, ''));
    const rowsOf = (t: string): SimRow[] => known[byUpper.get(t.toUpperCase()) as string] ?? [];
    const shape = () => {
      if (statementType !== 1 || !select) throw new Error(`the simulator models only SELECT <columns | * | COUNT(*)> FROM Schema.Table, not: ${sql}`);
      const list = (select[1] as string).trim();
      const rows = rowsOf(select[2] as string);
      if (/^COUNT\(\*\)$/i.test(list)) return { columns: ['Aggregate_1'], rows: [{ Aggregate_1: rows.length }] };
      const all = Object.keys(rows[0] ?? {});
      const columns = list === '*' ? all : list.split(',').map((c) => c.trim());
      return { columns, rows: rows.map((r) => Object.fromEntries(columns.map((c) => [c, r[c] ?? '']))) };
    };
    return {
      statementType,
      tables,
      firstRow: () => shape().rows[0],
      columns: () => shape().columns,
    };
  }

  /** [GLO] $DATA(^name(subs))#10 and $GET: the node's own value, or undefined. */
  globalValue(ns: string, name: string, subscripts: Array<string | number>): string | number | undefined {
    return this.seed(ns).globals?.[name]?.[JSON.stringify(subscripts)];
  }

  /** [GLO] The $ORDER loop: how many distinct subscripts sit directly under the node (at most `cap`). */
  subscriptCount(ns: string, name: string, subscripts: Array<string | number>, cap: number): number {
    const nodes = Object.keys(this.seed(ns).globals?.[name] ?? {}).map((k) => JSON.parse(k) as Array<string | number>);
    const under = new Set<string>();
    for (const n of nodes) {
      if (n.length > subscripts.length && subscripts.every((s, i) => n[i] === s)) under.add(JSON.stringify(n[subscripts.length]));
    }
    return Math.min(under.size, cap);
  }

  /** [CLM] $CLASSMETHOD(class, method) with no arguments. */
  callMethod(ns: string, className: string, method: string): string | number {
    const methods = this.seed(ns).methods ?? {};
    const fn = methods[`${className}.${method}`];
    if (fn) return fn();
    const classExists = Object.keys(methods).some((k) => k.slice(0, k.lastIndexOf('.')) === className);
    if (!classExists) throw new ObjectScriptError('<CLASS DOES NOT EXIST>', `*${className}`);
    throw new ObjectScriptError('<METHOD DOES NOT EXIST>', `*${method},${className}`);
  }
}
