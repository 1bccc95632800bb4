/** The OpenAPI 3.1 description of the panel API, served at api/openapi.json. Built from schemas.ts. */
import { z } from 'zod';
import { BRIDGE_VERSION } from '../version.ts';
import {
  ACTIONS,
  ActionBody,
  ActionResult,
  ConnectSchema,
  ErrorBody,
  HostBody,
  InstanceSchema,
  LogsSchema,
  MessagesLogSchema,
  PasswordSchema,
  ProductionViewSchema,
  SessionSchema,
  StateSchema,
} from './schemas.ts';
import { PANEL_LOG_LEVELS } from './log-buffer.ts';
import { CERT_SCHEMAS, certsOpenApiPaths } from './certs-api.ts';
import { SSL_SCHEMAS, sslOpenApiPaths } from './ssl-api.ts';
import { BACKUP_SCHEMAS, backupsOpenApiPaths } from './backups-api.ts';
import { DIAGNOSTICS_SCHEMAS, diagnosticsOpenApiPaths } from './diagnostics-api.ts';

type Json = Record<string, unknown>;

const idOf = (s: z.ZodType): string | undefined => (z.globalRegistry.get(s) as { id?: string } | undefined)?.id;
const ref = (s: z.ZodType): Json => ({ $ref: `#/components/schemas/${idOf(s) ?? 'missing'}` });

const json = (s: z.ZodType, description: string): Json => ({ description, content: { 'application/json': { schema: ref(s) } } });
const err = (description: string): Json => json(ErrorBody, description);

const COMMON_ERRORS = {
  '403': err('Not from the Supervisor (add-on mode), cross-site, or the X-IRIS-Edge header is missing'),
};
const COMMAND_ERRORS = {
  ...COMMON_ERRORS,
  '400': err('Malformed JSON, unknown fields, or stop/restart without {"confirm": true}'),
  '404': err('No such instance, production, host or action'),
  '409': err('Refused by the bridge (a command already runs, cooldown) or by IRIS (its text)'),
  '413': err('Body larger than 16 KiB'),
  '415': err('Body not sent as application/json'),
  '503': err('IRIS does not answer'),
};
const csrfHeader = { name: 'X-IRIS-Edge', in: 'header', required: true, schema: { type: 'string', const: '1' }, description: 'Required on every POST (CSRF protection)' };
const pathParam = (name: string, description: string): Json => ({ name, in: 'path', required: true, schema: { type: 'string' }, description });
const prodParams = [
  pathParam('instance', 'Instance id (see /api/state)'),
  pathParam('namespace', 'IRIS namespace, e.g. ORDERS'),
  pathParam('production', 'Production class, e.g. Orders.Production'),
];

export function openApiDocument(ingressPath: string | null): Json {
  const all = z.toJSONSchema(z.globalRegistry, { io: 'output', unrepresentable: 'any', uri: (id: string) => `#/components/schemas/${id}` }) as { schemas: Record<string, Json> };
  const ids = new Set([ErrorBody, StateSchema, InstanceSchema, ProductionViewSchema, SessionSchema, ActionBody, ActionResult, HostBody, ConnectSchema, PasswordSchema, LogsSchema, MessagesLogSchema, ...CERT_SCHEMAS, ...SSL_SCHEMAS, ...BACKUP_SCHEMAS, ...DIAGNOSTICS_SCHEMAS].map(idOf));
  const fixed: Record<string, Json> = {};
  for (const [id, body] of Object.entries(all.schemas)) {
    // Our schemas and what they reference (Host, Metrics, LogLine).
    if (!ids.has(id) && !['Host', 'Metrics', 'LogLine'].includes(id)) continue;
    const { $schema: _drop, $id: _id, ...rest } = body;
    void _drop;
    void _id;
    fixed[id] = rest;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'IRIS Edge panel API',
      version: BRIDGE_VERSION,
      description:
        'The API the IRIS Edge panel uses. In the add-on it is reached through Home Assistant ingress only. GET never changes state; every POST needs a JSON body and the header X-IRIS-Edge: 1. Commands answer with the production as IRIS reports it afterwards. Live changes: a websocket at api/feed (a snapshot on connect, then {type:"instance"|"event"|"alert"|"log"} messages).',
    },
    servers: [{ url: ingressPath ? `${ingressPath}/` : '/' }],
    paths: {
      '/api/session': { get: { summary: 'Who is asking, and through what', responses: { '200': json(SessionSchema, 'The session') } } },
      '/api/state': { get: { summary: 'Every monitored instance with its productions and health', responses: { '200': json(StateSchema, 'All instances') } } },
      '/api/instances/{instance}': {
        get: { summary: 'One instance', parameters: [prodParams[0]], responses: { '200': json(InstanceSchema, 'The instance'), '404': err('No such instance') } },
      },
      '/api/instances/{instance}/productions/{namespace}/{production}': {
        get: { summary: 'One production with its hosts', parameters: prodParams, responses: { '200': json(ProductionViewSchema, 'The production'), '404': err('No such production') } },
      },
      '/api/instances/{instance}/productions/{namespace}/{production}/actions/{action}': {
        post: {
          summary: 'Start, stop, restart, update or recover a production',
          description: 'stop and restart need {"confirm": true}. The answer holds the production as IRIS reports it after the command.',
          parameters: [...prodParams, { name: 'action', in: 'path', required: true, schema: { type: 'string', enum: ACTIONS } }, csrfHeader],
          requestBody: { required: true, content: { 'application/json': { schema: ref(ActionBody) } } },
          responses: { '200': json(ActionResult, 'Done, or nothing to do (with the reason)'), ...COMMAND_ERRORS },
        },
      },
      '/api/instances/{instance}/productions/{namespace}/{production}/hosts/{host}': {
        post: {
          summary: 'Enable or disable a business host (Ens.Director.EnableConfigItem)',
          parameters: [...prodParams, pathParam('host', 'Config item name'), csrfHeader],
          requestBody: { required: true, content: { 'application/json': { schema: ref(HostBody) } } },
          responses: { '200': json(ActionResult, 'The production afterwards'), ...COMMAND_ERRORS },
        },
      },
      '/api/connect': { get: { summary: 'Ports, Management Portal path and the bridge user (no password)', responses: { '200': json(ConnectSchema, 'Connection details') } } },
      '/api/connect/password': {
        post: {
          summary: "The bridge's generated IRIS password (the panel asks only on an explicit click)",
          parameters: [csrfHeader],
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', additionalProperties: false } } } },
          responses: { '200': json(PasswordSchema, 'The password'), ...COMMON_ERRORS, '503': err('The password could not be read') },
        },
      },
      '/api/logs': {
        get: {
          summary: "The bridge's recent log lines",
          parameters: [
            { name: 'level', in: 'query', schema: { type: 'string', enum: PANEL_LOG_LEVELS, default: 'info' }, description: 'Lowest level shown' },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 5000, default: 500 } },
          ],
          responses: { '200': json(LogsSchema, 'Oldest first'), '400': err('Bad query') },
        },
      },
      '/api/messages-log': {
        get: {
          summary: "The tail of IRIS's messages.log",
          parameters: [{ name: 'lines', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 2000, default: 200 } }],
          responses: { '200': json(MessagesLogSchema, 'The tail, or why it is not available'), '400': err('Bad query') },
        },
      },
      '/api/openapi.json': { get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1' } } } },
      ...certsOpenApiPaths(ref, csrfHeader),
      ...sslOpenApiPaths(ref, csrfHeader),
      ...backupsOpenApiPaths(ref, csrfHeader),
      ...diagnosticsOpenApiPaths(ref, csrfHeader),
      '/api/feed': { get: { summary: 'Websocket: the live feed (upgrade required)', responses: { '101': { description: 'Switching protocols' } } } },
    },
    components: { schemas: fixed },
  };
}
