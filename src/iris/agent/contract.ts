/**
 * The JSON contract of the ObjectScript agent (rootfs/usr/share/iris-edge/agent/IrisEdge.Agent.cls).
 * Every field the bridge reads is checked here; agent JSON that does not fit is an
 * IrisContractError whose message names the offending path (e.g. "productions[0].hosts[2].queue").
 */
import { z } from 'zod';
import type { DatabaseInfo } from '../../model/backup.ts';
import { IrisContractError, IrisError } from '../../model/errors.ts';
import type { SslConfig, SslConfigInput } from '../../model/ssl.ts';

/** ISO 8601 in UTC with "Z", as the agent writes it ($ZDATETIME(h,3,7,3)). A space instead of "T" is tolerated. */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/;
export const isoUtc = z.string().regex(ISO_UTC, 'expected an ISO-8601 UTC timestamp ending in "Z"');

const count = z.number().int().nonnegative();

export const agentHostSchema = z.object({
  name: z.string().min(1),
  className: z.string(),
  /** "unknown" when the item class is missing and the host is not running. */
  kind: z.enum(['service', 'process', 'operation', 'unknown']),
  enabled: z.boolean(),
  /** IRIS's own word (EnumerateHostStatus Status column), any case. */
  status: z.string().min(1),
  queue: count,
  errors: count,
  lastActivity: isoUtc.nullable(),
});

export const agentProductionSchema = z.object({
  namespace: z.string().min(1),
  name: z.string().min(1),
  /** Ens.Director state code ($$$eProductionState*), possibly negative on a mirror backup. */
  stateCode: z.number().int(),
  needsUpdate: z.boolean(),
  updateReason: z.string(),
  hosts: z.array(agentHostSchema),
});

/** A namespace (or one reading in it) the agent could not read; the rest of the snapshot is valid. */
export const agentProblemSchema = z.object({ namespace: z.string(), text: z.string() });
export type AgentProblem = z.infer<typeof agentProblemSchema>;

export const agentSnapshotSchema = z.object({
  ok: z.literal(true),
  agentVersion: z.number().int().positive(),
  takenAt: isoUtc,
  instance: z.object({
    version: z.string().min(1),
    versionNumber: z.string().min(1),
    /** %SYSTEM.License; null when IRIS refused it (a problem says why). Agent VERSION 5. */
    license: z
      .object({
        unitsConsumed: count,
        unitsAvailable: count,
        unitsLimit: count,
        /** $ZDATE(KeyExpirationDate(),3), "" when the key has no expiry. */
        expires: z.union([z.literal(''), z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD')]),
      })
      .nullable(),
  }),
  namespaces: z.array(z.string()),
  productions: z.array(agentProductionSchema),
  problems: z.array(agentProblemSchema),
});
export type AgentSnapshot = z.infer<typeof agentSnapshotSchema>;

/** Any agent method's failure: {"ok":false,"code":"<Ens>Err...","text":"ERROR <Ens>Err...: ..."}. */
export const agentFailureSchema = z.object({
  ok: z.literal(false),
  code: z.string(),
  text: z.string(),
});
export type AgentFailure = z.infer<typeof agentFailureSchema>;

export const agentControlSchema = z.union([z.object({ ok: z.literal(true) }), agentFailureSchema]);
export type AgentControlResult = z.infer<typeof agentControlSchema>;

/** Agent codes that mean "there is no such production" (the client maps them to UnknownProductionError). */
export const UNKNOWN_PRODUCTION_CODES: readonly string[] = ['<IrisEdge>UnknownProduction', '<IrisEdge>UnknownNamespace'];

/**
 * An agent method answered {"ok":false,...} for a whole call (IRIS raised an error inside the
 * agent). The client decides what that means for its caller.
 */
export class AgentFailedError extends IrisError {
  constructor(
    readonly method: string,
    readonly failure: AgentFailure,
  ) {
    super(`IrisEdge.Agent.${method} failed in IRIS: ${failure.text || failure.code}`);
  }
}

function formatPath(path: readonly PropertyKey[], prefix: string): string {
  let out = prefix;
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out === '' ? '(root)' : out;
}

/** The first issues, each with its path, under `prefix` when the value checked sat there. */
export function describe(error: z.ZodError, prefix = ''): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${formatPath(i.path, prefix)}: ${i.message}`)
    .join('; ');
}

/** Parse the JSON text an agent method returned. Not JSON at all is a contract error too. */
export function parseAgentJson(method: string, raw: unknown): unknown {
  if (typeof raw !== 'string') {
    throw new IrisContractError(`IrisEdge.Agent.${method} returned ${raw === null ? 'null' : typeof raw}, expected a JSON string`);
  }
  try {
    return JSON.parse(raw) as unknown;
  } catch (err) {
    throw new IrisContractError(`IrisEdge.Agent.${method} returned text that is not JSON: ${raw.slice(0, 120)}`, {
      cause: err,
    });
  }
}

export function failureOf(value: unknown): AgentFailure | undefined {
  const f = agentFailureSchema.safeParse(value);
  return f.success ? f.data : undefined;
}

/** Agent Control JSON (already JSON.parse'd) -> {ok:true} or the failure with IRIS's code and text. */
export function controlResultFromAgent(value: unknown): AgentControlResult {
  // Parse by the value of "ok" so that errors name the real path (a union would only say "(root)").
  const head = z.object({ ok: z.boolean() }).safeParse(value);
  const schema = head.success ? (head.data.ok ? z.object({ ok: z.literal(true) }) : agentFailureSchema) : agentControlSchema;
  const parsed = head.success ? schema.safeParse(value) : head;
  if (!parsed.success) {
    throw new IrisContractError(`IrisEdge.Agent.Control returned data that breaks the contract: ${describe(parsed.error)}`);
  }
  return parsed.data as AgentControlResult;
}

// ---- SSL/TLS configurations (agent VERSION 3) ----------------------------------------------------

export const agentSslConfigSchema = z.object({
  name: z.string().min(1),
  description: z.string(),
  /** Security.SSLConfigs Type: 0 client, 1 server. */
  type: z.union([z.literal(0), z.literal(1)]),
  enabled: z.boolean(),
  caFile: z.string(),
  certificateFile: z.string(),
  privateKeyFile: z.string(),
  verifyPeer: z.number().int().nonnegative(),
  tlsMinVersion: z.number().int().nonnegative(),
  tlsMaxVersion: z.number().int().nonnegative(),
});

export const agentSslUserSchema = z.object({
  config: z.string().min(1),
  namespace: z.string().min(1),
  production: z.string(),
  host: z.string().min(1),
});

export const agentSslConfigsSchema = z.object({
  ok: z.literal(true),
  configs: z.array(agentSslConfigSchema),
  usedBy: z.array(agentSslUserSchema),
  problems: z.array(agentProblemSchema),
});

/** Agent SslConfigs JSON (already JSON.parse'd) -> the model's SslConfig list, usedBy joined by name. */
export function sslConfigsFromAgent(value: unknown, onProblems?: (problems: AgentProblem[]) => void): SslConfig[] {
  const failure = failureOf(value);
  if (failure) throw new AgentFailedError('SslConfigs', failure);
  const parsed = agentSslConfigsSchema.safeParse(value);
  if (!parsed.success) {
    throw new IrisContractError(`IrisEdge.Agent.SslConfigs returned data that breaks the contract: ${describe(parsed.error)}`);
  }
  if (parsed.data.problems.length > 0) onProblems?.(parsed.data.problems);
  return parsed.data.configs.map((c) => ({
    name: c.name,
    description: c.description,
    type: c.type === 1 ? 'server' : 'client',
    enabled: c.enabled,
    caFile: c.caFile,
    certificateFile: c.certificateFile,
    privateKeyFile: c.privateKeyFile,
    verifyPeer: c.verifyPeer,
    tlsMinVersion: c.tlsMinVersion,
    tlsMaxVersion: c.tlsMaxVersion,
    usedBy: parsed.data.usedBy
      .filter((u) => u.config === c.name)
      .map((u) => ({ namespace: u.namespace, production: u.production, host: u.host })),
  }));
}

/** The JSON document ApplySslConfig takes (the only place the key password travels). */
export function applySslConfigJson(input: SslConfigInput): string {
  return JSON.stringify({
    name: input.name,
    type: input.type === 'server' ? 1 : 0,
    ...(input.description !== undefined ? { description: input.description } : {}),
    caFile: input.caFile,
    certificateFile: input.certificateFile,
    privateKeyFile: input.privateKeyFile,
    privateKeyPassword: input.privateKeyPassword ?? '',
    verifyPeer: input.verifyPeer,
    tlsMinVersion: input.tlsMinVersion,
    tlsMaxVersion: input.tlsMaxVersion,
  });
}

// ---- Databases, freeze and thaw (agent VERSION 4) ------------------------------------------------

export const agentDatabasesSchema = z.object({
  ok: z.literal(true),
  databases: z.array(
    z.object({
      name: z.string().min(1),
      directory: z.string().min(1),
      /** SYS.Database Size: megabytes. */
      sizeMB: z.number().nonnegative(),
      readOnly: z.boolean(),
      mounted: z.boolean(),
    }),
  ),
});

/** Agent Databases JSON (already JSON.parse'd) -> the model's DatabaseInfo list. */
export function databasesFromAgent(value: unknown): DatabaseInfo[] {
  const failure = failureOf(value);
  if (failure) throw new AgentFailedError('Databases', failure);
  const parsed = agentDatabasesSchema.safeParse(value);
  if (!parsed.success) throw new IrisContractError(`IrisEdge.Agent.Databases returned data that breaks the contract: ${describe(parsed.error)}`);
  return parsed.data.databases.map((d) => ({
    name: d.name,
    directory: d.directory.endsWith('/') ? d.directory : `${d.directory}/`,
    sizeBytes: Math.round(d.sizeMB * 1024 * 1024),
    readOnly: d.readOnly,
    mounted: d.mounted,
  }));
}

// ---- The bridge's own privileges, for its self-check (agent VERSION 5) -----------------------------

export const agentPrivilegesSchema = z.object({
  ok: z.literal(true),
  user: z.string(),
  roles: z.string(),
  /** $SYSTEM.Security.Check(name): "READ,WRITE,USE" style, "" for none. */
  resources: z.record(z.string(), z.string()),
  namespaces: z.array(
    z.object({
      namespace: z.string().min(1),
      databases: z.array(z.object({ database: z.string(), resource: z.string(), granted: z.string() })),
      text: z.string().optional(),
    }),
  ),
  escalation: z.object({ role: z.string(), ok: z.boolean(), adminSecure: z.string(), text: z.string() }),
  /** ODBC timestamps of $ZTIMESTAMP (UTC) and $HOROLOG (local). */
  time: z.object({ utc: z.string(), local: z.string() }),
});
export type AgentPrivileges = z.infer<typeof agentPrivilegesSchema>;

export function privilegesFromAgent(value: unknown): AgentPrivileges {
  const failure = failureOf(value);
  if (failure) throw new AgentFailedError('Privileges', failure);
  const parsed = agentPrivilegesSchema.safeParse(value);
  if (!parsed.success) throw new IrisContractError(`IrisEdge.Agent.Privileges returned data that breaks the contract: ${describe(parsed.error)}`);
  return parsed.data;
}
