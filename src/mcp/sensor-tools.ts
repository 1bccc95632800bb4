/**
 * The MCP tools over the user-defined sensors: their values now, and one read-only SQL query run
 * as the sensors' own IRIS user with the sensors' rules (the bridge's check of a single SELECT
 * first, then IRIS's statement type and the SQL privileges an administrator granted its role).
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { parseSqlQuery, SQL_MAX_CHARS } from '../model/sensor-source.ts';
import { ToolError } from './tool-error.ts';

/** A user-defined sensor as the user_sensors tool reports it. */
export interface UserSensorReading {
  name: string;
  source: string;
  namespace: string | null;
  unit: string | null;
  deviceClass: string | null;
  /** The production whose device shows it; null: the IRIS device. */
  production: string | null;
  /** Null: unavailable (not read yet, or its last reading failed; the app log says why). */
  value: number | string | null;
  attributes?: Record<string, string>;
}

/** One query's answer: the first row, or IRIS's reason for refusing it. */
export type SqlAnswer = { ok: true; firstColumn: number | string; row: Record<string, string>; ms: number } | { ok: false; reason: string };

export interface SensorToolSources {
  /** The user-defined sensors of the local instance and their values now; absent: none are defined. */
  userSensors?: () => UserSensorReading[];
  /** One query as the sensors' own IRIS user (IrisEdge.Agent.ReadSensors); absent without a sensors login. */
  sensorSql?: (namespace: string, query: string) => Promise<SqlAnswer>;
}

type ToolRunner = <A>(name: string, body: (args: A) => Promise<unknown> | unknown) => (args: A) => Promise<CallToolResult>;

export function registerSensorTools(server: McpServer, sources: SensorToolSources, tool: ToolRunner, readOnly: ToolAnnotations): void {
  server.registerTool(
    'user_sensors',
    {
      title: 'User-defined sensors and their values',
      description:
        "The sensors the user defined for IRIS (options `sensors`): each one's name as Home Assistant shows it, its source (sql, global, method or metric), namespace, unit, device class, the production whose device shows it (null: the IRIS device) and current value; null when it is unavailable (not read yet, or IRIS refused it: the app log says why).",
      inputSchema: {},
      annotations: readOnly,
    },
    tool('user_sensors', () => {
      if (!sources.userSensors) throw new ToolError('No user-defined sensors are set up (the app option sensors is empty).');
      return { sensors: sources.userSensors() };
    }),
  );

  server.registerTool(
    'query_sql',
    {
      title: 'Read-only SQL in a namespace',
      description:
        "Runs ONE read-only SQL query (a SELECT, or WITH ... SELECT) in an IRIS namespace and returns the first row's columns (at most 20, each cut to 255 characters). It runs as IRIS Edge's sensors user, which reads only the tables an administrator granted its role IrisEdgeSensors; IRIS itself checks the statement is a SELECT before it runs. Use TOP 1, COUNT(*) or aggregates to get one meaningful row.",
      inputSchema: {
        namespace: z.string().trim().min(1).max(128).describe('IRIS namespace to run the query in, e.g. ORDERS'),
        query: z
          .string()
          .min(1)
          .max(SQL_MAX_CHARS)
          .describe(`One SELECT or WITH ... SELECT statement, at most ${SQL_MAX_CHARS} characters, e.g. SELECT COUNT(*) AS Open FROM Orders.Item WHERE Status = 'open'`),
      },
      annotations: readOnly,
    },
    tool('query_sql', async (a: { namespace: string; query: string }) => {
      if (!sources.sensorSql) {
        throw new ToolError("SQL is not available here: this bridge has no login for IRIS Edge's sensors user (the add-on sets it up; elsewhere IRIS_SENSORS_USER and IRIS_SENSORS_PASSWORD_FILE).");
      }
      const parsed = parseSqlQuery(a.query);
      if (!parsed.ok) throw new ToolError(`query: ${parsed.reason}`);
      const namespace = a.namespace.toUpperCase();
      const r = await sources.sensorSql(namespace, parsed.value);
      if (!r.ok) throw new ToolError(`IRIS refused the query: ${r.reason}`);
      return { namespace, first_column: r.firstColumn, row: r.row, ms: r.ms };
    }),
  );
}
