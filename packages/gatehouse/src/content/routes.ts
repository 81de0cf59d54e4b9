import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { KeyService } from '../keys/index.ts';
import { requireKey } from '../server/auth.ts';
import type { ContentService } from './service.ts';
import { linksAcross } from './url/index.ts';

// Whole messages up to 1 Mi units (the body limit caps them first); scoring samples long ones (text/long.ts).
const Text = z
  .string()
  .min(1)
  .max(1024 * 1024);
const Source = z.string().min(1).max(64).optional();

const TextScoreOut = z.object({
  probability: z.number(),
  label: z.enum(['spam', 'ham']),
  threshold: z.number(),
  topFeatures: z
    .array(z.object({ feature: z.string(), weight: z.number(), contribution: z.number() }))
    .describe('the features that weighed most; contribution = what each added to the log-odds'),
  intents: z
    .array(
      z.object({
        intent: z.string(),
        label: z.string(),
        labelZh: z.string(),
        term: z.string(),
        start: z.number(),
        end: z.number(),
        original: z.string(),
        normStart: z.number(),
        normEnd: z.number(),
      }),
    )
    .describe('money, abuse… intents found, with their spans in the original and normalised text'),
  truncated: z.boolean(),
  evasion: z.unknown().describe('what normalisation changed (evasion signals)'),
});
const UrlOut = z.object({
  url: z.string().describe('the de-obfuscated URL'),
  host: z.string(),
  registeredDomain: z.string().nullable(),
  site: z
    .string()
    .optional()
    .describe(
      'a page anyone may publish on a shared platform (a form, a document, a file share): host and path',
    ),
  verdict: z.string(),
  brand: z.string().optional(),
  lookalike: z.unknown().optional(),
  reasons: z.array(z.unknown()).describe('{code, weight, en, zh, …} each'),
  score: z.number(),
  start: z.number(),
  end: z.number(),
  raw: z.string(),
  flags: z.array(z.string()),
});
/** A link spelt across two messages of one sender (`previous` + `text`). */
const SplitOut = UrlOut.partial({ start: true, end: true, flags: true }).extend({
  startInPrevious: z.number(),
  endInNext: z.number(),
  split: z.literal(true),
});
/** A reported text in the operator review queue. */
const QueueItemOut = z.object({
  id: z.number(),
  text: z.string(),
  reporters: z.number().describe('distinct independent reporters'),
  weight: z.number().describe('their summed reputation weight'),
  status: z.string(),
  createdAt: z.number(),
  decidedBy: z.string().nullable(),
  decidedAt: z.number().nullable(),
});
const ImageMatchOut = z.object({
  match: z.object({ label: z.string(), distance: z.number() }).nullable(),
});

/** Operator routes for the content part: explained text scores, labels that teach the model, URL and image checks. */
export const contentRoutes: FastifyPluginAsyncZod<{ content: ContentService; keys: KeyService }> = async (
  app,
  { content, keys },
) => {
  const read = requireKey(keys, 'content:read');
  const write = requireKey(keys, 'content:write');
  const op = { security: [{ operatorKey: [] }], tags: ['content'] };

  app.post(
    '/v1/content/text/score',
    {
      onRequest: read,
      schema: {
        ...op,
        summary: 'Score a text: probability, top features, intents with spans',
        body: z.strictObject({ text: Text, source: Source }),
        response: { 200: TextScoreOut },
      },
    },
    async (req) => {
      const s = content.explainText(req.body.text, req.body.source);
      return {
        probability: s.probability,
        label: s.label,
        threshold: s.threshold,
        topFeatures: s.topFeatures,
        intents: s.intents,
        truncated: s.truncated,
        evasion: s.evasion,
      };
    },
  );

  app.post(
    '/v1/content/text/labels',
    {
      onRequest: write,
      schema: {
        ...op,
        summary:
          'Record an operator verdict on a text (spam confirmed, or rejected as ham); the model learns it at once and is saved',
        body: z.strictObject({ text: Text, verdict: z.enum(['spam', 'ham']), source: Source }),
        response: { 200: z.object({ before: z.number(), after: z.number() }) },
      },
    },
    async (req) =>
      content.label(
        req.body.text,
        req.body.verdict === 'spam' ? 1 : 0,
        `key:${req.operator!.id}`,
        req.body.source,
      ),
  );

  app.post(
    '/v1/content/urls/analyze',
    {
      onRequest: read,
      schema: {
        ...op,
        summary:
          'Extract and analyse every URL in a text (lookalikes, risk signals, lists); with `previous` (the same ' +
          "sender's previous message in the conversation) also the links split across the two",
        body: z.strictObject({ text: Text, previous: Text.optional() }),
        response: { 200: z.object({ urls: z.array(UrlOut), split: z.array(SplitOut).optional() }) },
      },
    },
    async (req) => ({
      urls: content.analyzeUrls(req.body.text),
      ...(req.body.previous !== undefined
        ? { split: linksAcross(req.body.previous, req.body.text, content.urlContext()) }
        : {}),
    }),
  );

  app.get(
    '/v1/content/reports/queue',
    {
      onRequest: read,
      schema: {
        ...op,
        summary:
          'Texts whose user reports reached the quorum of independent, reputation-weighted reporters (operator review queue)',
        querystring: z.strictObject({
          status: z.enum(['pending', 'confirmed', 'rejected']).default('pending'),
          limit: z.coerce.number().int().min(1).max(500).default(100),
        }),
        response: { 200: z.object({ items: z.array(QueueItemOut) }) },
      },
    },
    async (req) => ({ items: await content.reportQueue(req.query.status, req.query.limit) }),
  );

  app.post(
    '/v1/content/reports/queue/:id',
    {
      onRequest: write,
      schema: {
        ...op,
        summary:
          'Decide a reported text: spam teaches the text model and raises the reporters’ reputation; ham lowers it',
        params: z.strictObject({ id: z.coerce.number().int().min(1) }),
        body: z.strictObject({ verdict: z.enum(['spam', 'ham']) }),
        response: { 200: QueueItemOut },
      },
    },
    async (req) => content.decideReport(req.params.id, req.body.verdict, `key:${req.operator!.id}`),
  );

  app.post(
    '/v1/content/images/match',
    {
      onRequest: read,
      schema: {
        ...op,
        summary: 'Match a PDQ hash or SHA-256 (64 hex) against the hash bank',
        body: z.strictObject({ hash: z.string().regex(/^[0-9a-fA-F]{64}$/) }),
        response: { 200: ImageMatchOut },
      },
    },
    async (req) => ({ match: content.matchImage(req.body.hash) ?? null }),
  );
};
