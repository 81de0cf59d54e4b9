import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import { operatorActor } from '../audit/index.ts';
import type { Config } from '../config/index.ts';
import type { IdentityService } from '../identity/index.ts';
import type { KeyService } from '../keys/index.ts';
import { requireKey, requireSession } from '../server/auth.ts';
import { interactionRoutes } from './interactions.ts';
import { errorPage, pickLang } from './pages.ts';
import { ROUTES } from './provider-base.ts';
import { AppInput, AppPatch } from './registry.ts';
import {
  AccessEntryOut,
  AppCreated,
  AppOut,
  AuthorisedAppOut,
  FriendsOut,
  KeyOut,
  ProfileOut,
  Suspended,
} from './route-schemas.ts';
import type { OAuthService } from './service.ts';
import { activeAccount, fastUserinfo, type UserinfoDeps } from './userinfo.ts';

export interface OAuthRouteDeps {
  oauth: OAuthService;
  identity: IdentityService;
  keys: KeyService;
  config: Pick<Config, 'cookieSecure' | 'cookieSameSite' | 'sessionTtlHours'>;
  secretKey: Buffer;
}

const callbacks = new WeakMap<Provider, (req: IncomingMessage, res: ServerResponse) => unknown>();

/**
 * The provider itself, mounted through its raw Node callback: an encapsulated plugin whose only body
 * "parser" leaves the stream untouched, so oidc-provider reads every body itself.
 */
async function providerMount(app: FastifyInstance, { oauth }: { oauth: OAuthService }): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
  const userinfoDeps: UserinfoDeps = {
    clientMetadata: (id) => oauth.registry.clientMetadata(id),
    account: (id: string) => activeAccount(oauth.accounts, id),
    claims: (i: Parameters<OAuthService['claims']>[0]) => oauth.claims(i),
  };
  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const path = req.url.split('?')[0];
    if (req.method === 'POST' && path === ROUTES.code_verification) {
      // user codes are short: count every submission per address (the BCP's rate limit)
      const r = oauth.userCodes.hit(req.ip);
      if (!r.allowed)
        return reply
          .code(429)
          .header('retry-after', String(r.retryAfterSeconds))
          .type('text/html; charset=utf-8')
          .send(
            errorPage(pickLang(undefined, req.headers['accept-language']), {
              error: 'slow_down',
              error_description: `too many codes from this address; retry in ${r.retryAfterSeconds} s`,
            }),
          );
    }
    const provider = await oauth.provider();
    if (req.method === 'GET' && req.url === ROUTES.userinfo) {
      const r = await fastUserinfo(
        provider,
        userinfoDeps,
        {
          method: req.method,
          url: req.url,
          headers: req.headers,
          remoteAddress: req.raw.socket.remoteAddress,
        },
        { trustProxy: oauth.o.trustProxy },
      );
      if (r) return reply.code(200).headers(r.headers).send(r.body);
    }
    let cb = callbacks.get(provider);
    if (!cb) callbacks.set(provider, (cb = provider.callback()));
    reply.hijack();
    await cb(req.raw, reply.raw);
  };
  app.all('/.well-known/openid-configuration', { schema: { hide: true } }, handler);
  app.all('/oidc/*', { schema: { hide: true } }, handler);
}

const ClientParam = z.strictObject({ client: z.string().min(1).max(100) });
const IdParam = z.strictObject({ id: z.string().min(1).max(100) });
const LogQuery = z.strictObject({
  client: z.string().max(100).optional(),
  from: z.coerce.number().int().optional(),
  to: z.coerce.number().int().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
const Reason = z.strictObject({ reason: z.string().min(1).max(500) });

/** The provider, its sign-in and consent pages, the apps' resource API, users' apps and the registry. */
export const oauthRoutes: FastifyPluginAsyncZod<OAuthRouteDeps> = async (app, d) => {
  const { oauth } = d;
  await app.register(providerMount, { oauth });
  await app.register(async (scope) => interactionRoutes(scope, d));

  // ---- resource API for apps (access token; DPoP proof when the token is bound) -------------------
  const tokenAuth = async (req: FastifyRequest) => {
    const dpop = req.headers.dpop;
    return (
      await oauth.authenticate({
        authorization: req.headers.authorization,
        dpop: typeof dpop === 'string' ? dpop : undefined,
        method: req.method,
        url: `${oauth.issuerUrl}${req.url}`,
      })
    ).auth;
  };
  // apps send their access token (Bearer, or DPoP with a proof for bound tokens)
  const res = { tags: ['apps'] };
  app.get(
    '/v1/apps/me',
    {
      schema: {
        ...res,
        summary: "The user's fields this token may read (each read is logged)",
        response: { 200: ProfileOut },
      },
    },
    async (req) => oauth.readProfile(await tokenAuth(req), req.ip),
  );
  app.get(
    '/v1/apps/me/friends',
    {
      schema: {
        ...res,
        summary: "The user's friends as this app's pairwise ids (friends scope)",
        response: { 200: FriendsOut },
      },
    },
    async (req) => oauth.readFriends(await tokenAuth(req), req.ip),
  );

  // ---- the user's own apps (Gatehouse session) --------------------------------------------------------
  const session = requireSession(d.identity, d.config);
  const me = { tags: ['me'] };
  app.get(
    '/v1/me/apps',
    {
      onRequest: session,
      schema: {
        ...me,
        summary: 'Apps I authorised: fields granted, when, last access',
        response: { 200: z.object({ apps: z.array(AuthorisedAppOut) }) },
      },
    },
    async (req) => ({ apps: await oauth.userApps(req.auth!.account.id) }),
  );
  app.delete(
    '/v1/me/apps/:client',
    {
      onRequest: session,
      schema: {
        ...me,
        summary: 'Revoke an app (every grant and token)',
        params: ClientParam,
        response: { 200: z.object({ grants: z.number() }) },
      },
    },
    async (req) =>
      oauth.revokeApp(req.auth!.account.id, req.params.client, `account:${req.auth!.account.id}`),
  );
  app.get(
    '/v1/me/apps/access',
    {
      onRequest: session,
      schema: {
        ...me,
        summary: 'What apps read of mine: fields, when, from which network',
        querystring: LogQuery,
        response: { 200: z.object({ access: z.array(AccessEntryOut) }) },
      },
    },
    async (req) => ({ access: await oauth.accessLogOf(req.auth!.account.id, req.query) }),
  );

  // ---- operators: the app registry and the kill switch ------------------------------------------------
  const read = requireKey(d.keys, 'apps:read');
  const write = requireKey(d.keys, 'apps:write');
  const op = { security: [{ operatorKey: [] }], tags: ['apps (operator)'] };
  const actor = (req: { operator?: { id: string } }) =>
    req.operator ? operatorActor(req.operator.id) : 'system';
  app.post(
    '/v1/oauth/apps',
    {
      onRequest: write,
      schema: {
        ...op,
        summary: 'Register an app (its client secret is shown once)',
        body: AppInput,
        response: { 201: AppCreated },
      },
    },
    async (req, reply) => reply.code(201).send(await oauth.registry.add(req.body)),
  );
  app.get(
    '/v1/oauth/apps',
    {
      onRequest: read,
      schema: { ...op, summary: 'Registered apps', response: { 200: z.object({ apps: z.array(AppOut) }) } },
    },
    async () => ({
      apps: await oauth.registry.list(),
    }),
  );
  app.get(
    '/v1/oauth/apps/:id',
    { onRequest: read, schema: { ...op, summary: 'An app', params: IdParam, response: { 200: AppOut } } },
    async (req) => oauth.registry.get(req.params.id),
  );
  app.patch(
    '/v1/oauth/apps/:id',
    {
      onRequest: write,
      schema: {
        ...op,
        summary: 'Change an app (redirects, ceiling, review, verification, limit)',
        params: IdParam,
        body: AppPatch,
        response: { 200: AppOut },
      },
    },
    async (req) => oauth.registry.update(req.params.id, req.body),
  );
  app.post(
    '/v1/oauth/apps/:id/suspend',
    {
      onRequest: write,
      schema: {
        ...op,
        summary: 'Kill switch: suspend the app platform-wide, revoke everything, tell its users',
        params: IdParam,
        body: Reason,
        response: { 200: Suspended },
      },
    },
    async (req) => oauth.suspend(req.params.id, req.body.reason, actor(req)),
  );
  app.post(
    '/v1/oauth/apps/:id/resume',
    {
      onRequest: write,
      schema: {
        ...op,
        summary: 'Let a suspended app work again',
        params: IdParam,
        body: Reason,
        response: { 200: AppOut },
      },
    },
    async (req) => oauth.resume(req.params.id, req.body.reason, actor(req)),
  );
  app.get(
    '/v1/oauth/apps/:id/access',
    {
      onRequest: read,
      schema: {
        ...op,
        summary: "An app's data-access log",
        params: IdParam,
        querystring: z.strictObject({
          after: z.coerce.number().int().optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
        }),
        response: { 200: z.object({ access: z.array(AccessEntryOut.extend({ account: z.string() })) }) },
      },
    },
    async (req) => ({ access: await oauth.accessLogOfApp(req.params.id, req.query) }),
  );
  app.get(
    '/v1/oauth/keys',
    {
      onRequest: read,
      schema: {
        ...op,
        summary: 'Signing keys (public facts only)',
        response: { 200: z.object({ keys: z.array(KeyOut) }) },
      },
    },
    async () => ({
      keys: await oauth.keys.list(),
    }),
  );
};
