/**
 * What the rest of Gatehouse needs of the OpenID Connect provider without loading `oidc-provider`
 * (provider.ts and adapter.ts are imported when the provider is first built: a process that never
 * serves an app, a CLI command, an engine worker, does not pay for the library): its paths, the
 * dependencies it is built from, pairwise subjects, and how to tell a save refused for a suspended app.
 */
import { createHmac } from 'node:crypto';
import type { JWK } from 'jose';
import type { Adapter } from 'oidc-provider';
import type { AppBadge } from './pages.ts';

/** Every path the provider answers; the Fastify server hands these to it untouched (no body parser). */
export const ROUTES = {
  authorization: '/oidc/auth',
  token: '/oidc/token',
  userinfo: '/oidc/me',
  jwks: '/oidc/jwks',
  revocation: '/oidc/token/revocation',
  introspection: '/oidc/token/introspection',
  end_session: '/oidc/session/end',
  pushed_authorization_request: '/oidc/request',
  device_authorization: '/oidc/device/auth',
  code_verification: '/oidc/device',
} as const;
export const INTERACTION_PREFIX = '/oidc/interaction';

export interface ProviderDeps {
  issuer: string;
  /** Read the client address from X-Forwarded-For (only behind your own proxy). */
  trustProxy: boolean;
  /** Allow outgoing requests (back-channel logout) to loopback and private addresses. */
  fetchPrivateAddresses: boolean;
  adapter: new (name: string) => Adapter;
  jwks: { keys: JWK[] };
  /** 32 bytes: derives the cookie keys and the pairwise salt. */
  secretKey: Buffer;
  /** The pairwise subjects (shared with the resource API); default: from `secretKey`. */
  pairwise?: PairwiseIds;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** The account behind an id when it may still use apps (active), else undefined. */
  account(id: string): Promise<{ id: string; handle: string; displayName: string } | undefined>;
  /** Claims for granted scopes; `use` is "id_token" or "userinfo" (a userinfo read is logged by the callee). */
  claims(input: {
    accountId: string;
    clientId: string;
    scope: string;
    use: string;
    ip: string;
    grantId: string | undefined;
    /** The account as findAccount read it (its display name is the nickname's fallback). */
    account: { displayName: string };
  }): Promise<Record<string, string | number>>;
  /** The app's name and verification for the device pages. */
  app(clientId: string): Promise<AppBadge | undefined>;
  /** Whether the browser's Gatehouse session (cookie) is live and for which account. */
  gatehouseSession(cookie: string | undefined): Promise<string | undefined>;
  sessionCookieName: string;
  /** Back-channel logout and other provider errors worth a log line. */
  onError?(event: string, err: unknown): void;
}

/** Pairwise subject: one id per user and sector (the app's redirect host), unlinkable across sectors. */
export function pairwiseSub(salt: Buffer, sector: string, accountId: string): string {
  return createHmac('sha256', salt).update(`${sector}|${accountId}`).digest('base64url');
}

/**
 * Pairwise subjects remembered (every userinfo and resource read needs one: an HMAC each otherwise).
 * A pure function of salt, sector and account, so nothing here can go stale; bounded at `max` entries.
 */
export class PairwiseIds {
  private readonly salt: Buffer;
  private readonly max: number;
  private readonly memo = new Map<string, string>();
  private readonly hosts = new Map<string, string>();

  constructor(salt: Buffer, max = 50_000) {
    this.salt = salt;
    this.max = max;
  }

  /** The sector of an app: the host of its (first) redirect URI. */
  sectorOf(redirectUri: string): string {
    let h = this.hosts.get(redirectUri);
    if (h === undefined) {
      if (this.hosts.size >= 10_000) this.hosts.clear();
      this.hosts.set(redirectUri, (h = new URL(redirectUri).host));
    }
    return h;
  }

  of(sector: string, accountId: string): string {
    const k = `${sector}|${accountId}`;
    let v = this.memo.get(k);
    if (v === undefined) {
      if (this.memo.size >= this.max) this.memo.delete(this.memo.keys().next().value!);
      this.memo.set(k, (v = pairwiseSub(this.salt, sector, accountId)));
    }
    return v;
  }
}

/** A save refused because the app is not active (adapter.ts `AppNotActive`), told apart without the library. */
export function isAppNotActive(e: unknown): e is Error & { error_description?: string } {
  return e instanceof Error && (e as { appNotActive?: unknown }).appNotActive === true;
}
