/**
 * The panel's HTTP API (mounted under /api). The UI uses exactly these routes; scripts may too
 * (through ingress, or on the standalone port). Described by api/openapi.json (openapi.ts).
 *
 * Rules: GET never changes anything; every state change is a POST with a JSON body and the
 * X-IRIS-Edge header (checked in server.ts); stop and restart need {"confirm": true}; a command
 * answers with the production as IRIS reports it afterwards.
 */
import type { FastifyInstance } from 'fastify';
import type { ProductionAction } from '../model/production.ts';
import { ApiError, parseRequest } from './errors.ts';
import type { LiveFeed } from './feed.ts';
import { tailFile } from './messages-log.ts';
import { openApiDocument } from './openapi.ts';
import {
  ACTIONS,
  ActionBody,
  CONFIRMED_ACTIONS,
  HostBody,
  LogsQuery,
  MessagesLogQuery,
  NoFields,
  type InstanceBody,
} from './schemas.ts';
import type { PanelContext, PanelInstance } from './context.ts';
import { instanceBody } from './state.ts';

type ProdParams = { instance: string; namespace: string; production: string };


export async function registerApi(api: FastifyInstance, ctx: PanelContext, feed: LiveFeed): Promise<void> {
  const { options } = ctx;
  const byId = new Map(options.monitors.map((m) => [m.id, m]));

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

  api.get('/openapi.json', async (req) => openApiDocument(ctx.ingress(req).ingressPath));

  api.get('/session', async (req) => {
    const ing = ctx.ingress(req);
    return { mode: options.mode, viaIngress: ing.viaIngress, ingressPath: ing.ingressPath, user: ing.user };
  });

  api.get('/state', async () => ({ instances: options.monitors.map(instanceBody) }));

  api.get<{ Params: { instance: string } }>('/instances/:instance', async (req): Promise<InstanceBody> => instanceBody(instance(req.params.instance)));

  api.get<{ Params: ProdParams }>('/instances/:instance/productions/:namespace/:production', async (req) => production(req.params).prod);

  const actionPath = '/instances/:instance/productions/:namespace/:production/actions/:action';
  api.post<{ Params: ProdParams & { action: string } }>(actionPath, async (req) => {
    const p = req.params;
    if (!(ACTIONS as readonly string[]).includes(p.action)) {
      throw new ApiError(404, 'not-found', `Unknown action "${p.action}"; the actions are ${ACTIONS.join(', ')}.`);
    }
    const action = p.action as ProductionAction;
    const body = parseRequest(ActionBody, req.body, `${action} request`);
    if (CONFIRMED_ACTIONS.includes(action) && body.confirm !== true) {
      throw new ApiError(400, 'confirmation-required', `To ${action} ${p.production}, send {"confirm": true}: it interrupts the messages the production is handling.`);
    }
    const { i } = production(p);
    options.log.info(`Panel: ${action} ${p.namespace}/${p.production} requested by ${ctx.who(req)}`);
    const result = await i.monitor.execute(p.namespace, p.production, action);
    return { ...result, production: after(i, p) };
  });

  const hostPath = '/instances/:instance/productions/:namespace/:production/hosts/:host';
  api.post<{ Params: ProdParams & { host: string } }>(hostPath, async (req) => {
    const p = req.params;
    const body = parseRequest(HostBody, req.body, 'host request');
    const { i } = production(p);
    options.log.info(`Panel: ${body.enabled ? 'enable' : 'disable'} ${p.host} in ${p.namespace}/${p.production} requested by ${ctx.who(req)}`);
    const result = await i.monitor.setHostEnabled(p.namespace, p.production, p.host, body.enabled);
    return { ...result, production: after(i, p) };
  });

  api.get('/connect', async () => {
    const c = options.connect;
    return { superserverPort: c.superserverPort, webPort: c.webPort, portalPath: c.portalPath, username: c.username };
  });

  api.post('/connect/password', async (req, reply) => {
    parseRequest(NoFields, req.body, 'password request');
    let password: string;
    try {
      password = await options.connect.readPassword();
    } catch (err) {
      options.log.warn(`Panel: the bridge's IRIS password could not be read: ${(err as Error).message}`);
      throw new ApiError(503, 'password-unavailable', 'The generated password could not be read from /data; the add-on log says why.');
    }
    options.log.info(`Panel: the bridge's IRIS password was shown to ${ctx.who(req)}`);
    reply.header('cache-control', 'no-store');
    return { password };
  });

  api.get('/logs', async (req) => {
    const q = parseRequest(LogsQuery, req.query, 'logs query');
    return { lines: options.logs.lines({ minLevel: q.level, limit: q.limit }) };
  });

  api.get('/messages-log', async (req) => {
    const q = parseRequest(MessagesLogQuery, req.query, 'messages.log query');
    const tail = await tailFile(options.messagesLogPath, q.lines);
    return { ...tail, path: options.messagesLogPath ?? null };
  });

  api.route({
    method: 'GET',
    url: '/feed',
    preValidation: async (req, reply) => {
      if (!feed.allowed(req)) return reply.code(403).send({ error: 'cross-site', message: 'A websocket from another site is refused.' });
      return undefined;
    },
    // A plain GET (no Upgrade header) is told what this address is, not given an empty 404.
    handler: async (_req, reply) =>
      reply.code(426).header('upgrade', 'websocket').header('connection', 'Upgrade').send({ error: 'upgrade-required', message: 'api/feed is a websocket: connect with a WebSocket client.' }),
    wsHandler: (socket) => feed.accept(socket),
  });
}
