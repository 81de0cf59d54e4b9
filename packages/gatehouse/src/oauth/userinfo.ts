import type { IncomingHttpHeaders } from 'node:http';
import type Provider from 'oidc-provider';
import type { Client } from 'oidc-provider';
import type { AccountView } from '../identity/index.ts';
import type { AccountCache } from './account-cache.ts';
import type { ProviderDeps } from './provider-base.ts';
import { ROUTES } from './provider-base.ts';

/**
 * Userinfo's common case answered without the provider's Koa stack: a GET with a Bearer token in the
 * Authorization header and nothing else (no query, no body, no Origin, no DPoP header). Measured: the
 * provider's own route cost ~380 µs of CPU per read here (Koa, its context, the library's middleware
 * chain, three eagerly built errors per request), and oidc-provider alone with an in-memory adapter
 * (`bench oauth-baseline`) does ~2,000–2,500 reads per core-second on this machine: the 5,000 target is
 * out of its reach whatever Gatehouse does around it.
 *
 * The provider stays the authority: the token, its grant and its client are the provider's own models
 * (`AccessToken.find` checks format, kind and expiry; `Grant.find`; `Client.find`, which refuses a
 * suspended app), and the claims go through the provider's `Claims` mask with the grant's scope and
 * rejected claims, exactly as its userinfo action does. This path only ever answers 200: anything it
 * does not fully handle — a missing, expired or revoked token, a suspended app, a frozen account, a
 * token without `openid`, a sender-constrained token (DPoP `jkt`, mTLS), an audience, a signed or
 * encrypted userinfo, CORS, a `scope` parameter, a token in the body, a failure while reading the
 * claims (rate limit, access log) — goes to the provider's own route untouched, which answers it (and
 * every refusal) as before.
 */
export async function fastUserinfo(
  provider: Provider,
  d: UserinfoDeps,
  req: { method: string; url: string; headers: IncomingHttpHeaders; remoteAddress: string | undefined },
  opts: { trustProxy: boolean },
): Promise<{ body: string; headers: Record<string, string> } | undefined> {
  const h = req.headers;
  if (req.method !== 'GET' || req.url !== ROUTES.userinfo) return undefined;
  if (h.origin !== undefined || h.dpop !== undefined || h['content-type'] !== undefined) return undefined;
  if (h['transfer-encoding'] !== undefined || (h['content-length'] ?? '0') !== '0') return undefined;
  const m = BEARER.exec(h.authorization ?? '');
  if (!m) return undefined;
  let r: Awaited<ReturnType<typeof answer>>;
  try {
    r = await answer(provider, d, m[1]!, clientIp(h, req.remoteAddress, opts.trustProxy));
  } catch {
    r = undefined;
  }
  if (r) userinfoStats.served++;
  else userinfoStats.handedOn++;
  return r;
}

/** Reads the fast path answered, and those it looked at and handed to the provider (tests). */
export const userinfoStats = { served: 0, handedOn: 0 };

export interface UserinfoDeps extends Pick<ProviderDeps, 'account' | 'claims'> {
  /** What the provider's adapter answers for a client id (the registry: undefined when suspended). */
  clientMetadata(id: string): Promise<object | undefined>;
}

/**
 * The provider's Client per metadata object the registry returned. `Client.find` would hash the
 * metadata's JSON on every call to find the same instance; the registry hands out one object per
 * cached row (a new one when the row changes), so the object itself is the key. Per provider: a key
 * rotation builds a new one.
 */
const clients = new WeakMap<Provider, WeakMap<object, Client>>();
async function clientOf(provider: Provider, d: UserinfoDeps, id: string): Promise<Client | undefined> {
  const metadata = await d.clientMetadata(id);
  if (!metadata) return undefined;
  let byMeta = clients.get(provider);
  if (!byMeta) clients.set(provider, (byMeta = new WeakMap()));
  let c = byMeta.get(metadata);
  if (!c) {
    c = await provider.Client.find(id);
    if (c) byMeta.set(metadata, c);
  }
  return c;
}

async function answer(
  provider: Provider,
  d: UserinfoDeps,
  token: string,
  ip: string,
): Promise<{ body: string; headers: Record<string, string> } | undefined> {
  const at = await provider.AccessToken.find(token);
  if (!at?.accountId || !at.clientId || !at.grantId || !at.scopes.has('openid')) return undefined;
  if (at.jkt !== undefined || at['x5t#S256'] !== undefined || at.aud !== undefined) return undefined;
  if (at.claims !== undefined) return undefined;
  const client = await clientOf(provider, d, at.clientId);
  if (!client || client.userinfoSignedResponseAlg || client.userinfoEncryptedResponseAlg) return undefined;
  const account = await d.account(at.accountId);
  if (!account) return undefined;
  const grant = await provider.Grant.find(at.grantId, { ignoreExpiration: true });
  if (!grant || grant.isExpired || grant.clientId !== at.clientId || grant.accountId !== at.accountId)
    return undefined;
  const rejected = grant.getRejectedOIDCClaims();
  const scope = grant.getOIDCScopeFiltered(new Set(at.scope!.split(' ')));
  let claims: Record<string, string | number>;
  try {
    // what the provider's findAccount(…).claims('userinfo', scope) returns (provider.ts); the read is logged
    claims = await d.claims({
      accountId: account.id,
      clientId: client.clientId,
      scope,
      use: 'userinfo',
      ip,
      grantId: at.grantId,
      account,
    });
  } catch {
    return undefined;
  }
  const mask = new provider.Claims({ ...claims, sub: account.id }, { client });
  mask.scope(scope);
  mask.mask({});
  mask.rejected(rejected);
  return { body: JSON.stringify(await mask.result()), headers: HEADERS };
}

/** The account behind a token when it may still use apps (the provider's `findAccount` asks the same). */
export async function activeAccount(
  accounts: AccountCache<AccountView>,
  id: string,
): Promise<{ id: string; handle: string; displayName: string } | undefined> {
  const a = await accounts.get(id);
  return a && a.state === 'active' ? { id: a.id, handle: a.handle, displayName: a.displayName } : undefined;
}

/** The header oidc-provider accepts: exactly two parts, the scheme in any case. */
const BEARER = /^bearer ([^ ]+)$/i;

/**
 * What the provider's userinfo route sends with a 200 for a request without Origin (its no-cache and
 * CORS middleware; `userinfo.test.ts` compares both routes' answers).
 */
const HEADERS: Record<string, string> = {
  'cache-control': 'no-store',
  vary: 'Origin',
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'WWW-Authenticate',
  'content-type': 'application/json; charset=utf-8',
};

/** The client address as the provider (Koa) reads it: X-Forwarded-For's first entry only behind a proxy. */
function clientIp(h: IncomingHttpHeaders, remote: string | undefined, trustProxy: boolean): string {
  const xff = h['x-forwarded-for'];
  if (trustProxy && typeof xff === 'string' && xff) {
    const first = xff.split(',')[0]!.trim();
    if (first) return first;
  }
  return remote ?? '';
}
