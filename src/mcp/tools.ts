/**
 * The tools IRIS Edge offers AI assistants over MCP. Each reads the same model the panel and MQTT
 * render (the monitor's view, the Event Log, certificates, backups); the one write tool runs the
 * monitor's commands with their guards (one command per production at a time, the cooldown) and
 * answers with what IRIS reports afterwards. Schemas are closed and bounded: whatever an assistant
 * sends outside them is an MCP error naming the field, never a crash.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { BackupRecord } from '../model/backup-record.ts';
import type { BackupStatus } from '../model/backup.ts';
import type { CertExpiry } from '../model/certificate.ts';
import { IrisUnavailableError, UnknownProductionError, type IrisCommandRefusedError } from '../model/errors.ts';
import { EVENT_LOG_LIMIT, type EventLogEntry } from '../model/event-log.ts';
import { MESSAGE_SEARCH_LIMIT, MESSAGE_STATUSES, MESSAGE_WINDOW_MAX_DAYS, type MessageSearch, type MessageSearchResult, type MessageStatus } from '../model/message-search.ts';
import type { McpOutcome } from '../model/mcp.ts';
import { PRODUCTION_ACTIONS, type ProductionAction } from '../model/production.ts';
import type { ProductionView } from '../model/view.ts';
import type { CommandGuardError } from '../monitor/errors.ts';
import type { Monitor } from '../monitor/monitor.ts';
import { isRefusal } from '../monitor/refusals.ts';
import { registerSensorTools, type SensorToolSources } from './sensor-tools.ts';
import { ToolError } from './tool-error.ts';
import { byText } from '../model/text-order.ts';

export interface McpInstance {
  id: string;
  name: string;
  monitor: Monitor;
  /** The newest Event Log errors and warnings of a production (IrisClient.eventLog). */
  eventLog?: (namespace: string, production: string) => Promise<EventLogEntry[]>;
  /** Message headers of a namespace (IrisClient.searchMessages). */
  searchMessages?: (namespace: string, search: MessageSearch) => Promise<MessageSearchResult>;
}

export interface McpSources extends SensorToolSources {
  /** The local instance first (the default of every `instance` argument). */
  instances: McpInstance[];
  /** Every certificate in use, soonest expiry first; absent: the tool says why. */
  certificates?: () => Promise<CertExpiry[]>;
  /** IRIS Edge backups of the local instance; absent when its files are out of reach. */
  backups?: { status(): Promise<BackupStatus>; list(): Promise<BackupRecord[]> };
  /** The option mcp_write_tools: only then is control_production offered. */
  writeTools: boolean;
}

/** What a tool call became, for the call log. */
export type CallReport = (tool: string, outcome: McpOutcome, detail: string | null) => void;
/** A refused command, for the one log line every path writes (monitor/refusals.ts). */
export type RefusalReport = (production: string, action: ProductionAction, err: CommandGuardError | IrisCommandRefusedError) => void;

const NAME = z.string().trim().min(1).max(128);
const DAY_MS = 86_400_000;
/** An instant with its zone (Z or an offset): a time without one would be read in someone's local time. */
const INSTANT = z.iso.datetime({ offset: true });

interface SearchArgs {
  namespace: string;
  production?: string | undefined;
  instance?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
  host?: string | undefined;
  status?: MessageStatus | undefined;
  errors_only: boolean;
  limit: number;
}

/** The search's UTC window: until defaults to now, since to a day before until; at most MESSAGE_WINDOW_MAX_DAYS. */
function searchWindow(a: { since?: string | undefined; until?: string | undefined }, now: number): { since: string; until: string } {
  const until = a.until === undefined ? now : Date.parse(a.until);
  const since = a.since === undefined ? until - DAY_MS : Date.parse(a.since);
  if (since >= until) throw new ToolError('"since" must be before "until".');
  if (until - since > MESSAGE_WINDOW_MAX_DAYS * DAY_MS) throw new ToolError(`The window from "since" to "until" may span at most ${MESSAGE_WINDOW_MAX_DAYS} days.`);
  return { since: new Date(since).toISOString(), until: new Date(until).toISOString() };
}

function text(data: unknown): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(data) }] };
}

function sum(p: ProductionView, field: 'queue' | 'errors'): number {
  return p.hosts.reduce((n, h) => n + h[field], 0);
}

function summary(p: ProductionView) {
  return {
    namespace: p.namespace,
    production: p.name,
    state: p.state,
    queued_messages: sum(p, 'queue'),
    errors: sum(p, 'errors'),
    hosts: p.hosts.length,
    hosts_in_error: p.hosts.filter((h) => h.status === 'error').length,
    needs_update: p.needsUpdate,
  };
}

export function registerTools(server: McpServer, sources: McpSources, report: CallReport, refused: RefusalReport): void {
  const ids = sources.instances.map((i) => i.id);
  const first = ids[0] ?? 'iris';
  const instanceArg = z
    .enum(ids.length > 0 ? (ids as [string, ...string[]]) : [first])
    .optional()
    .describe(`The IRIS instance; default "${first}" (the one beside Home Assistant).${ids.length > 1 ? ` Others: ${ids.slice(1).join(', ')}.` : ''}`);
  const target = {
    namespace: NAME.describe('IRIS namespace of the production, e.g. ORDERS (list_productions names them)'),
    production: NAME.describe('Production class name, e.g. Orders.Production (list_productions names them)'),
    instance: instanceArg,
  };

  const instance = (id: string | undefined): McpInstance => {
    const i = sources.instances.find((x) => x.id === (id ?? first));
    if (!i) throw new ToolError(`There is no IRIS instance "${id}". Known: ${ids.join(', ')}.`);
    return i;
  };
  const production = (a: { namespace: string; production: string; instance?: string | undefined }) => {
    const i = instance(a.instance);
    const all = i.monitor.view.productions;
    const p = all.find((x) => x.namespace.toUpperCase() === a.namespace.toUpperCase() && x.name.toLowerCase() === a.production.toLowerCase());
    if (!p) {
      const known = all.map((x) => `${x.namespace}/${x.name}`).join(', ') || 'none';
      throw new ToolError(`There is no production ${a.production} in namespace ${a.namespace} of ${i.name}. Known: ${known}.`);
    }
    return { i, p };
  };

  /** Runs a tool body, turning every failure into a tool error with words and one call record. */
  const tool = <A>(name: string, body: (args: A) => Promise<unknown> | unknown) => async (args: A): Promise<CallToolResult> => {
    try {
      const data = await body(args);
      report(name, 'ok', null);
      return text(data);
    } catch (err) {
      const refusal = isRefusal(err);
      const known = refusal || err instanceof ToolError || err instanceof IrisUnavailableError || err instanceof UnknownProductionError;
      const message = known ? (err as Error).message : 'IRIS Edge could not answer this call; its log says why.';
      report(name, refusal ? 'refused' : 'error', message);
      return { isError: true, content: [{ type: 'text', text: message }] };
    }
  };
  const readOnly = { readOnlyHint: true, destructiveHint: false, openWorldHint: false };

  server.registerTool(
    'list_productions',
    {
      title: 'List IRIS productions',
      description:
        'Every interoperability production of an IRIS instance with its state (running, stopped, suspended, troubled, network_stopped, or starting/stopping/restarting/updating/recovering while a command runs), its queued messages and errors summed over its hosts, and whether it needs an update. Also says whether IRIS answers.',
      inputSchema: { instance: instanceArg },
      annotations: readOnly,
    },
    tool('list_productions', (a: { instance?: string | undefined }) => {
      const i = instance(a.instance);
      const v = i.monitor.view;
      return { instance: i.id, name: i.name, iris_reachable: v.reachable, productions: v.productions.map(summary) };
    }),
  );

  server.registerTool(
    'get_production',
    {
      title: 'One production in detail',
      description:
        "One production's state and every business host (service, process, operation) with its status (ok, error, inactive, retry, stopped, disabled, unconfigured), queue length, error count, last activity and whether it is enabled; also whether the production needs an update and why, and until when the cooldown refuses another stop or restart.",
      inputSchema: target,
      annotations: readOnly,
    },
    tool('get_production', (a: { namespace: string; production: string; instance?: string | undefined }) => {
      const { p } = production(a);
      return {
        ...summary(p),
        iris_state: p.irisState,
        command_in_flight: p.commandInFlight,
        cooldown_until: p.cooldownUntil ?? null,
        update_reason: p.needsUpdate ? p.updateReason : null,
        hosts: p.hosts.map((h) => ({ name: h.name, kind: h.kind, class: h.className, status: h.status, enabled: h.enabled, queue: h.queue, errors: h.errors, last_activity: h.lastActivity })),
      };
    }),
  );

  server.registerTool(
    'production_event_log',
    {
      title: "A production's recent Event Log",
      description: `The newest errors and warnings of a production's Event Log (Ens.Util.Log), newest first, at most ${EVENT_LOG_LIMIT}: each with its time (UTC), the business host that logged it, its text (cut at 500 characters) and its message session.`,
      inputSchema: {
        ...target,
        type: z.enum(['error', 'warning', 'any']).default('any').describe('Only errors, only warnings, or both (default)'),
        limit: z.number().int().min(1).max(EVENT_LOG_LIMIT).default(20).describe(`How many entries at most (1-${EVENT_LOG_LIMIT}, default 20)`),
      },
      annotations: readOnly,
    },
    tool('production_event_log', async (a: { namespace: string; production: string; instance?: string | undefined; type: 'error' | 'warning' | 'any'; limit: number }) => {
      const { i, p } = production(a);
      if (!i.eventLog) throw new ToolError(`The Event Log of ${i.name} cannot be read from here.`);
      const entries = (await i.eventLog(p.namespace, p.name)).filter((e) => a.type === 'any' || e.type === a.type).slice(0, a.limit);
      return {
        namespace: p.namespace,
        production: p.name,
        entries: entries.map((e) => ({ time: e.time, type: e.type, host: e.host, text: e.text, truncated: e.truncated, session: e.sessionId })),
      };
    }),
  );

  server.registerTool(
    'search_messages',
    {
      title: 'Search message headers',
      description: `Message headers (Ens.MessageHeader) of a namespace, or of one production in it, created in a time window (UTC; default the last 24 hours, at most ${MESSAGE_WINDOW_MAX_DAYS} days), optionally only those from or to one business host, with one status, or only errors; newest first, at most ${MESSAGE_SEARCH_LIMIT}. Each with its id, time created (UTC), source and target host, body class, status, whether it is an error, and its session. "more" is true when other messages matched: narrow the window or the filters.`,
      inputSchema: {
        namespace: target.namespace,
        production: NAME.optional().describe('Only messages from or to the hosts of this production (list_productions names them); default: the whole namespace'),
        instance: instanceArg,
        since: INSTANT.optional().describe('Start of the window (inclusive), ISO 8601 with Z or an offset, e.g. 2026-01-31T08:00:00Z; default: 24 hours before "until"'),
        until: INSTANT.optional().describe(`End of the window (exclusive), ISO 8601 with Z or an offset; default: now. At most ${MESSAGE_WINDOW_MAX_DAYS} days after "since"`),
        host: NAME.optional().describe('Only messages from or to this business host (get_production names them)'),
        status: z.enum(MESSAGE_STATUSES).optional().describe(`Only messages with this status: ${MESSAGE_STATUSES.join(', ')}`),
        errors_only: z.boolean().default(false).describe('Only messages marked as errors (default false)'),
        limit: z.number().int().min(1).max(MESSAGE_SEARCH_LIMIT).default(20).describe(`How many messages at most (1-${MESSAGE_SEARCH_LIMIT}, default 20)`),
      },
      annotations: readOnly,
    },
    tool('search_messages', async (a: SearchArgs) => {
      const window = searchWindow(a, Date.now());
      let i = instance(a.instance);
      let namespace: string;
      let prod: ProductionView | null = null;
      if (a.production !== undefined) {
        ({ i, p: prod } = production({ namespace: a.namespace, production: a.production, instance: a.instance }));
        namespace = prod.namespace;
        if (a.host !== undefined && !prod.hosts.some((h) => h.name.toUpperCase() === a.host?.toUpperCase())) {
          throw new ToolError(`Production ${prod.name} has no host ${a.host}. Its hosts: ${prod.hosts.map((h) => h.name).join(', ') || 'none'}.`);
        }
      } else {
        const known = [...new Set(i.monitor.view.productions.map((p) => p.namespace))];
        const found = known.find((n) => n.toUpperCase() === a.namespace.toUpperCase());
        if (!found) throw new ToolError(`${i.name} has no interoperability namespace ${a.namespace}. Known: ${known.join(', ') || 'none'}.`);
        namespace = found;
      }
      if (!i.searchMessages) throw new ToolError(`The messages of ${i.name} cannot be searched from here.`);
      const search = { production: prod?.name ?? null, ...window, host: a.host ?? null, status: a.status ?? null, errorsOnly: a.errors_only, limit: a.limit };
      const found = await i.searchMessages(namespace, search);
      return {
        namespace,
        production: prod?.name ?? null,
        ...window,
        more: found.more,
        messages: found.messages.map((m) => ({ id: m.id, time: m.timeCreated, source: m.source, target: m.target, body_class: m.bodyClass, status: m.status, error: m.isError, session: m.sessionId })),
      };
    }),
  );

  server.registerTool(
    'instance_health',
    {
      title: 'IRIS instance health and licence',
      description:
        "Whether IRIS answers, its version, its licence (units used and available, expiry), and its health figures from /api/monitor/metrics when they can be read: system state (ok, warning, alert, hung), CPU and memory use, disk and journal space, and each database's size and free space.",
      inputSchema: { instance: instanceArg },
      annotations: readOnly,
    },
    tool('instance_health', (a: { instance?: string | undefined }) => {
      const i = instance(a.instance);
      const v = i.monitor.view;
      const lic = v.instance?.license;
      const m = v.metrics;
      return {
        instance: i.id,
        name: i.name,
        iris_reachable: v.reachable,
        version: v.instance?.versionNumber ?? null,
        licence: lic ? { units_used: lic.unitsConsumed, units_available: lic.unitsAvailable, units_limit: lic.unitsLimit, expires: lic.expires } : null,
        metrics: m
          ? {
              system_state: m.systemStateWord,
              cpu_percent: m.cpuPercent,
              memory_used_percent: m.memoryUsedPercent,
              disk_percent_full: m.diskPercentFull,
              journal_free_mb: m.journalFreeMb,
              licence_days_remaining: m.licenseDaysRemaining,
              databases: m.databases.map((d) => ({ name: d.name, size_mb: d.sizeMb, free_mb: d.freeMb })),
            }
          : null,
      };
    }),
  );

  server.registerTool(
    'certificates_expiring',
    {
      title: 'Certificates that expire soon',
      description:
        "The TLS certificates IRIS Edge keeps and those IRIS's SSL/TLS configurations use, that expire within the given number of days (or already expired), soonest first, with the days left.",
      inputSchema: { within_days: z.number().int().min(0).max(3650).default(30).describe('Days ahead to look (0-3650, default 30)') },
      annotations: readOnly,
    },
    tool('certificates_expiring', async (a: { within_days: number }) => {
      if (!sources.certificates) throw new ToolError('The certificate store is not available here.');
      const now = Date.now();
      const soon = (await sources.certificates()).filter((c) => Date.parse(c.notAfter) - now <= a.within_days * DAY_MS);
      return { within_days: a.within_days, certificates: soon.map((c) => ({ name: c.name, expires: c.notAfter, days_left: Math.floor((Date.parse(c.notAfter) - now) / DAY_MS) })) };
    }),
  );

  registerSensorTools(server, sources, tool, readOnly);

  server.registerTool(
    'list_backups',
    {
      title: 'IRIS Edge backups and their results',
      description:
        "IRIS Edge's backups of the local IRIS: when the last one ran and whether it succeeded (with the error), when the next scheduled one runs, and the newest backups with their kind (manual, scheduled, safety), result, size and verification (verified, damaged, unverified).",
      inputSchema: { limit: z.number().int().min(1).max(50).default(10).describe('How many of the newest backups (1-50, default 10)') },
      annotations: readOnly,
    },
    tool('list_backups', async (a: { limit: number }) => {
      if (!sources.backups) throw new ToolError("IRIS Edge backups are not available here: IRIS's files are out of the bridge's reach.");
      const [status, records] = await Promise.all([sources.backups.status(), sources.backups.list()]);
      const newest = [...records].sort((x, y) => byText(y.createdAt, x.createdAt)).slice(0, a.limit);
      return {
        last: status.last,
        next_run: status.nextRun,
        count: status.count,
        total_bytes: status.totalBytes,
        backups: newest.map((r) => ({ id: r.id, kind: r.kind, created: r.createdAt, result: r.result, error: r.error ?? null, size_bytes: r.sizeBytes, verify: r.verify.state })),
      };
    }),
  );

  if (!sources.writeTools) return;
  server.registerTool(
    'control_production',
    {
      title: 'Start, stop, restart, update or recover a production',
      description:
        "Runs Ens.Director's command on a production: start, stop, restart, update (apply a changed configuration) or recover (a troubled production only). The bridge refuses a second command while one runs, and a stop or restart within the cooldown after the last one (option command_cooldown); IRIS may refuse too. The answer is what IRIS reports afterwards, or why nothing was done.",
      inputSchema: { ...target, action: z.enum(PRODUCTION_ACTIONS).describe('start, stop, restart, update or recover') },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    },
    tool('control_production', async (a: { namespace: string; production: string; instance?: string | undefined; action: ProductionAction }) => {
      const { i, p } = production(a);
      let result;
      try {
        result = await i.monitor.execute(p.namespace, p.name, a.action);
      } catch (err) {
        if (isRefusal(err)) refused(p.key, a.action, err);
        throw err;
      }
      const after = i.monitor.view.productions.find((x) => x.key === p.key);
      return { action: a.action, ...result, production: after ? summary(after) : null };
    }),
  );
}
