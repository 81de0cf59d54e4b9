import { createHmac } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import type { Config } from '../config/index.ts';
import { safeEqual } from '../crypto/index.ts';
import { GatehouseError, isGatehouseError } from '../errors/index.ts';
import type { IdentityService } from '../identity/index.ts';
import { CSRF_COOKIE, csrfFor, sessionCookieName } from '../server/auth.ts';
import { consentPage, errorPage, loginPage, pickLang, type AppBadge, type Lang } from './pages.ts';
import { INTERACTION_PREFIX, isAppNotActive } from './provider-base.ts';
import { FIELD_SCOPES, scopeSet } from './scopes.ts';
import type { OAuthService } from './service.ts';

export interface InteractionDeps {
  oauth: OAuthService;
  identity: Pick<IdentityService, 'authenticate' | 'signIn' | 'probation'>;
  config: Pick<Config, 'cookieSecure' | 'cookieSameSite' | 'sessionTtlHours'>;
  secretKey: Buffer;
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

const MAX_FORM = 16 * 1024;

/** Headers for every page of the sign-in and consent steps: never framed, nothing loaded from elsewhere. */
function pageHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .type('text/html; charset=utf-8')
    .header('x-frame-options', 'DENY')
    .header(
      'content-security-policy',
      "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    )
    .header('referrer-policy', 'no-referrer');
}

/**
 * The login and consent steps of the provider, done with Gatehouse's own sign-in: a live Gatehouse
 * session (the `__Host-gh_session` cookie) signs the user in without a form; otherwise the password
 * form signs in through the identity part (rate limits, history, events) and sets that cookie.
 */
export async function interactionRoutes(app: FastifyInstance, d: InteractionDeps): Promise<void> {
  const cookieName = sessionCookieName(d.config);
  const csrfOf = (uid: string) =>
    createHmac('sha256', d.secretKey).update(`gatehouse-oauth-interaction|${uid}`).digest('base64url');

  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: MAX_FORM },
    (_req, body, done) => {
      const p = new URLSearchParams(body as string);
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of p) {
        const cur = out[k];
        out[k] = cur === undefined ? v : Array.isArray(cur) ? [...cur, v] : [cur, v];
      }
      done(null, out);
    },
  );

  const langOf = (req: FastifyRequest, details?: Details): Lang => {
    const q = (req.query as Record<string, unknown> | undefined)?.lang;
    if (q === 'zh' || q === 'en') return q;
    const ui = details?.params.ui_locales;
    return pickLang(typeof ui === 'string' ? ui : undefined, req.headers['accept-language']);
  };

  const load = async (req: FastifyRequest, reply: FastifyReply) => {
    const provider = await d.oauth.provider();
    try {
      const details = await provider.interactionDetails(req.raw, reply.raw);
      const { uid } = req.params as { uid: string };
      if (details.uid !== uid) throw new Error('uid mismatch');
      return { provider, details };
    } catch {
      throw new GatehouseError('OAUTH_INTERACTION_INVALID');
    }
  };

  const badge = async (clientId: string): Promise<AppBadge> => {
    const r = await d.oauth.registry.cached(clientId);
    return r
      ? { name: { en: r.name, zh: r.name_zh }, verified: r.verified === 1 }
      : { name: { en: clientId, zh: clientId }, verified: false };
  };

  const liveAccount = async (req: FastifyRequest) => {
    const c = req.cookies?.[cookieName];
    if (!c) return undefined;
    try {
      return await d.identity.authenticate(c);
    } catch {
      return undefined;
    }
  };

  const finish = async (
    provider: Provider,
    req: FastifyRequest,
    reply: FastifyReply,
    result: Parameters<Provider['interactionResult']>[2],
  ) => {
    const to = await provider.interactionResult(req.raw, reply.raw, result, {
      mergeWithLastSubmission: false,
    });
    return reply.code(303).header('location', to).send();
  };

  const renderConsent = async (
    req: FastifyRequest,
    reply: FastifyReply,
    details: Details,
    handle: string,
  ) => {
    const requested = scopeSet(typeof details.params.scope === 'string' ? details.params.scope : '');
    const clientId = String(details.params.client_id);
    return pageHeaders(reply).send(
      consentPage({
        lang: langOf(req, details),
        app: await badge(clientId),
        action: `${INTERACTION_PREFIX}/${details.uid}/confirm`,
        csrf: csrfOf(details.uid),
        fields: FIELD_SCOPES.map((f) => f.scope).filter((s) => requested.has(s)),
        offline: requested.has('offline_access'),
        handle,
      }),
    );
  };

  const checkCsrf = (req: FastifyRequest, uid: string) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const sent = typeof body.csrf === 'string' ? body.csrf : '';
    if (!safeEqual(sent, csrfOf(uid))) throw new GatehouseError('CSRF_FAILED');
  };

  app.get(`${INTERACTION_PREFIX}/:uid`, { schema: { hide: true } }, async (req, reply) => {
    const { provider, details } = await load(req, reply);
    const clientId = String(details.params.client_id);
    if (details.prompt.name === 'login') {
      const auth = await liveAccount(req);
      if (auth)
        return finish(provider, req, reply, {
          login: { accountId: auth.account.id, amr: [auth.session.method] },
        });
      return pageHeaders(reply).send(
        loginPage({
          lang: langOf(req, details),
          app: await badge(clientId),
          action: `${INTERACTION_PREFIX}/${details.uid}/login`,
          csrf: csrfOf(details.uid),
        }),
      );
    }
    if (details.prompt.name === 'consent') {
      const auth = await liveAccount(req);
      if (!auth || auth.account.id !== details.session?.accountId)
        return finish(provider, req, reply, {
          error: 'login_required',
          error_description: 'the Gatehouse session ended',
        });
      return renderConsent(req, reply, details, auth.account.handle);
    }
    return pageHeaders(reply.code(400)).send(
      errorPage(langOf(req, details), {
        error: 'invalid_request',
        error_description: `unknown prompt ${details.prompt.name}`,
      }),
    );
  });

  app.post(`${INTERACTION_PREFIX}/:uid/login`, { schema: { hide: true } }, async (req, reply) => {
    const { provider, details } = await load(req, reply);
    checkCsrf(req, details.uid);
    if (details.prompt.name !== 'login') throw new GatehouseError('OAUTH_INTERACTION_INVALID');
    const body = (req.body ?? {}) as Record<string, unknown>;
    const handle = typeof body.handle === 'string' ? body.handle.slice(0, 64) : '';
    const password = typeof body.password === 'string' ? body.password.slice(0, 1024) : '';
    const lang = langOf(req, details);
    try {
      const r = await d.identity.signIn(
        { handle, password },
        {
          ip: req.ip,
          userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : '',
        },
      );
      const opts = {
        secure: d.config.cookieSecure,
        sameSite: d.config.cookieSameSite,
        path: '/',
        maxAge: d.config.sessionTtlHours * 3600,
      } as const;
      reply.setCookie(cookieName, r.token, { ...opts, httpOnly: true });
      reply.setCookie(CSRF_COOKIE, csrfFor(r.token), { ...opts, httpOnly: false });
      return finish(provider, req, reply, { login: { accountId: r.account.id, amr: ['pwd'] } });
    } catch (e) {
      if (!isGatehouseError(e)) throw e;
      if (e.headers) for (const [k, v] of Object.entries(e.headers)) reply.header(k, v);
      const zh: Partial<Record<string, string>> = {
        INVALID_CREDENTIALS: '用户名或密码错误',
        RATE_LIMITED: '尝试次数过多，请稍后再试',
        ACCOUNT_FROZEN: '账号已被冻结',
        ACCOUNT_DELETED: '账号已删除',
        // this page asks for the password only: the second factor is done on the platform's own sign-in
        SIGNIN_SECOND_FACTOR_REQUIRED: '此设备或网络需要第二重验证：请先在平台上登录，然后再授权应用',
        SIGNIN_RISK_DENIED: '此次登录疑似撞库；请在以前登录过的设备或网络上登录',
      };
      return pageHeaders(reply.code(e.status)).send(
        loginPage({
          lang,
          app: await badge(String(details.params.client_id)),
          action: `${INTERACTION_PREFIX}/${details.uid}/login`,
          csrf: csrfOf(details.uid),
          handle,
          // a refusal that carries its own Chinese (the engine's, the stuffing rules') says it in its words
          error:
            lang === 'zh'
              ? ((typeof e.extra?.zh === 'string' ? e.extra.zh : undefined) ?? zh[e.code] ?? e.message)
              : e.message,
        }),
      );
    }
  });

  app.post(`${INTERACTION_PREFIX}/:uid/confirm`, { schema: { hide: true } }, async (req, reply) => {
    const { provider, details } = await load(req, reply);
    checkCsrf(req, details.uid);
    if (details.prompt.name !== 'consent') throw new GatehouseError('OAUTH_INTERACTION_INVALID');
    const auth = await liveAccount(req);
    const accountId = details.session?.accountId;
    if (!auth || !accountId || auth.account.id !== accountId)
      return finish(provider, req, reply, {
        error: 'login_required',
        error_description: 'the Gatehouse session ended',
      });
    // a session from a far-away QR approval authorises no app while on probation
    d.identity.probation.assertNot(auth.session);
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (body.decision !== 'allow')
      return finish(provider, req, reply, { error: 'access_denied', error_description: 'the user declined' });
    const clientId = String(details.params.client_id);
    const requested = scopeSet(typeof details.params.scope === 'string' ? details.params.scope : '');
    const ticked = new Set(
      Array.isArray(body.scope) ? body.scope : typeof body.scope === 'string' ? [body.scope] : [],
    );
    // only what was asked for and stayed ticked; openid always (it carries nothing but the pairwise id)
    const accepted = [...requested].filter((s) => s === 'openid' || ticked.has(s));
    const declined = [...requested].filter((s) => s !== 'openid' && !ticked.has(s));
    const grantId = details.grantId;
    const grant = grantId ? await provider.Grant.find(grantId) : new provider.Grant({ accountId, clientId });
    if (!grant) throw new GatehouseError('OAUTH_INTERACTION_INVALID');
    const rejected = (grant as unknown as { rejected?: { openid?: { scope?: string } } }).rejected?.openid;
    if (rejected?.scope)
      rejected.scope = [...scopeSet(rejected.scope)].filter((s) => !accepted.includes(s)).join(' ');
    grant.addOIDCScope(accepted.join(' '));
    if (declined.length) grant.rejectOIDCScope(declined.join(' '));
    let id: string;
    try {
      id = await grant.save();
    } catch (e) {
      // the app was suspended while the user was on this page: no grant was saved
      if (isAppNotActive(e))
        return finish(provider, req, reply, {
          error: 'access_denied',
          error_description: e.error_description,
        });
      throw e;
    }
    await d.oauth.recordGrantOrigin(id, { accountId, clientId, session: auth.session.id, ip: req.ip });
    return finish(provider, req, reply, { consent: { grantId: id } });
  });
}
