/**
 * The Sensors page's routes: the options' and the panel's sensors, and the panel's own created,
 * changed, tested and deleted. A change takes effect in Home Assistant without a restart.
 *
 * - GET sensors: every sensor (the options' marked read-only), the bound, and what the
 *   IrisEdgeSensors role needs granted for them.
 * - POST sensors, PUT sensors/:key, DELETE sensors/:key: the panel's sensors; a definition is
 *   checked by the options' validator and every problem names its field.
 * - POST sensors/test: one read of an unsaved definition: value, type, milliseconds, and what
 *   Home Assistant would show.
 * Changes and tests are capped per minute (attempts.ts); tests also run at most two at a time.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MAX_USER_SENSORS } from '../model/sensor-definition.ts';
import { grantsFor, ROLE_RESOURCES_PATH, SENSORS_ROLE, SENSORS_USER, SQL_QUERY_PATH } from '../sensors/role-grants.ts';
import { SensorSetError, type SensorSetErrorKind } from '../sensors/sensor-set.ts';
import { testSensor } from '../sensors/sensor-test.ts';
import { AttemptLimiter } from './attempts.ts';
import type { PanelContext, PanelSensors } from './context.ts';
import { ApiError } from './errors.ts';
import { err, json, ok } from './schemas.ts';

export const SENSOR_CHANGES_PER_MINUTE = 60;
export const SENSOR_TESTS_PER_MINUTE = 20;
const TESTS_AT_ONCE = 2;
const UNAVAILABLE = 'User sensors are not available in this bridge.';
const tags = ['sensors'];

/** One sensor definition in the fields of the `sensors` option; checked field by field by the route. */
const SensorBody = z.record(z.string().max(64), z.unknown()).meta({ id: 'SensorDefinition', description: 'The fields of one item of the sensors option (name, namespace, sql/global/method/metric, unit, ...)' });
const KeyParams = z.object({ key: z.string().min(1).max(64).regex(/^[a-z0-9_]+$/) });
const TestResult = z
  .object({
    value: z.union([z.number(), z.string(), z.null()]),
    type: z.enum(['number', 'text']).nullable(),
    attributes: z.record(z.string(), z.string()).optional(),
    ms: z.number(),
    state: z.string().describe("What Home Assistant would show, or 'unavailable'"),
    reason: z.string().optional(),
  })
  .meta({ id: 'SensorTestResult' });

const STATUS: Record<SensorSetErrorKind, number> = { invalid: 400, conflict: 409, 'not-found': 404, full: 409, 'read-only': 409 };

function apiError(e: unknown): unknown {
  if (!(e instanceof SensorSetError)) return e;
  return new ApiError(STATUS[e.kind], e.kind === 'invalid' ? 'invalid-sensor' : `sensor-${e.kind}`, e.message);
}

export async function registerSensorsApi(app: FastifyInstance, ctx: PanelContext): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { options } = ctx;
  const changes = new AttemptLimiter(SENSOR_CHANGES_PER_MINUTE, 60_000);
  const tests = new AttemptLimiter(SENSOR_TESTS_PER_MINUTE, 60_000);
  let testing = 0;
  const sensors = (): PanelSensors => {
    if (!options.sensors) throw new ApiError(503, 'sensors-unavailable', UNAVAILABLE);
    return options.sensors;
  };
  const limit = (limiter: AttemptLimiter, what: string, reply: { header(k: string, v: string): unknown }) => {
    const wait = limiter.take();
    if (wait === 0) return;
    reply.header('retry-after', String(wait));
    throw new ApiError(429, 'too-many-attempts', `Too many sensor ${what} in a minute; try again in ${wait} s.`);
  };
  const guarded = async <T>(f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (e) {
      throw apiError(e);
    }
  };

  api.get('/sensors', { schema: { summary: "The user sensors: the options' (read-only) and the panel's, and what their IRIS role needs", tags, response: { 200: ok('The sensors'), 503: err(UNAVAILABLE) } } }, async () => {
    const s = sensors();
    return {
      ...s.set.list(),
      max: MAX_USER_SENSORS,
      role: { name: SENSORS_ROLE, user: SENSORS_USER, resourcesPath: ROLE_RESOURCES_PATH, sqlPath: SQL_QUERY_PATH, namespaces: grantsFor(s.set.sensors()) },
    };
  });

  const changeResponse = {
    400: err('The definition breaks a rule; the message names each field'),
    404: err('No panel sensor has this key'),
    409: err('The name is taken (by the options or another sensor), the limit is reached, or the sensor comes from the options'),
    429: err('Too many changes in a minute (Retry-After says when)'),
    503: err(UNAVAILABLE),
  };
  api.post('/sensors', { schema: { summary: 'Create a panel sensor; it appears in Home Assistant without a restart', tags, body: SensorBody, response: { 201: ok('The sensor as saved'), ...changeResponse } } }, async (req, reply) => {
    const s = sensors();
    limit(changes, 'changes', reply);
    const entry = await guarded(() => s.set.create(req.body));
    options.log.info(`Panel: sensor "${entry.name}" created by ${ctx.who(req)}`);
    return reply.code(201).send(entry);
  });

  api.put('/sensors/:key', { schema: { summary: 'Change a panel sensor (its name too)', tags, params: KeyParams, body: SensorBody, response: { 200: ok('The sensor as saved'), ...changeResponse } } }, async (req, reply) => {
    const s = sensors();
    limit(changes, 'changes', reply);
    const entry = await guarded(() => s.set.update(req.params.key, req.body));
    options.log.info(`Panel: sensor "${entry.name}" changed by ${ctx.who(req)}`);
    return entry;
  });

  api.delete('/sensors/:key', { schema: { summary: 'Delete a panel sensor; its entity is removed from Home Assistant', tags, params: KeyParams, response: { 200: ok('Deleted'), ...changeResponse } } }, async (req, reply) => {
    const s = sensors();
    limit(changes, 'changes', reply);
    await guarded(() => s.set.remove(req.params.key));
    options.log.info(`Panel: sensor "${req.params.key}" deleted by ${ctx.who(req)}`);
    return {};
  });

  const testSchema = {
    summary: 'Read an unsaved definition once: value, type, milliseconds and what Home Assistant would show',
    tags,
    body: SensorBody,
    response: { 200: json(TestResult, 'What was read'), 400: err('The definition breaks a rule; the message names each field'), 429: err('Too many tests in a minute, or two running (Retry-After says when)'), 503: err(UNAVAILABLE) },
  };
  api.post('/sensors/test', { schema: testSchema }, async (req, reply) => {
    const s = sensors();
    const sensor = await guarded(async () => s.set.check(req.body));
    if (testing >= TESTS_AT_ONCE) {
      reply.header('retry-after', '1');
      throw new ApiError(429, 'too-many-attempts', `${TESTS_AT_ONCE} sensor tests are running; try again when they have answered.`);
    }
    limit(tests, 'tests', reply);
    testing++;
    try {
      return await testSensor(sensor, s.readers);
    } finally {
      testing--;
    }
  });
}
