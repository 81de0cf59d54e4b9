// Console-facing reads and the admin's key management, for data no part's route gives (thin: SQL in
// data-store.ts, key handling in the keys part, verification in the audit part).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuditService } from '../audit/index.ts';
import { type KeyService, SCOPES } from '../keys/index.ts';
import { requireKey } from '../server/auth.ts';
import type { Db } from '../store/db.ts';
import { GatehouseError } from '../errors/index.ts';
import {
  heldMessages,
  memberDecisionBuckets,
  policyVersion,
  ruleCounts,
  webhookHealth,
} from './data-store.ts';
import { operatorActorOf } from './operators.ts';

export interface ConsoleDataDeps {
  db: Db;
  keys: KeyService;
  audit: AuditService;
  /** A campaign's members and first sighting (the engine holds campaigns in memory). */
  campaign: (id: string) => { members: string[]; firstSeen: number };
  /** The policy text in force. */
  policyText: () => { hash: string; version: number; text: string };
  /** An account by id or handle (the account search box). */
  findAccount: (q: string) => Promise<{ id: string; handle: string } | undefined>;
}

const tags = ['console'];
const Key = z.object({
  id: z.string(),
  name: z.string(),
  scopes: z.array(z.string()),
  createdAt: z.number(),
  lastUsedAt: z.number().nullable(),
  revokedAt: z.number().nullable(),
});

export const consoleDataRoutes: FastifyPluginAsyncZod<ConsoleDataDeps> = async (
  app,
  { db, keys, audit, campaign, policyText, findAccount },
) => {
  const admin = requireKey(keys, 'admin');
  const actorOf = (req: { consoleSession?: { operator: { handle: string } }; operator?: { id: string } }) =>
    req.consoleSession
      ? operatorActorOf(req.consoleSession.operator.handle)
      : `key:${req.operator?.id ?? '?'}`;

  app.get(
    '/v1/console/holds',
    {
      onRequest: requireKey(keys, 'response:read'),
      schema: {
        tags,
        summary: 'Messages held for review, oldest first, with the message and the decision that held it',
        querystring: z.strictObject({
          account: z.string().max(200).optional(),
          limit: z.coerce.number().int().min(1).max(500).default(100),
        }),
        response: {
          200: z.object({
            holds: z.array(
              z.object({
                message: z.string(),
                account: z.string(),
                decision: z.string(),
                createdAt: z.number(),
                expiresAt: z.number(),
                event: z.record(z.string(), z.unknown()).nullable(),
                verdict: z.record(z.string(), z.unknown()).nullable(),
              }),
            ),
          }),
        },
      },
    },
    async (req) => ({
      holds: await heldMessages(db, {
        ...(req.query.account ? { account: req.query.account } : {}),
        limit: req.query.limit,
      }),
    }),
  );

  app.get(
    '/v1/console/policy/counts',
    {
      onRequest: requireKey(keys, 'response:read'),
      schema: {
        tags,
        summary: 'Actions per policy rule over the last day: enforce (did) and dry-run (would have done)',
        response: {
          200: z.object({
            since: z.number(),
            counts: z.array(
              z.object({
                rule: z.string(),
                kind: z.string(),
                mode: z.string(),
                status: z.string(),
                count: z.number(),
              }),
            ),
          }),
        },
      },
    },
    async () => {
      const since = Date.now() - 86_400_000;
      return { since, counts: await ruleCounts(db, since) };
    },
  );

  app.get(
    '/v1/console/policy/source',
    {
      onRequest: requireKey(keys, 'response:read'),
      schema: {
        tags,
        summary: 'The policy YAML in force, or of an earlier version (by hash)',
        querystring: z.strictObject({ hash: z.string().min(1).max(128).optional() }),
        response: { 200: z.object({ hash: z.string(), version: z.number(), text: z.string() }) },
      },
    },
    async (req) => {
      const cur = policyText();
      if (!req.query.hash || req.query.hash === cur.hash) return cur;
      const v = await policyVersion(db, req.query.hash);
      if (!v) throw new GatehouseError('NOT_FOUND', 'no policy version with this hash');
      return v;
    },
  );

  app.get(
    '/v1/console/accounts/find',
    {
      onRequest: requireKey(keys, 'accounts:read'),
      schema: {
        tags,
        summary: 'Find an account by id or handle',
        querystring: z.strictObject({ q: z.string().min(1).max(200) }),
        response: { 200: z.object({ id: z.string(), handle: z.string() }) },
      },
    },
    async (req) => {
      const a = await findAccount(req.query.q.trim());
      if (!a) throw new GatehouseError('ACCOUNT_NOT_FOUND');
      return { id: a.id, handle: a.handle };
    },
  );

  app.get(
    '/v1/console/webhooks/health',
    {
      onRequest: requireKey(keys, 'webhooks:read'),
      schema: {
        tags,
        summary: 'Per endpoint: pending, retrying, dead, delivered in 24 h, the last error',
        response: {
          200: z.object({
            endpoints: z.array(
              z.object({
                endpoint: z.string(),
                pending: z.number(),
                retrying: z.number(),
                dead: z.number(),
                delivered24h: z.number(),
                lastError: z.string().nullable(),
                lastStatus: z.number().nullable(),
              }),
            ),
          }),
        },
      },
    },
    async () => ({ endpoints: await webhookHealth(db, Date.now()) }),
  );

  app.get(
    '/v1/console/campaigns/:id/spread',
    {
      onRequest: requireKey(keys, 'response:read'),
      schema: {
        tags,
        summary:
          "A campaign's spread: its members' non-allow decisions per 10 minutes since it was first seen",
        params: z.strictObject({ id: z.string().min(1).max(200) }),
        response: {
          200: z.object({
            bucketMs: z.number(),
            buckets: z.array(z.object({ at: z.number(), decisions: z.number(), accounts: z.number() })),
          }),
        },
      },
    },
    async (req) => {
      const c = campaign(req.params.id);
      const bucketMs = 600_000;
      return {
        bucketMs,
        buckets: await memberDecisionBuckets(db, c.members, c.firstSeen - 3_600_000, bucketMs),
      };
    },
  );

  app.get(
    '/v1/console/audit/verify',
    {
      onRequest: requireKey(keys, 'audit:read'),
      schema: {
        tags,
        summary: 'Recompute the audit hash chain (as gatehouse audit verify)',
        response: {
          200: z.object({
            ok: z.boolean(),
            count: z.number(),
            head: z.object({ seq: z.number(), hash: z.string() }),
            problems: z.array(z.object({ kind: z.string(), seq: z.number(), detail: z.string() })),
          }),
        },
      },
    },
    async () => {
      const r = await audit.verify();
      return {
        ok: r.ok,
        count: r.count,
        head: r.head,
        problems: r.problems.map((p) => ({ kind: p.kind, seq: p.seq, detail: p.detail })),
      };
    },
  );

  app.get(
    '/v1/console/keys',
    {
      onRequest: admin,
      schema: {
        tags,
        summary: 'API keys (never their secrets)',
        response: { 200: z.object({ keys: z.array(Key) }) },
      },
    },
    async () => ({ keys: await keys.list() }),
  );

  app.post(
    '/v1/console/keys',
    {
      onRequest: admin,
      schema: {
        tags,
        summary: 'Create an API key for a machine; the key is shown once',
        body: z.strictObject({
          name: z.string().min(1).max(100),
          scopes: z.array(z.enum(SCOPES)).min(1).max(SCOPES.length),
        }),
        response: { 201: z.object({ key: z.string(), view: Key }) },
      },
    },
    async (req, reply) =>
      reply.code(201).send(await keys.create(req.body.name, [...new Set(req.body.scopes)], actorOf(req))),
  );

  app.post(
    '/v1/console/keys/:id/revoke',
    {
      onRequest: admin,
      schema: {
        tags,
        summary: 'Revoke an API key',
        params: z.strictObject({ id: z.string().min(1).max(64) }),
        response: { 204: z.null() },
      },
    },
    async (req, reply) => {
      await keys.revoke(req.params.id, actorOf(req));
      return reply.code(204).send(null);
    },
  );
};
