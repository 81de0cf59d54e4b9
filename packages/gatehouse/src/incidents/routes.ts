import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { KeyService } from '../keys/index.ts';
import { requireKey } from '../server/auth.ts';
import type { IncidentService } from './service.ts';

const Id = z.strictObject({ id: z.string().min(1).max(100) });

/** Operator routes for incidents. */
export const incidentRoutes: FastifyPluginAsyncZod<{ incidents: IncidentService; keys: KeyService }> = async (
  app,
  { incidents, keys },
) => {
  const read = requireKey(keys, 'incidents:read');
  const write = requireKey(keys, 'incidents:write');
  const op = { security: [{ operatorKey: [] }], tags: ['incidents'] };

  app.get(
    '/v1/incidents',
    {
      preHandler: read,
      schema: {
        ...op,
        summary: 'Incidents, most recently updated first',
        querystring: z.strictObject({
          status: z.enum(['open', 'contained', 'closed']).optional(),
          limit: z.coerce.number().int().min(1).max(500).default(100),
        }),
      },
    },
    async (req) => ({
      incidents: await incidents.list({
        ...(req.query.status ? { status: req.query.status } : {}),
        limit: req.query.limit,
      }),
    }),
  );
  app.get(
    '/v1/incidents/:id',
    {
      preHandler: read,
      schema: { ...op, summary: 'An incident with accounts, timeline and notes', params: Id },
    },
    async (req) => incidents.get(req.params.id),
  );
  app.get(
    '/v1/incidents/:id/export',
    {
      preHandler: read,
      schema: {
        ...op,
        summary: 'Export as a personal-information incident notice (JSON or Markdown)',
        params: Id,
        querystring: z.strictObject({ format: z.enum(['json', 'md']).default('json') }),
      },
    },
    async (req, reply) => {
      const e = await incidents.export(req.params.id);
      if (req.query.format === 'md') return reply.type('text/markdown; charset=utf-8').send(e.markdown);
      return e.json;
    },
  );
  app.post(
    '/v1/incidents/:id/notes',
    {
      preHandler: write,
      schema: {
        ...op,
        summary: 'Add an operator note',
        params: Id,
        body: z.strictObject({ text: z.string().min(1).max(5000) }),
      },
    },
    async (req, reply) => {
      await incidents.addNote(req.params.id, `key:${req.operator!.id}`, req.body.text);
      return reply.code(204).send();
    },
  );
  app.post(
    '/v1/incidents/:id/status',
    {
      preHandler: write,
      schema: {
        ...op,
        summary: 'Set the status',
        params: Id,
        body: z.strictObject({ status: z.enum(['open', 'contained', 'closed']) }),
      },
    },
    async (req, reply) => {
      await incidents.setStatus(req.params.id, req.body.status, `key:${req.operator!.id}`);
      return reply.code(204).send();
    },
  );
};
