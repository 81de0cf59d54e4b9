import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Config } from '../../config/index.ts';
import { GatehouseError } from '../../errors/index.ts';
import { rateLimited } from '../../ratelimit/index.ts';
import { sessionCookieName } from '../../server/auth.ts';
import type { IdentityService } from '../service.ts';
import { refreshBound, refreshChallenge } from './binding.ts';

export interface BindingRouteDeps {
  identity: IdentityService;
  config: Pick<Config, 'cookieSecure'>;
}

/** The refresh of device-bound sessions (the session token or cookie, even past its proof). */
export const bindingRoutes: FastifyPluginAsyncZod<BindingRouteDeps> = async (app, { identity, config }) => {
  const cookieName = sessionCookieName(config);
  const sessionOf = async (req: FastifyRequest) => {
    const h = req.headers.authorization;
    const bearer = typeof h === 'string' ? /^Bearer\s+(\S+)$/i.exec(h)?.[1] : undefined;
    const token = bearer ?? req.cookies?.[cookieName];
    if (!token) throw new GatehouseError('UNAUTHENTICATED');
    const session = (await identity.authenticate(token, { refreshing: true })).session;
    // challenges and refreshes per session: a copied cookie cannot churn them
    const r = await identity.counters.reserve([
      { key: `binding|${session.id}`, limit: 30, windowMs: 10 * 60_000 },
    ]);
    if (!r.allowed) throw rateLimited(r.retryAfterSeconds);
    return session;
  };
  const tags = ['sessions'];

  app.post(
    '/v1/auth/session/challenge',
    {
      schema: {
        tags,
        summary: 'A challenge for refreshing my device-bound session',
        description:
          'Sign "gatehouse-session-refresh|<session id>|<challenge>" with the session’s key (ES256, P1363).',
        response: { 200: z.object({ session: z.string(), challenge: z.string(), expiresAt: z.number() }) },
      },
    },
    async (req) => {
      const s = await sessionOf(req);
      return { session: s.id, ...(await refreshChallenge(identity.db, s, identity.now())) };
    },
  );

  app.post(
    '/v1/auth/session/refresh',
    {
      schema: {
        tags,
        summary: 'Refresh my device-bound session with a signature over its challenge',
        description: 'Each challenge takes one attempt; a wrong signature answers SESSION_BINDING_INVALID.',
        body: z.strictObject({ signature: z.string().min(1).max(200) }),
        response: { 200: z.object({ boundUntil: z.number() }) },
      },
    },
    async (req) =>
      refreshBound(
        identity.db,
        await sessionOf(req),
        req.body.signature,
        identity.now(),
        identity.signinOpts.bindingRefreshMs,
      ),
  );
};
