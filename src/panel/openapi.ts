/**
 * The OpenAPI 3.1 description of the panel API, served at api/openapi.json: @fastify/swagger
 * collects the routes, whose zod schemas (declared at each route) become the document's schemas
 * through fastify-type-provider-zod. Requests are validated by the same schemas. What no single
 * route says is added here: the header every state change needs and the answers the server's
 * guards give before any route runs.
 */
import swagger from '@fastify/swagger';
import type { FastifyInstance, FastifySchemaCompiler, FastifySerializerCompiler, FastifyServerOptions } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { BRIDGE_VERSION } from '../version.ts';
import { ApiError, describeIssues } from './errors.ts';

type Json = Record<string, unknown>;
type Compilers = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;
type Operation = { parameters?: Json[]; requestBody?: { content?: Json }; responses: Record<string, Json> };

const PARTS: Record<string, string> = { body: 'request body', querystring: 'query', params: 'path' };

/** Validates a request part with its zod schema; a mismatch is a 400 that names every bad field. */
const validatorCompiler: FastifySchemaCompiler<z.ZodType> =
  ({ schema, httpPart }) =>
  (data) => {
    const r = schema.safeParse(data);
    if (r.success) return { value: r.data };
    return { error: new ApiError(400, 'invalid-request', `Invalid ${PARTS[httpPart ?? ''] ?? httpPart}: ${describeIssues(r.error.issues)}.`) };
  };

const ERROR_REF = { $ref: '#/components/schemas/Error' };
const CSRF_PARAMETER = { name: 'X-IRIS-Edge', in: 'header', required: true, schema: { type: 'string', const: '1' }, description: 'Required on every state change (CSRF protection)' };

/**
 * The answers every route can give before its own code runs (server.ts's guards, Fastify's
 * limits), added to each operation they apply to, and the error body on every 4xx/5xx that does
 * not name one: the document lists every status a route really answers with.
 */
function withServerAnswers(paths: Record<string, Record<string, Operation>>): void {
  for (const [path, ops] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const refusals: Record<string, string> = {
        '400': 'The request is malformed (bad percent-encoding, bad query)',
        '403': 'Not from the Supervisor (add-on mode), a host name the panel does not serve (outside the add-on)',
        '414': 'The address is too long',
        '431': 'The request headers are too large',
        '503': 'The bridge is shutting down',
      };
      if (path.includes('{')) refusals['404'] = 'Nothing by that name';
      if (method !== 'get') {
        refusals['403'] = 'Not from the Supervisor, an unserved host name, cross-site, or the X-IRIS-Edge: 1 header is missing';
        op.parameters = [...(op.parameters ?? []), CSRF_PARAMETER];
      }
      if (method === 'post' || method === 'put') {
        refusals['400'] = 'Malformed JSON or fields the request schema does not allow';
        refusals['413'] = 'The body is larger than this route accepts';
        refusals['415'] = `Not sent as ${Object.keys(op.requestBody?.content ?? {})[0] ?? 'application/json'}`;
      }
      for (const [status, description] of Object.entries(refusals)) op.responses[status] ??= { description, content: { 'application/json': { schema: ERROR_REF } } };
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) >= 400 && !response.content) op.responses[status] = { ...response, content: { 'application/json': { schema: ERROR_REF } } };
      }
    }
  }
}

/** Answers are sent as they are (their schemas document them). */
const serializerCompiler: FastifySerializerCompiler<z.ZodType> = () => (data) => JSON.stringify(data);

/**
 * Zod validates the requests and answers are sent as they are: the server option that gives
 * Fastify these compilers at construction, so that it never loads its default ones (Ajv and
 * fast-json-stringify, about 3 MB of memory), as setting them afterwards would.
 */
export const schemaController: FastifyServerOptions['schemaController'] = {
  // Fastify's types describe these factories by Ajv's compilers; at run time it calls what they
  // return exactly as it calls those of setValidatorCompiler/setSerializerCompiler ({ schema, httpPart ... }).
  compilersFactory: {
    buildValidator: (() => validatorCompiler) as unknown as Compilers['buildValidator'],
    buildSerializer: (() => serializerCompiler) as unknown as Compilers['buildSerializer'],
  },
};

export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'IRIS Edge panel API',
        version: BRIDGE_VERSION,
        description:
          'The API the IRIS Edge panel uses. In the add-on it is reached through Home Assistant ingress only. GET never changes state; every POST needs a JSON body and the header X-IRIS-Edge: 1. Commands answer with the production as IRIS reports it afterwards. Live changes: a websocket at api/feed (a snapshot on connect, then {type:"instance"|"event"|"alert"|"log"} messages).',
      },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
}

/** Documents @fastify/swagger built (it builds one and keeps it) that withServerAnswers completed. */
const completed = new WeakSet<object>();

/** The document with the server it is read through (the ingress path, when there is one). */
export function openApiDocument(app: FastifyInstance, ingressPath: string | null): Json {
  const generated = app.swagger() as unknown as Json & { paths: Record<string, Record<string, Operation>> };
  if (!completed.has(generated)) {
    withServerAnswers(generated.paths);
    completed.add(generated);
  }
  return { ...generated, servers: [{ url: ingressPath ? `${ingressPath}/` : '/' }] };
}
