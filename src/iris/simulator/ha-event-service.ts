/**
 * IrisEdge.HA.EventService in the simulated instance: a business service without an adapter that
 * the agent drives with Ens.Director.CreateBusinessService and ProcessInput, and the Home
 * Assistant events it received (what a test or the demo looks at to see an event arrive).
 *
 * [BS]  "Defining Business Services" (EGDV_busservice): a service without an adapter does not
 *       poll; the application creates it and tells it to process input (push mode).
 * [DIR] Ens.Director.CreateBusinessService(name, .service): an instance of the configured item of
 *       the RUNNING production, in the calling process. Nothing running: <Ens>ErrProductionNotRunning.
 *       A name the running production has not registered (no such item, or a disabled one: only
 *       enabled items are registered when the production starts or updates):
 *       <Ens>ErrBusinessDispatchNameNotRegistered. Codes as InterSystems' Ens error table names
 *       them; their exact texts are UNVERIFIED (test/contract/README.md).
 * [PI]  Ens.BusinessService.ProcessInput runs the class's OnProcessInput and returns its %Status.
 *       IrisEdge.HA.EventService's parses the JSON with %FromJSON: a parse error is thrown and
 *       returned as ERROR #5035 (%Exception.General, "Parsing error").
 *
 * Only IrisEdge.HA.EventService's OnProcessInput is modelled: an item of another class is refused
 * with a status saying so, rather than pretending to know what that class would do.
 */
import type { SimHost, SimulatedInterop } from './interop.ts';
import type { ProductionSeed } from './scenarios.ts';
import { StatusError } from './security.ts';

export const HA_EVENT_SERVICE_CLASS = 'IrisEdge.HA.EventService';
/** Events kept per instance for tests and the demo; the oldest go first. */
const KEPT = 1000;

export interface ReceivedHaEvent {
  namespace: string;
  service: string;
  /** The JSON the service parsed. */
  message: Record<string, unknown>;
  receivedAt: Date;
}

/** What CreateBusinessService returns: the configured item, bound to its namespace. */
export interface SimBusinessService {
  namespace: string;
  host: SimHost;
}

const ens = (code: string, text: string) => new StatusError(`<Ens>${code}`, `ERROR <Ens>${code}: ${text}`);

export class SimulatedHaEventServices {
  private readonly received: ReceivedHaEvent[] = [];
  private readonly listeners: ((e: ReceivedHaEvent) => void)[] = [];

  constructor(
    private readonly interop: SimulatedInterop,
    private readonly now: () => Date,
  ) {}

  /** [DIR] */
  createBusinessService(namespace: string, name: string): SimBusinessService {
    const status = this.interop.productionStatus(namespace);
    const production = status.state === 1 ? this.interop.find(namespace, status.name) : undefined;
    if (!production) throw ens('ErrProductionNotRunning', 'Production is not running');
    const host = production.hosts.find((h) => h.name === name && h.runEnabled && h.kind === 'service');
    if (!host) throw ens('ErrBusinessDispatchNameNotRegistered', `Business dispatch name '${name}' is not registered`);
    return { namespace, host };
  }

  /** [PI] */
  processInput(service: SimBusinessService, json: string): void {
    const { host } = service;
    if (host.className !== HA_EVENT_SERVICE_CLASS) {
      throw new StatusError('5001', `ERROR #5001: ${host.name} is a ${host.className}; the simulator runs only ${HA_EVENT_SERVICE_CLASS}'s OnProcessInput`);
    }
    let message: unknown;
    try {
      message = JSON.parse(json);
    } catch {
      throw new StatusError('5035', "ERROR #5035: General exception Name 'Parsing error' Code '3' Data ''");
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      throw new StatusError('5035', "ERROR #5035: General exception Name 'Parsing error' Code '3' Data ''");
    }
    const receivedAt = this.now();
    host.lastActivity = receivedAt;
    const event = { namespace: service.namespace, service: host.name, message: message as Record<string, unknown>, receivedAt };
    this.received.push(event);
    if (this.received.length > KEPT) this.received.shift();
    for (const l of this.listeners) l(event);
  }

  /** What the production does with an event once its service took it (the simulated business logic: home-demo.ts). */
  onReceived(listener: (e: ReceivedHaEvent) => void): void {
    this.listeners.push(listener);
  }

  /** The events a service received, oldest first. */
  receivedBy(namespace: string, service: string): ReceivedHaEvent[] {
    return this.received.filter((e) => e.namespace === namespace && e.service === service);
  }
}

/**
 * A small home production for tests and the demo: its business service HomeAssistant takes Home
 * Assistant's events, its business operation HomeAssistant.Out acts on Home Assistant. Give it
 * to the simulator at creation (`productions`), so that the setup grants the bridge its
 * namespace's database as it does for every interoperability namespace.
 */
export function homeProduction(): ProductionSeed {
  return {
    namespace: 'HOME',
    name: 'Home.Production',
    running: true,
    hosts: [
      { name: 'HomeAssistant', className: HA_EVENT_SERVICE_CLASS, kind: 'service' },
      { name: 'Home.Router', className: 'EnsLib.MsgRouter.RoutingEngine', kind: 'process' },
      { name: 'Home.Log', className: 'EnsLib.File.PassthroughOperation', kind: 'operation' },
      { name: 'HomeAssistant.Out', className: 'IrisEdge.HA.Operation', kind: 'operation' },
    ],
  };
}
