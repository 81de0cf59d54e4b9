import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { Reason } from '@gatehouse/sdk';
import { z } from 'zod';
import { MAX_TEXT_BYTES, messageSent, platformEvent } from '@gatehouse/sdk';
import { readAttachmentImages } from '../content/qr/index.ts';
import type { KeyService } from '../keys/index.ts';
import { keyKnownNow, requireKey } from '../server/auth.ts';
import { validatedAsObject, validatedBy } from '../server/schemas.ts';
import { checkAnswerJson, type CheckReply } from './check-json.ts';
import type { KnownAccounts } from './known-accounts.ts';
import type { CheckAnswer as EngineCheckAnswer } from './service-types.ts';
import type { EngineService } from './service.ts';
import { MAX_BATCH } from './service.ts';

const ReasonOut = Reason;
const EventResult = z.object({
  index: z.number(),
  id: z.string().nullable(),
  status: z.enum(['accepted', 'duplicate', 'rejected']),
  reason: z.string().optional(),
  detail: z.string().optional(),
});
export const Warning = z.object({
  code: z.literal('unknown_account'),
  account: z.string(),
  indexes: z.array(z.number()).optional(),
  en: z.string(),
  zh: z.string(),
});
const IngestAnswer = z.object({
  accepted: z.number(),
  duplicates: z.number(),
  rejected: z.number(),
  results: z.array(EventResult),
  warnings: z.array(Warning),
});
export const CheckAnswer = z.object({
  id: z.string(),
  verdict: z
    .enum(['allow', 'hold', 'block'])
    .describe(
      'What the platform does with THIS message, and the only field its send path acts on: allow = deliver; ' +
        'hold = do not deliver yet (deliver it on a message.release webhook, drop it on message.expire); ' +
        'block = never deliver.',
    ),
  action: z
    .enum(['allow', 'challenge', 'hold', 'block', 'contain'])
    .describe(
      "The engine's decision about the ACCOUNT, which the response policy turns into actions (challenge the " +
        'owner, throttle, freeze…); their effects on the platform arrive as webhooks. For information and ' +
        'logs: never branch the send path on it (challenge and hold both give verdict hold, contain gives block).',
    ),
  risk: z.number().describe('sigmoid of the summed log-odds of the signals, 0..1'),
  reasons: z.array(ReasonOut),
  signals: z
    .array(z.object({ signal: z.string(), value: z.union([z.number(), z.string()]), logOdds: z.number() }))
    .optional()
    .describe(
      'When the answer is not a plain allow (verdict hold/block or action other than allow): every signal behind it with its observed value and log-odds contribution, largest first',
    ),
  campaigns: z.array(z.string()),
  duplicate: z.boolean(),
  rehearsal: z
    .enum(['hold', 'block'])
    .optional()
    .describe(
      'Present when the response policy only rehearses this decision (dry-run): the verdict the check would ' +
        'have given. The verdict is then allow (or a throttle or probation hold): a Gatehouse switched on in ' +
        'dry-run stops no message. For logs and for judging the policy before enforcing it.',
    ),
  warnings: z.array(Warning),
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
  compromised60m: z.number().optional(),
});
/** A check: a message.sent event whose `type` and `time` may be left out. */
const CheckBody = z.object(messageSent.shape).partial({ type: true, time: true });
const EventsBody = z.object({ events: z.array(z.unknown()).min(1).max(MAX_BATCH) });
const RiskTimeline = z.object({
  account: z.string(),
  risk: z.number(),
  contained: z.boolean(),
  state: z.unknown().describe('the engine’s view of the account (profile, windows, sessions), or null'),
  events: z.array(
    z.object({
      seq: z.number(),
      id: z.string(),
      type: z.string(),
      time: z.number(),
      receivedAt: z.number(),
      event: z.unknown(),
    }),
  ),
  decisions: z
    .array(
      z.looseObject({
        seq: z.number(),
        id: z.string(),
        eventId: z.string(),
        eventType: z.string(),
        account: z.string(),
        time: z.number(),
        action: z.enum(['allow', 'challenge', 'hold', 'block', 'contain']),
        logit: z.number(),
        risk: z.number(),
        reasons: z.array(ReasonOut),
        signals: z.array(z.unknown()).describe('{name, value, strength, weight, logOdds, reason} each'),
      }),
    )
    .describe('newest first'),
});
const IdParam = z.strictObject({ id: z.string().min(1).max(200) });

export interface EngineRouteDeps {
  engine: EngineService;
  keys: KeyService;
  /** Body limit of POST /v1/events (sized for a batch of 1,000 events). */
  eventsBodyLimit: number;
  /** Warns about account ids Gatehouse has never seen (absent: no warnings). */
  accounts?: KnownAccounts;
  /** Reads images sent in attachments[].data (QR text kept, bytes dropped); default: content/qr without redaction. */
  readImages?: (items: unknown[]) => Promise<unknown>;
}

/** The `account` of each item of a batch that was accepted or a duplicate (undefined otherwise). */
function acceptedAccounts(items: unknown[], results: Array<{ status: string }>): Array<string | undefined> {
  return items.map((it, i) => {
    if (results[i]?.status === 'rejected' || typeof it !== 'object' || it === null) return undefined;
    const a = (it as { account?: unknown }).account;
    return typeof a === 'string' ? a : undefined;
  });
}

/** Body limit of the pre-send check: one message of MAX_TEXT_BYTES, with room for JSON escapes. */
const CHECK_BODY_LIMIT = 2 * MAX_TEXT_BYTES + 64 * 1024;

/** Event ingestion, the pre-send check and the engine's operator views. */
export const engineRoutes: FastifyPluginAsyncZod<EngineRouteDeps> = async (
  app,
  { engine, keys, eventsBodyLimit, accounts, readImages = (items) => readAttachmentImages(items) },
) => {
  // a key verified in the last second is answered from memory (keys/: revocation here drops it at once)
  const write = requireKey(keys, 'events:write');
  const read = requireKey(keys, 'accounts:read');
  const operate = requireKey(keys, 'accounts:write');
  const op = { security: [{ operatorKey: [] }] };

  app.post(
    '/v1/events',
    {
      onRequest: write,
      bodyLimit: eventsBodyLimit,
      schema: {
        ...op,
        tags: ['events'],
        summary: 'Ingest a batch of platform events (up to 1,000)',
        description:
          'Each event is answered accepted, duplicate (its id was accepted before) or rejected with a reason ' +
          '(invalid_event, unknown_type, recipients_too_many, text_too_long, too_old, too_far_in_future). Accepted ' +
          'events are durable before the answer. A text is scored whole up to 1 MiB of UTF-8; a longer one is ' +
          'rejected text_too_long (never cut). ' +
          '`warnings` has one unknown_account entry per account id Gatehouse never gave out (with the indexes ' +
          'of the events naming it; at most 50, the metric gatehouse_unknown_account_events_total counts all).',
        body: z.object({ events: z.array(platformEvent).min(1).max(MAX_BATCH) }),
        response: { 200: IngestAnswer },
      },
      // each event is checked by the service, which rejects bad ones one by one
      ...validatedBy(EventsBody),
    },
    async (req) => {
      const events: unknown[] = req.body.events;
      // images sent as attachments[].data: their QR codes are read and the bytes dropped
      await readImages(events);
      const answer = await engine.ingest(events);
      const warnings = accounts ? await accounts.forEvents(acceptedAccounts(events, answer.results)) : [];
      return { ...answer, warnings };
    },
  );

  app.post(
    '/v1/check/message',
    {
      onRequest: write,
      // room for a text of MAX_TEXT_BYTES even when JSON escapes some of it; a longer text gets the
      // typed TEXT_TOO_LONG from the event parser, a body beyond this one PAYLOAD_TOO_LARGE
      bodyLimit: CHECK_BODY_LIMIT,
      schema: {
        ...op,
        tags: ['events'],
        summary: 'Pre-send check of a message: allow, hold or block, with reasons',
        description:
          'The body is a message.sent event ("type" may be omitted; "time" may be omitted and is then the ' +
          "server's now). The message is scored from the current state and recorded as an event. A repeated " +
          'id returns the first answer (duplicate: true). Act on `verdict`; `action` is what the engine ' +
          'decided for the account (see docs/integrating.md). `warnings` lists an account id Gatehouse never ' +
          'gave out (unknown_account): send the ids of POST /v1/accounts. The text is scored whole up to 1 MiB ' +
          'of UTF-8; a longer one is refused with 413 TEXT_TOO_LONG.',
        body: CheckBody,
        response: { 200: CheckAnswer },
      },
      // the event parser answers EVENT_INVALID with its reason; any JSON object passes on to it
      ...validatedAsObject(),
      // the answer is written by check-json.ts (held to CheckAnswer by its test), not walked by zod
      serializerCompiler: () => (data) => checkAnswerJson(data as CheckReply),
    },
    // in the embedded default nothing here waits: the key is known, the engine answers from memory and
    // the account's warning is cached (images to read, a scale-out engine or a new account id await)
    (req) => answerCheck(req.body),
  );

  // the same check ahead of Fastify for a request that a known key sends as plain JSON (server/fast-route.ts):
  // the route above answers everything else, and what the fast route hands back to it
  app.fastRoutes?.add({
    method: 'POST',
    url: '/v1/check/message',
    bodyLimit: CHECK_BODY_LIMIT,
    accept: keyKnownNow(keys, 'events:write'),
    handle: (body) => {
      const reply = answerCheck(body);
      return reply instanceof Promise ? reply.then(checkAnswerJson) : checkAnswerJson(reply);
    },
  });

  function answerCheck(body: Record<string, unknown>): CheckReply | Promise<CheckReply> {
    const run = () => check(body, engine.remoteCheck ? engine.remoteCheck(body) : engine.check(body));
    return Array.isArray(body.attachments) ? readImages([body]).then(run) : run();
  }

  /** The answer with the account's warnings; the check succeeded, so the body named an account. */
  function check(
    body: Record<string, unknown>,
    answer: EngineCheckAnswer | Promise<EngineCheckAnswer>,
  ): CheckReply | Promise<CheckReply> {
    if (answer instanceof Promise) return answer.then((a) => check(body, a));
    if (!accounts) return { ...answer, warnings: [] };
    const account = String(body.account);
    const known = accounts.forCheckNow(account);
    if (known) return { ...answer, warnings: known };
    return accounts.forCheck(account).then((warnings) => ({ ...answer, warnings }));
  }

  app.get(
    '/v1/accounts/:id/risk',
    {
      onRequest: read,
      schema: {
        ...op,
        tags: ['operator'],
        summary: 'Risk timeline of an account: state, recent events, decisions with signals',
        params: IdParam,
        response: { 200: RiskTimeline },
      },
    },
    async (req) => engine.accountRisk(req.params.id),
  );

  app.get(
    '/v1/campaigns',
    {
      onRequest: read,
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
      onRequest: read,
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
      onRequest: operate,
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
