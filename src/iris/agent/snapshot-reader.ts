/**
 * The agent's Snapshot JSON (already JSON.parse'd) read into the model's Snapshot, one poll after
 * another. Most host rows repeat the last poll's: at 50 productions x 100 hosts, 5,000 rows of
 * which a handful change. A row equal, field by field, to the row at the same place in the last
 * snapshot is valid as that one was: it skips the schema and gives the same HostSnapshot object,
 * and a production whose rows all repeat gives the same hosts array. What reads the snapshot next
 * (the diff, the bridge's host cache) finds unchanged hosts by identity.
 */
import { IrisContractError } from '../../model/errors.ts';
import { HOST_STATUSES, productionStateFromCode, type HostKind, type HostSnapshot, type HostStatus, type ProductionSnapshot, type Snapshot } from '../../model/production.ts';
import { z } from 'zod';
import { AgentFailedError, agentHostSchema, agentProductionSchema, agentSnapshotSchema, describe, failureOf, type AgentProblem } from './contract.ts';
import { remembered } from './remembered.ts';

type AgentHost = z.infer<typeof agentHostSchema>;

/** The snapshot with its host rows left unread: each is checked on its own, or found unchanged. */
const envelopeSchema = agentSnapshotSchema.extend({ productions: z.array(agentProductionSchema.extend({ hosts: z.array(z.unknown()) })) });

/** A host status word of IRIS's, in any case, as the model's; null for a word it does not know. */
const hostStatusOf = remembered((word): HostStatus | null => {
  const lower = word.toLowerCase();
  return (HOST_STATUSES as readonly string[]).includes(lower) ? (lower as HostStatus) : null;
}, 256);

/** The agent's UTC time as the model writes it (Date's ISO form: "T", milliseconds). */
const isoTimeOf = remembered((time) => {
  const iso = new Date(time.replace(' ', 'T')).toISOString();
  // The same string object when nothing changed, so a snapshot kept holds one copy.
  return iso === time ? time : iso;
}, 20_000);

/** The rows last read for a production, and what they gave. */
interface Read {
  rows: AgentHost[];
  hosts: HostSnapshot[];
}

/**
 * Each field the schema checks, compared with a row that passed it. Every such field is a string,
 * number, boolean or null, so a row equal in all of them passes too.
 */
function sameRow(raw: unknown, row: AgentHost | undefined): boolean {
  if (row === undefined || typeof raw !== 'object' || raw === null) return false;
  const r = raw as Record<keyof AgentHost, unknown>;
  return (
    r.name === row.name &&
    r.queue === row.queue &&
    r.status === row.status &&
    r.lastActivity === row.lastActivity &&
    r.errors === row.errors &&
    r.enabled === row.enabled &&
    r.className === row.className &&
    r.kind === row.kind
  );
}

export class SnapshotReader {
  /** By production ("namespace/name"), from the last snapshot read. */
  private last = new Map<string, Read>();

  /**
   * Host status words are lower-cased onto HOST_STATUSES; a host whose business type could not be
   * determined ("unknown": its class is missing) is reported as an "unconfigured" process, the
   * closest the model can express. A snapshot that breaks the contract is an IrisContractError
   * naming the offending path, and leaves what the next one is compared with unchanged.
   */
  read(value: unknown, onProblems?: (problems: AgentProblem[]) => void): Snapshot {
    const failure = failureOf(value);
    if (failure) throw new AgentFailedError('Snapshot', failure);
    const parsed = envelopeSchema.safeParse(value);
    if (!parsed.success) {
      throw new IrisContractError(`IrisEdge.Agent.Snapshot returned data that breaks the contract: ${describe(parsed.error)}`);
    }
    const data = parsed.data;
    const next = new Map<string, Read>();
    const productions: ProductionSnapshot[] = data.productions.map((p, pi) => {
      const key = `${p.namespace}/${p.name}`;
      if (next.has(key)) throw new IrisContractError(`IrisEdge.Agent.Snapshot: productions[${pi}]: duplicate production ${key}`);
      const read = this.hostsOf(p.hosts, this.last.get(key), pi, key);
      next.set(key, read);
      return {
        namespace: p.namespace,
        name: p.name,
        state: productionStateFromCode(p.stateCode),
        hosts: read.hosts,
        needsUpdate: p.needsUpdate,
        updateReason: p.updateReason,
      };
    });
    this.last = next;
    if (data.problems.length > 0) onProblems?.(data.problems);
    const lic = data.instance.license;
    return {
      instance: {
        version: data.instance.version,
        versionNumber: data.instance.versionNumber,
        ...(lic
          ? {
              license: {
                unitsConsumed: lic.unitsConsumed,
                unitsAvailable: lic.unitsAvailable,
                unitsLimit: lic.unitsLimit,
                expires: lic.expires === '' ? null : `${lic.expires}T00:00:00.000Z`,
              },
            }
          : {}),
      },
      productions,
      takenAt: new Date(data.takenAt.replace(' ', 'T')).toISOString(),
    };
  }

  private hostsOf(raws: unknown[], before: Read | undefined, pi: number, key: string): Read {
    const rows: AgentHost[] = new Array<AgentHost>(raws.length);
    const hosts: HostSnapshot[] = new Array<HostSnapshot>(raws.length);
    let allSame = before !== undefined && before.rows.length === raws.length;
    let sameNames = allSame;
    for (let hi = 0; hi < raws.length; hi++) {
      const raw = raws[hi];
      const row = before?.rows[hi];
      if (sameRow(raw, row)) {
        rows[hi] = row as AgentHost;
        hosts[hi] = before?.hosts[hi] as HostSnapshot;
        continue;
      }
      allSame = false;
      const parsed = agentHostSchema.safeParse(raw);
      if (!parsed.success) {
        const at = `productions[${pi}].hosts[${hi}]`;
        throw new IrisContractError(`IrisEdge.Agent.Snapshot returned data that breaks the contract: ${describe(parsed.error, at)}`);
      }
      rows[hi] = parsed.data;
      hosts[hi] = hostOf(parsed.data, pi, hi);
      sameNames &&= parsed.data.name === row?.name;
    }
    if (allSame && before) return before;
    // The same names in the same order were checked for duplicates already.
    if (!sameNames) duplicateName(rows, pi, key);
    return { rows, hosts };
  }
}

function duplicateName(rows: AgentHost[], pi: number, key: string): void {
  const seen = new Set<string>();
  rows.forEach((h, hi) => {
    if (seen.has(h.name)) throw new IrisContractError(`IrisEdge.Agent.Snapshot: productions[${pi}].hosts[${hi}].name: duplicate host name "${h.name}" in ${key}`);
    seen.add(h.name);
  });
}

function hostOf(h: AgentHost, pi: number, hi: number): HostSnapshot {
  let status = hostStatusOf(h.status);
  if (status === null) {
    throw new IrisContractError(
      `IrisEdge.Agent.Snapshot: productions[${pi}].hosts[${hi}].status: unknown host status "${h.status}" (expected one of ${HOST_STATUSES.join(', ')})`,
    );
  }
  let kind: HostKind;
  if (h.kind === 'unknown') {
    kind = 'process';
    status = 'unconfigured';
  } else {
    kind = h.kind;
  }
  return {
    name: h.name,
    className: h.className,
    kind,
    enabled: h.enabled,
    status,
    queue: h.queue,
    errors: h.errors,
    lastActivity: h.lastActivity === null ? null : isoTimeOf(h.lastActivity),
  };
}

/** One snapshot on its own, compared with nothing. */
export function snapshotFromAgent(value: unknown, onProblems?: (problems: AgentProblem[]) => void): Snapshot {
  return new SnapshotReader().read(value, onProblems);
}
