import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { KeyService } from '../keys/index.ts';
import { requireKey } from '../server/auth.ts';
import type { AuditService } from './index.ts';

const Entry = z.object({
  seq: z.number(),
  at: z.number(),
  actor: z.string(),
  action: z.string(),
  subject: z.string(),
  data: z.record(z.string(), z.unknown()),
  prevHash: z.string(),
  hash: z.string(),
});

export interface AuditRouteDeps {
  audit: AuditService;
  keys: KeyService;
}

/** Read access to the audit log for operators (scope audit:read). */
export const auditRoutes: FastifyPluginAsyncZod<AuditRouteDeps> = async (app, { audit, keys }) => {
  app.get(
    '/v1/audit',
    {
      onRequest: requireKey(keys, 'audit:read'),
      schema: {
        security: [{ operatorKey: [] }],
        tags: ['audit'],
        summary: 'Audit log entries in order (page with after = the last seq seen)',
        querystring: z.strictObject({
          subject: z.string().min(1).max(200).optional(),
          after: z.coerce.number().int().min(0).optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
        }),
        response: {
          200: z.object({ entries: z.array(Entry), head: z.object({ seq: z.number(), hash: z.string() }) }),
        },
      },
    },
    async (req) => {
      const entries = await audit.list(req.query);
      const h = await audit.head();
      return { entries, head: { seq: h.seq, hash: h.hash } };
    },
  );
};
