import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { Localized } from '@gatehouse/sdk';
import { z } from 'zod';
import type { Config } from '../config/index.ts';
import type { IdentityService } from '../identity/index.ts';
import type { KeyService } from '../keys/index.ts';
import { NoContent } from '../server/schemas.ts';
import { requireKey, requireSession } from '../server/auth.ts';
import { explainAction, isActionKind } from './explain.ts';
import type { PolicyManager } from './policy-manager.ts';
import type { ResponseService } from './service.ts';

const Action = z.object({
  id: z.string(),
  decision: z.string(),
  account: z.string(),
  kind: z.string(),
  rule: z.string(),
  mode: z.enum(['enforce', 'dry-run']),
  params: z.record(z.string(), z.unknown()),
  status: z.string(),
  detail: z.record(z.string(), z.unknown()),
  policy: z.string(),
  createdAt: z.number(),
  explanation: Localized.nullable().describe(
    'what the action did (or, in dry-run, would have done), in plain words',
  ),
});

export interface ResponseRouteDeps {
  response: ResponseService;
  policy: PolicyManager;
  identity: IdentityService;
  keys: KeyService;
  config: Pick<Config, 'cookieSecure'>;
  /** The engine's decision thresholds, shown with the policy (what makes a decision contain). */
  thresholds?: z.output<typeof ThresholdsOut>;
}

const ThresholdsOut = z
  .object({
    challenge: z.number(),
    hold: z.number(),
    block: z.number(),
    contain: z.number(),
    compromiseEvidence: z.number(),
  })
  .describe(
    'Logit thresholds of the engine: below challenge allow, then challenge, hold, block; at or above contain ' +
      'the decision is contain only when the profile, session and state signals add up to at least ' +
      'compromiseEvidence (otherwise block). risk = 1 / (1 + e^-logit).',
  );
const WhenOut = z
  .object({
    decision: z.array(z.enum(['allow', 'challenge', 'hold', 'block', 'contain'])).optional(),
    minRisk: z.number().optional(),
    eventType: z.array(z.string()).optional(),
    campaign: z.boolean().optional(),
    signals: z
      .object({
        all: z.array(z.string()).optional(),
        any: z.array(z.string()).optional(),
        none: z.array(z.string()).optional(),
      })
      .optional(),
  })
  .describe('Conditions that must all hold for the rule to match a decision');

/** Owner challenges, and the operator's view of actions, holds, quarantine and the policy. */
export const responseRoutes: FastifyPluginAsyncZod<ResponseRouteDeps> = async (
  app,
  { response, policy, identity, keys, config, thresholds },
) => {
  const session = requireSession(identity, config);
  const read = requireKey(keys, 'response:read');
  const write = requireKey(keys, 'response:write');
  const op = { security: [{ operatorKey: [] }], tags: ['response'] };

  app.get(
    '/v1/me/challenges',
    {
      onRequest: session,
      schema: {
        tags: ['me'],
        summary: 'Pending "was this you?" challenges on my account',
        response: {
          200: z.object({
            challenges: z.array(
              z.object({
                id: z.string(),
                reason: z.string(),
                text: Localized,
                createdAt: z.number(),
                expiresAt: z.number(),
                suspectedSession: z.string().nullable(),
              }),
            ),
          }),
        },
      },
    },
    async (req) => ({ challenges: await response.pendingChallenges(req.auth!.account.id) }),
  );

  app.post(
    '/v1/me/challenges/:id',
    {
      onRequest: session,
      schema: {
        tags: ['me'],
        summary: 'Answer a challenge: "was_me" releases held messages; "not_me" contains the account at once',
        params: z.strictObject({ id: z.string().min(1).max(100) }),
        body: z.strictObject({ answer: z.enum(['was_me', 'not_me']) }),
        response: {
          200: z.object({
            status: z.string(),
            actions: z.array(z.object({ kind: z.string(), status: z.string() })).optional(),
          }),
        },
      },
    },
    async (req) => {
      const r = await response.answerChallenge(req.params.id, req.body.answer, {
        account: req.auth!.account.id,
        session: req.auth!.session.id,
      });
      return {
        status: r.status,
        ...(r.steps ? { actions: r.steps.map((s) => ({ kind: s.kind, status: s.status })) } : {}),
      };
    },
  );

  app.get(
    '/v1/actions',
    {
      onRequest: read,
      schema: {
        ...op,
        summary: 'Actions taken or (dry-run) planned, newest first',
        querystring: z.strictObject({
          account: z.string().max(200).optional(),
          decision: z.string().max(200).optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
        }),
        response: { 200: z.object({ actions: z.array(Action) }) },
      },
    },
    async (req) => ({
      actions: (
        await response.actions({
          ...(req.query.account ? { account: req.query.account } : {}),
          ...(req.query.decision ? { decisionId: req.query.decision } : {}),
          limit: req.query.limit,
        })
      ).map((a) => ({
        explanation: isActionKind(a.kind)
          ? explainAction(
              a.kind,
              a.mode === 'dry-run' ? 'dry-run' : 'enforce',
              JSON.parse(a.detail) as Record<string, unknown>,
            )
          : null,
        id: a.id,
        decision: a.decision_id,
        account: a.account,
        kind: a.kind,
        rule: a.rule,
        mode: a.mode as 'enforce' | 'dry-run',
        params: JSON.parse(a.params) as Record<string, unknown>,
        status: a.status,
        detail: JSON.parse(a.detail) as Record<string, unknown>,
        policy: a.policy_hash,
        createdAt: a.created_at,
      })),
    }),
  );

  app.post(
    '/v1/holds/:message/release',
    {
      onRequest: write,
      schema: {
        response: { 204: NoContent },
        ...op,
        summary: 'Release a held message',
        params: z.strictObject({ message: z.string().min(1).max(200) }),
      },
    },
    async (req, reply) => {
      await response.releaseHold(req.params.message, `key:${req.operator!.id}`);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/holds/:message/confirm',
    {
      onRequest: write,
      schema: {
        response: { 204: NoContent },
        ...op,
        summary: 'Confirm a held message as bad: it is dropped (the platform gets message.expire)',
        params: z.strictObject({ message: z.string().min(1).max(200) }),
      },
    },
    async (req, reply) => {
      await response.confirmHold(req.params.message, `key:${req.operator!.id}`);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/quarantine',
    {
      onRequest: read,
      schema: {
        ...op,
        summary: 'Live content quarantines',
        response: {
          200: z.object({
            quarantine: z.array(
              z.object({
                key: z.string(),
                kind: z.string(),
                decision: z.string(),
                createdAt: z.number(),
                expiresAt: z.number(),
              }),
            ),
          }),
        },
      },
    },
    async () => ({ quarantine: await response.quarantineList() }),
  );

  app.delete(
    '/v1/quarantine/:key',
    {
      onRequest: write,
      schema: {
        response: { 204: NoContent },
        ...op,
        summary: 'Lift a quarantine',
        params: z.strictObject({ key: z.string().min(3).max(300) }),
      },
    },
    async (req, reply) => {
      await response.liftQuarantine(req.params.key, `key:${req.operator!.id}`);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/policy',
    {
      onRequest: read,
      schema: {
        ...op,
        summary:
          'The policy in force (each rule with its conditions and actions), its load status and every version seen',
        response: {
          200: z.object({
            file: z.string(),
            version: z.number(),
            hash: z.string(),
            loadedAt: z.number(),
            lastError: z.object({ at: z.number(), message: z.string() }).optional(),
            rules: z.array(
              z.object({
                id: z.string(),
                description: z.string().optional(),
                mode: z.enum(['enforce', 'dry-run']),
                when: WhenOut,
                actions: z.array(z.string()),
                params: z
                  .array(z.object({ action: z.string(), params: z.record(z.string(), z.unknown()) }))
                  .describe('Each action with its parameters (defaults filled in)'),
                stop: z.boolean(),
              }),
            ),
            engine: z.object({ thresholds: ThresholdsOut }).optional(),
            versions: z.array(z.object({ hash: z.string(), version: z.number(), firstLoadedAt: z.number() })),
          }),
        },
      },
    },
    async () => {
      const st = policy.state;
      return {
        file: st.file,
        version: st.version,
        hash: st.hash,
        loadedAt: st.loadedAt,
        ...(st.lastError ? { lastError: { at: st.lastError.at, message: st.lastError.message } } : {}),
        rules: policy.current.rules.map((r) => ({
          id: r.id,
          ...(r.description !== undefined ? { description: r.description } : {}),
          mode: r.mode,
          when: r.when,
          actions: r.actions.map((a) => a.kind),
          params: r.actions.map((a) => ({ action: a.kind, params: a.params as Record<string, unknown> })),
          stop: r.stop,
        })),
        ...(thresholds ? { engine: { thresholds } } : {}),
        versions: (await response.policyVersions()).map((v) => ({
          hash: v.hash,
          version: v.version,
          firstLoadedAt: v.first_loaded_at,
        })),
      };
    },
  );
};
