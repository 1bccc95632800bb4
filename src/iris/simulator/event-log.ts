/**
 * The simulated instance's Event Log (Ens.Util.Log, SQL table Ens_Util.Log), one per namespace as
 * in IRIS (the table lives in the namespace's database). It is filled from the errors the
 * simulator already makes (a failed message, the demo's occasional error) and read by
 * IrisEdge.Agent.EventLog's query. Behaviour, with its source:
 *
 * [LOG]  Ens.Util.LogBase class reference: Type is Ens.DataType.LogType (1 Assert, 2 Error,
 *        3 Warning, 4 Info, 5 Trace, 6 Alert); ConfigName is the host that logged the event;
 *        SessionId the message session; SourceClass/SourceMethod the code that logged it.
 * [UTC]  TimeLogged is Ens.DataType.UTC, as Ens.MessageHeader.TimeCreated: the stored (logical)
 *        value is UTC, an ODBC %TimeStamp with milliseconds; only the display value is local
 *        [UNVERIFIED for Ens.Util.Log: test/contract/README.md; the contract suite checks it].
 * [ID]   IDs rise with every entry, so ORDER BY ID DESC is newest first.
 *
 * IRIS keeps entries until a purge; the simulator keeps the newest MAX_KEPT per namespace so that a
 * demo left running for weeks does not grow without bound.
 */

const MAX_KEPT = 1000;

/** Ens.DataType.LogType logical values. */
export const LOG_TYPE = { Assert: 1, Error: 2, Warning: 3, Info: 4, Trace: 5, Alert: 6 } as const;
export type LogTypeName = keyof typeof LOG_TYPE;

export interface SimLogRow {
  ID: number;
  Type: number;
  ConfigName: string;
  Text: string;
  /** Logical value: UTC "YYYY-MM-DD HH:MM:SS.fff" ([UTC]). */
  TimeLogged: string;
  SessionId: number | null;
  SourceClass: string;
  SourceMethod: string;
}

export class SimulatedEventLog {
  private readonly rows = new Map<string, SimLogRow[]>();
  private nextId = 1;
  private nextSession = 1000;

  constructor(private readonly now: () => Date) {}

  /** What Ens.Util.Log.LogEvent writes for a host of `namespace`. */
  log(namespace: string, entry: { type: LogTypeName; configName: string; text: string; sourceClass?: string; sourceMethod?: string; session?: boolean }): void {
    let list = this.rows.get(namespace);
    if (!list) this.rows.set(namespace, (list = []));
    list.push({
      ID: this.nextId++,
      Type: LOG_TYPE[entry.type],
      ConfigName: entry.configName,
      Text: entry.text,
      TimeLogged: this.now().toISOString().replace('T', ' ').replace('Z', ''),
      SessionId: entry.session === false ? null : this.nextSession++,
      SourceClass: entry.sourceClass ?? '',
      SourceMethod: entry.sourceMethod ?? '',
    });
    if (list.length > MAX_KEPT) list.splice(0, list.length - MAX_KEPT);
  }

  /**
   * SELECT TOP <limit> ... FROM Ens_Util.Log WHERE Type IN (<types>) AND (ConfigName = ? OR
   * ConfigName IN (<hosts>)) ORDER BY ID DESC, with %EXTERNAL(Type) as TypeName.
   */
  select(namespace: string, opts: { types: number[]; configNames: Set<string>; limit: number }): Array<SimLogRow & { TypeName: string }> {
    const names = Object.fromEntries(Object.entries(LOG_TYPE).map(([k, v]) => [v, k])) as Record<number, string>;
    const out: Array<SimLogRow & { TypeName: string }> = [];
    const list = this.rows.get(namespace) ?? [];
    for (let i = list.length - 1; i >= 0 && out.length < opts.limit; i--) {
      const r = list[i] as SimLogRow;
      if (opts.types.includes(r.Type) && opts.configNames.has(r.ConfigName)) out.push({ ...r, TypeName: names[r.Type] ?? String(r.Type) });
    }
    return out;
  }
}
