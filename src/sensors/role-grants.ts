/**
 * What the IrisEdgeSensors role needs for the sensors defined, as DOCS.md tells an administrator
 * to grant it: READ on each namespace's database (Management Portal), SELECT on the tables the
 * SQL sensors name (GRANT statements run in that namespace). The bridge cannot read the role's
 * grants without a new IRIS call, so the page shows what to run rather than what is held.
 */
import type { UserSensor } from '../model/sensor-definition.ts';
import { sqlSkeleton } from '../model/sensor-source.ts';

export const SENSORS_ROLE = 'IrisEdgeSensors';
export const SENSORS_USER = 'iris_edge_sensors';
export const ROLE_RESOURCES_PATH = `System Administration > Security > Roles > ${SENSORS_ROLE} > Resources`;
export const SQL_QUERY_PATH = 'System Explorer > SQL, namespace {ns}, Execute Query';

export interface NamespaceGrants {
  namespace: string;
  /** The database resource to give Read on (the usual name of the namespace's globals database). */
  resource: string;
  /** GRANT statements for the tables the namespace's SQL sensors name. */
  statements: string[];
  /** The sensors that read there. */
  sensors: string[];
}

// A table after FROM or JOIN: a schema-qualified name, or a "delimited" one. Subqueries and
// table-valued functions are left to the administrator: the list is the obvious tables only.
const TABLE = /\b(?:FROM|JOIN)\s+((?:"[^"]+"|[A-Za-z_%][\w%]*)(?:\.(?:"[^"]+"|[A-Za-z_][\w]*))*)/gi;

/**
 * The tables a query names; a FROM inside a string or a comment is none. The same reading of
 * literals and comments as the query's own check (parseSqlQuery), so a quote in a comment cannot
 * make a string of what follows; a query left open names nothing (it is no valid sensor query).
 */
export function tablesOf(query: string): string[] {
  const code = sqlSkeleton(query, { keepIdentifiers: true });
  if (code === null) return [];
  return [...new Set([...code.matchAll(TABLE)].map((m) => m[1] as string))];
}

export function grantsFor(sensors: readonly UserSensor[]): NamespaceGrants[] {
  const byNs = new Map<string, NamespaceGrants>();
  for (const s of sensors) {
    if (s.source.kind === 'metric' || !s.namespace) continue;
    const g = byNs.get(s.namespace) ?? { namespace: s.namespace, resource: `%DB_${s.namespace}`, statements: [], sensors: [] };
    g.sensors.push(s.name);
    if (s.source.kind === 'sql') for (const t of tablesOf(s.source.query)) g.statements.push(`GRANT SELECT ON ${t} TO ${SENSORS_ROLE}`);
    g.statements = [...new Set(g.statements)];
    byNs.set(s.namespace, g);
  }
  return [...byNs.values()];
}
