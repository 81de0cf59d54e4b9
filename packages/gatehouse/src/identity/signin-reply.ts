import type { FastifyReply } from 'fastify';
import type { Config } from '../config/index.ts';
import { CSRF_COOKIE, csrfFor, sessionCookieName } from '../server/auth.ts';
import type { AccountView, SessionView } from './service.ts';

/** The device cookie: a known device's sign-in attempts are counted apart from everyone else's. */
export const DEVICE_COOKIE = 'gh_device';

export interface SignedIn {
  token: string;
  session: SessionView;
  account: AccountView;
  deviceToken?: string;
}

/**
 * The answer of every way in (password, second factor, passkey, QR): "token" mode returns the bearer
 * token; "cookie" mode sets the HttpOnly session cookie (and a new device cookie) and returns the CSRF
 * token.
 */
export function replySignedIn(
  reply: FastifyReply,
  config: Pick<Config, 'cookieSecure' | 'cookieSameSite' | 'sessionTtlHours'>,
  r: SignedIn,
  mode: 'token' | 'cookie',
) {
  if (mode === 'cookie') {
    const maxAge = config.sessionTtlHours * 3600;
    const csrf = csrfFor(r.token);
    if (r.deviceToken)
      reply.setCookie(DEVICE_COOKIE, r.deviceToken, {
        httpOnly: true,
        secure: config.cookieSecure,
        sameSite: config.cookieSameSite,
        path: '/v1/auth',
        maxAge: 400 * 86_400,
      });
    reply.setCookie(sessionCookieName(config), r.token, {
      httpOnly: true,
      secure: config.cookieSecure,
      sameSite: config.cookieSameSite,
      path: '/',
      maxAge,
    });
    reply.setCookie(CSRF_COOKIE, csrf, {
      httpOnly: false,
      secure: config.cookieSecure,
      sameSite: config.cookieSameSite,
      path: '/',
      maxAge,
    });
    return { account: r.account, session: r.session, csrfToken: csrf };
  }
  return {
    account: r.account,
    session: r.session,
    token: r.token,
    ...(r.deviceToken ? { deviceToken: r.deviceToken } : {}),
  };
}
