import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../config/index.ts';
import { GatehouseError } from '../errors/index.ts';
import type { IdentityService } from '../identity/index.ts';
import type { KeyService } from '../keys/index.ts';
import { requireKey, requireSession } from '../server/auth.ts';
import { reportMarkdown } from './report.ts';
import type { RecoveryService } from './service.ts';
import { VERIFIER_KINDS } from './verifiers.ts';

const CaseS = z.object({
  id: z.string(),
  account: z.object({ id: z.string(), handle: z.string() }),
  state: z.enum(['opened', 'verifying', 'verified', 'pledged', 'restored', 'rejected', 'expired']),
  openedBy: z.string(),
  createdAt: z.number(),
  expiresAt: z.number(),
  method: z.string().nullable(),
  verifiedBy: z.string().nullable(),
  verifiedAt: z.number().nullable(),
  pledge: z.object({ version: z.string(), at: z.number() }).nullable(),
  passwordChanged: z.boolean(),
  sessionsReviewed: z.boolean(),
  lockedUntil: z.number().nullable(),
  window: z.object({ start: z.number(), end: z.number() }),
  rejectReason: z.string().nullable(),
  closedAt: z.number().nullable(),
});
const Methods = z.array(z.object({ kind: z.enum(VERIFIER_KINDS), available: z.boolean() }));
const Bilingual = z.object({ en: z.string(), zh: z.string() });
const ChannelS = z.object({
  id: z.string(),
  kind: z.enum(['email', 'phone']),
  address: z.string(),
  verified: z.boolean(),
  verifiedAt: z.number().nullable(),
  createdAt: z.number(),
});
const IdParam = z.strictObject({ id: z.string().min(1).max(100) });
const Code = z.string().min(1).max(64);
const ReportQuery = z.strictObject({
  format: z.enum(['json', 'markdown']).default('json'),
  lang: z.enum(['en', 'zh']).default('zh'),
});
const IdList = z.array(z.string().min(1).max(100)).max(500);

export interface RecoveryRouteDeps {
  recovery: RecoveryService;
  identity: IdentityService;
  keys: KeyService;
  config: Pick<Config, 'cookieSecure'>;
}

function caseToken(req: FastifyRequest): string {
  const h = req.headers.authorization;
  const m = typeof h === 'string' ? /^Bearer\s+(\S+)$/i.exec(h) : null;
  if (!m)
    throw new GatehouseError('RECOVERY_TOKEN_INVALID', 'Send the appeal token: Authorization: Bearer ghr_…');
  return m[1]!;
}

/**
 * Account recovery over HTTP: the owner's appeal (case token), the friend's confirmation and the owner's
 * set-up (signed-in session), and the operator's case work (API key scopes recovery:read / recovery:write).
 */
export const recoveryRoutes: FastifyPluginAsyncZod<RecoveryRouteDeps> = async (
  app,
  { recovery, identity, keys, config },
) => {
  const session = requireSession(identity, config);
  const ctx = (req: FastifyRequest) => ({
    ip: req.ip,
    userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : '',
  });
  const owner = { security: [{ recoveryToken: [] }], tags: ['recovery'] };
  const me = { security: [{ session: [] }], tags: ['recovery'] };
  const op = { security: [{ operatorKey: [] }], tags: ['recovery', 'operator'] };
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
        summary: 'Start an appeal for a frozen account by its handle',
        description:
          'Returns the case token (ghr_…) once: send it as Authorization: Bearer for the rest of the appeal.',
        body: z.strictObject({ handle: z.string().min(1).max(64) }),
        response: { 201: z.object({ token: z.string(), case: CaseS, methods: Methods }) },
      },
    },
    async (req, reply) => {
      const r = await recovery.openAppeal(req.body.handle, ctx(req));
      const view = await recovery.ownerView(await recovery.caseForToken(r.token));
      return reply.code(201).send({ token: r.token, case: r.case, methods: view.methods });
    },
  );

  app.get(
    '/v1/recovery/case',
    {
      schema: {
        ...owner,
        summary: 'My appeal: state, steps done and the verification methods available',
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
          'email_code / phone_code send a code to a verified channel; trusted_friends returns one code per friend (shown once).',
        body: z.strictObject({
          method: z.enum(VERIFIER_KINDS),
          channel: z.string().min(1).max(100).optional(),
        }),
        response: {
          200: z.object({
            case: CaseS,
            instructions: Bilingual,
            sentTo: z.string().optional(),
            delivery: z.string().optional(),
            friendCodes: z.array(z.object({ friend: z.string(), code: z.string() })).optional(),
            needed: z.number().optional(),
            expiresAt: z.number().optional(),
          }),
        },
      },
    },
    async (req) =>
      recovery.startVerification(
        await theCase(req),
        req.body.method,
        req.body.channel ? { channel: req.body.channel } : {},
        ctx(req),
      ),
  );

  app.post(
    '/v1/recovery/case/verification/answer',
    {
      schema: {
        ...owner,
        summary: 'Answer the current challenge (recovery code, emailed or texted code)',
        body: z.strictObject({ code: Code }),
        response: { 200: z.object({ case: CaseS, outcome: z.string() }) },
      },
    },
    async (req) => recovery.answer(await theCase(req), req.body.code, ctx(req)),
  );

  app.post(
    '/v1/recovery/case/pledge',
    {
      schema: {
        ...owner,
        summary: 'Accept the pledge (the version read)',
        body: z.strictObject({ version: z.string().min(1).max(64), accept: z.literal(true) }),
        response: { 200: CaseS },
      },
    },
    async (req) => recovery.acceptPledge(await theCase(req), req.body.version, ctx(req)),
  );

  app.post(
    '/v1/recovery/case/password',
    {
      schema: {
        ...owner,
        summary: 'Set the new password (weak, breached and previous passwords are refused)',
        body: z.strictObject({ newPassword: z.string().min(1).max(1024) }),
        response: { 200: z.object({ case: CaseS, revokedSessions: z.number() }) },
      },
    },
    async (req) => recovery.changePassword(await theCase(req), req.body.newPassword, ctx(req)),
  );

  const ReviewS = z.object({
    id: z.string(),
    method: z.string(),
    device: z.string(),
    ip: z.string(),
    createdAt: z.number(),
    live: z.boolean(),
    duringCompromise: z.boolean(),
    revokedReason: z.string().nullable(),
  });
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
        body: z.strictObject({
          keep: IdList.default([]),
          revoke: IdList.default([]),
          keepGrants: IdList.optional(),
          revokeGrants: IdList.optional(),
        }),
        response: { 200: CaseS },
      },
    },
    async (req) => recovery.reviewSessions(await theCase(req), req.body, ctx(req)),
  );

  app.post(
    '/v1/recovery/case/finish',
    {
      schema: {
        ...owner,
        summary: 'Unfreeze the account, restore what the intruder changed, and get the report',
      },
    },
    async (req) => recovery.finish(await theCase(req), ctx(req)),
  );

  app.get(
    '/v1/recovery/case/report',
    {
      schema: {
        ...owner,
        summary: 'What happened while the account was out of my hands (JSON, or Markdown in zh or en)',
        querystring: ReportQuery,
      },
    },
    async (req, reply) => {
      const r = await recovery.report(await theCase(req));
      if (req.query.format === 'markdown')
        return reply.type('text/markdown; charset=utf-8').send(reportMarkdown(r, req.query.lang));
      return r;
    },
  );

  // ---- signed-in users: trusted-friend confirmation and their own set-up ----

  app.get(
    '/v1/me/recovery/vouch-requests',
    {
      preHandler: session,
      schema: {
        ...me,
        summary: 'Appeals I am asked to confirm as a trusted friend',
        response: {
          200: z.object({
            requests: z.array(z.object({ owner: z.string(), openedAt: z.number(), expiresAt: z.number() })),
          }),
        },
      },
    },
    async (req) => ({ requests: await recovery.vouchRequests(req.auth!.account.id) }),
  );

  app.post(
    '/v1/me/recovery/vouch',
    {
      preHandler: session,
      schema: {
        ...me,
        summary: "Confirm a friend's appeal with the code they gave me",
        body: z.strictObject({ owner: z.string().min(1).max(64), code: Code }),
        response: {
          200: z.object({
            owner: z.string(),
            verified: z.boolean(),
            confirmed: z.number(),
            needed: z.number(),
          }),
        },
      },
    },
    async (req) => recovery.vouch(req.auth!.account.id, req.body.owner, req.body.code, ctx(req)),
  );

  app.post(
    '/v1/me/recovery/codes',
    {
      preHandler: session,
      schema: {
        ...me,
        summary: 'Generate 10 new one-time recovery codes (shown once; old unused codes stop working)',
        response: { 200: z.object({ codes: z.array(z.string()) }) },
      },
    },
    async (req) => ({ codes: await recovery.generateCodes(req.auth!.account.id) }),
  );

  app.get(
    '/v1/me/recovery/codes',
    {
      preHandler: session,
      schema: {
        ...me,
        summary: 'How many unused recovery codes I have',
        response: { 200: z.object({ remaining: z.number() }) },
      },
    },
    async (req) => ({ remaining: await recovery.codesRemaining(req.auth!.account.id) }),
  );

  const Friends = z.object({ friends: z.array(z.object({ handle: z.string() })) });
  app.put(
    '/v1/me/recovery/friends',
    {
      preHandler: session,
      schema: {
        ...me,
        summary: 'Choose my trusted friends (who can confirm an appeal for me)',
        body: z.strictObject({ handles: z.array(z.string().min(1).max(64)).max(10) }),
        response: { 200: Friends },
      },
    },
    async (req) => ({ friends: await recovery.setFriends(req.auth!.account.id, req.body.handles) }),
  );
  app.get(
    '/v1/me/recovery/friends',
    { preHandler: session, schema: { ...me, summary: 'My trusted friends', response: { 200: Friends } } },
    async (req) => ({ friends: await recovery.friends(req.auth!.account.id) }),
  );

  app.get(
    '/v1/me/recovery/channels',
    {
      preHandler: session,
      schema: {
        ...me,
        summary: 'My recovery email addresses and phone numbers',
        response: { 200: z.object({ channels: z.array(ChannelS) }) },
      },
    },
    async (req) => ({ channels: await recovery.channels(req.auth!.account.id) }),
  );
  app.post(
    '/v1/me/recovery/channels',
    {
      preHandler: session,
      schema: {
        ...me,
        summary: 'Add an email address or phone number; a code is sent to prove it',
        body: z.strictObject({ kind: z.enum(['email', 'phone']), address: z.string().min(3).max(254) }),
        response: { 201: z.object({ channel: ChannelS, delivery: z.string(), expiresAt: z.number() }) },
      },
    },
    async (req, reply) =>
      reply.code(201).send(await recovery.addChannel(req.auth!.account.id, req.body.kind, req.body.address)),
  );
  app.post(
    '/v1/me/recovery/channels/:id/verify',
    {
      preHandler: session,
      schema: {
        ...me,
        summary: 'Prove a channel with the code sent to it',
        params: IdParam,
        body: z.strictObject({ code: Code }),
        response: { 200: ChannelS },
      },
    },
    async (req) => recovery.verifyChannel(req.auth!.account.id, req.params.id, req.body.code),
  );
  app.delete(
    '/v1/me/recovery/channels/:id',
    { preHandler: session, schema: { ...me, summary: 'Remove a channel', params: IdParam } },
    async (req, reply) => {
      await recovery.removeChannel(req.auth!.account.id, req.params.id);
      return reply.code(204).send();
    },
  );

  // ---- operators ----
  const read = requireKey(keys, 'recovery:read');
  const write = requireKey(keys, 'recovery:write');

  app.get(
    '/v1/recovery/cases',
    {
      preHandler: read,
      schema: {
        ...op,
        summary: 'Appeal cases, newest first',
        querystring: z.strictObject({
          state: CaseS.shape.state.optional(),
          account: z.string().min(1).max(100).optional(),
          limit: z.coerce.number().int().min(1).max(500).default(50),
          before: z.coerce.number().int().optional(),
        }),
        response: { 200: z.object({ cases: z.array(CaseS) }) },
      },
    },
    async (req) => ({ cases: await recovery.listCases(req.query) }),
  );
  app.post(
    '/v1/recovery/cases',
    {
      preHandler: write,
      schema: {
        ...op,
        summary: 'Open a case for a frozen account (hand the returned token to the owner)',
        body: z.strictObject({ account: z.string().min(1).max(100) }),
        response: { 201: z.object({ token: z.string(), case: CaseS }) },
      },
    },
    async (req, reply) =>
      reply.code(201).send(await recovery.openByOperator(req.body.account, req.operator!.id, ctx(req))),
  );
  app.get(
    '/v1/recovery/cases/:id',
    {
      preHandler: read,
      schema: {
        ...op,
        summary: 'A case with its full history',
        params: IdParam,
        response: {
          200: z.object({
            case: CaseS,
            history: z.array(
              z.object({
                at: z.number(),
                actor: z.string(),
                step: z.string(),
                details: z.record(z.string(), z.unknown()),
              }),
            ),
          }),
        },
      },
    },
    async (req) => ({
      case: await recovery.caseView(req.params.id),
      history: await recovery.history(req.params.id),
    }),
  );
  app.get(
    '/v1/recovery/cases/:id/report',
    {
      preHandler: read,
      schema: { ...op, summary: "The owner's report for a case", params: IdParam, querystring: ReportQuery },
    },
    async (req, reply) => {
      const r = await recovery.reportFor(req.params.id);
      if (req.query.format === 'markdown')
        return reply.type('text/markdown; charset=utf-8').send(reportMarkdown(r, req.query.lang));
      return r;
    },
  );
  app.post(
    '/v1/recovery/cases/:id/reject',
    {
      preHandler: write,
      schema: {
        ...op,
        summary: 'Reject an appeal (the account stays frozen)',
        params: IdParam,
        body: z.strictObject({ reason: z.string().min(1).max(500) }),
        response: { 200: CaseS },
      },
    },
    async (req) => recovery.reject(req.params.id, req.operator!.id, req.body.reason),
  );
  app.post(
    '/v1/recovery/cases/:id/approve',
    {
      preHandler: write,
      schema: {
        ...op,
        summary: 'Approve a manual verification (the owner goes on to the pledge)',
        params: IdParam,
        body: z.strictObject({ note: z.string().min(1).max(500) }),
        response: { 200: CaseS },
      },
    },
    async (req) => recovery.approveManual(req.params.id, req.operator!.id, req.body.note),
  );
};
