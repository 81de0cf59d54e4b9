import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../../config/index.ts';
import type { KeyService } from '../../keys/index.ts';
import { requireSession } from '../../server/auth.ts';
import { clientContext } from '../client.ts';
import { BindingKey, SignedInS, Session } from '../route-schemas.ts';
import type { IdentityService } from '../service.ts';
import { replySignedIn } from '../signin-reply.ts';

export interface QrRouteDeps {
  identity: IdentityService;
  keys: KeyService;
  config: Pick<Config, 'cookieSecure' | 'cookieSameSite' | 'sessionTtlHours'>;
}

const Bi = z.object({ en: z.string(), zh: z.string() });
/** The scanned code, or the whole scanned URL (URL-encoded). */
const CodeParam = z.strictObject({ code: z.string().min(1).max(600) });
const IdParam = z.strictObject({ id: z.string().min(1).max(100) });
const Jwk = z.object({ kty: z.string(), crv: z.string(), x: z.string().max(200), y: z.string().max(200) });

/** QR cross-device login over HTTP: the requester's three steps and the approving phone's two. */
export const qrRoutes: FastifyPluginAsyncZod<QrRouteDeps> = async (app, { identity, keys, config }) => {
  const session = requireSession(identity, config);
  const ctx = clientContext(keys);
  const me = { tags: ['me'], security: [{ session: [] }] };

  app.post(
    '/v1/auth/qr',
    {
      schema: {
        tags: ['sessions'],
        summary: 'Ask for a QR login code bound to my public key (the requester)',
        description:
          'publicKey: the P-256 public JWK of a key pair the requester cannot export (WebCrypto ECDSA, extractable: false). Returns the code, the platform URL the QR image encodes (and the image as SVG), the challenge to sign when collecting, and the expiry (≤ 60 s). Asking again with the same key rotates the code. Counted per network (RATE_LIMITED past qrMintPerNetwork per 10 minutes); a web page whose Origin is not the platform’s gets QR_ORIGIN_FOREIGN.',
        body: z.strictObject({ publicKey: Jwk }),
        response: {
          201: z.object({
            id: z.string(),
            code: z.string(),
            url: z.string(),
            qrSvg: z.string(),
            challenge: z.string(),
            expiresAt: z.number(),
          }),
        },
      },
    },
    async (req, reply) => {
      const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
      return reply
        .code(201)
        .send(await identity.qr.mint(req.body.publicKey, { ...(await ctx(req)), origin }));
    },
  );

  app.get(
    '/v1/auth/qr/:id',
    {
      schema: {
        tags: ['sessions'],
        summary: 'The state of my QR login (the requester polls)',
        params: IdParam,
        response: {
          200: z.object({
            state: z.enum(['pending', 'approved', 'declined', 'collected', 'expired']),
            expiresAt: z.number(),
          }),
        },
      },
    },
    async (req) => identity.qr.state(req.params.id, await ctx(req)),
  );

  app.post(
    '/v1/auth/qr/:id/session',
    {
      schema: {
        tags: ['sessions'],
        summary: 'Collect the session of an approved QR login, proving the key',
        description:
          'signature: base64url of the ES256 signature (IEEE P1363, r‖s, as WebCrypto returns it) over the UTF-8 text "gatehouse-qr-login|<id>|<challenge>". Typed errors: QR_CODE_PENDING, QR_CODE_DECLINED, QR_CODE_EXPIRED, QR_CODE_USED, QR_CODE_MISMATCH (another key), QR_CODE_UNKNOWN.',
        params: IdParam,
        body: z.strictObject({
          signature: z.string().min(1).max(200),
          mode: z.enum(['token', 'cookie']).default('token'),
          bindingKey: BindingKey.optional(),
        }),
        response: { 200: SignedInS },
      },
    },
    async (req, reply) => {
      const r = await identity.qr.collect(
        req.params.id,
        req.body.signature,
        await ctx(req),
        req.body.bindingKey,
      );
      return replySignedIn(reply, config, r, req.body.mode);
    },
  );

  const Warning = z.object({ signal: z.string(), value: z.number(), en: z.string(), zh: z.string() });
  app.get(
    '/v1/me/qr/:code',
    {
      onRequest: session,
      schema: {
        ...me,
        summary: 'What a scanned QR login asks (the approving phone)',
        description:
          'The requesting device and browser, its network, location as far as known, whether it is on this phone’s network, the time, what signing in grants, and the question to ask — with decline as the default. Typed errors: QR_CODE_UNKNOWN (not this platform’s code), QR_CODE_EXPIRED, QR_CODE_USED.',
        params: CodeParam,
        response: {
          200: z.object({
            id: z.string(),
            requestedAt: z.number(),
            expiresAt: z.number(),
            requester: z.object({
              device: z.object({
                label: z.string(),
                browser: z.string().optional(),
                os: z.string().optional(),
                deviceType: z.string().optional(),
              }),
              network: z.string(),
              origin: z.string().nullable(),
              location: Bi,
            }),
            approver: z.object({ network: z.string() }),
            distance: z.object({
              sameNetwork: z.boolean(),
              km: z.number().nullable(),
              en: z.string(),
              zh: z.string(),
            }),
            grants: Bi,
            question: Bi,
            defaultDecision: z.literal('decline'),
            outcome: z.enum(['session', 'probation']),
            warnings: z.array(Warning),
          }),
        },
      },
    },
    async (req) => identity.qr.context(req.auth!, req.params.code, await ctx(req)),
  );

  app.post(
    '/v1/me/qr/:code/decision',
    {
      onRequest: session,
      schema: {
        ...me,
        summary: 'Approve or decline a scanned QR login (one decision per code)',
        description:
          'approve needs inFrontOfMe: true (the answer to "did you start this on a device in front of you?"). An approval whose two ends are not near each other gives the requester a probation session.',
        params: CodeParam,
        body: z.strictObject({
          decision: z.enum(['approve', 'decline']),
          inFrontOfMe: z.boolean().optional(),
        }),
        response: {
          200: z.object({
            state: z.enum(['approved', 'declined']),
            outcome: z.enum(['session', 'probation']).optional(),
            signals: z
              .array(z.object({ name: z.string(), value: z.number(), en: z.string(), zh: z.string() }))
              .describe(
                'the relay signals of this approval with their values (why a session goes on probation)',
              ),
          }),
        },
      },
    },
    async (req) => identity.qr.decide(req.auth!, req.params.code, req.body, await ctx(req)),
  );

  app.post(
    '/v1/me/sessions/:id/confirm',
    {
      onRequest: session,
      schema: {
        ...me,
        summary: 'Confirm a session on probation as mine (from an older session of mine)',
        params: IdParam,
        response: { 200: Session },
      },
    },
    async (req) => identity.confirmSession(req.auth!, req.params.id),
  );
};
