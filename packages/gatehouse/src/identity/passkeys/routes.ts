import { NoContent } from '../../server/schemas.ts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../../config/index.ts';
import type { KeyService } from '../../keys/index.ts';
import { requireSession } from '../../server/auth.ts';
import { clientContext } from '../client.ts';
import { BindingKey, SignedInS } from '../route-schemas.ts';
import type { IdentityService } from '../service.ts';
import { DEVICE_COOKIE, replySignedIn } from '../signin-reply.ts';

export interface PasskeyRouteDeps {
  identity: IdentityService;
  keys: KeyService;
  config: Pick<Config, 'cookieSecure' | 'cookieSameSite' | 'sessionTtlHours'>;
}

const Ceremony = z.string().min(1).max(256);
/** A WebAuthn JSON response (RegistrationResponseJSON / AuthenticationResponseJSON), checked by the library. */
const Credential = z.record(z.string(), z.unknown());
const Options = z.record(z.string(), z.unknown());
export const PasskeyS = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.number(),
  lastUsedAt: z.number().nullable(),
  backedUp: z.boolean(),
});

/** Passkeys over HTTP: the owner's list, registration and removal; passkey sign-in and second factor. */
export const passkeyRoutes: FastifyPluginAsyncZod<PasskeyRouteDeps> = async (
  app,
  { identity, keys, config },
) => {
  const session = requireSession(identity, config);
  const ctx = clientContext(keys);
  const me = { tags: ['me'], security: [{ session: [] }] };

  app.get(
    '/v1/me/passkeys',
    {
      onRequest: session,
      schema: { ...me, summary: 'My passkeys', response: { 200: z.object({ passkeys: z.array(PasskeyS) }) } },
    },
    async (req) => ({ passkeys: await identity.passkeys.list(req.auth!.account.id) }),
  );

  app.post(
    '/v1/me/passkeys/options',
    {
      onRequest: session,
      schema: {
        ...me,
        summary: 'Start adding a passkey (re-authenticated session): creation options for the browser',
        body: z.strictObject({ name: z.string().trim().min(1).max(64) }),
        response: { 200: z.object({ ceremony: z.string(), options: Options }) },
      },
    },
    async (req) => identity.passkeys.registrationOptions(req.auth!, req.body.name, await ctx(req)),
  );

  app.post(
    '/v1/me/passkeys',
    {
      onRequest: session,
      schema: {
        ...me,
        summary: 'Finish adding a passkey with the authenticator’s answer',
        body: z.strictObject({ ceremony: Ceremony, credential: Credential }),
        response: { 201: PasskeyS },
      },
    },
    async (req, reply) =>
      reply
        .code(201)
        .send(await identity.passkeys.register(req.auth!, req.body.ceremony, req.body.credential)),
  );

  app.delete(
    '/v1/me/passkeys/:id',
    {
      onRequest: session,
      schema: {
        ...me,
        summary: 'Remove a passkey (re-authenticated session)',
        params: z.strictObject({ id: z.string().min(1).max(1024) }),
        response: { 204: NoContent },
      },
    },
    async (req, reply) => {
      await identity.passkeys.remove(req.auth!, req.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/auth/passkey/options',
    {
      schema: {
        tags: ['sessions'],
        summary: 'Start signing in with a passkey: request options (no handle needed)',
        response: { 200: z.object({ ceremony: z.string(), options: Options }) },
      },
    },
    async (req) => identity.passkeys.signInOptions(await ctx(req)),
  );

  app.post(
    '/v1/auth/passkey',
    {
      schema: {
        tags: ['sessions'],
        summary: 'Sign in with a passkey (first factor)',
        body: z.strictObject({
          ceremony: Ceremony,
          credential: Credential,
          mode: z.enum(['token', 'cookie']).default('token'),
          deviceToken: z.string().min(1).max(100).optional(),
          bindingKey: BindingKey.optional(),
        }),
        response: { 200: SignedInS },
      },
    },
    async (req, reply) => {
      const device =
        req.body.deviceToken ?? (req.body.mode === 'cookie' ? req.cookies?.[DEVICE_COOKIE] : undefined);
      const r = await identity.passkeys.signIn(
        req.body.ceremony,
        req.body.credential,
        await ctx(req),
        device,
      );
      return replySignedIn(reply, config, r, req.body.mode);
    },
  );

  app.post(
    '/v1/auth/signin/second-factor/passkey',
    {
      schema: {
        tags: ['sessions'],
        summary: 'Passkey options for the second-factor step (then POST /v1/auth/signin/second-factor)',
        body: z.strictObject({ challenge: z.string().min(1).max(100) }),
        response: { 200: z.object({ options: Options }) },
      },
    },
    async (req) => identity.passkeys.secondFactorOptions(req.body.challenge, await ctx(req)),
  );
};
