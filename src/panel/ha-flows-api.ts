/**
 * The "Home Assistant ↔ IRIS" page's route: the allow-lists as the options set them, each
 * direction's counters, queues and last outcomes. Read-only: the options change the lists. The
 * live feed pushes the same view ({type:"ha-flows"}) as it changes.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { PanelContext } from './context.ts';
import { ApiError } from './errors.ts';
import { err, HaFlowsSchema, json } from './schemas.ts';

const UNAVAILABLE = 'This bridge does not carry traffic between Home Assistant and IRIS.';

export async function registerHaFlowsApi(app: FastifyInstance, ctx: PanelContext): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.get('/ha-flows', { schema: { summary: 'Home Assistant ↔ IRIS: allow-lists, counters, queues and the last messages each way', response: { 200: json(HaFlowsSchema, 'The two-way traffic'), 503: err(UNAVAILABLE) } } }, async () => {
    const source = ctx.options.haFlows;
    if (!source) throw new ApiError(503, 'ha-flows-unavailable', UNAVAILABLE);
    return source.view();
  });
}
