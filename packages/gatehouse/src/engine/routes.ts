import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { KeyService } from '../keys/index.ts';
import { requireKey } from '../server/auth.ts';
import type { EngineService } from './service.ts';
import { MAX_BATCH } from './service.ts';

const ReasonOut = z.object({ signal: z.string(), en: z.string(), zh: z.string() });
const EventResult = z.object({
  index: z.number(),
  id: z.string().nullable(),
  status: z.enum(['accepted', 'duplicate', 'rejected']),
  reason: z.string().optional(),
  detail: z.string().optional(),
});
const IngestAnswer = z.object({
  accepted: z.number(),
  duplicates: z.number(),
  rejected: z.number(),
  results: z.array(EventResult),
});
const CheckAnswer = z.object({
  id: z.string(),
  verdict: z.enum(['allow', 'hold', 'block']),
  action: z.enum(['allow', 'challenge', 'hold', 'block', 'contain']),
  risk: z.number(),
  reasons: z.array(ReasonOut),
  campaigns: z.array(z.string()),
  duplicate: z.boolean(),
});
const Campaign = z.object({
  id: z.string(),
  kind: z.enum(['text', 'domain', 'image']),
  key: z.string(),
  sample: z.string(),
  members: z.array(z.string()),
  memberCount: z.number(),
  firstSeen: z.number(),
  lastSeen: z.number(),
  status: z.enum(['active', 'quarantined', 'dismissed']),
  senders10m: z.number().optional(),
  senders60m: z.number().optional(),
  deviating60m: z.number().optional(),
});
const IdParam = z.strictObject({ id: z.string().min(1).max(200) });

const KEY_CACHE_MS = 1000;

/**
 * The ingestion and check endpoints are hot: a key verified in the last second is trusted again
 * without a database read (a revoked key stops working within a second).
 */
function cachedKey(verify: (req: FastifyRequest) => Promise<void>) {
  const ok = new Map<string, { until: number; operator: FastifyRequest['operator'] }>();
  return async (req: FastifyRequest): Promise<void> => {
    const presented = req.headers.authorization ?? req.headers['x-api-key'];
    const k = typeof presented === 'string' ? presented : undefined;
    const now = Date.now();
    const hit = k !== undefined ? ok.get(k) : undefined;
    if (hit && hit.until > now) {
      req.operator = hit.operator;
      return;
    }
    await verify(req);
    if (k !== undefined) {
      if (ok.size > 1000) ok.clear();
      ok.set(k, { until: now + KEY_CACHE_MS, operator: req.operator });
    }
  };
}

export interface EngineRouteDeps {
  engine: EngineService;
  keys: KeyService;
  /** Body limit of POST /v1/events (sized for a batch of 1,000 events). */
  eventsBodyLimit: number;
}

/** Event ingestion, the pre-send check and the engine's operator views. */
export const engineRoutes: FastifyPluginAsyncZod<EngineRouteDeps> = async (
  app,
  { engine, keys, eventsBodyLimit },
) => {
  const write = cachedKey(requireKey(keys, 'events:write'));
  const read = requireKey(keys, 'accounts:read');
  const operate = requireKey(keys, 'accounts:write');
  const op = { security: [{ operatorKey: [] }] };

  app.post(
    '/v1/events',
    {
      preHandler: write,
      bodyLimit: eventsBodyLimit,
      schema: {
        ...op,
        tags: ['events'],
        summary: 'Ingest a batch of platform events (up to 1,000)',
        description:
          'Each event is answered accepted, duplicate (its id was accepted before) or rejected with a reason ' +
          '(invalid_event, unknown_type, recipients_too_many, too_old, too_far_in_future). Accepted events are ' +
          'durable before the answer. Texts above 64 KiB are scored on their first 64 KiB (textTruncated).',
        body: z.object({ events: z.array(z.unknown()).min(1).max(MAX_BATCH) }),
        response: { 200: IngestAnswer },
      },
    },
    async (req) => engine.ingest(req.body.events),
  );

  app.post(
    '/v1/check/message',
    {
      preHandler: write,
      schema: {
        ...op,
        tags: ['events'],
        summary: 'Pre-send check of a message: allow, hold or block, with reasons',
        description:
          'The body is a message.sent event ("type" may be omitted). The message is scored from the current ' +
          'state and recorded as an event. A repeated id returns the first answer (duplicate: true).',
        body: z.record(z.string(), z.unknown()),
        response: { 200: CheckAnswer },
      },
    },
    async (req) => engine.check(req.body),
  );

  app.get(
    '/v1/accounts/:id/risk',
    {
      preHandler: read,
      schema: {
        ...op,
        tags: ['operator'],
        summary: 'Risk timeline of an account: state, recent events, decisions with signals',
        params: IdParam,
      },
    },
    async (req) => engine.accountRisk(req.params.id),
  );

  app.get(
    '/v1/campaigns',
    {
      preHandler: read,
      schema: {
        ...op,
        tags: ['operator'],
        summary: 'Detected campaigns, most recent first',
        response: { 200: z.object({ campaigns: z.array(Campaign) }) },
      },
    },
    async () => ({ campaigns: engine.campaigns() }),
  );

  app.get(
    '/v1/campaigns/:id',
    {
      preHandler: read,
      schema: {
        ...op,
        tags: ['operator'],
        summary: 'One campaign',
        params: IdParam,
        response: { 200: Campaign },
      },
    },
    async (req) => engine.campaign(req.params.id),
  );

  app.post(
    '/v1/campaigns/:id/status',
    {
      preHandler: operate,
      schema: {
        ...op,
        tags: ['operator'],
        summary: 'Set a campaign status: quarantined (its content is blocked), dismissed (benign) or active',
        params: IdParam,
        body: z.strictObject({ status: z.enum(['active', 'quarantined', 'dismissed']) }),
        response: { 200: Campaign },
      },
    },
    async (req) => engine.setCampaignStatus(req.params.id, req.body.status),
  );
};
