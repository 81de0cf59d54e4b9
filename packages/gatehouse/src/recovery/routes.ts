import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../config/index.ts';
import { clientContext, networkOf, type IdentityService } from '../identity/index.ts';
import type { KeyService } from '../keys/index.ts';
import { rateLimited, RateLimiter } from '../ratelimit/index.ts';
import { reportMarkdown } from './report.ts';
import {
  Bilingual,
  caseToken,
  CaseS,
  Code,
  IdList,
  Methods,
  ReportQuery,
  ReviewS,
  ReportS,
  stepAnswer,
} from './route-schemas.ts';
import { meRoutes } from './routes-me.ts';
import { operatorRoutes } from './routes-operator.ts';
import type { RecoveryService } from './service.ts';
import { VERIFIER_KINDS } from './verifiers.ts';

export interface RecoveryRouteDeps {
  recovery: RecoveryService;
  identity: IdentityService;
  keys: KeyService;
  config: Pick<Config, 'cookieSecure'>;
}

/**
 * Account recovery over HTTP: the owner's appeal (case token) here, the signed-in routes (friends'
 * confirmations and the owner's set-up) in routes-me.ts, the operators' case work and sanction queue in
 * routes-operator.ts. Before an appeal is verified its holder sees only its state and the next step.
 */
export const recoveryRoutes: FastifyPluginAsyncZod<RecoveryRouteDeps> = async (app, deps) => {
  const { recovery, keys } = deps;
  const ctx = clientContext(keys);
  const owner = { security: [{ recoveryToken: [] }], tags: ['recovery'] };
  const theCase = (req: FastifyRequest) => recovery.caseForToken(caseToken(req));

  app.get(
    '/v1/recovery/pledge',
    {
      schema: {
        tags: ['recovery'],
        summary: 'The current pledge (en and zh) with its version',
        response: { 200: z.object({ version: z.string(), en: z.string(), zh: z.string() }) },
      },
    },
    async () => recovery.pledge,
  );

  app.post(
    '/v1/recovery/appeals',
    {
      schema: {
        tags: ['recovery'],
        summary: 'Appeal a frozen account by its handle',
        description:
          'A containment (taken over): 201 with the case token (ghr_…) once; send it as Authorization: Bearer for the rest of the appeal. A sanction (the platform’s enforcement): 202, the appeal waits for an operator. Appeals count only against their own network and device; an unstarted one expires in minutes.',
        body: z.strictObject({
          handle: z.string().min(1).max(64),
          statement: z
            .string()
            .max(2000)
            .optional()
            .describe('sanctions: what the appellant tells the operators'),
        }),
        response: {
          201: z.object({ token: z.string(), case: CaseS, methods: Methods }),
          202: z.object({
            queued: z.object({
              id: z.string(),
              state: z.enum(['pending', 'approved', 'denied', 'closed']),
              createdAt: z.number(),
              decidedAt: z.number().nullable(),
              notice: Bilingual,
            }),
          }),
        },
      },
    },
    async (req, reply) => {
      const r = await recovery.appeal(req.body.handle, await ctx(req), req.body.statement);
      if (r.queued) return reply.code(202).send({ queued: r.queued });
      const view = await recovery.ownerView(await recovery.caseForToken(r.token));
      return reply.code(201).send({ token: r.token, case: view.case, methods: view.methods });
    },
  );

  app.get(
    '/v1/recovery/case',
    {
      schema: {
        ...owner,
        summary: 'My appeal: state, next step and the verification methods available',
        response: {
          200: z.object({
            case: CaseS,
            methods: Methods,
            friends: z.object({ confirmed: z.number(), needed: z.number() }).optional(),
          }),
        },
      },
    },
    async (req) => recovery.ownerView(await theCase(req)),
  );

  app.post(
    '/v1/recovery/case/verification',
    {
      schema: {
        ...owner,
        summary: 'Choose a verification method and start it',
        description:
          'email_code / phone_code send a code to a verified channel; trusted_friends returns one code per friend (shown once). Only factors past their cooling-off, and not set during the compromise, count.',
        body: z.strictObject({
          method: z.enum(VERIFIER_KINDS),
          channel: z.string().min(1).max(100).optional(),
        }),
        response: {
          200: stepAnswer({
            instructions: Bilingual,
            sentTo: z.string().optional(),
            delivery: z.string().optional(),
            friendCodes: z.array(z.object({ friend: z.string(), code: z.string() })).optional(),
            needed: z.number().optional(),
            expiresAt: z.number().optional(),
            webauthn: z
              .record(z.string(), z.unknown())
              .optional()
              .describe('passkey: request options for navigator.credentials.get'),
          }),
        },
      },
    },
    async (req) =>
      recovery.startVerification(
        await theCase(req),
        req.body.method,
        req.body.channel ? { channel: req.body.channel } : {},
        await ctx(req),
      ),
  );

  app.post(
    '/v1/recovery/case/verification/answer',
    {
      schema: {
        ...owner,
        summary: 'Answer the current challenge (a code, or a passkey’s assertion)',
        description:
          'recovery_code, email_code, phone_code, totp: `code`. passkey: `credential`, the authenticator’s answer (AuthenticationResponseJSON) to the options the verification step returned.',
        body: z.union([
          z.strictObject({ code: Code }),
          z.strictObject({ credential: z.record(z.string(), z.unknown()) }),
        ]),
        response: { 200: stepAnswer({ outcome: z.string() }) },
      },
    },
    async (req) =>
      recovery.answer(
        await theCase(req),
        'code' in req.body ? { code: req.body.code } : { code: '', credential: req.body.credential },
        await ctx(req),
      ),
  );

  app.post(
    '/v1/recovery/case/pledge',
    {
      schema: {
        ...owner,
        summary: 'Accept the pledge (the version read)',
        body: z.strictObject({ version: z.string().min(1).max(64), accept: z.literal(true) }),
        response: { 200: stepAnswer({}) },
      },
    },
    async (req) => recovery.acceptPledge(await theCase(req), req.body.version, await ctx(req)),
  );

  app.post(
    '/v1/recovery/case/password',
    {
      schema: {
        ...owner,
        summary: 'Set the new password (weak, breached and previous passwords are refused)',
        body: z.strictObject({ newPassword: z.string().min(1).max(1024) }),
        response: { 200: stepAnswer({ revokedSessions: z.number() }) },
      },
    },
    async (req) => recovery.changePassword(await theCase(req), req.body.newPassword, await ctx(req)),
  );

  app.get(
    '/v1/recovery/case/sessions',
    {
      schema: {
        ...owner,
        summary: 'Sessions (and app grants) to review: live ones and those created during the compromise',
        response: {
          200: z.object({
            sessions: z.array(ReviewS),
            grants: z
              .array(
                z.object({
                  id: z.string(),
                  client: z.string(),
                  scopes: z.array(z.string()),
                  createdAt: z.number(),
                  name: z.object({ en: z.string(), zh: z.string() }).optional(),
                  authorisedDuringWindow: z.boolean().optional(),
                  usedDuringWindow: z.boolean().optional(),
                }),
              )
              .nullable(),
            mustRevoke: z.array(z.string()),
          }),
        },
      },
    },
    async (req) => recovery.sessionsForReview(await theCase(req)),
  );

  app.post(
    '/v1/recovery/case/sessions/review',
    {
      schema: {
        ...owner,
        summary: 'Keep or revoke each live session (and grant); sessions from the compromise must be revoked',
        description:
          'Sessions that already ended may be listed under revoke (they stay ended). A refusal names each session that causes it.',
        body: z.strictObject({
          keep: IdList.default([]),
          revoke: IdList.default([]),
          keepGrants: IdList.optional(),
          revokeGrants: IdList.optional(),
        }),
        response: { 200: stepAnswer({}) },
      },
    },
    async (req) => recovery.reviewSessions(await theCase(req), req.body, await ctx(req)),
  );

  app.post(
    '/v1/recovery/case/finish',
    {
      schema: {
        ...owner,
        summary: 'Unfreeze the account, restore what the intruder changed, and get the report',
        description: 'Every other open appeal of the account closes.',
        response: { 200: stepAnswer({ report: ReportS }) },
      },
    },
    async (req) => recovery.finish(await theCase(req), await ctx(req)),
  );

  app.get(
    '/v1/recovery/case/report',
    {
      schema: {
        ...owner,
        summary: 'What happened while the account was out of my hands (once the appeal is verified)',
        querystring: ReportQuery,
        response: { 200: ReportS.describe('format=markdown answers the same report as text/markdown') },
      },
    },
    async (req, reply) => {
      const r = await recovery.report(await theCase(req));
      if (req.query.format === 'markdown')
        // a string with its own content type is sent as it is
        return reply.type('text/markdown; charset=utf-8').send(reportMarkdown(r, req.query.lang) as never);
      return r;
    },
  );

  // tokens are 256-bit; this only keeps one network from hammering the lookup
  const notMeByNetwork = new RateLimiter({ limit: 50, windowMs: 3_600_000 });
  app.post(
    '/v1/recovery/not-me',
    {
      schema: {
        tags: ['recovery'],
        summary: '"This wasn\'t me", from the link in an alert sent to a recovery channel',
        description:
          'About a change to the recovery settings: the account is contained at once (frozen, every session ended). About an appeal that trusted friends confirmed: the appeal is stopped.',
        body: z.strictObject({ token: z.string().min(1).max(100) }),
        response: { 200: z.object({ contained: z.boolean(), appealStopped: z.boolean() }) },
      },
    },
    async (req) => {
      const limit = notMeByNetwork.hit(networkOf((await ctx(req)).ip));
      if (!limit.allowed) throw rateLimited(limit.retryAfterSeconds);
      return recovery.notMeByToken(req.body.token);
    },
  );

  await app.register(meRoutes, deps);
  await app.register(operatorRoutes, deps);
};
