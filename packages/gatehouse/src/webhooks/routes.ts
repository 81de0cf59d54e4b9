import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { WEBHOOK_TYPES } from '@gatehouse/sdk';
import { z } from 'zod';
import { operatorActor } from '../audit/index.ts';
import type { KeyService } from '../keys/index.ts';
import { NoContent } from '../server/schemas.ts';
import { requireKey } from '../server/auth.ts';
import type { WebhookService } from './index.ts';

const Endpoint = z.object({
  id: z.string(),
  url: z.string(),
  types: z.array(z.string()),
  description: z.string(),
  createdAt: z.number(),
  previousSecretExpiresAt: z.number().nullable(),
});
const WithSecret = z.object({
  endpoint: Endpoint,
  secret: z.string().describe('whsec_… signing secret; shown only now'),
});
const Message = z.object({
  id: z.string(),
  type: z.string(),
  timestamp: z.string(),
  account: z.string().optional(),
  data: z.record(z.string(), z.unknown()),
});
const Dead = z.object({
  messageId: z.string(),
  endpointId: z.string(),
  type: z.string(),
  account: z.string().nullable(),
  attempts: z.number(),
  lastStatus: z.number().nullable(),
  lastError: z.string().nullable(),
  enqueuedAt: z.number(),
  deadAt: z.number().nullable(),
});
const IdParam = z.strictObject({ id: z.string().min(1).max(100) });
const TypeList = z.array(z.string().min(1).max(100)).max(50);

export interface WebhookRouteDeps {
  webhooks: WebhookService;
  keys: KeyService;
}

/** Operator routes: endpoints, dead letters, replay, and the pull feed. */
export const webhookRoutes: FastifyPluginAsyncZod<WebhookRouteDeps> = async (app, { webhooks, keys }) => {
  const read = requireKey(keys, 'webhooks:read');
  const write = requireKey(keys, 'webhooks:write');
  const op = { security: [{ operatorKey: [] }], tags: ['webhooks'] };
  const actor = (req: { operator?: { id: string } }) =>
    req.operator ? operatorActor(req.operator.id) : 'system';

  app.post(
    '/v1/webhooks/endpoints',
    {
      onRequest: write,
      schema: {
        ...op,
        summary: 'Add an endpoint; the answer holds its signing secret, shown once',
        description: `Point webhooks at your own platform only. http and https URLs; redirects are not followed. types: exact types, prefixes ("account.*") or "*" (default); a pattern naming no real type is refused (WEBHOOK_TYPE_UNKNOWN, with validTypes). Types: ${WEBHOOK_TYPES.join(', ')}.`,
        body: z.strictObject({
          url: z.string().min(1).max(2000),
          types: TypeList.optional(),
          description: z.string().max(200).optional(),
        }),
        response: { 201: WithSecret },
      },
    },
    async (req, reply) => reply.code(201).send(await webhooks.addEndpoint(req.body, actor(req))),
  );
  app.get(
    '/v1/webhooks/endpoints',
    {
      onRequest: read,
      schema: {
        ...op,
        summary: 'Endpoints (never their secrets)',
        response: { 200: z.object({ endpoints: z.array(Endpoint) }) },
      },
    },
    async () => ({ endpoints: await webhooks.listEndpoints() }),
  );
  app.get(
    '/v1/webhooks/endpoints/:id',
    {
      onRequest: read,
      schema: { ...op, summary: 'One endpoint', params: IdParam, response: { 200: Endpoint } },
    },
    async (req) => webhooks.getEndpoint(req.params.id),
  );
  app.patch(
    '/v1/webhooks/endpoints/:id',
    {
      onRequest: write,
      schema: {
        ...op,
        summary: "Change an endpoint's types or description",
        description: `types: exact types, prefixes ("account.*") or "*"; a pattern naming no real type is refused (WEBHOOK_TYPE_UNKNOWN, with validTypes). Types: ${WEBHOOK_TYPES.join(', ')}.`,
        params: IdParam,
        body: z.strictObject({
          types: TypeList.min(1).optional(),
          description: z.string().max(200).optional(),
        }),
        response: { 200: Endpoint },
      },
    },
    async (req) => webhooks.updateEndpoint(req.params.id, req.body, actor(req)),
  );
  app.post(
    '/v1/webhooks/endpoints/:id/rotate',
    {
      onRequest: write,
      schema: {
        ...op,
        summary: 'Rotate the signing secret; both secrets sign until the overlap ends',
        params: IdParam,
        response: { 200: WithSecret },
      },
    },
    async (req) => webhooks.rotate(req.params.id, actor(req)),
  );
  app.delete(
    '/v1/webhooks/endpoints/:id',
    {
      onRequest: write,
      schema: {
        response: { 204: NoContent },
        ...op,
        summary: 'Remove an endpoint (its pending deliveries are cancelled)',
        params: IdParam,
      },
    },
    async (req, reply) => {
      await webhooks.remove(req.params.id, actor(req));
      return reply.code(204).send(null);
    },
  );
  app.get(
    '/v1/webhooks/dead',
    {
      onRequest: read,
      schema: {
        ...op,
        summary: 'Dead letters: deliveries that gave up',
        querystring: z.strictObject({
          endpoint: z.string().min(1).max(100).optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
        }),
        response: { 200: z.object({ deadLetters: z.array(Dead) }) },
      },
    },
    async (req) => ({ deadLetters: await webhooks.dead(req.query) }),
  );
  app.post(
    '/v1/webhooks/replay',
    {
      onRequest: write,
      schema: {
        ...op,
        summary: 'Put dead letters back in their queues, in order',
        body: z.union([
          z.strictObject({ all: z.literal(true), endpoint: z.string().min(1).max(100).optional() }),
          z.strictObject({
            messageIds: z.array(z.string().min(1).max(100)).min(1).max(1000),
            endpoint: z.string().min(1).max(100).optional(),
          }),
        ]),
        response: { 200: z.object({ replayed: z.number() }) },
      },
    },
    async (req) => webhooks.replay(req.body, actor(req)),
  );
  app.get(
    '/v1/webhooks/messages/:id',
    {
      onRequest: read,
      schema: {
        ...op,
        summary: "A message's deliveries and their attempts",
        params: IdParam,
        response: {
          200: z.object({
            deliveries: z.array(
              z.object({
                endpointId: z.string(),
                state: z.string(),
                attempts: z.array(
                  z.object({
                    at: z.number(),
                    status: z.number().nullable(),
                    latencyMs: z.number(),
                    error: z.string().nullable(),
                  }),
                ),
              }),
            ),
          }),
        },
      },
    },
    async (req) => ({ deliveries: await webhooks.deliveries(req.params.id) }),
  );
  app.get(
    '/v1/webhooks/feed',
    {
      onRequest: read,
      schema: {
        ...op,
        summary: 'Pull feed: every message in commit order (same ids as webhooks)',
        description:
          'Start without "after"; then pass the "next" cursor of each page. A page may be empty; keep its cursor and poll again. Re-reading a cursor returns the same messages.',
        querystring: z.strictObject({
          after: z.string().max(100).optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
        }),
        response: { 200: z.object({ messages: z.array(Message), next: z.string() }) },
      },
    },
    async (req) => webhooks.feed(req.query.after, req.query.limit),
  );
};
