/**
 * IrisEdge.Agent as the simulated instance runs it: each method follows
 * rootfs/usr/share/iris-edge/agent/IrisEdge.Agent.cls step by step, returns the same JSON, and
 * makes every IRIS call through `call()`, which enforces the privilege IRIS_CALLS names for it in
 * the namespace the code is in, and fails as IRIS fails. A test compares the calls each method
 * makes here with the calls the .cls makes, so the two cannot drift apart silently.
 *
 * Over 400 lines: it is one ObjectScript class, mirrored method for method in the .cls's order so
 * that a reader (and the call comparison) can hold the two side by side.
 */
import type { HostKind } from '../../model/production.ts';
import type { SslConfigInput } from '../../model/ssl.ts';
import { fromLocalTimestamp, localTimestamp, type SimClock } from './clock.ts';
import type { SimulatedDatabases } from './databases.ts';
import type { SimulatedEventLog } from './event-log.ts';
import type { SimulatedHaEventServices } from './ha-event-service.ts';
import type { SimulatedHaOutbox } from './ha-outbox.ts';
import type { SimulatedInterop } from './interop.ts';
import type { SimulatedMessageHeaders } from './message-headers.ts';
import { ObjectScriptError, StatusError, type SimProcess, type SimulatedSecurity } from './security.ts';
import type { SimulatedSslConfigs } from './ssl.ts';
import type { SimulatedUserData } from './user-data.ts';

/** What the agent reaches of the instance it runs in. */
export interface AgentInstance {
  readonly security: SimulatedSecurity;
  readonly interop: SimulatedInterop;
  readonly eventLog: SimulatedEventLog;
  readonly messages: SimulatedMessageHeaders;
  readonly haEvents: SimulatedHaEventServices;
  readonly haOutbox: SimulatedHaOutbox;
  readonly ssl: SimulatedSslConfigs;
  readonly userData: SimulatedUserData;
  readonly databases: SimulatedDatabases | undefined;
  readonly clock: SimClock;
  readonly version: string;
  readonly versionNumber: string;
  /** Every namespace with its database (interoperability-enabled or not), %SYS included. */
  namespaces(): Array<{ name: string; database: string; directory: string; interop: boolean }>;
  license(): { consumed: number; available: number; limit: number; expiresOn: string };
}

type Json = Record<string, unknown>;

/** ex.Name and ex.DisplayString() of what a CATCH block receives. */
function caught(err: unknown): { code: string; text: string } {
  if (err instanceof ObjectScriptError) return { code: err.errorName, text: err.message };
  if (err instanceof StatusError) return { code: err.codes, text: err.text };
  throw err; // a bug in the simulator, not an IRIS error
}

const failure = (err: unknown): string => JSON.stringify({ ...caught(err), ok: false });

export class SimulatedAgent {
  static readonly SECUREROLE = 'IrisEdgeSecure';
  static readonly BRIDGEROLE = 'IrisEdgeBridge';
  /** Registry keys of the IRIS calls made, for the test that compares them with the .cls. */
  readonly trace = new Map<string, Set<string>>();

  constructor(
    private readonly iris: AgentInstance,
    readonly version: number,
  ) {}

  /** Runs one agent method for process `p` (the method's name is recorded with its calls). */
  async invoke(p: SimProcess, method: string, args: unknown[]): Promise<unknown> {
    p.method = method;
    switch (method) {
      case 'Version':
        return BigInt(this.version);
      case 'Snapshot':
        return this.Snapshot(p);
      case 'Control':
        return this.Control(p, String(args[0]), String(args[1]), String(args[2]), Number(args[3] ?? 10), Number(args[4] ?? 0) !== 0);
      case 'EnableHost':
        return this.EnableHost(p, String(args[0]), String(args[1]), String(args[2]), Number(args[3] ?? 1) !== 0, Number(args[4] ?? 10));
      case 'SslConfigs':
        return this.SslConfigs(p);
      case 'ApplySslConfig':
        return this.ApplySslConfig(p, String(args[0]));
      case 'EventLog':
        return this.EventLog(p, String(args[0]), String(args[1]), Number(args[2] ?? 50));
      case 'SearchMessages':
        return this.SearchMessages(p, String(args[0]), String(args[1]));
      case 'ReadSensors':
        return this.ReadSensors(p, String(args[0]), String(args[1]), Number(args[2] ?? 5000), Number(args[3] ?? 2000));
      case 'Databases':
        return this.Databases(p);
      case 'Privileges':
        return this.Privileges(p, String(args[0] ?? '[]'));
      case 'DeliverHaEvent':
        return this.DeliverHaEvent(p, String(args[0]), String(args[1]), String(args[2]));
      case 'TakeHaCalls':
        return this.TakeHaCalls(p, Number(args[0] ?? 50));
      case 'AnswerHaCall':
        return this.AnswerHaCall(p, String(args[0]), Number(args[1]), String(args[2]), String(args[3]));
      default:
        throw new ObjectScriptError('<METHOD DOES NOT EXIST>', `*${method},IrisEdge.Agent`);
    }
  }

  // ---- the machinery: privileges, namespaces, roles --------------------------------------------

  private database(namespace: string): { database: string; directory: string } {
    const ns = this.iris.namespaces().find((n) => n.name === namespace);
    return ns ?? { database: 'IRISSYS', directory: '/usr/irissys/mgr/' };
  }

  /** One IRIS call: its privilege in the current namespace, then its effect. */
  private call<T>(p: SimProcess, key: string, effect: () => T, target?: { tables?: readonly string[]; global?: string }): T {
    const { database, directory } = this.database(p.namespace);
    let calls = this.trace.get(p.method);
    if (!calls) this.trace.set(p.method, (calls = new Set()));
    calls.add(key);
    this.iris.security.enforce(p, key, database, directory, target);
    return effect();
  }

  /** NEW $NAMESPACE SET $NAMESPACE=ns ... (frame ends). */
  private async inNamespace<T>(p: SimProcess, ns: string, body: () => Promise<T> | T): Promise<T> {
    const target = this.iris.namespaces().find((n) => n.name === ns);
    if (!target) throw new ObjectScriptError('<NAMESPACE>', `*${ns}`);
    const before = p.namespace;
    // READ on the TARGET's database is what the switch needs ([NS]).
    p.namespace = ns;
    try {
      this.call(p, '$NAMESPACE', () => undefined);
    } catch (err) {
      p.namespace = before;
      throw err;
    }
    try {
      return await body();
    } finally {
      p.namespace = before;
    }
  }

  /**
   * NEW $ROLES SET $ROLES=role ... (frame ends). The role must exist, and the process must be the
   * bridge's login (or hold %All): the .cls's RequireBridge, so the sensors' user cannot borrow it.
   */
  private withRole<T>(p: SimProcess, body: () => T): T {
    if (!p.roles.includes(SimulatedAgent.BRIDGEROLE) && !p.roles.includes('%All')) {
      throw new ObjectScriptError('<PROTECT>', "only the IRIS Edge bridge's IRIS user may use IrisEdge.Agent's SSL/TLS methods");
    }
    this.call(p, '$ROLES', () => undefined);
    if (!this.iris.security.roleExists(SimulatedAgent.SECUREROLE)) {
      throw new ObjectScriptError('<ILLEGAL VALUE>', `*$ROLES (no role ${SimulatedAgent.SECUREROLE})`);
    }
    return p.withRoles([SimulatedAgent.SECUREROLE], body);
  }

  private interopNamespaces(p: SimProcess, problems: Json[]): string[] {
    const all = this.call(p, '%SYS.Namespace.ListAll', () => this.iris.namespaces());
    const out: string[] = [];
    for (const ns of all) {
      try {
        if (this.call(p, '%Library.EnsembleMgr.IsEnsembleNamespace', () => ns.interop)) out.push(ns.name);
      } catch (err) {
        problems.push({ namespace: ns.name, text: caught(err).text });
      }
    }
    return out;
  }

  // ---- the methods, as in the .cls --------------------------------------------------------------

  private async Snapshot(p: SimProcess): Promise<string> {
    try {
      const problems: Json[] = [];
      const instance: Json = {
        version: this.call(p, '%SYSTEM.Version.GetVersion', () => this.iris.version),
        versionNumber: this.call(p, '%SYSTEM.Version.GetNumber', () => this.iris.versionNumber),
      };
      try {
        const lic = this.iris.license();
        instance.license = {
          unitsConsumed: this.call(p, '%SYSTEM.License.LUConsumed', () => lic.consumed),
          unitsAvailable: this.call(p, '%SYSTEM.License.LUAvailable', () => lic.available),
          unitsLimit: this.call(p, '%SYSTEM.License.GetUserLimit', () => lic.limit),
          expires: this.call(p, '%SYSTEM.License.KeyExpirationDate', () => lic.expiresOn),
        };
      } catch (err) {
        instance.license = null;
        problems.push({ namespace: '%SYS', text: `%SYSTEM.License: ${caught(err).text}` });
      }
      const namespaces: string[] = [];
      const productions: Json[] = [];
      for (const ns of this.interopNamespaces(p, problems)) {
        namespaces.push(ns);
        try {
          const part = await this.NamespaceSnapshot(p, ns);
          productions.push(...part.productions);
          problems.push(...part.problems);
        } catch (err) {
          problems.push({ namespace: ns, text: caught(err).text });
        }
      }
      return JSON.stringify({
        agentVersion: this.version,
        takenAt: this.iris.clock.now().toISOString(),
        namespaces,
        productions,
        problems,
        instance,
        ok: true,
      });
    } catch (err) {
      return failure(err);
    }
  }

  private NamespaceSnapshot(p: SimProcess, ns: string): Promise<{ productions: Json[]; problems: Json[] }> {
    const interop = this.iris.interop;
    return this.inNamespace(p, ns, () => {
      const problems: Json[] = [];
      const status = this.call(p, 'Ens.Director.GetProductionStatus', () => interop.productionStatus(ns));
      const running = status.name !== '' && status.state !== 2;

      let needsUpdate = false;
      let updateReason = '';
      if (running && status.state === 1) {
        try {
          const u = this.call(p, 'Ens.Director.ProductionNeedsUpdate', () => interop.productionNeedsUpdate(ns));
          needsUpdate = u.needs;
          updateReason = u.reason;
        } catch (err) {
          problems.push({ namespace: ns, text: `ProductionNeedsUpdate: ${caught(err).text}` });
        }
      }

      const rows = new Map<string, { Status: string; Queue: string; LastActivity: string; Type: string }>();
      if (running) {
        try {
          for (const r of this.call(p, 'Ens.Util.Statistics:EnumerateHostStatus', () => interop.enumerateHostStatus(ns, this.iris.clock.timeZone))) {
            if (r.Name !== '') rows.set(r.Name, r);
          }
        } catch (err) {
          problems.push({ namespace: ns, text: `EnumerateHostStatus: ${caught(err).text}` });
        }
      }

      let errs = new Map<string, number>();
      const since = interop.runtimeStartTime(ns);
      if (running && since !== '') {
        try {
          errs = this.call(p, '%SQL.Statement.%ExecDirectNoPriv', () => interop.errorCounts(ns, since));
        } catch (err) {
          problems.push({ namespace: ns, text: `Ens.MessageHeader: ${caught(err).text}` });
        }
      }

      const names = new Set(this.call(p, '%SQL.Statement.%ExecDirectNoPriv', () => interop.productionNames(ns)));
      if (status.name !== '') names.add(status.name);
      const items = new Map<string, Map<string, { className: string; enabled: boolean }>>();
      const sorted = this.call(p, '%SQL.Statement.%ExecDirectNoPriv', () => interop.items(ns)).sort(
        (a, b) => a.Production.localeCompare(b.Production) || b.Enabled - a.Enabled,
      );
      for (const row of sorted) {
        const forProd = items.get(row.Production) ?? new Map<string, { className: string; enabled: boolean }>();
        items.set(row.Production, forProd);
        if (!forProd.has(row.Name)) forProd.set(row.Name, { className: row.ClassName, enabled: row.Enabled === 1 });
      }

      const productions: Json[] = [];
      for (const pn of [...names].sort()) {
        const isRun = pn === status.name && running;
        const hosts: Json[] = [];
        for (const [hn, item] of items.get(pn) ?? []) {
          const row = isRun ? rows.get(hn) : undefined;
          const kind: HostKind | 'unknown' = interop.find(ns, pn)?.hosts.find((h) => h.name === hn)?.kind ?? 'unknown';
          let queue = row ? Number(row.Queue || 0) : undefined;
          if (queue === undefined) {
            try {
              queue = this.call(p, 'Ens.Queue.GetCount', () => interop.queueCount(ns, hn));
            } catch {
              queue = 0;
            }
          }
          // $ZDATETIME($ZDATETIMEH(local,3),3,7,3): the local %TimeStamp converted to UTC, once.
          const last = row?.LastActivity ? fromLocalTimestamp(row.LastActivity, this.iris.clock.timeZone).toISOString() : null;
          hosts.push({
            name: hn,
            className: item.className,
            kind,
            status: row?.Status || (item.enabled ? 'Stopped' : 'Disabled'),
            enabled: item.enabled,
            queue,
            errors: isRun ? (errs.get(hn) ?? 0) : 0,
            lastActivity: last,
          });
        }
        productions.push({
          namespace: ns,
          name: pn,
          stateCode: pn === status.name ? status.state : 2,
          needsUpdate: isRun && needsUpdate,
          updateReason: isRun && needsUpdate ? updateReason : '',
          hosts,
        });
      }
      return { productions, problems };
    });
  }

  private async Control(p: SimProcess, namespace: string, production: string, action: string, timeout: number, force: boolean): Promise<string> {
    const interop = this.iris.interop;
    try {
      const outcome = await (async (): Promise<{ code: string; text: string } | null> => {
        if (!['start', 'stop', 'restart', 'update', 'recover'].includes(action)) {
          return { code: '<IrisEdge>UnknownAction', text: `Unknown action '${action}' (expected start, stop, restart, update or recover)` };
        }
        try {
          return await this.inNamespace(p, namespace, async () => {
            if (!this.call(p, '%Library.EnsembleMgr.IsEnsembleNamespace', () => this.isInterop(namespace))) {
              return { code: '<IrisEdge>NotInteropNamespace', text: `Namespace '${namespace}' is not enabled for interoperability` };
            }
            const exists =
              this.call(p, 'Ens.Config.Production.%ExistsId', () => interop.find(namespace, production) !== undefined) ||
              this.call(p, '%Dictionary.ClassDefinition.%ExistsId', () => false);
            if (!exists) return { code: '<IrisEdge>UnknownProduction', text: `Production '${production}' does not exist in namespace '${namespace}'` };
            if (action === 'stop' || action === 'restart' || action === 'update') {
              const status = this.call(p, 'Ens.Director.GetProductionStatus', () => interop.productionStatus(namespace));
              if (status.name !== production || status.state === 2) {
                return {
                  code: '<IrisEdge>ProductionNotRunning',
                  text: `Production '${production}' is not running in namespace '${namespace}'${status.name !== '' ? ` ('${status.name}' is)` : ''}`,
                };
              }
            }
            try {
              switch (action) {
                case 'start':
                  await this.callAsync(p, 'Ens.Director.StartProduction', () => interop.startProduction(namespace, production));
                  break;
                case 'stop':
                  await this.callAsync(p, 'Ens.Director.StopProduction', () => interop.stopProduction(namespace, force));
                  break;
                case 'restart':
                  await this.callAsync(p, 'Ens.Director.RestartProduction', () => interop.restartProduction(namespace, force));
                  break;
                case 'update':
                  await this.callAsync(p, 'Ens.Director.UpdateProduction', () => interop.updateProduction(namespace, force));
                  break;
                default:
                  await this.callAsync(p, 'Ens.Director.RecoverProduction', () => interop.recoverProduction(namespace));
              }
            } catch (err) {
              if (err instanceof StatusError) return { code: err.codes, text: err.text };
              throw err;
            }
            return null;
          });
        } catch (err) {
          if (err instanceof ObjectScriptError && err.errorName === '<NAMESPACE>') {
            return { code: '<IrisEdge>UnknownNamespace', text: `Namespace '${namespace}' cannot be used: ${err.message}` };
          }
          throw err;
        }
      })();
      void timeout;
      return outcome ? JSON.stringify({ ...outcome, ok: false }) : JSON.stringify({ ok: true });
    } catch (err) {
      return failure(err);
    }
  }

  /** A %Status-returning call: the privilege refusal arrives as a %Status too (status-940). */
  private async callAsync(p: SimProcess, key: string, effect: () => Promise<void>): Promise<void> {
    await this.call(p, key, effect);
  }

  private isInterop(ns: string): boolean {
    return this.iris.namespaces().find((n) => n.name === ns)?.interop ?? false;
  }

  private async EnableHost(p: SimProcess, namespace: string, production: string, host: string, enable: boolean, timeout: number): Promise<string> {
    const interop = this.iris.interop;
    void timeout;
    try {
      let outcome: { code: string; text: string } | null;
      try {
        outcome = await this.inNamespace(p, namespace, async () => {
          if (!this.call(p, '%Library.EnsembleMgr.IsEnsembleNamespace', () => this.isInterop(namespace))) {
            return { code: '<IrisEdge>NotInteropNamespace', text: `Namespace '${namespace}' is not enabled for interoperability` };
          }
          const prod = this.call(p, 'Ens.Config.Production.%OpenId', () => interop.find(namespace, production));
          if (!prod) return { code: '<IrisEdge>UnknownProduction', text: `Production '${production}' does not exist in namespace '${namespace}'` };
          if (!prod.hosts.some((h) => h.name === host)) {
            return { code: '<Ens>ErrConfigItemNotFound', text: `Config item '${host}' not found in production '${production}'` };
          }
          try {
            this.call(p, 'Ens.Config.Production#SaveToClass', () => interop.saveToClass(namespace, production, host, enable));
          } catch (err) {
            if (err instanceof StatusError) return { code: err.codes, text: `The production class could not be saved: ${err.text}` };
            throw err;
          }
          const status = this.call(p, 'Ens.Director.GetProductionStatus', () => interop.productionStatus(namespace));
          if (status.name === production && status.state !== 2) {
            try {
              await this.callAsync(p, 'Ens.Director.UpdateProduction', () => interop.updateProduction(namespace, false));
            } catch (err) {
              if (err instanceof StatusError) {
                return { code: err.codes, text: `The production class was saved, but updating the running production failed: ${err.text}` };
              }
              throw err;
            }
          }
          return null;
        });
      } catch (err) {
        if (err instanceof ObjectScriptError && err.errorName === '<NAMESPACE>') {
          outcome = { code: '<IrisEdge>UnknownNamespace', text: `Namespace '${namespace}' cannot be used: ${err.message}` };
        } else {
          throw err;
        }
      }
      return outcome ? JSON.stringify({ ...outcome, ok: false }) : JSON.stringify({ ok: true });
    } catch (err) {
      return failure(err);
    }
  }

  private async SslConfigs(p: SimProcess): Promise<string> {
    try {
      const configs = this.ReadSslConfigs(p);
      const usedBy: Json[] = [];
      const problems: Json[] = [];
      for (const ns of this.interopNamespaces(p, problems)) {
        try {
          usedBy.push(...(await this.NamespaceSslUsers(p, ns)));
        } catch (err) {
          problems.push({ namespace: ns, text: caught(err).text });
        }
      }
      return JSON.stringify({ configs, usedBy, problems, ok: true });
    } catch (err) {
      return failure(err);
    }
  }

  private ReadSslConfigs(p: SimProcess): Json[] {
    const ssl = this.iris.ssl;
    return this.withRole(p, () =>
      this.call(p, 'Security.SSLConfigs:List', () => ssl.names()).flatMap((name) => {
        const c = this.call(p, 'Security.SSLConfigs.%OpenId', () => ssl.open(name));
        if (!c) return [];
        return [
          {
            name: c.name,
            description: c.description,
            type: c.type === 'server' ? 1 : 0,
            enabled: c.enabled,
            caFile: c.caFile,
            certificateFile: c.certificateFile,
            privateKeyFile: c.privateKeyFile,
            verifyPeer: c.verifyPeer,
            tlsMinVersion: c.tlsMinVersion,
            tlsMaxVersion: c.tlsMaxVersion,
          },
        ];
      }),
    );
  }

  private NamespaceSslUsers(p: SimProcess, ns: string): Promise<Json[]> {
    return this.inNamespace(p, ns, () => {
      const itemIds = this.call(p, '%SQL.Statement.%ExecDirectNoPriv', () => this.iris.interop.items(ns));
      const settings = this.iris.ssl.settingsIn(ns);
      return itemIds.flatMap((item) =>
        this.call(p, 'Ens.Config.Item.%OpenId', () => settings.filter((s) => s.production === item.Production && s.host === item.Name)).map((s) => ({
          config: s.config.replace(/\*$/, ''),
          namespace: ns,
          production: s.production,
          host: s.host,
        })),
      );
    });
  }

  private ApplySslConfig(p: SimProcess, json: string): string {
    try {
      const input = this.call(p, '%DynamicAbstractObject.%FromJSON', () => JSON.parse(json) as Record<string, unknown>);
      const name = String(input.name ?? '');
      if (name === '') return JSON.stringify({ code: '<IrisEdge>BadSslConfig', text: 'The configuration needs a name', ok: false });
      if (input.type !== 0 && input.type !== 1) return JSON.stringify({ code: '<IrisEdge>BadSslConfig', text: 'Type must be 0 (client) or 1 (server)', ok: false });
      return this.withRole(p, () => {
        this.call(p, 'Security.SSLConfigs.Exists', () => this.iris.ssl.open(name) !== undefined);
        if (!this.iris.ssl.open(name)) this.call(p, 'Security.SSLConfigs.%New', () => undefined);
        const cfg: SslConfigInput = {
          name,
          type: input.type === 1 ? 'server' : 'client',
          ...(typeof input.description === 'string' ? { description: input.description } : {}),
          caFile: String(input.caFile ?? ''),
          certificateFile: String(input.certificateFile ?? ''),
          privateKeyFile: String(input.privateKeyFile ?? ''),
          ...(input.privateKeyPassword ? { privateKeyPassword: String(input.privateKeyPassword) } : {}),
          verifyPeer: Number(input.verifyPeer ?? 0),
          tlsMinVersion: Number(input.tlsMinVersion ?? 0),
          tlsMaxVersion: Number(input.tlsMaxVersion ?? 0),
        };
        try {
          this.call(p, 'Security.SSLConfigs#%Save', () => this.iris.ssl.save(cfg));
        } catch (err) {
          if (err instanceof StatusError) return JSON.stringify({ code: err.codes, text: err.text, ok: false });
          throw err;
        }
        try {
          this.call(p, 'Security.SSLConfigs#Activate', () => undefined);
        } catch {
          // its failure is ignored, as in the .cls
        }
        return JSON.stringify({ ok: true });
      });
    } catch (err) {
      return failure(err);
    }
  }

  private async EventLog(p: SimProcess, ns: string, production: string, limitArg: number): Promise<string> {
    try {
      return await this.inNamespace(p, ns, () => {
        const limit = Number.isInteger(limitArg) && limitArg >= 1 && limitArg <= 200 ? limitArg : 50;
        // One statement: the Ens_Config.Item subquery and the log are read together.
        const rows = this.call(p, '%SQL.Statement.%ExecDirectNoPriv', () => {
          const hosts = this.iris.interop.items(ns).filter((i) => i.Production === production).map((i) => i.Name);
          return this.iris.eventLog.select(ns, { types: [2, 3], configNames: new Set([production, ...hosts]), limit });
        });
        const entries = rows.map((r) => ({
          id: r.ID,
          type: r.TypeName,
          host: r.ConfigName,
          text: r.Text.slice(0, 500),
          truncated: r.Text.length > 500,
          // $TRANSLATE(TimeLogged," ","T")_"Z": the logical value is UTC already ([UTC] in event-log.ts).
          time: `${r.TimeLogged.replace(' ', 'T')}Z`,
          sessionId: r.SessionId,
          source: r.SourceMethod ? `${r.SourceClass}:${r.SourceMethod}` : r.SourceClass,
        }));
        return JSON.stringify({ entries, ok: true });
      });
    } catch (err) {
      return failure(err);
    }
  }

  private async SearchMessages(p: SimProcess, ns: string, filterJson: string): Promise<string> {
    try {
      const f = this.call(p, '%DynamicAbstractObject.%FromJSON', () => JSON.parse(filterJson) as Record<string, unknown>);
      const text = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');
      const [since, until, production, host, status] = [text(f.since), text(f.until), text(f.production), text(f.host), text(f.status)];
      const limitArg = Number(f.limit);
      const limit = Number.isInteger(limitArg) && limitArg >= 1 && limitArg <= 50 ? limitArg : 50;
      // The .cls's pattern matches, step for step.
      const stamp = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,3})?$/;
      let refusal = '';
      if (!stamp.test(since) || !stamp.test(until)) refusal = 'since and until must be UTC timestamps YYYY-MM-DD HH:MM:SS[.fff]';
      else if (!/^\d$/.test(status)) refusal = 'status must be 0 (any) or a message status from 1 to 9';
      else if (production.length > 128 || host.length > 128) refusal = 'production and host names have at most 128 characters';
      if (refusal) return JSON.stringify({ code: '<IrisEdge>BadFilter', text: refusal, ok: false });
      return await this.inNamespace(p, ns, () => {
        // One statement: the Ens_Config.Item subquery and the headers are read together.
        const rows = this.call(p, '%SQL.Statement.%ExecDirectNoPriv', () => {
          const items = production === '' ? null : new Set(this.iris.interop.items(ns).filter((i) => i.Production === production).map((i) => i.Name));
          return this.iris.messages.select(ns, { since, until, items, host, status: Number(status), errorsOnly: f.errorsOnly === true, top: limit + 1 });
        });
        const messages = rows.slice(0, limit).map((r) => ({
          id: r.ID,
          // $TRANSLATE(TimeCreated," ","T")_"Z": the logical value is UTC already ([UTC] in message-headers.ts).
          timeCreated: `${r.TimeCreated.replace(' ', 'T')}Z`,
          source: r.SourceConfigName.slice(0, 256),
          target: r.TargetConfigName.slice(0, 256),
          bodyClass: r.MessageBodyClassName.slice(0, 256),
          status: r.StatusName,
          isError: r.IsError === 1,
          sessionId: r.SessionId,
        }));
        return JSON.stringify({ messages, more: rows.length > limit, ok: true });
      });
    } catch (err) {
      return failure(err);
    }
  }

  private async ReadSensors(p: SimProcess, ns: string, requests: string, budgetMs: number, limitMs: number): Promise<string> {
    const data = this.iris.userData;
    const cut = (v: string | number) => String(v).slice(0, 255);
    const sensorError = (code: string, text: string) => new ObjectScriptError('<SENSOR>', `${code} ${text}`);
    try {
      const req = this.call(p, '%DynamicAbstractObject.%FromJSON', () => JSON.parse(requests) as { packages: string[]; sensors: Json[] });
      return await this.inNamespace(p, ns, () => {
        const results: Json[] = [];
        const started = this.iris.clock.now().getTime();
        for (const s of req.sensors) {
          if (this.iris.clock.now().getTime() - started > budgetMs) {
            results.push({ key: s.key, deferred: true });
            continue;
          }
          const t0 = this.iris.clock.now().getTime();
          let r: Json;
          try {
            r = { key: s.key, ...this.readOne(p, ns, s, req.packages, data, cut, sensorError) };
            const ms = this.iris.clock.now().getTime() - t0;
            if (ms > limitMs) throw sensorError('SLOW', `took ${ms} ms, more than the limit of ${limitMs} ms`);
            r.ok = true;
          } catch (err) {
            const c = caught(err);
            r = { key: s.key, code: c.code, text: c.text.slice(0, 500), ok: false };
          }
          r.ms = this.iris.clock.now().getTime() - t0;
          results.push(r);
        }
        return JSON.stringify({ results, ok: true });
      });
    } catch (err) {
      return failure(err);
    }
  }

  /** One sensor of ReadSensors, as the .cls's branches read it. */
  private readOne(p: SimProcess, ns: string, s: Json, packages: string[], data: SimulatedUserData, cut: (v: string | number) => string, sensorError: (code: string, text: string) => Error): Json {
    switch (s.kind) {
      case 'sql': {
        this.call(p, '%SQL.Statement.%New', () => undefined);
        // Parsing comes first (SQLCODE -25, -30), then the SELECT privilege on what it reads.
        const parsed = data.prepare(ns, String(s.query));
        const st = this.call(p, '%SQL.Statement#%Prepare', () => parsed, { tables: parsed.tables });
        if (st.statementType !== 1) throw this.call(p, '%Exception.General.%New', () => sensorError('NOTSELECT', `only a SELECT is read (IRIS prepared statement type ${st.statementType})`));
        const row = this.call(p, '%SQL.Statement#%Execute', () => st.firstRow(), { global: `^${st.tables[0] ?? ''}` });
        if (!row) throw this.call(p, '%Exception.General.%New', () => sensorError('NOROW', 'the query returned no row'));
        const columns = st.columns();
        const out: Json = { value: cut(row[columns[0] as string] ?? '') };
        if (s.attributes === true) out.attributes = Object.fromEntries(columns.slice(0, 20).map((c) => [c.slice(0, 128), cut(row[c] ?? '')]));
        return out;
      }
      case 'global': {
        const name = String(s.name);
        if (!/^%?[A-Za-z][A-Za-z0-9]*(\.[A-Za-z0-9]+)*$/.test(name) || name.length > 31) throw this.call(p, '%Exception.General.%New', () => sensorError('GLOBALNAME', 'not a global name'));
        const subs = s.subscripts as unknown[];
        for (const sub of subs) {
          const canonical = typeof sub === 'number' && String(Number(sub)) === String(sub);
          if (!canonical && !(typeof sub === 'string' && sub !== '')) throw this.call(p, '%Exception.General.%New', () => sensorError('SUBSCRIPT', 'a subscript is neither a string nor a number'));
        }
        const literal = subs as Array<string | number>;
        const ref = `^${name}${literal.length ? `(${literal.map((x) => (typeof x === 'number' ? String(x) : `"${x.replace(/"/g, '""')}"`)).join(',')})` : ''}`;
        if (s.count === true) return { value: this.call(p, '^global', () => data.subscriptCount(ns, name, literal, 100_000), { global: ref }) };
        const v = this.call(p, '^global', () => data.globalValue(ns, name, literal), { global: ref });
        if (v === undefined) throw this.call(p, '%Exception.General.%New', () => sensorError('UNDEFINED', `${ref} has no value`));
        return { value: cut(v) };
      }
      case 'method': {
        const cls = String(s.class);
        const allowed = packages.some((pkg) => cls.toUpperCase().startsWith(`${pkg.toUpperCase()}.`));
        if (!allowed || cls.startsWith('%')) throw this.call(p, '%Exception.General.%New', () => sensorError('PACKAGE', `class ${cls} is not in a package listed in sensor_packages`));
        return { value: cut(this.call(p, '$CLASSMETHOD', () => data.callMethod(ns, cls, String(s.method)))) };
      }
      default:
        throw this.call(p, '%Exception.General.%New', () => sensorError('KIND', 'unknown sensor kind'));
    }
  }

  private Databases(p: SimProcess): string {
    try {
      const data = this.iris.databases;
      const list = this.call(p, 'Config.Databases:List', () => data?.list() ?? []);
      const databases = list.map((d) => {
        const db = this.call(p, 'SYS.Database.%OpenId', () => d);
        return {
          name: d.name,
          directory: this.call(p, '%File.NormalizeDirectory', () => d.directory),
          sizeMB: db.sizeBytes / (1024 * 1024),
          readOnly: db.readOnly,
          mounted: db.mounted,
        };
      });
      return JSON.stringify({ databases, ok: true });
    } catch (err) {
      return failure(err);
    }
  }

  private Privileges(p: SimProcess, resourcesJson: string): string {
    const security = this.iris.security;
    try {
      const names = this.call(p, '%DynamicAbstractObject.%FromJSON', () => JSON.parse(resourcesJson) as string[]);
      const resources: Record<string, string> = {};
      for (const r of names) resources[r] = this.call(p, '%SYSTEM.Security.Check', () => security.check(p, r));
      const namespaces: Json[] = [];
      for (const ns of this.interopNamespaces(p, [])) {
        try {
          const entry = this.call(p, 'Config.Namespaces.Open', () => this.iris.namespaces().find((n) => n.name === ns));
          const databases: Json[] = [];
          if (entry) {
            this.call(p, 'Config.Databases.Open', () => entry.database);
            const resource = this.call(p, 'SYS.Database.%OpenId', () => `%DB_${entry.database}`);
            databases.push({ database: entry.database, resource, granted: this.call(p, '%SYSTEM.Security.Check', () => security.check(p, resource)) });
          }
          namespaces.push({ namespace: ns, databases });
        } catch (err) {
          namespaces.push({ namespace: ns, databases: [], text: caught(err).text });
        }
      }
      let escalation: Json;
      try {
        escalation = this.withRole(p, () => ({
          role: SimulatedAgent.SECUREROLE,
          adminSecure: this.call(p, '%SYSTEM.Security.Check', () => security.check(p, '%Admin_Secure')),
          text: '',
          ok: security.holds(p, '%Admin_Secure', 'U'),
        }));
      } catch (err) {
        escalation = { role: SimulatedAgent.SECUREROLE, adminSecure: '', text: caught(err).text, ok: false };
      }
      const now = this.iris.clock.now();
      return JSON.stringify({
        user: p.username,
        roles: p.roles.join(','),
        resources,
        namespaces,
        escalation,
        time: { utc: now.toISOString().slice(0, 19).replace('T', ' '), local: localTimestamp(now, this.iris.clock.timeZone) },
        ok: true,
      });
    } catch (err) {
      return failure(err);
    }
  }

  private async DeliverHaEvent(p: SimProcess, namespace: string, service: string, json: string): Promise<string> {
    const events = this.iris.haEvents;
    try {
      let switched = false;
      let outcome: { code: string; text: string } | null;
      try {
        outcome = await this.inNamespace(p, namespace, () => {
          switched = true;
          try {
            const bs = this.call(p, 'Ens.Director.CreateBusinessService', () => events.createBusinessService(namespace, service));
            const input = this.call(p, 'Ens.StringContainer.%New', () => json);
            this.call(p, 'Ens.BusinessService#ProcessInput', () => events.processInput(bs, input));
            return null;
          } catch (err) {
            if (err instanceof StatusError) return { code: err.codes, text: err.text };
            throw err;
          }
        });
      } catch (err) {
        // The .cls catches whatever the switch raises (<NAMESPACE>, <PROTECT>) and names the namespace.
        if (switched || !(err instanceof ObjectScriptError)) throw err;
        outcome = { code: '<IrisEdge>UnknownNamespace', text: `Namespace '${namespace}' cannot be used: ${err.message}` };
      }
      return outcome ? JSON.stringify({ ...outcome, ok: false }) : JSON.stringify({ ok: true });
    } catch (err) {
      return failure(err);
    }
  }

  private async TakeHaCalls(p: SimProcess, max: number): Promise<string> {
    const outbox = this.iris.haOutbox;
    try {
      const calls: Json[] = [];
      const problems: Json[] = [];
      const now = outbox.seconds();
      for (const ns of this.interopNamespaces(p, problems)) {
        if (calls.length >= max) break;
        try {
          await this.inNamespace(p, ns, () => {
            // $DATA of the "req" node reads; moving the calls to "taken" writes.
            if (!outbox.hasWaiting(ns)) return;
            for (const c of this.call(p, '^IrisEdge.HA.Outbox', () => outbox.take(ns, max - calls.length))) {
              calls.push({ namespace: ns, id: c.id, request: c.request, pid: c.pid, deadline: c.deadline });
            }
          });
        } catch (err) {
          problems.push({ namespace: ns, text: caught(err).text });
        }
      }
      return JSON.stringify({ calls, problems, now, ok: true });
    } catch (err) {
      return failure(err);
    }
  }

  private async AnswerHaCall(p: SimProcess, namespace: string, id: number, pid: string, answer: string): Promise<string> {
    const outbox = this.iris.haOutbox;
    try {
      const delivered = await this.inNamespace(p, namespace, () => {
        const done = this.call(p, '^IrisEdge.HA.Outbox', () => outbox.answer(namespace, id, answer));
        if (done) this.call(p, '%SYSTEM.Event.Signal', () => pid);
        return done;
      });
      return JSON.stringify({ delivered, ok: true });
    } catch (err) {
      return failure(err);
    }
  }
}
