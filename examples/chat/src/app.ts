/**
 * The chat server: Fastify with a WebSocket endpoint, its own SQLite database, the web page, and the
 * webhook endpoint Gatehouse calls. Routes are thin; the logic is in chat.ts.
 */
import { readFileSync, mkdirSync, createReadStream } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import cookie from '@fastify/cookie';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ChatService, IMAGE_TYPES, MAX_ATTACHMENTS, MAX_TEXT } from './chat.ts';
import { ChatDb, type SessionRow } from './db.ts';
import { ChatError } from './errors.ts';
import { createGatehouseLink, WebhookError, type GatehouseLink } from './gatehouse.ts';
import { Hub } from './hub.ts';
import { registerMfaRoutes } from './mfa.ts';
import { registerQrRoutes } from './qr.ts';

export interface ChatOptions {
  /** Gatehouse base URL. */
  gatehouse: string;
  /** Operator API key for events and the pre-send check. */
  apiKey?: string;
  /** Webhook signing secrets. */
  webhookSecrets?: string[];
  dataDir: string;
  host?: string;
  port?: number;
  /** Mark the cookie Secure (true behind HTTPS). */
  secureCookie?: boolean;
  /**
   * Read the client address from X-Forwarded-For (Fastify's trustProxy): only when the chat sits behind
   * your own reverse proxy, or a simulator drives it. Default false: the TCP peer's address.
   */
  trustProxy?: boolean;
  logLevel?: string;
  /** Largest image upload, bytes. */
  maxUploadBytes?: number;
  /** The pre-send check's timeout, ms (default 500). */
  checkTimeoutMs?: number;
  /** When the check fails or times out: deliver and report it unchecked (`open`, default) or refuse (`closed`). */
  checkFailure?: 'open' | 'closed';
  /** Fail open: waits before each new ask of a message delivered without a verdict (ChatService). */
  recheckDelaysMs?: number[];
  /** For tests: a ready link instead of one built from the options. */
  link?: GatehouseLink;
  /**
   * Third-party apps that offer "Sign in with Chat" (Gatehouse's OpenID Connect provider), listed under
   * "Apps / 应用" on the chat page. The chat only links to them; the sign-in and consent are Gatehouse's.
   */
  apps?: ChatAppLink[];
  /**
   * Where a frozen owner appeals: Gatehouse's appeal page as the browser reaches it (default
   * `<gatehouse>/me/appeal`); the frozen banner links to it with `?handle=…&lang=…`.
   */
  appealUrl?: string;
}

/** An app the chat page links to. */
export interface ChatAppLink {
  name: string;
  url: string;
}

/** `NAME=URL` (the --app-url flag) → a link; only http(s) URLs. */
export function parseAppLink(spec: string): ChatAppLink {
  const m = /^([^=]+)=(https?:\/\/.+)$/i.exec(spec.trim());
  const name = m?.[1]!.trim() ?? '';
  let url: URL | undefined;
  try {
    url = m ? new URL(m[2]!) : undefined;
  } catch {
    url = undefined;
  }
  if (!name || name.length > 64 || !url)
    throw new Error(`--app-url: expected NAME=http(s)://…, got ${JSON.stringify(spec)}`);
  return { name, url: url.toString() };
}

export interface ChatServer {
  app: FastifyInstance;
  chat: ChatService;
  db: ChatDb;
  hub: Hub;
  gh: GatehouseLink;
  listen(): Promise<string>;
  /** Every message delivered without a verdict has its late verdict or its report, and reports are sent. */
  rechecksSettled(): Promise<void>;
  close(): Promise<void>;
}

export const SESSION_COOKIE = 'chat_session';
/**
 * The device token Gatehouse gave this browser at its first sign-in, sent back at every later one so that
 * Gatehouse knows the device (a new device with a second factor is asked for it; guesses from elsewhere
 * never lock this one out). HttpOnly; kept longer than a session.
 */
export const DEVICE_COOKIE = 'chat_device';
const DEVICE_TOKEN = /^ghd_[A-Za-z0-9_-]{43}$/;
const PUBLIC_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'public');
const STATIC: Record<string, string> = {
  '/': 'index.html',
  '/index.html': 'index.html',
  '/app.js': 'app.js',
  '/i18n.js': 'i18n.js',
  '/qr.js': 'qr.js',
  '/mfa.js': 'mfa.js',
  '/style.css': 'style.css',
};
const MIME: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: string;
    chatSession?: SessionRow;
  }
}

const Handle = z.string().trim().min(1).max(64);
const Name = z.string().trim().min(1).max(64);
const Id = z.string().min(1).max(100);
const Sha = z.string().regex(/^[0-9a-f]{64}$/);

function parse<T extends z.ZodType>(schema: T, v: unknown): z.output<T> {
  const r = schema.safeParse(v);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new ChatError('VALIDATION_FAILED', {
      detail: `${i?.path.join('.') || 'body'}: ${i?.message ?? 'invalid'}`,
    });
  }
  return r.data;
}

export async function createChatServer(opts: ChatOptions): Promise<ChatServer> {
  mkdirSync(opts.dataDir, { recursive: true });
  const app = Fastify({
    logger: { level: opts.logLevel ?? 'info' },
    bodyLimit: 64 * 1024,
    trustProxy: opts.trustProxy ?? false,
  });
  const log = app.log;
  const db = new ChatDb(join(opts.dataDir, 'chat.db'));
  const hub = new Hub();
  const gh =
    opts.link ??
    createGatehouseLink({
      baseUrl: opts.gatehouse,
      ...(opts.apiKey ? { apiKey: opts.apiKey } : {}),
      webhookSecrets: opts.webhookSecrets ?? [],
      log,
      ...(opts.checkTimeoutMs !== undefined ? { checkTimeoutMs: opts.checkTimeoutMs } : {}),
    });
  const chat = new ChatService({
    db,
    hub,
    gh,
    log,
    dataDir: opts.dataDir,
    ...(opts.checkFailure ? { checkFailure: opts.checkFailure } : {}),
    ...(opts.recheckDelaysMs ? { recheckDelaysMs: opts.recheckDelaysMs } : {}),
  });
  const maxUpload = opts.maxUploadBytes ?? 5 * 1024 * 1024;
  const apps = (opts.apps ?? []).map((a) => parseAppLink(`${a.name}=${a.url}`));
  const appealUrl = new URL(opts.appealUrl ?? `${opts.gatehouse.replace(/\/+$/, '')}/me/appeal`).toString();

  // JSON bodies keep their raw text (the webhook signature covers the exact bytes).
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    req.rawBody = body as string;
    if ((body as string).length === 0) return done(null, undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(new ChatError('VALIDATION_FAILED', { detail: 'body is not valid JSON' }), undefined);
    }
  });
  app.addContentTypeParser(
    Object.keys(IMAGE_TYPES),
    { parseAs: 'buffer', bodyLimit: maxUpload },
    (_req, body, done) => done(null, body),
  );

  app.setErrorHandler((err, req, reply) => {
    let e: ChatError;
    if (err instanceof ChatError) e = err;
    else if ((err as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      e = new ChatError('PAYLOAD_TOO_LARGE');
    else if ((err as { statusCode?: number }).statusCode === 415) e = new ChatError('UNSUPPORTED_IMAGE');
    else if ((err as { statusCode?: number }).statusCode && (err as { statusCode: number }).statusCode < 500)
      e = new ChatError('VALIDATION_FAILED', { detail: (err as Error).message });
    else {
      req.log.error({ err }, 'request failed');
      e = new ChatError('INTERNAL');
    }
    return reply.code(e.status).send(e.toJSON());
  });
  app.setNotFoundHandler((_req, reply) => reply.code(404).send(new ChatError('NOT_FOUND').toJSON()));

  await app.register(cookie);
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });

  const cookieOpts = {
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: opts.secureCookie ?? false,
    path: '/',
    maxAge: 30 * 24 * 3600,
  };
  /** The chat's session cookie, and the device cookie when Gatehouse gave this browser a new token. */
  const setSession = (reply: FastifyReply, s: SessionRow, deviceToken?: string) => {
    reply.setCookie(SESSION_COOKIE, s.id, cookieOpts);
    if (deviceToken && DEVICE_TOKEN.test(deviceToken))
      reply.setCookie(DEVICE_COOKIE, deviceToken, { ...cookieOpts, maxAge: 400 * 24 * 3600 });
  };

  /** Authenticates the cookie; on state-changing requests also checks the CSRF header. */
  const auth = async (req: FastifyRequest) => {
    const sid = req.cookies[SESSION_COOKIE];
    const s = sid ? db.session(sid) : undefined;
    if (!s) throw new ChatError('UNAUTHENTICATED');
    if (req.method !== 'GET' && req.method !== 'HEAD' && req.headers['x-csrf-token'] !== s.csrf)
      throw new ChatError('CSRF_FAILED');
    req.chatSession = s;
  };
  const me = (req: FastifyRequest) => req.chatSession!.user_id;
  /** The person behind a request, forwarded to Gatehouse at sign-up and sign-in. */
  const browser = (req: FastifyRequest) => {
    const device = req.cookies[DEVICE_COOKIE];
    return {
      userAgent: req.headers['user-agent'],
      ip: req.ip,
      ...(device && DEVICE_TOKEN.test(device) ? { deviceToken: device } : {}),
    };
  };
  const sessionView = (s: SessionRow) => {
    const u = chat.mustUser(s.user_id);
    return {
      user: chat.userView(u),
      frozenReason: u.state === 'frozen' ? u.state_reason : null,
      frozenReasons: chat.frozenReasons(u),
      appealUrl,
      csrfToken: s.csrf,
      capabilities: gh.capabilities,
      apps,
    };
  };

  // ---- static page ----
  const files = new Map<string, Buffer>();
  for (const [route, file] of Object.entries(STATIC)) {
    app.get(route, async (_req, reply) => {
      let body = files.get(file);
      if (!body) files.set(file, (body = readFileSync(join(PUBLIC_DIR, file))));
      return reply
        .header('content-type', MIME[file.split('.').pop()!]!)
        .header('cache-control', 'no-cache')
        .header(
          'content-security-policy',
          "default-src 'self'; img-src 'self' data: blob:; connect-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
        )
        .header('x-content-type-options', 'nosniff')
        .send(body);
    });
  }
  app.get('/healthz', async () => ({ ok: true, gatehouse: opts.gatehouse, capabilities: gh.capabilities }));

  // ---- accounts ----
  app.post('/api/signup', async (req, reply) => {
    const b = parse(
      z.strictObject({ handle: Handle, password: z.string().min(1).max(1024), displayName: Name.optional() }),
      req.body,
    );
    const { session, deviceToken } = await chat.signUp(b, browser(req));
    setSession(reply, session, deviceToken);
    return reply.code(201).send(sessionView(session));
  });
  app.post('/api/signin', async (req, reply) => {
    const b = parse(z.strictObject({ handle: Handle, password: z.string().min(1).max(1024) }), req.body);
    const { session, deviceToken } = await chat.signIn(b, browser(req));
    setSession(reply, session, deviceToken);
    return sessionView(session);
  });
  app.post('/api/signout', { preHandler: auth }, async (req, reply) => {
    await chat.signOut(req.chatSession!);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.code(204).send();
  });
  app.get('/api/me', { preHandler: auth }, async (req) => sessionView(req.chatSession!));
  registerQrRoutes(app, { gh, chat, auth, browser, setSession, sessionView, parse });
  registerMfaRoutes(app, { gh, chat, auth, browser, setSession, sessionView, parse });
  app.put('/api/me/profile', { preHandler: auth }, async (req) => {
    const b = parse(z.strictObject({ displayName: Name }), req.body);
    return chat.setDisplayName(me(req), b.displayName);
  });

  // ---- friends and blocks ----
  app.get('/api/friends', { preHandler: auth }, async (req) => chat.friends(me(req)));
  app.post('/api/friends', { preHandler: auth }, async (req, reply) => {
    const b = parse(z.strictObject({ handle: Handle }), req.body);
    return reply.code(201).send(chat.addFriend(me(req), b.handle));
  });
  app.delete('/api/friends/:id', { preHandler: auth }, async (req, reply) => {
    const p = parse(z.object({ id: Id }), req.params);
    chat.removeFriend(me(req), p.id);
    return reply.code(204).send();
  });
  app.post('/api/blocks', { preHandler: auth }, async (req, reply) => {
    const b = parse(z.strictObject({ user: Id }), req.body);
    chat.blockContact(me(req), b.user);
    return reply.code(204).send();
  });
  app.delete('/api/blocks/:id', { preHandler: auth }, async (req, reply) => {
    const p = parse(z.object({ id: Id }), req.params);
    chat.unblockContact(me(req), p.id);
    return reply.code(204).send();
  });

  // ---- groups ----
  app.get('/api/groups', { preHandler: auth }, async (req) => ({ groups: chat.groups(me(req)) }));
  app.post('/api/groups', { preHandler: auth }, async (req, reply) => {
    const b = parse(z.strictObject({ name: Name }), req.body);
    return reply.code(201).send(chat.createGroup(me(req), b.name));
  });
  app.post('/api/groups/:id/join', { preHandler: auth }, async (req) =>
    chat.joinGroup(me(req), parse(z.object({ id: Id }), req.params).id),
  );
  app.post('/api/groups/:id/leave', { preHandler: auth }, async (req, reply) => {
    chat.leaveGroup(me(req), parse(z.object({ id: Id }), req.params).id);
    return reply.code(204).send();
  });
  app.get('/api/groups/:id/members', { preHandler: auth }, async (req) => ({
    members: chat.groupMembers(me(req), parse(z.object({ id: Id }), req.params).id),
  }));

  // ---- messages ----
  app.get('/api/conversations/:conv/messages', { preHandler: auth }, async (req) =>
    chat.conversation(me(req), parse(z.object({ conv: z.string().min(3).max(120) }), req.params).conv),
  );
  app.post('/api/messages', { preHandler: auth }, async (req, reply) => {
    const b = parse(
      z.strictObject({
        to: z.union([z.strictObject({ user: Id }), z.strictObject({ group: Id })]),
        text: z.string().max(MAX_TEXT).default(''),
        attachments: z.array(Sha).max(MAX_ATTACHMENTS).default([]),
      }),
      req.body,
    );
    const r = await chat.send(me(req), req.chatSession!, b);
    return reply.code(r.status === 'held' ? 202 : 201).send(r);
  });
  app.post('/api/messages/:id/report', { preHandler: auth }, async (req, reply) => {
    const p = parse(z.object({ id: Id }), req.params);
    const b = parse(z.strictObject({ reason: z.enum(['spam', 'scam', 'not_my_friend']) }), req.body);
    chat.report(me(req), p.id, b.reason);
    return reply.code(202).send({ reported: true });
  });
  app.get('/api/warnings', { preHandler: auth }, async (req) => ({ warnings: chat.warnings(me(req)) }));
  app.delete('/api/warnings/:id', { preHandler: auth }, async (req, reply) => {
    chat.dismissWarning(me(req), parse(z.object({ id: Id }), req.params).id);
    return reply.code(204).send();
  });

  // ---- images ----
  app.post('/api/uploads', { preHandler: auth, bodyLimit: maxUpload }, async (req, reply) => {
    const mime = String(req.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim()
      .toLowerCase();
    if (!Buffer.isBuffer(req.body)) throw new ChatError('UNSUPPORTED_IMAGE');
    return reply.code(201).send(chat.storeImage(me(req), mime, req.body));
  });
  app.get('/api/attachments/:sha', { preHandler: auth }, async (req, reply) => {
    const p = parse(z.object({ sha: Sha }), req.params);
    const f = chat.attachmentFor(me(req), p.sha);
    if (!f) throw new ChatError('NOT_FOUND');
    return reply
      .header('content-type', f.mime)
      .header('cache-control', 'private, max-age=31536000, immutable')
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'")
      .send(createReadStream(f.file));
  });

  // ---- Gatehouse webhooks ----
  app.post('/gatehouse/webhooks', { bodyLimit: 1024 * 1024 }, async (req, reply) => {
    let w;
    try {
      w = gh.verifyWebhook(req.headers, req.rawBody ?? '');
    } catch (e) {
      if (e instanceof WebhookError) {
        req.log.warn({ err: e.message }, 'webhook refused');
        throw new ChatError(e.code);
      }
      throw e;
    }
    const fresh = chat.handleWebhook(w);
    req.log.info({ webhook: w.id, type: w.type, repeat: !fresh }, 'webhook');
    return reply.code(200).send({ ok: true, repeat: !fresh });
  });

  // ---- real-time ----
  app.get('/ws', { websocket: true }, (socket, req) => {
    const origin = req.headers.origin;
    const host = req.headers.host;
    let sameOrigin: boolean;
    try {
      sameOrigin = !origin || !host || new URL(origin).host === host;
    } catch {
      sameOrigin = false;
    }
    if (!sameOrigin) {
      socket.close(4003, 'origin');
      return;
    }
    const sid = req.cookies[SESSION_COOKIE];
    const s = sid ? db.session(sid) : undefined;
    if (!s) {
      socket.close(4001, 'unauthenticated');
      return;
    }
    const remove = hub.add(s.user_id, s.id, socket);
    socket.on('close', remove);
    socket.on('message', (data: Buffer) => {
      if (data.toString() === 'ping') socket.send(JSON.stringify({ type: 'pong' }));
    });
    void chat
      .refresh(s)
      .then((u) => {
        if (!u) {
          socket.send(JSON.stringify({ type: 'signed_out', reason: 'session_invalid' }));
          socket.close(4001, 'session_invalid');
          return;
        }
        socket.send(
          JSON.stringify({
            type: 'hello',
            user: chat.userView(u),
            frozenReason: u.state_reason,
            frozenReasons: chat.frozenReasons(u),
          }),
        );
      })
      .catch((e: unknown) => req.log.warn({ err: e }, 'ws hello failed'));
  });

  await app.ready();

  return {
    app,
    chat,
    db,
    hub,
    gh,
    async listen() {
      await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 3000 });
      const a = app.server.address() as AddressInfo;
      const h = a.family === 'IPv6' ? `[${a.address}]` : a.address;
      return `http://${h}:${a.port}`;
    },
    rechecksSettled: () => chat.rechecksSettled(),
    async close() {
      hub.closeAll();
      await app.close();
      chat.closeRechecks();
      await gh.close();
      db.close();
    },
  };
}
