/**
 * A production's newest Event Log errors and warnings (GET .../event-log): read from IRIS when a
 * page asks, never on the poll. Requests for the same production while one read runs share it, so
 * a page reloaded many times costs IRIS one query at a time.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { EVENT_LOG_LIMIT, type EventLogEntry } from '../model/event-log.ts';
import type { PanelContext } from './context.ts';
import { ApiError } from './errors.ts';
import { err, EventLogSchema, json } from './schemas.ts';

const Params = z.object({
  instance: z.string().describe('Instance id (see /api/state)'),
  namespace: z.string().describe('IRIS namespace, e.g. ORDERS'),
  production: z.string().describe('Production class, e.g. Orders.Production'),
});

export async function registerEventLogApi(app: FastifyInstance, ctx: PanelContext): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const reading = new Map<string, Promise<EventLogEntry[]>>();
  const schema = {
    summary: "A production's newest Event Log errors and warnings (Ens.Util.Log)",
    description: `At most ${EVENT_LOG_LIMIT} entries, newest first, each text cut to 500 characters; read from IRIS on each request.`,
    params: Params,
    response: {
      200: json(EventLogSchema, 'The entries'),
      404: err('No such instance or production'),
      409: err('IRIS refused the read (its text, e.g. <PROTECT>: the bridge lacks READ on the namespace database)'),
      503: err('IRIS does not answer, or this instance has no Event Log reader'),
    },
  };
  api.get('/instances/:instance/productions/:namespace/:production/event-log', { schema }, async (req) => {
    const p = req.params;
    const i = ctx.options.monitors.find((m) => m.id === p.instance);
    if (!i) throw new ApiError(404, 'not-found', `There is no monitored IRIS instance "${p.instance}".`);
    if (!i.monitor.view.productions.some((x) => x.namespace === p.namespace && x.name === p.production)) {
      throw new ApiError(404, 'not-found', `There is no production ${p.production} in namespace ${p.namespace} of ${i.instanceName}.`);
    }
    const read = i.eventLog;
    if (!read) throw new ApiError(503, 'event-log-unavailable', `The Event Log of ${i.instanceName} cannot be read by this bridge.`);
    const key = `${i.id}|${p.namespace}|${p.production}`;
    let pending = reading.get(key);
    if (!pending) {
      pending = read(p.namespace, p.production).finally(() => reading.delete(key));
      reading.set(key, pending);
    }
    return { limit: EVENT_LOG_LIMIT, entries: await pending };
  });
}
