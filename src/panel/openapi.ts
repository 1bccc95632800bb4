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
  NoFields,
  PasswordSchema,
  ProductionViewSchema,
  SessionSchema,
  StateSchema,
} from './schemas.ts';
import { PANEL_LOG_LEVELS } from './log-buffer.ts';
import { CERT_SCHEMAS, certsOpenApiPaths } from './certs-api.ts';
import { SSL_SCHEMAS, sslOpenApiPaths } from './ssl-api.ts';
import { BACKUP_SCHEMAS, backupsOpenApiPaths } from './backups-api.ts';
import { diagnosticsOpenApiPaths } from './diagnostics-api.ts';

type Json = Record<string, unknown>;

const idOf = (s: z.ZodType): string | undefined => (z.globalRegistry.get(s) as { id?: string } | undefined)?.id;
const ref = (s: z.ZodType): Json => ({ $ref: `#/components/schemas/${idOf(s) ?? 'missing'}` });

const json = (s: z.ZodType, description: string): Json => ({ description, content: { 'application/json': { schema: ref(s) } } });
const err = (description: string): Json => json(ErrorBody, description);

const COMMAND_ERRORS = {
  '400': err('Malformed JSON, unknown fields, or stop/restart without {"confirm": true}'),
  '404': err('No such instance, production, host or action'),
  '409': err('Refused by the bridge (a command already runs, cooldown) or by IRIS (its text)'),
  '503': err('IRIS does not answer'),
};
const csrfHeader = { name: 'X-IRIS-Edge', in: 'header', required: true, schema: { type: 'string', const: '1' }, description: 'Required on every POST (CSRF protection)' };
const pathParam = (name: string, description: string): Json => ({ name, in: 'path', required: true, schema: { type: 'string' }, description });
const prodParams = [
  pathParam('instance', 'Instance id (see /api/state)'),
  pathParam('namespace', 'IRIS namespace, e.g. ORDERS'),
  pathParam('production', 'Production class, e.g. Orders.Production'),
];

type Operation = { requestBody?: { content?: Json }; responses: Record<string, Json> };

/**
 * The answers every route can give before its own code runs (server.ts's guards, Fastify's
 * limits), added to each operation they apply to, and the error body on every 4xx/5xx that does
 * not name one: the document lists every status a route really answers with.
 */
function withRefusals(paths: Record<string, unknown>): Record<string, unknown> {
  for (const [path, ops] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(ops as Record<string, Operation>)) {
      const refusals: Record<string, string> = {
        '400': 'The request is malformed (bad percent-encoding, bad query)',
        '403': 'Not from the Supervisor (add-on mode), a host name the panel does not serve (outside the add-on)',
        '414': 'The address is too long',
        '431': 'The request headers are too large',
        '503': 'The bridge is shutting down',
      };
      if (path.includes('{')) refusals['404'] = 'Nothing by that name';
      if (method !== 'get') refusals['403'] = 'Not from the Supervisor, an unserved host name, cross-site, or the X-IRIS-Edge: 1 header is missing';
      if (method === 'post' || method === 'put') {
        refusals['400'] = 'Malformed JSON or fields the request schema does not allow';
        refusals['413'] = 'The body is larger than this route accepts';
        refusals['415'] = `Not sent as ${Object.keys(op.requestBody?.content ?? {})[0] ?? 'application/json'}`;
      }
      for (const [status, description] of Object.entries(refusals)) op.responses[status] ??= err(description);
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) >= 400 && !response.content) op.responses[status] = { ...response, content: { 'application/json': { schema: ref(ErrorBody) } } };
      }
    }
  }
  return paths;
}

export function openApiDocument(ingressPath: string | null): Json {
  // A request is described as it may be sent (a field with a default may be left out), a response
  // as it is sent (that field is always there).
  const as = (io: 'input' | 'output') => (z.toJSONSchema(z.globalRegistry, { io, unrepresentable: 'any', uri: (id: string) => `#/components/schemas/${id}` }) as { schemas: Record<string, Json> }).schemas;
  const [sent, received] = [as('output'), as('input')];
  const requests = new Set([ActionBody, HostBody, NoFields, ...CERT_SCHEMAS, ...SSL_SCHEMAS, ...BACKUP_SCHEMAS].map(idOf));
  const ids = new Set([ErrorBody, StateSchema, InstanceSchema, ProductionViewSchema, SessionSchema, ActionResult, ConnectSchema, PasswordSchema, LogsSchema, MessagesLogSchema].map(idOf));
  const fixed: Record<string, Json> = {};
  for (const [id, output] of Object.entries(sent)) {
    const body = requests.has(id) ? received[id]! : output;
    if (requests.has(id)) ids.add(id);
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
    paths: withRefusals({
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
          requestBody: { required: true, content: { 'application/json': { schema: ref(NoFields) } } },
          responses: { '200': json(PasswordSchema, 'The password'), '503': err('The password could not be read') },
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
      '/api/feed': {
        get: { summary: 'Websocket: the live feed (upgrade required)', responses: { '101': { description: 'Switching protocols' }, '426': err('A plain GET: this address is a websocket'), '403': err('A websocket from another site (Origin), or a refused host') } },
      },
    }),
    components: { schemas: fixed },
  };
}
