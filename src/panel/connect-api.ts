/**
 * The Connect page's routes: how to reach IRIS, and the IRIS account meant for people.
 *
 * - GET connect names the account for people and, apart, the bridge's service account; no secret.
 * - POST connect/account/reveal answers the account's password, only with {"confirm": true}: the
 *   panel asks first, because it is full administrator access. Never cached, never logged.
 * - POST connect/account/password sets a new password through the IRIS owner; IRIS's own rules
 *   decide, and the stored copy changes only once IRIS took it (src/accounts/person-account.ts).
 * Both POSTs are capped (attempts.ts); a refused one answers 429 with Retry-After.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { AttemptLimiter } from './attempts.ts';
import type { PanelContext, PersonAccount } from './context.ts';
import { ApiError } from './errors.ts';
import { AccountPasswordSchema, ConnectSchema, err, json, RevealBody, SetPasswordBody, SetPasswordResult } from './schemas.ts';

/** Reveals a minute: a person clicks a few times; a script reading it in a loop is stopped. */
export const REVEALS_PER_MINUTE = 10;
/** Password changes a minute: enough to try a few against IRIS's rules, too few to hammer IRIS. */
export const CHANGES_PER_MINUTE = 5;

const NO_ACCOUNT = 'This bridge runs outside the IRIS Edge add-on, so it cannot act as the owner of IRIS: log in to IRIS with an account its administrator gave you.';

export async function registerConnectApi(app: FastifyInstance, ctx: PanelContext): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { options } = ctx;
  const reveals = new AttemptLimiter(REVEALS_PER_MINUTE, 60_000);
  const changes = new AttemptLimiter(CHANGES_PER_MINUTE, 60_000);

  const account = (): PersonAccount => {
    if (!options.account) throw new ApiError(503, 'account-unavailable', options.accountUnavailable ?? NO_ACCOUNT);
    return options.account;
  };
  const limit = (limiter: AttemptLimiter, what: string, reply: { header(k: string, v: string): unknown }) => {
    const wait = limiter.take();
    if (wait === 0) return;
    reply.header('retry-after', String(wait));
    throw new ApiError(429, 'too-many-attempts', `Too many ${what} in a minute; try again in ${wait} s.`);
  };

  api.get('/connect', { schema: { summary: 'Ports, the Management Portal, the account for people and the service account (no password)', response: { 200: json(ConnectSchema, 'Connection details') } } }, async () => {
    const c = options.connect;
    const a = options.account;
    return {
      superserverPort: c.superserverPort,
      webPort: c.webPort,
      portalPath: c.portalPath,
      account: { username: a?.username ?? null, available: a !== undefined, reason: a ? null : (options.accountUnavailable ?? NO_ACCOUNT) },
      serviceAccount: c.serviceAccount,
      remoteInstances: c.remoteInstances ?? [],
    };
  });

  const revealSchema = {
    summary: "The password of the account for people (full administrator access); only with {\"confirm\": true}",
    body: RevealBody,
    response: {
      200: json(AccountPasswordSchema, 'The account and its password'),
      400: err('Without {"confirm": true}, or a malformed body'),
      429: err('Too many reveals in a minute (Retry-After says when)'),
      503: err('No account for people here, or its stored password cannot be read'),
    },
  };
  api.post('/connect/account/reveal', { schema: revealSchema }, async (req, reply) => {
    const a = account();
    limit(reveals, 'password reveals', reply);
    let password: string;
    try {
      password = await a.readPassword();
    } catch (e) {
      options.log.warn(`Panel: the password of the IRIS account ${a.username} could not be shown: ${(e as Error).message}`);
      throw e;
    }
    options.log.info(`Panel: the password of the IRIS account ${a.username} was shown to ${ctx.who(req)}`);
    reply.header('cache-control', 'no-store');
    return { username: a.username, password };
  });

  const setSchema = {
    summary: 'Set the password of the account for people, as the IRIS owner',
    description: 'IRIS checks the password against its own rules (PasswordPattern, 3.32ANP by default); when it refuses, nothing changes and the answer is 422 with its words.',
    body: SetPasswordBody,
    response: {
      200: json(SetPasswordResult, 'IRIS took the new password and it is stored'),
      400: err('The two passwords differ, a control character, a leading or trailing space, or a malformed body'),
      409: err('Another change of the password is under way'),
      422: err("IRIS refused the password (its words: length or pattern)"),
      429: err('Too many changes in a minute (Retry-After says when)'),
      503: err('No account for people here, or IRIS did not answer; nothing changed'),
    },
  };
  api.post('/connect/account/password', { schema: setSchema }, async (req, reply) => {
    const a = account();
    limit(changes, 'password changes', reply);
    const who = ctx.who(req);
    try {
      await a.setPassword(req.body.password);
    } catch (e) {
      // Logged without the password (the messages never hold it: person-account.ts).
      options.log.warn(`Panel: changing the password of the IRIS account ${a.username} for ${who} failed: ${(e as Error).message}`);
      throw e;
    }
    options.log.info(`Panel: the password of the IRIS account ${a.username} was changed by ${who}`);
    reply.header('cache-control', 'no-store');
    return { username: a.username, changed: true as const };
  });
}
