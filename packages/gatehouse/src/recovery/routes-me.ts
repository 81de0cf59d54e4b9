import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { clientContext } from '../identity/index.ts';
import { requireSession } from '../server/auth.ts';
import { Bilingual, ChannelS, Code, IdParam, OriginS } from './route-schemas.ts';
import { NoContent } from '../server/schemas.ts';
import type { RecoveryRouteDeps } from './routes.ts';

/**
 * Signed-in routes: a trusted friend's confirmation, and the owner's recovery set-up. Changing codes,
 * friends or channels needs the password proved in the last few minutes (a password sign-in, or
 * POST /v1/me/reauth); each change is announced at once with a one-step "this wasn't me".
 */
export const meRoutes: FastifyPluginAsyncZod<RecoveryRouteDeps> = async (
  app,
  { recovery, identity, keys, config },
) => {
  const session = requireSession(identity, config);
  const ctx = clientContext(keys);
  const me = { security: [{ session: [] }], tags: ['recovery'] };
  /** A session that proved the password recently (re-authentication) — for changes to recovery factors. */
  const reauthed = [
    session,
    async (req: FastifyRequest) => {
      identity.requireReauth(req.auth!.session);
    },
  ];
  const by = (req: FastifyRequest) => ({ session: req.auth!.session.id });

  const VouchRequest = z.object({
    owner: z.string(),
    openedAt: z.number(),
    expiresAt: z.number(),
    origin: OriginS.describe('where the appeal comes from (network, country when known, device)'),
    warning: Bilingual,
  });
  app.get(
    '/v1/me/recovery/vouch-requests',
    {
      onRequest: session,
      schema: {
        ...me,
        summary: 'Appeals I am asked to confirm as a trusted friend, with where each comes from',
        response: { 200: z.object({ requests: z.array(VouchRequest) }) },
      },
    },
    async (req) => ({ requests: await recovery.vouchRequests(req.auth!.account.id) }),
  );

  app.post(
    '/v1/me/recovery/vouch',
    {
      onRequest: session,
      schema: {
        ...me,
        summary: "Confirm a friend's appeal with the code they gave me",
        body: z.strictObject({ owner: z.string().min(1).max(64), code: Code }),
        response: {
          200: z.object({
            owner: z.string(),
            verified: z.boolean(),
            confirmed: z.number(),
            needed: z.number(),
            origin: OriginS,
            warning: Bilingual,
          }),
        },
      },
    },
    async (req) => recovery.vouch(req.auth!.account.id, req.body.owner, req.body.code, await ctx(req)),
  );

  app.post(
    '/v1/me/recovery/codes',
    {
      onRequest: reauthed,
      schema: {
        ...me,
        summary: 'Generate 10 new one-time recovery codes (shown once)',
        description:
          'The new codes count for recovery after the cooling-off (recoveryFactorCoolingOffHours); the previous ones keep working until then. Needs a recent password proof.',
        response: { 200: z.object({ codes: z.array(z.string()), usableFrom: z.number().nullable() }) },
      },
    },
    async (req) => {
      const codes = await recovery.generateCodes(req.auth!.account.id, by(req));
      return { codes, usableFrom: (await recovery.codesStatus(req.auth!.account.id)).usableFrom };
    },
  );

  app.get(
    '/v1/me/recovery/codes',
    {
      onRequest: session,
      schema: {
        ...me,
        summary: 'How many unused recovery codes I have, and from when they count',
        response: {
          200: z.object({
            remaining: z.number(),
            usableFrom: z.number().nullable(),
            previousStillCount: z.boolean(),
          }),
        },
      },
    },
    async (req) => recovery.codesStatus(req.auth!.account.id),
  );

  const Friends = z.object({
    friends: z.array(z.object({ handle: z.string() })),
    usableFrom: z.number().nullable(),
  });
  app.put(
    '/v1/me/recovery/friends',
    {
      onRequest: reauthed,
      schema: {
        ...me,
        summary: 'Choose my trusted friends (who can confirm an appeal for me)',
        description:
          'Counts for recovery after the cooling-off; the previous list keeps counting until then.',
        body: z.strictObject({ handles: z.array(z.string().min(1).max(64)).max(10) }),
        response: { 200: Friends },
      },
    },
    async (req) => {
      await recovery.setFriends(req.auth!.account.id, req.body.handles, by(req));
      return recovery.friendsStatus(req.auth!.account.id);
    },
  );
  app.get(
    '/v1/me/recovery/friends',
    { onRequest: session, schema: { ...me, summary: 'My trusted friends', response: { 200: Friends } } },
    async (req) => recovery.friendsStatus(req.auth!.account.id),
  );

  app.get(
    '/v1/me/recovery/channels',
    {
      onRequest: session,
      schema: {
        ...me,
        summary: 'My recovery email addresses and phone numbers',
        response: { 200: z.object({ channels: z.array(ChannelS) }) },
      },
    },
    async (req) => ({ channels: await recovery.channels(req.auth!.account.id) }),
  );
  app.post(
    '/v1/me/recovery/channels',
    {
      onRequest: reauthed,
      schema: {
        ...me,
        summary: 'Add an email address or phone number; a code is sent to prove it',
        body: z.strictObject({ kind: z.enum(['email', 'phone']), address: z.string().min(3).max(254) }),
        response: { 201: z.object({ channel: ChannelS, delivery: z.string(), expiresAt: z.number() }) },
      },
    },
    async (req, reply) =>
      reply.code(201).send(await recovery.addChannel(req.auth!.account.id, req.body.kind, req.body.address)),
  );
  app.post(
    '/v1/me/recovery/channels/:id/verify',
    {
      onRequest: session,
      schema: {
        ...me,
        summary: 'Prove a channel with the code sent to it',
        params: IdParam,
        body: z.strictObject({ code: Code }),
        response: { 200: ChannelS },
      },
    },
    async (req) => recovery.verifyChannel(req.auth!.account.id, req.params.id, req.body.code, by(req)),
  );
  app.delete(
    '/v1/me/recovery/channels/:id',
    {
      onRequest: reauthed,
      schema: { ...me, summary: 'Remove a channel', params: IdParam, response: { 204: NoContent } },
    },
    async (req, reply) => {
      await recovery.removeChannel(req.auth!.account.id, req.params.id, by(req));
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/me/recovery/changes',
    {
      onRequest: session,
      schema: {
        ...me,
        summary: 'Changes to how my account is recovered (last 30 days), each with "this wasn\'t me"',
        response: {
          200: z.object({
            changes: z.array(
              z.object({
                id: z.string(),
                factor: z.string(),
                action: z.string(),
                at: z.number(),
                usableFrom: z.number(),
                bySession: z.string().nullable(),
                disputedAt: z.number().nullable(),
              }),
            ),
          }),
        },
      },
    },
    async (req) => ({ changes: await recovery.changes(req.auth!.account.id) }),
  );
  app.post(
    '/v1/me/recovery/changes/:id/not-me',
    {
      onRequest: session,
      schema: {
        ...me,
        summary: '"This wasn\'t me": contain the account at once (frozen, every session ended)',
        params: IdParam,
        response: { 200: z.object({ contained: z.boolean() }) },
      },
    },
    async (req) => recovery.notMe(req.auth!, req.params.id),
  );

  app.post(
    '/v1/me/step-up',
    {
      onRequest: session,
      schema: {
        tags: ['me'],
        security: [{ session: [] }],
        summary:
          'Prove more than this session: a recovery code (spent; only codes past their cooling-off count)',
        description:
          'A session that stepped up may answer "was this you?" even if it began after the activity.',
        body: z.strictObject({ recoveryCode: Code }),
        response: { 200: z.object({ steppedUpAt: z.number() }) },
      },
    },
    async (req) => recovery.stepUp(req.auth!, req.body.recoveryCode, await ctx(req)),
  );
};
