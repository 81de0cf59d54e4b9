import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { clientContext } from '../identity/index.ts';
import { requireKey } from '../server/auth.ts';
import { reportMarkdown } from './report.ts';
import { CaseS, IdParam, ReportQuery, ReportS } from './route-schemas.ts';
import type { RecoveryRouteDeps } from './routes.ts';

/** Operators (scopes recovery:read / recovery:write): cases, manual decisions, and the sanction queue. */
export const operatorRoutes: FastifyPluginAsyncZod<RecoveryRouteDeps> = async (app, { recovery, keys }) => {
  const read = requireKey(keys, 'recovery:read');
  const write = requireKey(keys, 'recovery:write');
  const ctx = clientContext(keys);
  const op = { security: [{ operatorKey: [] }], tags: ['recovery', 'operator'] };

  app.get(
    '/v1/recovery/cases',
    {
      onRequest: read,
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
      onRequest: write,
      schema: {
        ...op,
        summary: 'Open a case for a frozen account (hand the returned token to the owner)',
        description: 'Operators are never limited by other appeals, and may open one for a sanction too.',
        body: z.strictObject({ account: z.string().min(1).max(100) }),
        response: { 201: z.object({ token: z.string(), case: CaseS }) },
      },
    },
    async (req, reply) =>
      reply.code(201).send(await recovery.openByOperator(req.body.account, req.operator!.id, await ctx(req))),
  );
  app.get(
    '/v1/recovery/cases/:id',
    {
      onRequest: read,
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
      onRequest: read,
      schema: {
        ...op,
        summary: "The owner's report for a case",
        params: IdParam,
        querystring: ReportQuery,
        response: { 200: ReportS.describe('format=markdown answers the same report as text/markdown') },
      },
    },
    async (req, reply) => {
      const r = await recovery.reportFor(req.params.id);
      if (req.query.format === 'markdown')
        // a string with its own content type is sent as it is
        return reply.type('text/markdown; charset=utf-8').send(reportMarkdown(r, req.query.lang) as never);
      return r;
    },
  );
  app.post(
    '/v1/recovery/cases/:id/reject',
    {
      onRequest: write,
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
      onRequest: write,
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

  const State = z.enum(['pending', 'approved', 'denied', 'closed']);
  const Item = z.object({
    id: z.string(),
    account: z.object({ id: z.string(), handle: z.string() }),
    state: State,
    freezeReason: z.string().nullable(),
    frozenAt: z.number(),
    statement: z.string(),
    origin: z.object({ ip: z.string(), device: z.string() }),
    createdAt: z.number(),
    decidedAt: z.number().nullable(),
    decidedBy: z.string().nullable(),
    note: z.string().nullable(),
  });
  app.get(
    '/v1/recovery/operator-queue',
    {
      onRequest: read,
      schema: {
        ...op,
        summary: 'Appeals of sanctions waiting for (or decided by) an operator, oldest first',
        querystring: z.strictObject({
          state: State.default('pending'),
          limit: z.coerce.number().int().min(1).max(500).default(50),
          before: z.coerce.number().int().optional(),
        }),
        response: { 200: z.object({ appeals: z.array(Item) }) },
      },
    },
    async (req) => ({ appeals: await recovery.operatorQueue(req.query) }),
  );
  for (const decision of ['approve', 'deny'] as const)
    app.post(
      `/v1/recovery/operator-queue/:id/${decision}`,
      {
        onRequest: write,
        schema: {
          ...op,
          summary:
            decision === 'approve'
              ? 'Approve a sanction appeal: the account is unfrozen (audited)'
              : 'Deny a sanction appeal: the sanction stays (audited)',
          params: IdParam,
          body: z.strictObject({ note: z.string().min(1).max(500) }),
          response: { 200: Item },
        },
      },
      async (req) =>
        recovery.decideAppeal(
          req.params.id,
          req.operator!.id,
          decision === 'approve' ? 'approved' : 'denied',
          req.body.note,
        ),
    );
};
