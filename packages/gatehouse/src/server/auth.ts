import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/index.ts';
import { safeEqual } from '../crypto/index.ts';
import { GatehouseError } from '../errors/index.ts';
import type { Authenticated, IdentityService } from '../identity/index.ts';
import type { ApiKeyView, KeyService, Scope } from '../keys/index.ts';

declare module 'fastify' {
  interface FastifyRequest {
    auth?: Authenticated;
    operator?: ApiKeyView;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function sessionCookieName(config: Pick<Config, 'cookieSecure'>): string {
  return config.cookieSecure ? '__Host-gh_session' : 'gh_session';
}
export const CSRF_COOKIE = 'gh_csrf';
export const CSRF_HEADER = 'x-csrf-token';

/** The CSRF token of a session: derived from its secret token, so it cannot be forged without it. */
export function csrfFor(sessionToken: string): string {
  return createHash('sha256').update(`gatehouse-csrf|${sessionToken}`).digest('base64url');
}

function bearer(req: { headers: IncomingHttpHeaders }): string | undefined {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m?.[1];
}

/**
 * An onRequest hook (before the body is read: a stranger costs no parsing and learns nothing from validation errors) that authenticates a user by bearer token (apps) or session cookie (browsers). Cookie
 * requests that change state must carry the CSRF token in the X-CSRF-Token header.
 */
export function requireSession(identity: IdentityService, config: Pick<Config, 'cookieSecure'>) {
  const cookieName = sessionCookieName(config);
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const b = bearer(req);
    if (b !== undefined) {
      req.auth = await identity.authenticate(b);
      return;
    }
    const c = req.cookies?.[cookieName];
    if (!c) throw new GatehouseError('UNAUTHENTICATED');
    const auth = await identity.authenticate(c);
    if (!SAFE_METHODS.has(req.method)) {
      const sent = req.headers[CSRF_HEADER];
      if (typeof sent !== 'string' || !safeEqual(sent, csrfFor(c))) throw new GatehouseError('CSRF_FAILED');
    }
    req.auth = auth;
  };
}

/**
 * An onRequest hook that requires an operator API key with the given scope (Bearer ghk_… or X-API-Key), or
 * an operator's web console session whose role has the scope (keys.sessions). A key verified in the
 * last second is answered in this turn of the event loop (KeyService.verifiedNow): the hot routes (the
 * pre-send check, ingestion) wait on nothing to authenticate.
 */
export function requireKey(keys: KeyService, scope: Scope) {
  const slow = async (req: FastifyRequest, presented: string | undefined): Promise<void> => {
    if (!presented && keys.sessions) {
      // an operator signed in to the web console (cookie session, CSRF, role checked there)
      const op = await keys.sessions.verify(req, scope);
      if (op) {
        req.operator = op;
        return;
      }
    }
    if (!presented)
      throw new GatehouseError(
        'API_KEY_INVALID',
        'An operator API key is required (Authorization: Bearer ghk_…)',
      );
    req.operator = await keys.verify(presented, scope);
  };
  // an onRequest hook with `done`, or awaited by a caller: answered in this turn when the key is known
  // (done called, nothing returned), else a promise (Fastify waits on it); API_KEY_SCOPE is thrown
  return (req: FastifyRequest, _reply?: FastifyReply, done?: () => void): Promise<void> | undefined => {
    const presented = presentedKey(req);
    const known = presented ? keys.verifiedNow(presented, scope) : undefined;
    if (!known) return slow(req, presented);
    req.operator = known;
    done?.();
    return undefined;
  };
}

/** The operator API key a request presents (Bearer ghk_… or X-API-Key), if any. */
function presentedKey(req: { headers: IncomingHttpHeaders }): string | undefined {
  const h = req.headers['x-api-key'];
  return bearer(req) ?? (typeof h === 'string' ? h : undefined);
}

/**
 * requireKey's answer when memory has it, for a route answered ahead of Fastify (server/fast-route.ts):
 * true for a key verified in the last second that has the scope. False for anything else (no key, an
 * unknown or revoked one, a console session) and a throw (API_KEY_SCOPE): the route then leaves the
 * request to Fastify, whose requireKey answers it.
 */
export function keyKnownNow(
  keys: KeyService,
  scope: Scope,
): (req: { headers: IncomingHttpHeaders }) => boolean {
  return (req) => {
    const presented = presentedKey(req);
    return presented !== undefined && keys.verifiedNow(presented, scope) !== undefined;
  };
}
