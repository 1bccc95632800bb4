/**
 * The panel's HTTP API (mounted under /api). The UI uses exactly these routes; scripts may too
 * (through ingress, or on the standalone port). Each route declares its schemas; api/openapi.json
 * (openapi.ts) documents them.
 *
 * Rules: GET never changes anything; every state change is a POST with a JSON body and the
 * X-IRIS-Edge header (checked in server.ts); stop and restart need {"confirm": true} (and
 * {"overrideCooldown": true} to run within the cooldown); a command answers with the production
 * as IRIS reports it afterwards. Every refusal is logged once here.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CONFIRMED_ACTIONS, PRODUCTION_ACTIONS, type ProductionAction } from '../model/production.ts';
import type { PanelContext, PanelInstance } from './context.ts';
import { isRefusal, RefusalLog, type Refusal } from '../monitor/refusals.ts';
import { ApiError } from './errors.ts';
import { withoutSmallWindowOffer, type LiveFeed } from './feed.ts';
import { tailFile } from './messages-log.ts';
import { openApiDocument } from './openapi.ts';
import {
  ActionBody,
  ActionResult,
  err,
  HostBody,
  InstanceSchema,
  json,
  LogsQuery,
  LogsSchema,
  MessagesLogQuery,
  MessagesLogSchema,
  NoFields,
  ok,
  other,
  ProductionViewSchema,
  SessionSchema,
  StateSchema,
} from './schemas.ts';
import { instanceBody } from './state.ts';

type ProdParams = { instance: string; namespace: string; production: string };

const InstanceParams = z.object({ instance: z.string().describe('Instance id (see /api/state)') });
const ProdParamsSchema = InstanceParams.extend({
  namespace: z.string().describe('IRIS namespace, e.g. ORDERS'),
  production: z.string().describe('Production class, e.g. Orders.Production'),
});
const COMMAND_ERRORS = {
  400: err('Malformed JSON, unknown fields, or stop/restart without {"confirm": true}'),
  404: err('No such instance, production, host or action'),
  409: err('Refused by the bridge (a command already runs, cooldown) or by IRIS (its text)'),
  503: err('IRIS does not answer'),
};


export async function registerApi(app: FastifyInstance, ctx: PanelContext, feed: LiveFeed): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { options } = ctx;
  const byId = new Map(options.monitors.map((m) => [m.id, m]));
  const refusals = new RefusalLog(options.log);
  /** Runs a command; a refusal is logged here, once, then answered by the error map (409). */
  const command = async <T>(refusal: Refusal, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      if (isRefusal(err)) refusals.report(refusal, err);
      throw err;
    }
  };

  const instance = (id: string): PanelInstance => {
    const i = byId.get(id);
    if (!i) throw new ApiError(404, 'not-found', `There is no monitored IRIS instance "${id}". Known: ${[...byId.keys()].join(', ') || 'none'}.`);
    return i;
  };
  const production = (p: ProdParams) => {
    const i = instance(p.instance);
    const prod = i.monitor.view.productions.find((x) => x.namespace === p.namespace && x.name === p.production);
    if (!prod) throw new ApiError(404, 'not-found', `There is no production ${p.production} in namespace ${p.namespace} of ${i.instanceName}.`);
    return { i, prod };
  };
  const after = (i: PanelInstance, p: ProdParams) => {
    const prod = i.monitor.view.productions.find((x) => x.namespace === p.namespace && x.name === p.production);
    if (!prod) throw new ApiError(404, 'not-found', `${p.production} is no longer reported by IRIS.`);
    return prod;
  };

  api.get('/openapi.json', { schema: { summary: 'This document', response: { 200: ok('OpenAPI 3.1') } } }, async (req) => openApiDocument(app, ctx.ingress(req).ingressPath));

  api.get('/session', { schema: { summary: 'Who is asking, and through what', response: { 200: json(SessionSchema, 'The session') } } }, async (req) => {
    const ing = ctx.ingress(req);
    return { mode: options.mode, viaIngress: ing.viaIngress, ingressPath: ing.ingressPath, user: ing.user };
  });

  api.get('/state', { schema: { summary: 'Every monitored instance with its productions and health', response: { 200: json(StateSchema, 'All instances') } } }, async () => ({
    instances: options.monitors.map(instanceBody),
  }));

  api.get(
    '/instances/:instance',
    { schema: { summary: 'One instance', params: InstanceParams, response: { 200: json(InstanceSchema, 'The instance'), 404: err('No such instance') } } },
    async (req) => instanceBody(instance(req.params.instance)),
  );

  api.get(
    '/instances/:instance/productions/:namespace/:production',
    { schema: { summary: 'One production with its hosts', params: ProdParamsSchema, response: { 200: json(ProductionViewSchema, 'The production'), 404: err('No such production') } } },
    async (req) => production(req.params).prod,
  );

  const actionSchema = {
    summary: 'Start, stop, restart, update or recover a production',
    description: 'stop and restart need {"confirm": true}. The answer holds the production as IRIS reports it after the command.',
    // The action is checked by the route: an unknown one is a 404 that lists the actions.
    params: ProdParamsSchema.extend({ action: z.string().meta({ enum: [...PRODUCTION_ACTIONS] }) }),
    body: ActionBody,
    response: { 200: json(ActionResult, 'Done, or nothing to do (with the reason)'), ...COMMAND_ERRORS },
  };
  api.post('/instances/:instance/productions/:namespace/:production/actions/:action', { schema: actionSchema }, async (req) => {
    const p = req.params;
    if (!(PRODUCTION_ACTIONS as readonly string[]).includes(p.action)) {
      throw new ApiError(404, 'not-found', `Unknown action "${p.action}"; the actions are ${PRODUCTION_ACTIONS.join(', ')}.`);
    }
    const action = p.action as ProductionAction;
    const body = req.body;
    if (CONFIRMED_ACTIONS.includes(action) && body.confirm !== true) {
      throw new ApiError(400, 'confirmation-required', `To ${action} ${p.production}, send {"confirm": true}: it interrupts the messages the production is handling.`);
    }
    if (body.overrideCooldown === true && !CONFIRMED_ACTIONS.includes(action)) {
      throw new ApiError(400, 'override-not-applicable', `The cooldown holds back stop and restart only; send ${action} without "overrideCooldown".`);
    }
    const { i, prod } = production(p);
    const who = ctx.who(req);
    const left = Math.ceil(i.monitor.cooldownLeftMs(prod.key) / 1000);
    const override = body.overrideCooldown === true ? (left > 0 ? `, overriding the cooldown (${left} s left)` : ' (override of the cooldown asked; none was running)') : '';
    options.log.info(`Panel: ${action} ${p.namespace}/${p.production} requested by ${who}${override}`);
    const result = await command({ path: 'panel', production: prod.key, action, by: who }, () =>
      i.monitor.execute(p.namespace, p.production, action, { overrideCooldown: body.overrideCooldown === true }),
    );
    return { ...result, production: after(i, p) };
  });

  const hostSchema = {
    summary: 'Enable or disable a business host (Ens.Director.EnableConfigItem)',
    params: ProdParamsSchema.extend({ host: z.string().describe('Config item name') }),
    body: HostBody,
    response: { 200: json(ActionResult, 'The production afterwards'), ...COMMAND_ERRORS },
  };
  api.post('/instances/:instance/productions/:namespace/:production/hosts/:host', { schema: hostSchema }, async (req) => {
    const p = req.params;
    const body = req.body;
    const { i, prod } = production(p);
    const who = ctx.who(req);
    const verb = body.enabled ? 'enable' : 'disable';
    options.log.info(`Panel: ${verb} ${p.host} in ${p.namespace}/${p.production} requested by ${who}`);
    const result = await command({ path: 'panel', production: prod.key, action: `${verb} ${p.host} in`, by: who }, () =>
      i.monitor.setHostEnabled(p.namespace, p.production, p.host, body.enabled),
    );
    return { ...result, production: after(i, p) };
  });

  api.get('/logs', { schema: { summary: "The bridge's recent log lines", querystring: LogsQuery, response: { 200: json(LogsSchema, 'Oldest first'), 400: err('Bad query') } } }, async (req) => {
    const q = req.query;
    return { lines: options.logs.lines({ minLevel: q.level, limit: q.limit }) };
  });

  const messagesSchema = {
    summary: "The tail of IRIS's messages.log",
    querystring: MessagesLogQuery,
    response: { 200: json(MessagesLogSchema, 'The tail, or why it is not available'), 400: err('Bad query') },
  };
  api.get('/messages-log', { schema: messagesSchema }, async (req) => {
    const q = req.query;
    const tail = await tailFile(options.messagesLogPath, q.lines);
    return { ...tail, path: options.messagesLogPath ?? null };
  });

  api.route({
    method: 'GET',
    url: '/feed',
    schema: {
      summary: 'Websocket: the live feed (upgrade required)',
      response: { 101: other('Switching protocols'), 426: err('A plain GET: this address is a websocket'), 403: err('A websocket from another site (Origin), or a refused host') },
    },
    preValidation: async (req, reply) => {
      if (!feed.allowed(req)) return reply.code(403).send({ error: 'cross-site', message: 'A websocket from another site is refused.' });
      withoutSmallWindowOffer(req.raw.headers);
      return undefined;
    },
    // A plain GET (no Upgrade header) is told what this address is, not given an empty 404.
    handler: async (_req, reply) =>
      reply.code(426).header('upgrade', 'websocket').header('connection', 'Upgrade').send({ error: 'upgrade-required', message: 'api/feed is a websocket: connect with a WebSocket client.' }),
    wsHandler: (socket) => feed.accept(socket),
  });
}
