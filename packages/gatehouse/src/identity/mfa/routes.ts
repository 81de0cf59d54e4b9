import { NoContent } from '../../server/schemas.ts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../../config/index.ts';
import type { KeyService } from '../../keys/index.ts';
import { requireSession } from '../../server/auth.ts';
import { clientContext } from '../client.ts';
import type { IdentityService } from '../service.ts';
import { PasskeyS } from '../passkeys/routes.ts';
import { BindingKey, SignedInS } from '../route-schemas.ts';
import { replySignedIn } from '../signin-reply.ts';
import { completeSecondFactor, stepUpWithTotp } from './second-factor.ts';

export interface MfaRouteDeps {
  identity: IdentityService;
  keys: KeyService;
  config: Pick<Config, 'cookieSecure' | 'cookieSameSite' | 'sessionTtlHours'>;
}

const Code = z.string().min(1).max(64);
const Mode = z.enum(['token', 'cookie']).default('token');
/** The second-factor step of sign-in and the owner's authenticator app (TOTP). */
export const mfaRoutes: FastifyPluginAsyncZod<MfaRouteDeps> = async (app, { identity, keys, config }) => {
  const session = requireSession(identity, config);
  const ctx = clientContext(keys);
  const me = { tags: ['me'], security: [{ session: [] }] };

  app.post(
    '/v1/auth/signin/second-factor',
    {
      schema: {
        tags: ['sessions'],
        summary: 'Finish a sign-in that answered SIGNIN_SECOND_FACTOR_REQUIRED',
        description:
          'challenge: the token of that answer (single use, a few minutes, dies after 5 wrong answers). method totp or recovery_code with code; passkey with credential (the assertion to the options of POST /v1/auth/signin/second-factor/passkey). Answers are counted per account and per network before they are checked.',
        body: z.strictObject({
          challenge: z.string().min(1).max(100),
          method: z.enum(['totp', 'recovery_code', 'passkey']),
          code: Code.optional(),
          credential: z.unknown().optional(),
          mode: Mode,
          bindingKey: BindingKey.optional(),
        }),
        response: { 200: SignedInS },
      },
    },
    async (req, reply) => {
      const r = await completeSecondFactor(identity, req.body, await ctx(req));
      return replySignedIn(reply, config, r, req.body.mode);
    },
  );

  app.get(
    '/v1/me/second-factors',
    {
      onRequest: session,
      schema: {
        ...me,
        summary: 'My second factors: the authenticator app and passkeys',
        response: {
          200: z.object({
            totp: z.object({ enrolled: z.boolean(), confirmedAt: z.number().nullable() }),
            passkeys: z.array(PasskeyS),
          }),
        },
      },
    },
    async (req) => ({
      totp: await identity.totp.status(req.auth!.account.id),
      passkeys: await identity.passkeys.list(req.auth!.account.id),
    }),
  );

  app.post(
    '/v1/me/totp',
    {
      onRequest: session,
      schema: {
        ...me,
        summary: 'Start setting up an authenticator app (re-authenticated session)',
        description:
          'Returns the secret as an otpauth:// URI and as a QR code (SVG and PNG data URL). It counts only after POST /v1/me/totp/confirm with a first code, within 15 minutes.',
        response: {
          200: z.object({
            secret: z.string(),
            otpauthUri: z.string(),
            qrSvg: z.string(),
            qrDataUrl: z.string(),
          }),
        },
      },
    },
    async (req) => identity.totp.enrol(req.auth!),
  );

  app.post(
    '/v1/me/step-up/totp',
    {
      onRequest: session,
      schema: {
        ...me,
        summary: 'Prove more than this session: a code from my authenticator app',
        description:
          'A session that stepped up may answer "was this you?" even if it began after the activity (as after POST /v1/me/step-up with a recovery code). Counted per account and network.',
        body: z.strictObject({ code: Code }),
        response: { 200: z.object({ steppedUpAt: z.number() }) },
      },
    },
    async (req) => stepUpWithTotp(identity, req.auth!, req.body.code, await ctx(req)),
  );

  app.post(
    '/v1/me/totp/confirm',
    {
      onRequest: session,
      schema: {
        ...me,
        summary: 'Confirm the authenticator app with its first code',
        body: z.strictObject({ code: Code }),
        response: { 200: z.object({ confirmedAt: z.number() }) },
      },
    },
    async (req) => identity.totp.confirm(req.auth!, req.body.code),
  );

  app.delete(
    '/v1/me/totp',
    {
      onRequest: session,
      schema: {
        ...me,
        summary: 'Remove the authenticator app (re-authenticated)',
        response: { 204: NoContent },
      },
    },
    async (req, reply) => {
      await identity.totp.remove(req.auth!);
      return reply.code(204).send(null);
    },
  );
};
