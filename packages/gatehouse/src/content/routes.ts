import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { KeyService } from '../keys/index.ts';
import { requireKey } from '../server/auth.ts';
import type { ContentService } from './service.ts';

const Text = z
  .string()
  .min(1)
  .max(64 * 1024);
const Source = z.string().min(1).max(64).optional();

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
      preHandler: read,
      schema: {
        ...op,
        summary: 'Score a text: probability, top features, intents with spans',
        body: z.strictObject({ text: Text, source: Source }),
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
      preHandler: write,
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
      preHandler: read,
      schema: {
        ...op,
        summary: 'Extract and analyse every URL in a text (lookalikes, risk signals, lists)',
        body: z.strictObject({ text: Text }),
      },
    },
    async (req) => ({ urls: content.analyzeUrls(req.body.text) }),
  );

  app.post(
    '/v1/content/images/match',
    {
      preHandler: read,
      schema: {
        ...op,
        summary: 'Match a PDQ hash or SHA-256 (64 hex) against the hash bank',
        body: z.strictObject({ hash: z.string().regex(/^[0-9a-fA-F]{64}$/) }),
      },
    },
    async (req) => ({ match: content.matchImage(req.body.hash) ?? null }),
  );
};
