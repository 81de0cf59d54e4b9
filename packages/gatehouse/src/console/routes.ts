// The console's own endpoints (thin): operator sign-in and session, operator management (admin), and
// the live overview (polled, or streamed as Server-Sent Events by live.ts). Everything else the console shows comes from the parts' existing routes, which
// accept a console session where they ask for an operator key (keys.sessions).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../config/index.ts';
import type { KeyService } from '../keys/index.ts';
import { requireKey } from '../server/auth.ts';
import { csrfFor } from '../server/auth.ts';
import { GatehouseError } from '../errors/index.ts';
import type { Logger } from '../log/index.ts';
import type { Db } from '../store/db.ts';
import type { ConsoleAuth } from './auth.ts';
import { OverviewFeed } from './live.ts';
import { operatorActorOf, type OperatorService } from './operators.ts';
import { overviewCounts } from './overview-store.ts';
import { ROLES } from './schema.ts';

export interface ConsoleRouteDeps {
  db: Db;
  operators: OperatorService;
  auth: ConsoleAuth;
  keys: KeyService;
  config: Pick<Config, 'cookieSecure' | 'consoleLiveIntervalMs'>;
  /** Campaigns the engine holds in memory that are still active. */
  activeCampaigns: () => number;
  log?: Logger;
}

const Operator = z.object({
  id: z.string(),
  handle: z.string(),
  role: z.enum(ROLES),
  createdAt: z.number(),
  disabledAt: z.number().nullable(),
});
const OverviewS = z.object({
  at: z.number(),
  minutes: z.array(z.number()),
  events: z.array(z.number()),
  checks: z.array(z.number()),
  decisions: z.record(z.string(), z.array(z.number())),
  decisionTotals: z.record(z.string(), z.number()),
  containments: z.number(),
  frozen: z.number(),
  activeCampaigns: z.number(),
  openIncidents: z.number(),
  holdsAwaiting: z.number(),
  webhooks: z.object({
    pending: z.number(),
    failing: z.number(),
    dead: z.number(),
    delivered: z.number(),
  }),
});
const SessionAnswer = z.object({ operator: Operator, csrfToken: z.string(), expiresAt: z.number() });
const tags = ['console'];

export const consoleRoutes: FastifyPluginAsyncZod<ConsoleRouteDeps> = async (
  app,
  { db, operators, auth, keys, config, activeCampaigns, log },
) => {
  const admin = requireKey(keys, 'admin');
  const signedIn = auth.require();
  const actorOf = (req: { consoleSession?: { operator: { handle: string } }; operator?: { id: string } }) =>
    req.consoleSession
      ? operatorActorOf(req.consoleSession.operator.handle)
      : `key:${req.operator?.id ?? '?'}`;

  app.post(
    '/v1/console/signin',
    {
      schema: {
        tags,
        summary: 'Operator sign-in (password and authenticator code); sets the console session cookie',
        body: z.strictObject({
          handle: z.string().min(1).max(64),
          password: z.string().min(1).max(1024),
          code: z.string().min(1).max(16),
        }),
        response: { 200: SessionAnswer },
      },
    },
    async (req, reply) => {
      const { token, session } = await operators.signIn(req.body, {
        ip: req.ip,
        userAgent: String(req.headers['user-agent'] ?? ''),
      });
      reply.setCookie(auth.cookieName, token, {
        httpOnly: true,
        secure: config.cookieSecure,
        sameSite: 'strict',
        path: '/',
        maxAge: Math.floor((session.expiresAt - Date.now()) / 1000),
      });
      return { operator: session.operator, csrfToken: csrfFor(token), expiresAt: session.expiresAt };
    },
  );

  app.get(
    '/v1/console/session',
    {
      onRequest: signedIn,
      schema: {
        tags,
        summary: 'The signed-in operator and the CSRF token',
        response: { 200: SessionAnswer },
      },
    },
    async (req) => {
      const token = req.cookies[auth.cookieName]!;
      const s = req.consoleSession!;
      return { operator: s.operator, csrfToken: csrfFor(token), expiresAt: s.expiresAt };
    },
  );

  app.post(
    '/v1/console/signout',
    {
      onRequest: signedIn,
      schema: { tags, summary: 'End the console session', response: { 204: z.null() } },
    },
    async (req, reply) => {
      await operators.signOut(req.consoleSession!);
      reply.clearCookie(auth.cookieName, { path: '/' });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/console/operators',
    {
      onRequest: admin,
      schema: { tags, summary: 'Operators', response: { 200: z.object({ operators: z.array(Operator) }) } },
    },
    async () => ({ operators: await operators.list() }),
  );

  app.post(
    '/v1/console/operators',
    {
      onRequest: admin,
      schema: {
        tags,
        summary: 'Create an operator; the password and TOTP secret are shown once',
        body: z.strictObject({ handle: z.string().min(3).max(32), role: z.enum(ROLES) }),
        response: {
          201: z.object({
            operator: Operator,
            password: z.string(),
            totp: z.object({ secret: z.string(), otpauthUri: z.string() }),
          }),
        },
      },
    },
    async (req, reply) => reply.code(201).send(await operators.create(req.body, actorOf(req))),
  );

  app.post(
    '/v1/console/operators/:id/role',
    {
      onRequest: admin,
      schema: {
        tags,
        summary: "Change an operator's role",
        params: z.object({ id: z.string().max(64) }),
        body: z.strictObject({ role: z.enum(ROLES) }),
        response: { 200: Operator },
      },
    },
    async (req) => operators.setRole(req.params.id, req.body.role, actorOf(req)),
  );

  app.post(
    '/v1/console/operators/:id/disable',
    {
      onRequest: admin,
      schema: {
        tags,
        summary: 'Disable an operator (ends their sessions)',
        params: z.object({ id: z.string().max(64) }),
        response: { 204: z.null() },
      },
    },
    async (req, reply) => {
      await operators.disable(req.params.id, actorOf(req));
      return reply.code(204).send(null);
    },
  );

  const overview = async () => {
    const at = Date.now();
    return { at, ...(await overviewCounts(db, at)), activeCampaigns: activeCampaigns() };
  };
  const canRead = requireKey(keys, 'response:read');
  app.get(
    '/v1/console/overview',
    {
      onRequest: canRead,
      config: { backgroundRead: true }, // polled by the page: does not renew the console session
      schema: {
        tags,
        summary: 'Live overview: per-minute events, checks and decisions over the last hour; current counts',
        response: { 200: OverviewS },
      },
    },
    overview,
  );

  const feed = new OverviewFeed({
    compute: overview,
    intervalMs: config.consoleLiveIntervalMs,
    maxStreams: 200,
    log,
  });
  app.addHook('preClose', async () => feed.closeAll()); // open streams must not hold the server's close
  app.get(
    '/v1/console/overview/stream',
    {
      onRequest: canRead,
      config: { backgroundRead: true }, // its checks before every event do not renew the console session
      schema: {
        tags,
        summary: 'The live overview as Server-Sent Events (text/event-stream)',
        description:
          'An `overview` event at once and then every few seconds, its data the GET /v1/console/overview answer (the 200 schema below). The operator is checked again before every event: a signed-out, disabled or demoted operator gets `event: end` and the stream closes. Clients fall back to polling GET /v1/console/overview.',
        response: { 200: OverviewS },
      },
    },
    async (req, reply) => {
      if (feed.full()) throw new GatehouseError('RATE_LIMITED', 'Too many live overview streams are open');
      reply.hijack();
      feed.open(reply.raw, async () => {
        await canRead(req);
        return true;
      });
    },
  );
};
