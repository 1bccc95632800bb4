/**
 * The simulated instance's message headers (Ens.MessageHeader), one table per namespace as in IRIS
 * (it lives in the namespace's database). The simulator's message traffic and its failed messages
 * write them; IrisEdge.Agent.SearchMessages's query reads them. Behaviour, with its source:
 *
 * [HDR]  Ens.MessageHeader class reference: SourceConfigName and TargetConfigName are the sending
 *        and receiving config items; MessageBodyClassName the body's class; SessionId is the ID of
 *        the first header of the session; Status is Ens.DataType.MessageStatus (1 Created,
 *        2 Queued, 3 Delivered, 4 Discarded, 5 Suspended, 6 Deferred, 7 Aborted, 8 Error,
 *        9 Completed); IsError is set when processing returned an error status.
 * [UTC]  TimeCreated is Ens.DataType.UTC: the stored (logical) value is UTC, an ODBC %TimeStamp with
 *        milliseconds; only the display value is local.
 * [ID]   IDs rise with every header of the namespace, so ORDER BY ID DESC is newest first.
 * [COLL] The names are %String with the default collation SQLUPPER ("Collation", GSQL): an
 *        equality test ignores case.
 *
 * IRIS keeps headers until a purge; the simulator keeps the newest MAX_KEPT per namespace so that a
 * demo left running for weeks does not grow without bound.
 */
import { messageStatusCode, messageStatusOfCode, messageStatusWord, type MessageStatus } from '../../model/message-search.ts';
import type { SimHost, SimProduction } from './interop.ts';

const MAX_KEPT = 2000;
/** Demo traffic: one message session per running production every this many activity steps. */
const TRAFFIC_EVERY = 5;

/** %EXTERNAL of a logical Ens.DataType.MessageStatus value; an unknown one as its number. */
function statusWordOf(code: number): string {
  const status = messageStatusOfCode(code);
  return status ? messageStatusWord(status) : String(code);
}

export interface SimHeaderRow {
  ID: number;
  /** Logical value: UTC "YYYY-MM-DD HH:MM:SS.fff" ([UTC]). */
  TimeCreated: string;
  SourceConfigName: string;
  TargetConfigName: string;
  MessageBodyClassName: string;
  Status: number;
  IsError: 0 | 1;
  SessionId: number;
}

/** The WHERE clause of SearchMessages: every field optional but the window. */
export interface HeaderQuery {
  since: string;
  until: string;
  /** Config items of the production filter (Ens_Config.Item subquery); null: no production filter. */
  items: Set<string> | null;
  host: string;
  status: number;
  errorsOnly: boolean;
  /** TOP ?. */
  top: number;
}

/** The body class a host of this class plausibly receives. */
function bodyClassFor(hostClass: string): string {
  return hostClass.startsWith('EnsLib.HL7.') ? 'EnsLib.HL7.Message' : 'Ens.StringRequest';
}

const same = (a: string, b: string) => a.toUpperCase() === b.toUpperCase();
/** A UTC ODBC %TimeStamp as milliseconds, so that "10:00:00" and "10:00:00.000" are one instant. */
const instant = (odbc: string) => Date.parse(`${odbc.replace(' ', 'T')}Z`);

export class SimulatedMessageHeaders {
  private readonly rows = new Map<string, SimHeaderRow[]>();
  /** Each namespace's table counts its own IDs. */
  private readonly lastId = new Map<string, number>();
  private steps = 0;

  constructor(private readonly now: () => Date) {}

  /** One header as the production's hosts write it; `session` continues a session, else a new one starts. */
  private write(namespace: string, from: SimHost, to: SimHost, status: MessageStatus, session?: number): SimHeaderRow {
    let list = this.rows.get(namespace);
    if (!list) this.rows.set(namespace, (list = []));
    const id = (this.lastId.get(namespace) ?? 0) + 1;
    this.lastId.set(namespace, id);
    const row: SimHeaderRow = {
      ID: id,
      TimeCreated: this.now().toISOString().replace('T', ' ').replace('Z', ''),
      SourceConfigName: from.name,
      TargetConfigName: to.name,
      MessageBodyClassName: bodyClassFor(to.className),
      Status: messageStatusCode(status),
      IsError: status === 'error' ? 1 : 0,
      SessionId: session ?? id,
    };
    list.push(row);
    if (list.length > MAX_KEPT) list.splice(0, list.length - MAX_KEPT);
    return row;
  }

  /** Who sends to `h`: a process for an operation, a service for anything else, else `h` itself. */
  private senderOf(p: SimProduction, h: SimHost): SimHost {
    const kind = h.kind === 'operation' ? 'process' : 'service';
    return p.hosts.find((x) => x !== h && x.kind === kind && x.enabled) ?? h;
  }

  /** A message to `h` failed: its header ends in Error with IsError set. */
  failed(p: SimProduction, h: SimHost): void {
    this.write(p.namespace, this.senderOf(p, h), h, 'error');
  }

  /**
   * One message session through a running production: service to process, process to each enabled
   * operation; a message to an operation in error fails ([HDR]).
   */
  session(p: SimProduction): number {
    const service = p.hosts.find((h) => h.kind === 'service' && h.runEnabled);
    const process = p.hosts.find((h) => h.kind === 'process' && h.runEnabled);
    if (p.state !== 'running' || !service) return 0;
    const first = this.write(p.namespace, service, process ?? service, 'completed');
    let written = 1;
    for (const op of p.hosts.filter((h) => h.kind === 'operation' && h.runEnabled)) {
      this.write(p.namespace, process ?? service, op, op.status === 'error' ? 'error' : 'completed', first.SessionId);
      written += 1;
    }
    return written;
  }

  /** Demo life: every TRAFFIC_EVERY steps, one session through each running production. */
  step(productions: SimProduction[]): void {
    this.steps += 1;
    if (this.steps % TRAFFIC_EVERY !== 0) return;
    for (const p of productions) this.session(p);
  }

  /**
   * SELECT TOP ? ... FROM Ens.MessageHeader WHERE TimeCreated >= ? AND TimeCreated < ? [AND the
   * production's items] [AND host] [AND Status = ?] [AND IsError = 1] ORDER BY ID DESC, with
   * %EXTERNAL(Status) as StatusName.
   */
  select(namespace: string, q: HeaderQuery): Array<SimHeaderRow & { StatusName: string }> {
    const out: Array<SimHeaderRow & { StatusName: string }> = [];
    const list = this.rows.get(namespace) ?? [];
    const items = q.items ? [...q.items] : null;
    const since = instant(q.since);
    const until = instant(q.until);
    for (let i = list.length - 1; i >= 0 && out.length < q.top; i--) {
      const r = list[i] as SimHeaderRow;
      const created = instant(r.TimeCreated);
      if (created < since || created >= until) continue;
      if (items && !items.some((n) => same(n, r.SourceConfigName) || same(n, r.TargetConfigName))) continue;
      if (q.host !== '' && !same(q.host, r.SourceConfigName) && !same(q.host, r.TargetConfigName)) continue;
      if (q.status > 0 && r.Status !== q.status) continue;
      if (q.errorsOnly && r.IsError !== 1) continue;
      out.push({ ...r, StatusName: statusWordOf(r.Status) });
    }
    return out;
  }
}
