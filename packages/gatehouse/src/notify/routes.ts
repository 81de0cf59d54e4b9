import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../config/index.ts';
import { GatehouseError, isGatehouseError } from '../errors/index.ts';
import type { IdentityService } from '../identity/index.ts';
import type { KeyService } from '../keys/index.ts';
import { requireKey, requireSession } from '../server/auth.ts';
import { LOCALES, PAGES, type Locale } from './catalogue.ts';
import { pageUrl } from './compose.ts';
import { notMePage, PAGE_HEADERS, type PageState } from './page.ts';
import type { NotifyService } from './service.ts';

const LocaleS = z.enum(LOCALES);
const ChannelStatusS = z.object({
  channel: z.enum(['email', 'sms', 'inapp']),
  address: z.string(),
  state: z.enum(['ok', 'failing']),
  since: z.number().nullable(),
  lastCode: z.string().nullable(),
  lastError: z.string().nullable(),
});
const NoticeS = z.object({
  id: z.string(),
  kind: z.string(),
  state: z.enum(['new', 'held', 'planned', 'suppressed', 'coalesced']),
  critical: z.boolean(),
  createdAt: z.number(),
  plannedAt: z.number().nullable(),
  coalescedInto: z.string().nullable(),
  outcome: z.record(z.string(), z.unknown()).nullable(),
  deliveries: z.array(
    z.object({
      channel: z.string(),
      to: z.string(),
      state: z.enum(['pending', 'sent', 'failed', 'dead']),
      attempts: z.number(),
      lastCode: z.string().nullable(),
      lastError: z.string().nullable(),
    }),
  ),
});
const Overview = z.object({
  locale: LocaleS,
  localeChosen: z.boolean(),
  channels: z.array(ChannelStatusS),
  notices: z.array(NoticeS),
});
const Token = z.string().min(1).max(200);

export interface NotifyRouteDeps {
  notify: NotifyService;
  identity: IdentityService;
  keys: KeyService;
  config: Pick<Config, 'cookieSecure'>;
  /** Base URL of the owner-facing pages. */
  publicUrl: () => string;
}

/**
 * The owner's notification settings and history (session), the operator's view (API key), and the
 * "this wasn't me" link: an HTML page that asks (GET never acts: mail scanners open links) and a form
 * POST that contains, plus the same as JSON for the security centre. The pages' routes log at warn
 * level only, so their URLs (which carry the token) never reach the request log.
 */
export const notifyRoutes: FastifyPluginAsyncZod<NotifyRouteDeps> = async (
  app,
  { notify, identity, keys, config, publicUrl },
) => {
  const session = requireSession(identity, config);
  const me = { security: [{ session: [] }], tags: ['me', 'notifications'] };
  const op = { security: [{ operatorKey: [] }], tags: ['operator', 'notifications'] };

  const Limit = z.strictObject({ limit: z.coerce.number().int().min(1).max(200).default(50) });
  const overview = async (account: string, limit = 50) => {
    const l = await notify.locale(account);
    return {
      locale: l.locale,
      localeChosen: l.chosen,
      channels: await notify.channelStatus(account),
      notices: await notify.notices(account, limit),
    };
  };

  app.get(
    '/v1/me/notifications',
    {
      onRequest: session,
      schema: {
        ...me,
        summary:
          'My notice language, where my notices go (and whether each address works), my recent notices',
        querystring: Limit,
        response: { 200: Overview },
      },
    },
    async (req) => overview(req.auth!.account.id, req.query.limit),
  );
  app.put(
    '/v1/me/notifications',
    {
      onRequest: session,
      schema: {
        ...me,
        summary: 'Set the language of my notices',
        body: z.strictObject({ locale: LocaleS }),
        response: { 200: Overview },
      },
    },
    async (req) => {
      await notify.setLocale(req.auth!.account.id, req.body.locale);
      return overview(req.auth!.account.id);
    },
  );
  app.get(
    '/v1/accounts/:id/notifications',
    {
      onRequest: requireKey(keys, 'accounts:read'),
      schema: {
        ...op,
        summary: "An account's notice language, addresses and recent notices",
        params: z.strictObject({ id: z.string().min(1).max(100) }),
        querystring: Limit,
        response: { 200: Overview },
      },
    },
    async (req) => {
      await identity.getAccount(req.params.id);
      return overview(req.params.id, req.query.limit);
    },
  );
  app.put(
    '/v1/accounts/:id/locale',
    {
      onRequest: requireKey(keys, 'accounts:write'),
      schema: {
        ...op,
        summary: 'Set the language of an account’s notices (the platform knows its users’ language)',
        params: z.strictObject({ id: z.string().min(1).max(100) }),
        body: z.strictObject({ locale: LocaleS }),
        response: { 200: Overview },
      },
    },
    async (req) => {
      await identity.getAccount(req.params.id);
      await notify.setLocale(req.params.id, req.body.locale);
      return overview(req.params.id);
    },
  );

  // ---- "this wasn't me" --------------------------------------------------------------------------

  app.post(
    '/v1/notify/not-me',
    {
      logLevel: 'warn',
      schema: {
        tags: ['notifications'],
        summary: 'Use a "this wasn\'t me" link: contain the account (single use)',
        body: z.strictObject({ token: Token }),
        response: {
          200: z.object({
            contained: z.boolean(),
            steps: z.array(z.object({ kind: z.string(), status: z.string() })),
          }),
        },
      },
    },
    async (req) => notify.useNotMe(req.body.token, req.ip),
  );

  // the HTML pages: a form post needs its parser in this plugin only
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 4096 },
    (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );
  const page = (reply: FastifyReply, status: number, locale: Locale, s: PageState) =>
    reply
      .code(status)
      .headers(PAGE_HEADERS)
      .type('text/html; charset=utf-8')
      .send(notMePage(locale, s, pageUrl(publicUrl(), PAGES.appeal)));
  const failure = (reply: FastifyReply, req: FastifyRequest, err: unknown, locale: Locale) => {
    if (!isGatehouseError(err)) {
      req.log.error({ err }, '"this wasn\'t me" failed');
      return page(reply, 500, locale, { kind: 'failed' });
    }
    if (err.headers) reply.headers(err.headers);
    const kind =
      err.code === 'NOTIFY_LINK_USED'
        ? 'used'
        : err.code === 'NOTIFY_LINK_EXPIRED'
          ? 'expired'
          : err.code === 'NOTIFY_LINK_INVALID'
            ? 'invalid'
            : 'failed';
    return page(reply, err.status, locale, { kind });
  };
  const langOf = (req: FastifyRequest): Locale => {
    const h = req.headers['accept-language'];
    return typeof h === 'string' && /^en\b/i.test(h) ? 'en' : 'zh-CN';
  };

  app.get(
    PAGES.notMe,
    {
      logLevel: 'warn',
      schema: { hide: true, querystring: z.object({ token: z.string().max(200).optional() }) },
    },
    async (req, reply) => {
      const token = req.query.token ?? '';
      try {
        const p = await notify.peek(token, req.ip);
        if (p.state !== 'ready')
          return page(reply, 410, p.locale, { kind: p.state === 'used' ? 'used' : 'expired' });
        return page(reply, 200, p.locale, { kind: 'ask', summary: p.summary, token });
      } catch (err) {
        return failure(reply, req, err, langOf(req));
      }
    },
  );
  app.post(PAGES.notMe, { logLevel: 'warn', schema: { hide: true } }, async (req, reply) => {
    const body = req.body as Record<string, unknown> | undefined;
    const token = typeof body?.token === 'string' ? body.token : '';
    let locale = langOf(req);
    try {
      locale = (await notify.peek(token, req.ip)).locale;
      await notify.useNotMe(token, req.ip);
      return page(reply, 200, locale, { kind: 'done' });
    } catch (err) {
      return failure(reply, req, err, locale);
    }
  });
  // a GET of the JSON endpoint is a mistake worth a clear answer, not a 404
  app.get('/v1/notify/not-me', { schema: { hide: true } }, async () => {
    throw new GatehouseError('METHOD_NOT_ALLOWED', 'POST the token as JSON: {"token": "ghn_…"}');
  });
};
