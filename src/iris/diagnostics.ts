/**
 * The bridge's self-check of an IRIS instance, as its own user: the transport and driver, the
 * agent's version, every privilege bridge-role.json grants (held or not, as IRIS reports it with
 * $SYSTEM.Security.Check), each interoperability namespace's databases, the escalation role used
 * for SSL/TLS configurations, IRIS's time zone against the bridge's, and whether each read call
 * answers. A failing check names the call, what is missing and what an administrator runs.
 * The first real IRIS this code meets will be a user's: this is what they attach to a bug report.
 */
import type { Diagnostics, DiagnosticCheck } from '../model/diagnostics.ts';
import type { IrisClient } from './client.ts';
import { AgentVersionError, REMOTE_SETUP_COMMAND } from './agent/version.ts';
import type { AgentPrivileges } from './agent/contract.ts';
import type { BridgeRoleSpec } from './privileges.ts';

export interface SelfCheckOptions {
  instanceId: string;
  bridgeVersion: string;
  role: BridgeRoleSpec;
  /** Inside the add-on the setup grants the role at every start; elsewhere an administrator does. */
  inAddon: boolean;
  /** Also list the databases (the local instance, whose files IRIS Edge backs up). */
  databases: boolean;
  now?: () => Date;
}

const WORDS: Record<string, string> = { R: 'READ', W: 'WRITE', U: 'USE' };

function fixFor(o: SelfCheckOptions): string {
  return o.inAddon
    ? 'Restart the add-on: its setup, as the IRIS owner, grants what bridge-role.json declares. If this check still fails, the setup step in the add-on log says why.'
    : `An administrator runs the setup again in %SYS: ${REMOTE_SETUP_COMMAND} (DOCS.md, "Remote IRIS instances"); it grants exactly what bridge-role.json declares.`;
}

function held(granted: string, permission: string): boolean {
  const have = granted.split(',').map((w) => w.trim().toUpperCase());
  return [...permission].every((p) => have.includes(WORDS[p] ?? p));
}

/** "2026-01-01 10:00:00" read as UTC, for comparing two ODBC times. */
function odbcMs(text: string): number {
  return Date.parse(`${text.replace(' ', 'T')}Z`);
}

function describeOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const m = Math.abs(minutes);
  return `UTC${sign}${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

function privilegeChecks(p: AgentPrivileges, o: SelfCheckOptions, now: Date): DiagnosticCheck[] {
  const checks: DiagnosticCheck[] = [];
  const fix = fixFor(o);
  for (const r of o.role.resources) {
    const granted = p.resources[r.name] ?? '';
    const ok = held(granted, r.permission);
    checks.push({
      id: `resource:${r.name}`,
      title: `${r.name}:${r.permission}`,
      status: ok ? 'ok' : r.ifExists ? 'warning' : 'failed',
      detail: ok
        ? `Held (${granted}): ${r.why}.`
        : `Not held (IRIS reports "${granted || 'nothing'}"); needed to ${r.why}.${r.ifExists ? ' This IRIS may not have the resource, in which case nothing is missing.' : ''}`,
      ...(ok ? {} : { fix }),
    });
  }
  for (const ns of p.namespaces) {
    const missing = ns.databases.filter((d) => d.resource !== '' && !held(d.granted, o.role.namespaceDatabases.permission));
    const ok = ns.text === undefined && missing.length === 0;
    checks.push({
      id: `namespace:${ns.namespace}`,
      title: `Namespace ${ns.namespace}`,
      status: ok ? 'ok' : 'failed',
      detail: ns.text
        ? `Its databases could not be inspected: ${ns.text}`
        : ok
          ? `${ns.databases.map((d) => `${d.resource || d.database} (${d.granted || 'public'})`).join(', ')}: enough to read productions and hosts and to recover, enable and disable.`
          : `Missing ${o.role.namespaceDatabases.permission} on ${missing.map((d) => `${d.resource} (has "${d.granted || 'nothing'}")`).join(', ')}; without READ the namespace is skipped, without WRITE recover and enable/disable fail.`,
      calls: ['$NAMESPACE', 'Ens.Director.RecoverProduction', 'Ens.Config.Production#SaveToClass'],
      ...(ok ? {} : { fix }),
    });
  }
  const e = p.escalation;
  checks.push({
    id: 'escalation',
    title: `SSL/TLS configurations (role ${e.role})`,
    status: e.ok ? 'ok' : 'failed',
    detail: e.ok
      ? `The agent takes ${e.role} for Security.SSLConfigs and then holds %Admin_Secure (${e.adminSecure}).`
      : `SSL/TLS configurations cannot be listed or changed: ${e.text || `%Admin_Secure is "${e.adminSecure || 'not held'}" under ${e.role}`}.`,
    calls: ['$ROLES', 'Security.SSLConfigs:List', 'Security.SSLConfigs#%Save'],
    ...(e.ok ? {} : { fix }),
  });
  const irisOffset = Math.round((odbcMs(p.time.local) - odbcMs(p.time.utc)) / 60_000);
  const bridgeOffset = -now.getTimezoneOffset();
  const skew = Math.abs(odbcMs(p.time.utc) - now.getTime());
  const sameZone = Math.abs(irisOffset - bridgeOffset) <= 1;
  checks.push({
    id: 'time',
    title: 'Time zone and clock',
    status: sameZone && skew < 120_000 ? 'ok' : 'warning',
    detail:
      `IRIS's local time is ${describeOffset(irisOffset)}, the bridge's ${describeOffset(bridgeOffset)}; IRIS's clock is ${Math.round(skew / 1000)} s from the bridge's. ` +
      (sameZone ? 'Times IRIS reports as local are converted correctly.' : 'A remote IRIS may run in another zone; times are exchanged in UTC, so this only matters for what the Management Portal shows.'),
  });
  return checks;
}

async function readCheck(id: string, title: string, calls: string[], run: () => Promise<string>): Promise<DiagnosticCheck> {
  try {
    return { id, title, status: 'ok', detail: await run(), calls };
  } catch (err) {
    return { id, title, status: 'failed', detail: (err as Error).message, calls };
  }
}

export async function selfCheck(client: IrisClient, o: SelfCheckOptions): Promise<Diagnostics> {
  const now = (o.now ?? (() => new Date()))();
  const at = now.toISOString();
  const checks: DiagnosticCheck[] = [];
  const transport = client.transportReport();
  if (transport) {
    const loaded = transport.driver !== null && !transport.driver.startsWith('unavailable');
    checks.push({
      id: 'transport',
      title: 'Native API transport',
      status: !loaded && transport.driver !== null ? 'failed' : transport.abandonedRecently > 0 ? 'warning' : 'ok',
      detail:
        `${transport.driver ?? 'no driver loaded yet'}, in a separate process; ${transport.processesStarted} started, ` +
        `${transport.callsAbandoned} calls abandoned (${transport.abandonedRecently} in the last 10 minutes)` +
        (transport.lastAbandoned ? `, the last ${transport.lastAbandoned.call} at ${transport.lastAbandoned.at}` : '') +
        (transport.holdUntil ? `; no new connection before ${transport.holdUntil}` : '') +
        '.',
      ...(loaded || transport.driver === null ? {} : { fix: 'The IRIS Native SDK must load in the add-on image (Ubuntu 24.04); rebuild or reinstall the add-on.' }),
    });
  }
  let privileges: AgentPrivileges | null = null;
  try {
    privileges = await client.privileges(o.role.resources.map((r) => r.name));
    checks.push({ id: 'agent', title: 'IrisEdge agent', status: 'ok', detail: `Installed and current; IRIS answers as ${privileges.user} with the roles ${privileges.roles}.` });
  } catch (err) {
    const agent = err instanceof AgentVersionError;
    checks.push({
      id: agent ? 'agent' : 'connection',
      title: agent ? 'IrisEdge agent' : 'Connection and login',
      status: 'failed',
      detail: (err as Error).message,
      calls: agent ? ['IrisEdge.Agent.Version'] : ['LOGIN'],
      fix: agent ? undefined : fixFor(o),
    });
  }
  if (privileges) {
    checks.push(...privilegeChecks(privileges, o, now));
    checks.push(
      await readCheck('read:snapshot', 'Productions and hosts', ['IrisEdge.Agent.Snapshot'], async () => {
        const s = await client.snapshot();
        return `${s.productions.length} productions with ${s.productions.reduce((n, p) => n + p.hosts.length, 0)} business hosts; licence ${s.instance.license ? `${s.instance.license.unitsConsumed} of ${s.instance.license.unitsLimit} units` : 'not readable'}.`;
      }),
      await readCheck('read:ssl', 'SSL/TLS configurations', ['IrisEdge.Agent.SslConfigs'], async () => `${(await client.sslConfigs()).length} configurations.`),
    );
    if (o.databases) {
      checks.push(await readCheck('read:databases', 'Databases', ['IrisEdge.Agent.Databases'], async () => `${(await client.databases()).length} databases.`));
    }
  } else {
    checks.push({ id: 'privileges', title: 'Privileges and reads', status: 'skipped', detail: 'Not checked: the agent does not answer (see above).' });
  }
  return { instanceId: o.instanceId, target: client.target, kind: client.kind, at, bridgeVersion: o.bridgeVersion, transport, checks };
}

export interface SelfCheckTarget {
  id: string;
  iris: IrisClient;
  /** The local instance: its databases are listed (IRIS Edge backs them up). */
  local: boolean;
}

/**
 * Runs the self-check of every monitored instance (at start, and when the panel asks), keeps the
 * latest results, and writes one summary per instance to the log. Runs never overlap.
 */
export class SelfCheckRunner {
  private latest: Diagnostics[] = [];
  private running: Promise<Diagnostics[]> | null = null;

  constructor(
    private readonly targets: SelfCheckTarget[],
    private readonly base: Omit<SelfCheckOptions, 'instanceId' | 'databases'>,
    private readonly log: { info(msg: string): void; warn(msg: string): void },
  ) {}

  get results(): Diagnostics[] {
    return this.latest;
  }

  run(): Promise<Diagnostics[]> {
    this.running ??= (async () => {
      try {
        this.latest = await Promise.all(this.targets.map((t) => selfCheck(t.iris, { ...this.base, instanceId: t.id, databases: t.local })));
        for (const d of this.latest) this.summarise(d);
        return this.latest;
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  private summarise(d: Diagnostics): void {
    const bad = d.checks.filter((c) => c.status === 'failed' || c.status === 'warning');
    const passed = d.checks.filter((c) => c.status === 'ok').length;
    if (bad.length === 0) {
      this.log.info(`Self-check of ${d.target}: all ${passed} checks passed (details on the panel's Diagnostics page).`);
      return;
    }
    this.log.warn(`Self-check of ${d.target}: ${bad.length} of ${d.checks.length} checks need attention (the panel's Diagnostics page has them all):`);
    for (const c of bad) this.log.warn(`  ${c.status === 'failed' ? 'FAILED' : 'warning'}: ${c.title}: ${c.detail}${c.fix ? ` Fix: ${c.fix}` : ''}`);
  }
}
