/**
 * IrisEdge.HA.Operation in the simulated instance: what a production component's
 * SendRequestSync of an IrisEdge.HA.*Request to it leads to. Follows
 * rootfs/usr/share/iris-edge/agent/IrisEdge.HA.Operation.cls: each request becomes a call of
 * IrisEdge.HA.Home (the simulated outbox), and the answer an IrisEdge.HA.Response or the error
 * %Status the operation returns.
 *
 * [BO]  "Defining Business Operations" (EGDV_busoperation): an operation without an adapter maps
 *       request classes to methods in its MessageMap; a failed %Status is the request's error.
 * [DIR] The target must be an enabled item of the running production, as for
 *       CreateBusinessService (ha-event-service.ts): <Ens>ErrProductionNotRunning,
 *       <Ens>ErrBusinessDispatchNameNotRegistered (codes UNVERIFIED for SendRequestSync).
 */
import type { SimulatedInterop } from './interop.ts';
import type { SimulatedHaOutbox } from './ha-outbox.ts';

export const HA_OPERATION_CLASS = 'IrisEdge.HA.Operation';

export type HaOperationRequest =
  | { type: 'IrisEdge.HA.CallActionRequest'; Domain: string; Action: string; Data?: string; Target?: string; WantResponse?: boolean; Timeout?: number }
  | { type: 'IrisEdge.HA.FireEventRequest'; EventType: string; Data?: string; Timeout?: number }
  | { type: 'IrisEdge.HA.GetStateRequest'; Entity: string; Timeout?: number };

export interface HaOperationResult {
  /** The %Status: ok, or its error text. */
  ok: boolean;
  text: string;
  /** The IrisEdge.HA.Response, when ok. */
  response: { State: string; Attributes: string; ResponseData: string } | null;
}

const PARSE_ERROR = "ERROR #5035: General exception Name 'Parsing error' Code '3' Data ''";
const failed = (text: string): HaOperationResult => ({ ok: false, text, response: null });

/** %FromJSON of a Data or Target property ("" is none); undefined when it does not parse to an object. */
function jsonObject(text: string | undefined): Record<string, unknown> | null | undefined {
  if (text === undefined || text === '') return null;
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export class SimulatedHaOperations {
  constructor(
    private readonly interop: SimulatedInterop,
    private readonly outbox: SimulatedHaOutbox,
  ) {}

  async send(namespace: string, target: string, request: HaOperationRequest): Promise<HaOperationResult> {
    const status = this.interop.productionStatus(namespace);
    const production = status.state === 1 ? this.interop.find(namespace, status.name) : undefined;
    if (!production) return failed('ERROR <Ens>ErrProductionNotRunning: Production is not running');
    const host = production.hosts.find((h) => h.name === target && h.runEnabled && h.kind === 'operation');
    if (!host) return failed(`ERROR <Ens>ErrBusinessDispatchNameNotRegistered: Business dispatch name '${target}' is not registered`);
    if (host.className !== HA_OPERATION_CLASS) return failed(`ERROR #5001: ${target} is a ${host.className}; the simulator runs only ${HA_OPERATION_CLASS}`);
    const timeout = request.Timeout ?? 10;
    const data = jsonObject('Data' in request ? request.Data : undefined);
    if (data === undefined) return failed(PARSE_ERROR);
    let call: Record<string, unknown>;
    if (request.type === 'IrisEdge.HA.CallActionRequest') {
      const t = jsonObject(request.Target);
      if (t === undefined) return failed(PARSE_ERROR);
      call = { kind: 'action', domain: request.Domain, service: request.Action, ...(data ? { data } : {}), ...(t ? { target: t } : {}), return_response: request.WantResponse ?? false };
    } else if (request.type === 'IrisEdge.HA.FireEventRequest') {
      call = { kind: 'event', event_type: request.EventType, ...(data ? { data } : {}) };
    } else {
      call = { kind: 'state', entity_id: request.Entity };
    }
    const result = await this.outbox.request(namespace, call, timeout);
    host.lastActivity = new Date();
    if (!result.ok) return failed(result.text);
    const r = result.reply ?? {};
    return {
      ok: true,
      text: '',
      response: {
        State: typeof r.state === 'string' ? r.state : '',
        Attributes: r.attributes && typeof r.attributes === 'object' ? JSON.stringify(r.attributes) : '',
        ResponseData: r.response !== undefined && r.response !== null ? JSON.stringify(r.response) : '',
      },
    };
  }
}
