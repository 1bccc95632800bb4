/**
 * The panel API's request and response shapes, shared by its routes. Each route declares the ones
 * it takes and gives (its `schema`): requests are validated by them, and openapi.ts documents them
 * at api/openapi.json.
 */
import { z } from 'zod';
import { HOST_STATUSES, IRIS_PRODUCTION_STATES, PRODUCTION_ACTIONS, PRODUCTION_STATES } from '../model/production.ts';
import { HA_FLOW_OUTCOMES } from '../model/ha-flow.ts';
import { MCP_OUTCOMES } from '../model/mcp.ts';
import { PANEL_LOG_LEVELS } from './log-buffer.ts';

export const ErrorBody = z
  .object({ error: z.string().describe('A short machine-readable code'), message: z.string().describe('What went wrong and what to do, for a person') })
  .meta({ id: 'Error' });

/** An answer of this shape, and what it means. */
export const json = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } });
/** An error answer ({error, message}) and when it comes. */
export const err = (description: string) => json(ErrorBody, description);
/** A JSON object the document does not detail. */
export const ok = (description: string) => json(z.object({}).loose(), description);
/** An answer that is not JSON: a file, a websocket upgrade. */
export const other = (description: string) => z.null().describe(description);

/** The body of a POST that needs nothing more than the request itself: {} (a body is still required, see server.ts). */
export const NoFields = z.object({}).strict().meta({ id: 'NoFields' });

const IrisStates = z.enum(IRIS_PRODUCTION_STATES);

export const HostView = z
  .object({
    name: z.string(),
    className: z.string(),
    kind: z.enum(['service', 'process', 'operation']),
    enabled: z.boolean(),
    status: z.enum(HOST_STATUSES),
    queue: z.number(),
    errors: z.number(),
    lastActivity: z.string().nullable(),
  })
  .meta({ id: 'Host' });

export const ProductionViewSchema = z
  .object({
    key: z.string().describe('"<NAMESPACE>/<ProductionClass>"'),
    namespace: z.string(),
    name: z.string(),
    state: z.enum(PRODUCTION_STATES).describe('What IRIS reports, or a transitional state while a command of the bridge runs'),
    irisState: IrisStates,
    commandInFlight: z.enum(PRODUCTION_ACTIONS).nullable(),
    cooldownUntil: z.string().nullable().optional().describe('Until when (ISO 8601 UTC) the command_cooldown refuses another stop or restart; null when it does not'),
    needsUpdate: z.boolean(),
    updateReason: z.string(),
    hosts: z.array(HostView),
  })
  .meta({ id: 'Production' });

const num = z.number().nullable();
export const MetricsSchema = z
  .object({
    systemState: num,
    systemStateWord: z.enum(['ok', 'warning', 'alert', 'hung']).nullable(),
    cpuPercent: num,
    memoryUsedPercent: num,
    licenseConsumed: num,
    licenseAvailable: num,
    licensePercentUsed: num,
    licenseDaysRemaining: num,
    licenseExpiry: z.string().nullable(),
    diskPercentFull: num,
    databases: z.array(z.object({ name: z.string(), directory: z.string().nullable(), sizeMb: num, freeMb: num })),
  })
  .loose()
  .meta({ id: 'Metrics', description: 'The last /api/monitor/metrics scrape of IRIS (more fields than listed may be present).' });

export const InstanceSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    reachable: z.boolean(),
    inventoried: z.boolean(),
    version: z.string().nullable(),
    versionNumber: z.string().nullable(),
    simulator: z.boolean().describe('No real IRIS: the built-in simulator answers for this instance'),
    portal: z
      .object({ host: z.string().nullable().describe('null: the host this page was reached at'), webPort: z.number().nullable().describe('null: the web port is not reachable (not mapped)') })
      .nullable()
      .describe("Where the instance's Management Portal is, for links to it; null when unknown"),
    metrics: MetricsSchema.nullable(),
    productions: z.array(ProductionViewSchema),
  })
  .meta({ id: 'Instance' });

export const StateSchema = z.object({ instances: z.array(InstanceSchema) }).meta({ id: 'State' });

export const SessionSchema = z
  .object({
    mode: z.enum(['addon', 'standalone']),
    viaIngress: z.boolean().describe('The request came through Home Assistant ingress (from the Supervisor)'),
    ingressPath: z.string().nullable(),
    user: z.object({ id: z.string().nullable(), name: z.string().nullable(), displayName: z.string().nullable() }).nullable(),
  })
  .meta({ id: 'Session' });

export const ActionBody = z
  .object({
    confirm: z.boolean().optional().describe('Must be true for stop and restart (the panel asks the person first)'),
    overrideCooldown: z
      .boolean()
      .optional()
      .describe('stop and restart only, with confirm: run although the command_cooldown would refuse it (logged). One command at a time still holds.'),
  })
  .strict()
  .meta({ id: 'ActionRequest' });

export const ActionResult = z
  .object({
    outcome: z.enum(['done', 'nothing-to-do']),
    reason: z.string().optional(),
    production: ProductionViewSchema.describe('The production as IRIS reports it after the command'),
  })
  .meta({ id: 'ActionResult' });

export const HostBody = z.object({ enabled: z.boolean() }).strict().meta({ id: 'HostRequest' });

export const ConnectSchema = z
  .object({
    superserverPort: z.number().nullable().describe('Host port mapped to the IRIS superserver (1972); null when not mapped'),
    webPort: z.number().nullable().describe('Host port mapped to the IRIS web server (52773); null when not mapped'),
    portalPath: z.string(),
    account: z
      .object({
        username: z.string().nullable().describe('The IRIS account for people (a full administrator); null when there is none here'),
        available: z.boolean().describe('Whether the panel can show and change its password'),
        reason: z.string().nullable().describe('Why not, when it cannot'),
      })
      .describe('The account people log in with: Management Portal, VS Code, terminal'),
    serviceAccount: z.string().describe("The IRIS user IRIS Edge's bridge logs in as; a service account, not for people"),
    remoteInstances: z.array(z.string()).describe('Remote instances (option instances), where IRIS Edge holds no account for people'),
  })
  .meta({ id: 'Connect' });

export const RevealBody = z
  .object({ confirm: z.literal(true).describe('The person was told the password gives full administrator access') })
  .strict()
  .meta({ id: 'RevealRequest' });

export const AccountPasswordSchema = z.object({ username: z.string(), password: z.string() }).meta({ id: 'AccountPassword' });

/** A password the account can have: IRIS decides the rest (its PasswordPattern, 3.32ANP by default). */
const NewPassword = z
  .string()
  .min(1)
  .max(128)
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'must not contain line breaks, tabs or other control characters')
  .refine((s) => s.trim() === s, 'must not begin or end with a space');

export const SetPasswordBody = z
  .object({
    password: NewPassword.describe('The new password; IRIS checks it against its password rules'),
    repeat: z.string().max(128).describe('The same password again'),
  })
  .strict()
  .refine((b) => b.password === b.repeat, { message: 'the two passwords are not the same', path: ['repeat'] })
  .meta({ id: 'SetPasswordRequest' });

export const SetPasswordResult = z.object({ username: z.string(), changed: z.literal(true) }).meta({ id: 'SetPasswordResult' });

export const LogLineSchema = z
  .object({ seq: z.number(), time: z.string(), level: z.enum(PANEL_LOG_LEVELS), msg: z.string(), instance: z.string().optional() })
  .meta({ id: 'LogLine' });
export const LogsQuery = z
  .object({
    level: z.enum(PANEL_LOG_LEVELS).default('info'),
    limit: z.coerce.number().int().min(1).max(5000).default(500),
  })
  .strict();
export const LogsSchema = z.object({ lines: z.array(LogLineSchema) }).meta({ id: 'Logs' });

export const MessagesLogQuery = z.object({ lines: z.coerce.number().int().min(1).max(2000).default(200) }).strict();
export const MessagesLogSchema = z
  .object({
    available: z.boolean(),
    reason: z.string().optional().describe('Why the tail is not available'),
    path: z.string().nullable(),
    lines: z.array(z.string()),
  })
  .meta({ id: 'MessagesLog' });

export const EventLogEntrySchema = z
  .object({
    id: z.number().describe('Ens.Util.Log ID (rises with every entry of the namespace)'),
    type: z.enum(['error', 'warning']),
    host: z.string().describe('The business host (config item) that logged it, or the production itself'),
    text: z.string(),
    truncated: z.boolean().describe('The text was longer and was cut'),
    time: z.string().describe('When it was logged, ISO 8601 UTC'),
    sessionId: z.number().nullable().describe('The message session it belongs to'),
    source: z.string().describe('"Class:Method" that logged it'),
  })
  .meta({ id: 'EventLogEntry' });
export const EventLogSchema = z
  .object({ limit: z.number().describe('At most this many entries, newest first'), entries: z.array(EventLogEntrySchema) })
  .meta({ id: 'EventLog' });

export type StateBody = z.infer<typeof StateSchema>;
export type InstanceBody = z.infer<typeof InstanceSchema>;

const McpOutcomes = z.enum(MCP_OUTCOMES);

export const McpSchema = z
  .object({
    endpoint: z.string().describe('The URL without its token: Home Assistant reaches the add-on by this host name'),
    writeTools: z.boolean().describe('Option mcp_write_tools: assistants may start, stop, restart, update and recover productions'),
    anyNetwork: z.boolean().describe("Option mcp_any_network: peers outside Home Assistant's network are accepted"),
    calls: z
      .array(
        z.object({
          at: z.string(),
          tool: z.string().nullable(),
          outcome: McpOutcomes,
          detail: z.string().nullable(),
          peer: z.string(),
        }),
      )
      .describe('The last calls and refusals, oldest first'),
  })
  .meta({ id: 'Mcp' });

export const McpTokenBody = z
  .object({ confirm: z.literal(true).describe('The person was told the token gives access to the tools') })
  .strict()
  .meta({ id: 'McpTokenRequest' });

export const McpTokenSchema = z.object({ url: z.string().describe('The URL to paste into Home Assistant, token included'), token: z.string() }).meta({ id: 'McpToken' });

const HaFlowCountersSchema = z
  .object({
    delivered: z.number().describe('Taken by IRIS (to IRIS), carried out by Home Assistant (from IRIS)'),
    refused: z.number().describe('Turned away by an allow-list or a check before going anywhere'),
    dropped: z.number().describe('Never carried out: a full queue, or a call whose caller in IRIS had stopped waiting'),
    failed: z.number().describe('Refused by the other side (the business service, Home Assistant)'),
  })
  .describe('Since the bridge started');

const HaFlowEntrySchema = z
  .object({
    at: z.string().describe('ISO 8601 UTC'),
    outcome: z.enum(HA_FLOW_OUTCOMES),
    subject: z.string().describe('An entity id, an event type, "mqtt", or a domain.action'),
    target: z.string().describe('The business service and namespace, the namespace a call came from, or the MQTT topic'),
    detail: z.string().nullable().describe('A summary ("off → on") or why it did not go through'),
    preview: z.string().nullable().describe('The start of its data as JSON, values under secret-sounding keys masked'),
  })
  .meta({ id: 'HaFlowEntry' });

export const HaFlowsSchema = z
  .object({
    homeAssistant: z.boolean().describe('Home Assistant is configured; without it nothing flows'),
    toIris: z.object({
      namespace: z.string().describe('Option to_iris_namespace'),
      service: z.string().describe('Option to_iris_service'),
      entities: z.array(z.string()).describe('Option to_iris_entities'),
      events: z.array(z.string()).describe('Option to_iris_events'),
      mqttServices: z.array(z.string()).describe('Option to_iris_mqtt_services'),
      counters: HaFlowCountersSchema,
      queues: z
        .array(z.object({ service: z.string(), namespace: z.string(), queued: z.number(), queuedBytes: z.number(), waiting: z.string().nullable().describe('Why the oldest waits; null while deliveries go through') }))
        .describe('One queue per business service'),
      recent: z.array(HaFlowEntrySchema).describe('The last outcomes, newest first'),
    }),
    fromIris: z.object({
      actions: z.array(z.string()).describe('Option from_iris_actions'),
      events: z.array(z.string()).describe('Option from_iris_events'),
      states: z.array(z.string()).describe('Option from_iris_states'),
      counters: HaFlowCountersSchema,
      inFlight: z.number().describe('Calls being carried out now'),
      recent: z.array(HaFlowEntrySchema).describe('The last outcomes, newest first'),
    }),
  })
  .meta({ id: 'HaFlows' });
