/**
 * Second factors in the chat (issue 12 item 8): an authenticator app enrolled in the chat's settings
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
  setSession: (reply: FastifyReply, s: SessionRow) => void;
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
    const session = await chat.signInSecondFactor(b, browser(req));
    d.setSession(reply, session);
    return d.sessionView(session);
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
