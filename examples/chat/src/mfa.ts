/**
 * Passkeys and second factors in the chat (issue 12 item 8): passkeys added in the settings and used to
 * sign in without a password (WebAuthn in the browser, verified by Gatehouse against its relying party
 * and origins); an authenticator app enrolled in the chat's settings
 * (Gatehouse's TOTP: the secret as a QR code, confirmed with a first code) and the second step of a
 * sign-in Gatehouse held because the device or network is new to the account (the page shows why and
 * asks for a code). Gatehouse checks every code; the chat only carries them.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ChatService } from './chat.ts';
import type { SessionRow } from './db.ts';
import { ChatError } from './errors.ts';
import type { Browser, GatehouseLink } from './gatehouse.ts';

export interface MfaRouteDeps {
  gh: GatehouseLink;
  chat: ChatService;
  auth: (req: FastifyRequest) => Promise<void>;
  browser: (req: FastifyRequest) => Browser;
  setSession: (reply: FastifyReply, s: SessionRow, deviceToken?: string) => void;
  sessionView: (s: SessionRow) => unknown;
  parse: <T extends z.ZodType>(schema: T, v: unknown) => z.output<T>;
}

const Code = z.string().min(1).max(64);

export function registerMfaRoutes(app: FastifyInstance, d: MfaRouteDeps): void {
  const { gh, chat, auth, browser, parse } = d;
  const token = (req: FastifyRequest) => {
    const t = req.chatSession!.gh_token;
    if (!t) throw new ChatError('UNAUTHENTICATED');
    return t;
  };

  // the second step of a held sign-in (not signed in yet)
  app.post('/api/signin/second-factor', async (req, reply) => {
    const b = parse(
      z.strictObject({
        challenge: z.string().min(1).max(100),
        method: z.enum(['totp', 'recovery_code']).default('totp'),
        code: Code,
      }),
      req.body,
    );
    const { session, deviceToken } = await chat.signInSecondFactor(b, browser(req));
    d.setSession(reply, session, deviceToken);
    return d.sessionView(session);
  });

  // passkeys: sign in with one (no handle typed), and add one from the settings
  const Ceremony = z.string().min(1).max(200);
  const Credential = z.record(z.string(), z.unknown());
  app.post('/api/passkey/options', async (req) =>
    chat.gatehouse(() => gh.passkeySignInOptions(browser(req))),
  );
  app.post('/api/passkey', async (req, reply) => {
    const b = parse(z.strictObject({ ceremony: Ceremony, credential: Credential }), req.body);
    const r = await chat.gatehouse(() => gh.passkeySignIn(b.ceremony, b.credential, browser(req)));
    const session = chat.adoptSignIn(r);
    d.setSession(reply, session, r.deviceToken);
    return d.sessionView(session);
  });
  app.post('/api/me/passkeys/options', { preHandler: auth }, async (req) => {
    const b = parse(z.strictObject({ name: z.string().trim().min(1).max(64) }), req.body);
    return chat.gatehouse(() => gh.passkeyOptions(token(req), b.name, browser(req)));
  });
  app.post('/api/me/passkeys', { preHandler: auth }, async (req, reply) => {
    const b = parse(z.strictObject({ ceremony: Ceremony, credential: Credential }), req.body);
    const k = await chat.gatehouse(() =>
      gh.passkeyRegister(token(req), b.ceremony, b.credential, browser(req)),
    );
    return reply.code(201).send({ id: k.id, name: k.name });
  });

  // the authenticator app, from the chat's settings
  app.post('/api/me/totp', { preHandler: auth }, async (req) => {
    const e = await chat.gatehouse(() => gh.totpEnrol(token(req), browser(req)));
    return { secret: e.secret, otpauthUri: e.otpauthUri, qrDataUrl: e.qrDataUrl };
  });
  app.post('/api/me/totp/confirm', { preHandler: auth }, async (req) => {
    const b = parse(z.strictObject({ code: Code }), req.body);
    return chat.gatehouse(() => gh.totpConfirm(token(req), b.code, browser(req)));
  });
}
