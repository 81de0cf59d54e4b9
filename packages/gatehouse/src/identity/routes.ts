import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { Localized } from '@gatehouse/sdk';
import { z } from 'zod';
import type { Config } from '../config/index.ts';
import { operatorActor } from '../audit/index.ts';
import type { KeyService } from '../keys/index.ts';
import { CSRF_COOKIE, requireKey, requireSession, sessionCookieName } from '../server/auth.ts';
import { NoContent } from '../server/schemas.ts';
import { clientContext } from './client.ts';
import { FREEZE_KINDS, type FreezeKind } from './schema.ts';
import { DEVICE_COOKIE, replySignedIn } from './signin-reply.ts';
import { mfaRoutes } from './mfa/routes.ts';
import { qrRoutes } from './qr/routes.ts';
import { passkeyRoutes } from './passkeys/routes.ts';
import { bindingRoutes } from './binding/routes.ts';
import { Account, BindingKey, DeviceS, Session } from './route-schemas.ts';
import type { IdentityService } from './service.ts';
import type { Tx } from '../store/index.ts';

const Signin = z.object({
  seq: z.number(),
  success: z.boolean(),
  reason: z.string(),
  method: z.string(),
  ip: z.string(),
  location: Localized.nullable().describe('city and country when a GeoIP database is configured'),
  device: DeviceS,
  at: z.number(),
});
const Revoked = z.object({
  revoked: z.number(),
  kept: z
    .number()
    .optional()
    .describe(
      'older sessions kept signed in: this session is too new to end them (sessionEndOthersMinAgeHours)',
    ),
  keptUntil: z.number().optional().describe('when this session may end them'),
  notice: Localized.optional().describe('why they were kept, for the person (zh/en)'),
});
const IdParam = z.strictObject({ id: z.string().min(1).max(100) });
const Paging = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: z.coerce.number().int().optional(),
});
const Reason = z.strictObject({ reason: z.string().min(1).max(500) });
const FreezeBody = z.strictObject({
  reason: z.string().min(1).max(500),
  kind: z
    .enum(FREEZE_KINDS)
    .default('sanction')
    .describe(
      'sanction (default): the platform enforces, appeals go to the operator queue; containment: the account was taken over, its owner may appeal and prove ownership',
    ),
});
const DeviceToken = z.string().min(1).max(100);

export interface IdentityRouteDeps {
  identity: IdentityService;
  keys: KeyService;
  config: Pick<Config, 'cookieSecure' | 'cookieSameSite' | 'sessionTtlHours'>;
  /**
   * Runs in the transaction of an operator's freeze or unfreeze (the composition root tells the
   * platform with an `account.frozen` / `account.unfrozen` webhook; the response and recovery parts
   * send their own for the freezes and unfreezes they make).
   */
  onOperatorStateChange?: (
    tx: Tx,
    change: {
      account: string;
      state: 'frozen' | 'active';
      reason: string;
      actor: string | undefined;
      kind: FreezeKind | null;
    },
  ) => Promise<void>;
}

/** Accounts, sign-in and sessions over HTTP: public, session-authenticated and operator routes. */
export const identityRoutes: FastifyPluginAsyncZod<IdentityRouteDeps> = async (
  app,
  { identity, keys, config, onOperatorStateChange },
) => {
  const session = requireSession(identity, config);
  const cookieName = sessionCookieName(config);
  const ctx = clientContext(keys);
  await app.register(mfaRoutes, { identity, keys, config });
  await app.register(qrRoutes, { identity, keys, config });
  await app.register(passkeyRoutes, { identity, keys, config });
  await app.register(bindingRoutes, { identity, config });

  app.post(
    '/v1/accounts',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Create an account',
        body: z.strictObject({
          handle: z.string().min(1).max(64),
          displayName: z.string().min(1).max(64).optional(),
          password: z.string().min(1).max(1024),
        }),
        response: { 201: Account },
      },
    },
    async (req, reply) => reply.code(201).send(await identity.createAccount(req.body, await ctx(req))),
  );

  app.post(
    '/v1/auth/signin',
    {
      schema: {
        tags: ['sessions'],
        summary: 'Sign in with handle and password',
        description:
          'mode "token" (apps) returns a bearer token; mode "cookie" (browsers) sets an HttpOnly session cookie and returns the CSRF token. A sign-in from a device without a known device token gets one (deviceToken in token mode, an HttpOnly cookie in cookie mode): send it back at later sign-ins, and guesses from elsewhere never lock that device out.',
        body: z.strictObject({
          handle: z.string().min(1).max(64),
          password: z.string().min(1).max(1024),
          mode: z.enum(['token', 'cookie']).default('token'),
          deviceToken: DeviceToken.optional(),
          bindingKey: BindingKey.optional(),
        }),
        response: {
          200: z.object({
            account: Account,
            session: Session,
            token: z.string().optional(),
            csrfToken: z.string().optional(),
            deviceToken: z.string().optional(),
          }),
        },
      },
    },
    async (req, reply) => {
      const cookieDevice = req.cookies?.[DEVICE_COOKIE];
      const deviceToken = req.body.deviceToken ?? (req.body.mode === 'cookie' ? cookieDevice : undefined);
      const r = await identity.signIn({ ...req.body, deviceToken }, await ctx(req));
      return replySignedIn(reply, config, r, req.body.mode);
    },
  );

  app.post(
    '/v1/auth/signout',
    {
      onRequest: session,
      schema: { response: { 204: NoContent }, tags: ['sessions'], summary: 'Sign out (end this session)' },
    },
    async (req, reply) => {
      await identity.revokeSession(req.auth!.account.id, req.auth!.session.id, 'signout');
      reply.clearCookie(cookieName, { path: '/' }).clearCookie(CSRF_COOKIE, { path: '/' });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/me',
    { onRequest: session, schema: { tags: ['me'], summary: 'My account', response: { 200: Account } } },
    async (req) => identity.getAccount(req.auth!.account.id),
  );

  app.get(
    '/v1/me/sessions',
    {
      onRequest: session,
      schema: {
        tags: ['me'],
        summary: 'My live sessions',
        response: {
          200: z.object({
            sessions: z.array(
              Session.extend({
                location: Localized.nullable().describe(
                  'city and country when a GeoIP database is configured',
                ),
              }),
            ),
          }),
        },
      },
    },
    async (req) => ({ sessions: await identity.listSessions(req.auth!.account.id, req.auth!.session.id) }),
  );

  app.delete(
    '/v1/me/sessions/:id',
    {
      onRequest: session,
      schema: {
        response: { 204: NoContent },
        tags: ['me'],
        summary: 'End one of my sessions',
        description:
          'A session younger than sessionEndOthersMinAgeHours (24 h by default) cannot end a session that began before it: 403 SESSION_TOO_NEW_TO_END_OTHERS.',
        params: IdParam,
      },
    },
    async (req, reply) => {
      await identity.endOwnSession(req.auth!, req.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/me/sessions/revoke-others',
    {
      onRequest: session,
      schema: {
        tags: ['me'],
        summary: 'End all my other sessions',
        description:
          'From a session younger than sessionEndOthersMinAgeHours, the sessions that began before it stay signed in: the answer counts them (kept) and says why.',
        response: { 200: Revoked },
      },
    },
    async (req) => identity.endOwnSessions(req.auth!, 'others'),
  );

  app.post(
    '/v1/me/sessions/revoke-all',
    {
      onRequest: session,
      schema: { tags: ['me'], summary: 'Sign out everywhere (this session too)', response: { 200: Revoked } },
    },
    async (req, reply) => {
      const r = await identity.endOwnSessions(req.auth!, 'all');
      reply.clearCookie(cookieName, { path: '/' }).clearCookie(CSRF_COOKIE, { path: '/' });
      return r;
    },
  );

  app.post(
    '/v1/me/password',
    {
      onRequest: session,
      schema: {
        tags: ['me'],
        summary: 'Change my password (ends every other session)',
        description:
          'From a session younger than sessionEndOthersMinAgeHours, the sessions that began before it stay signed in (kept in the answer).',
        body: z.strictObject({
          currentPassword: z.string().min(1).max(1024),
          newPassword: z.string().min(1).max(1024),
        }),
        response: { 200: Revoked },
      },
    },
    async (req) =>
      identity.changePassword(
        req.auth!.account.id,
        req.auth!.session.id,
        req.body.currentPassword,
        req.body.newPassword,
        await ctx(req),
      ),
  );

  app.post(
    '/v1/me/reauth',
    {
      onRequest: session,
      schema: {
        tags: ['me'],
        summary: 'Confirm my password again (needed before changing how the account is recovered)',
        description:
          'Counted like a sign-in. For the next few minutes (reauthMinutes) this session may change recovery codes, trusted friends and recovery channels.',
        body: z.strictObject({ password: z.string().min(1).max(1024) }),
        response: { 200: z.object({ reauthenticatedUntil: z.number() }) },
      },
    },
    async (req) => ({
      reauthenticatedUntil: (await identity.reauthenticate(req.auth!, req.body.password, await ctx(req)))
        .until,
    }),
  );

  app.get(
    '/v1/me/signins',
    {
      onRequest: session,
      schema: {
        tags: ['me'],
        summary: 'My sign-in history',
        querystring: Paging,
        response: { 200: z.object({ signins: z.array(Signin) }) },
      },
    },
    async (req) => ({
      signins: await identity.signins(req.auth!.account.id, req.query.limit, req.query.before),
    }),
  );

  // Operator routes (API key with scopes).
  const read = requireKey(keys, 'accounts:read');
  const write = requireKey(keys, 'accounts:write');
  const op = { security: [{ operatorKey: [] }], tags: ['operator'] };
  const actor = (req: { operator?: { id: string } }) =>
    req.operator ? operatorActor(req.operator.id) : undefined;

  app.get(
    '/v1/accounts/:id',
    {
      onRequest: read,
      schema: { ...op, summary: 'An account', params: IdParam, response: { 200: Account } },
    },
    async (req) => identity.getAccount(req.params.id),
  );
  app.get(
    '/v1/accounts/:id/sessions',
    {
      onRequest: read,
      schema: {
        ...op,
        summary: "An account's live sessions",
        params: IdParam,
        response: { 200: z.object({ sessions: z.array(Session) }) },
      },
    },
    async (req) => {
      await identity.getAccount(req.params.id);
      return { sessions: await identity.listSessions(req.params.id) };
    },
  );
  app.get(
    '/v1/accounts/:id/signins',
    {
      onRequest: read,
      schema: {
        ...op,
        summary: "An account's sign-in history",
        params: IdParam,
        querystring: Paging,
        response: { 200: z.object({ signins: z.array(Signin) }) },
      },
    },
    async (req) => {
      await identity.getAccount(req.params.id);
      return { signins: await identity.signins(req.params.id, req.query.limit, req.query.before) };
    },
  );
  for (const state of ['frozen', 'active'] as const)
    app.post(
      state === 'frozen' ? '/v1/accounts/:id/freeze' : '/v1/accounts/:id/unfreeze',
      {
        onRequest: write,
        schema: {
          ...op,
          summary:
            state === 'frozen'
              ? 'Freeze an account (ends its sessions): a sanction (default) or a containment'
              : 'Unfreeze an account',
          params: IdParam,
          body: state === 'frozen' ? FreezeBody : Reason,
          response: { 200: Account },
        },
      },
      async (req) => {
        const kind = state === 'frozen' ? ((req.body as { kind?: FreezeKind }).kind ?? 'sanction') : null;
        const change = { account: req.params.id, state, reason: req.body.reason, actor: actor(req), kind };
        const tell =
          onOperatorStateChange &&
          ((tx: Tx, changed: boolean) => (changed ? onOperatorStateChange(tx, change) : Promise.resolve()));
        return state === 'frozen'
          ? identity.freeze(change.account, change.reason, change.actor, {
              kind: kind ?? 'sanction',
              ...(tell ? { also: tell } : {}),
            })
          : identity.unfreeze(change.account, change.reason, change.actor, tell);
      },
    );
  app.post(
    '/v1/accounts/:id/sessions/revoke-all',
    {
      onRequest: write,
      schema: {
        ...op,
        summary: "End all of an account's sessions",
        params: IdParam,
        response: { 200: Revoked },
      },
    },
    async (req) => {
      await identity.getAccount(req.params.id);
      return { revoked: (await identity.revokeAll(req.params.id, 'operator', actor(req))).length };
    },
  );
  app.delete(
    '/v1/accounts/:id/sessions/:sid',
    {
      onRequest: write,
      schema: {
        response: { 204: NoContent },
        ...op,
        summary: 'End one session of an account',
        params: z.strictObject({ id: z.string().max(100), sid: z.string().max(100) }),
      },
    },
    async (req, reply) => {
      await identity.revokeSession(req.params.id, req.params.sid, 'operator', actor(req));
      return reply.code(204).send(null);
    },
  );
  app.delete(
    '/v1/accounts/:id',
    {
      onRequest: write,
      schema: { ...op, summary: 'Delete an account', params: IdParam, response: { 200: Account } },
    },
    async (req) => identity.deleteAccount(req.params.id, actor(req)),
  );
};
