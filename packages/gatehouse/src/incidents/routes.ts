import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { KeyService } from '../keys/index.ts';
import { NoContent } from '../server/schemas.ts';
import { requireKey } from '../server/auth.ts';
import type { IncidentService } from './service.ts';

const Id = z.strictObject({ id: z.string().min(1).max(100) });

const Incident = z.object({
  id: z.string(),
  kind: z.string(),
  title: z.string(),
  status: z.string(),
  openedAt: z.number(),
  updatedAt: z.number(),
  closedAt: z.number().nullable(),
  facts: z.unknown().describe('counts, signals, campaigns and actions the incident is made of'),
});
const IncidentDetail = Incident.extend({
  accounts: z.array(z.object({ account: z.string(), firstSeen: z.number() })),
  timeline: z.array(
    z.object({
      at: z.number(),
      kind: z.string(),
      summary: z.string(),
      data: z.record(z.string(), z.unknown()),
    }),
  ),
  notes: z.array(z.object({ id: z.string(), author: z.string(), text: z.string(), at: z.number() })),
});
const Texts = z.object({ en: z.array(z.string()), 'zh-CN': z.array(z.string()) });
const Text = z.object({ en: z.string(), 'zh-CN': z.string() });
const Notice = z
  .object({
    incident: z.object({
      id: z.string(),
      kind: z.string(),
      title: z.string(),
      status: z.string(),
      openedAt: z.string(),
      updatedAt: z.string(),
      closedAt: z.string().nullable(),
    }),
    whatHappened: Text,
    dataInvolved: Texts,
    whoIsAffected: z.object({
      accounts: z.number(),
      recipientsWarned: z.number(),
      en: z.string(),
      'zh-CN': z.string(),
    }),
    cause: Text,
    possibleHarm: Texts,
    remediesTaken: Texts,
    whatUsersCanDo: Texts,
    contact: z.string(),
    counts: z.unknown(),
    timeline: z.array(z.object({ at: z.string(), kind: z.string(), summary: z.string() })),
    notes: z.array(z.object({ at: z.string(), author: z.string(), text: z.string() })),
  })
  .describe('format=json; format=md answers the same notice as text/markdown');

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
      onRequest: read,
      schema: {
        ...op,
        summary: 'Incidents, most recently updated first',
        querystring: z.strictObject({
          status: z.enum(['open', 'contained', 'closed']).optional(),
          limit: z.coerce.number().int().min(1).max(500).default(100),
        }),
        response: { 200: z.object({ incidents: z.array(Incident) }) },
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
      onRequest: read,
      schema: {
        ...op,
        summary: 'An incident with accounts, timeline and notes',
        params: Id,
        response: { 200: IncidentDetail },
      },
    },
    async (req) => incidents.get(req.params.id),
  );
  app.get(
    '/v1/incidents/:id/export',
    {
      onRequest: read,
      schema: {
        ...op,
        summary: 'Export as a personal-information incident notice (JSON or Markdown)',
        params: Id,
        querystring: z.strictObject({ format: z.enum(['json', 'md']).default('json') }),
        response: { 200: Notice },
      },
    },
    async (req, reply) => {
      const e = await incidents.export(req.params.id);
      // a string with its own content type is sent as it is (the JSON schema describes format=json)
      if (req.query.format === 'md')
        return reply.type('text/markdown; charset=utf-8').send(e.markdown as never);
      return e.json;
    },
  );
  app.post(
    '/v1/incidents/:id/notes',
    {
      onRequest: write,
      schema: {
        response: { 204: NoContent },
        ...op,
        summary: 'Add an operator note',
        params: Id,
        body: z.strictObject({ text: z.string().min(1).max(5000) }),
      },
    },
    async (req, reply) => {
      await incidents.addNote(req.params.id, `key:${req.operator!.id}`, req.body.text);
      return reply.code(204).send(null);
    },
  );
  app.post(
    '/v1/incidents/:id/status',
    {
      onRequest: write,
      schema: {
        response: { 204: NoContent },
        ...op,
        summary: 'Set the status',
        params: Id,
        body: z.strictObject({ status: z.enum(['open', 'contained', 'closed']) }),
      },
    },
    async (req, reply) => {
      await incidents.setStatus(req.params.id, req.body.status, `key:${req.operator!.id}`);
      return reply.code(204).send(null);
    },
  );
};
