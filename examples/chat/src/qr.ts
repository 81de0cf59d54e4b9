/**
 * "Sign in with QR" for the chat (issue 12 item 8): the chat's routes for Gatehouse's QR cross-device
 * login. The requesting page makes a non-extractable P-256 key with WebCrypto and asks for a login; the
 * page shows the QR code (the platform URL Gatehouse gives); a signed-in person's "phone" (any signed-in
 * chat page) pastes or scans that URL, reads Gatehouse's context screen (device, network, distance,
 * what it grants, "did you start this on a device in front of you?", Decline by default) and decides;
 * the requesting page then proves its key and gets the chat's own session cookie.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ChatService } from './chat.ts';
import type { SessionRow } from './db.ts';
import { ChatError } from './errors.ts';
import type { Browser, GatehouseLink } from './gatehouse.ts';

export interface QrRouteDeps {
  gh: GatehouseLink;
  chat: ChatService;
  auth: (req: FastifyRequest) => Promise<void>;
  browser: (req: FastifyRequest) => Browser;
  setSession: (reply: FastifyReply, s: SessionRow, deviceToken?: string) => void;
  sessionView: (s: SessionRow) => unknown;
  parse: <T extends z.ZodType>(schema: T, v: unknown) => z.output<T>;
}

const Jwk = z.strictObject({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: z.string().max(64),
  y: z.string().max(64),
});
const Id = z.string().min(1).max(100);
/** The scanned QR: Gatehouse's code, or the whole platform URL it encodes. */
const Code = z.string().min(1).max(2048);

export function registerQrRoutes(app: FastifyInstance, d: QrRouteDeps): void {
  const { gh, chat, auth, browser, parse } = d;
  const token = (req: FastifyRequest) => {
    const t = req.chatSession!.gh_token;
    if (!t) throw new ChatError('UNAUTHENTICATED');
    return t;
  };

  // the requesting page (not signed in)
  app.post('/api/qr', async (req, reply) => {
    const b = parse(z.strictObject({ publicKey: Jwk }), req.body);
    const s = await chat.gatehouse(() => gh.qrStart(b.publicKey, browser(req)));
    return reply.code(201).send(s);
  });
  app.get('/api/qr/:id', async (req) => {
    const { id } = parse(z.strictObject({ id: Id }), req.params);
    return chat.gatehouse(() => gh.qrState(id, browser(req)));
  });
  app.post('/api/qr/:id/session', async (req, reply) => {
    const { id } = parse(z.strictObject({ id: Id }), req.params);
    const b = parse(z.strictObject({ signature: z.string().min(1).max(200) }), req.body);
    const r = await chat.gatehouse(() => gh.qrCollect(id, b.signature, browser(req)));
    const session = chat.adoptSignIn(r);
    d.setSession(reply, session, r.deviceToken);
    return d.sessionView(session);
  });

  // the approving phone (signed in)
  app.post('/api/me/qr/context', { preHandler: auth }, async (req) => {
    const b = parse(z.strictObject({ code: Code }), req.body);
    return chat.gatehouse(() => gh.qrContext(token(req), b.code, browser(req)));
  });
  app.post('/api/me/qr/decision', { preHandler: auth }, async (req) => {
    const b = parse(
      z.strictObject({ code: Code, decision: z.enum(['approve', 'decline']), inFrontOfMe: z.boolean() }),
      req.body,
    );
    return chat.gatehouse(() =>
      gh.qrDecide(token(req), b.code, { decision: b.decision, inFrontOfMe: b.inFrontOfMe }, browser(req)),
    );
  });
}
