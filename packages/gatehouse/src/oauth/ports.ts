import type { GrantRevoker } from '../response/index.ts';
import type { GrantsPort } from '../recovery/index.ts';
import type { OAuthService } from './service.ts';

/**
 * The response part's `revoke_grants` action for third-party apps: "all" revokes every app grant of the
 * account; "intruder" the grants the intruder's Gatehouse session authorised (all of them when that
 * session authorised none that Gatehouse knows of, since the intruder may have used an older session).
 */
export class OAuthGrantRevoker implements GrantRevoker {
  private readonly oauth: OAuthService;
  constructor(oauth: OAuthService) {
    this.oauth = oauth;
  }
  async revokeGrants(
    account: string,
    scope: 'intruder' | 'all',
    session: string | undefined,
  ): Promise<{ revoked: number; kind: string }> {
    let ids: string[] = [];
    if (scope === 'intruder' && session) ids = await this.oauth.grantsFromSession(account, session);
    if (ids.length === 0) ids = (await this.oauth.userApps(account)).flatMap((a) => a.grants);
    const revoked = await this.oauth.revokeGrantIds(account, ids, 'system', `containment (${scope})`);
    return { revoked, kind: 'oauth_grant' };
  }
}

/** One app grant as recovery's review shows it. */
export interface ReviewGrant {
  id: string;
  client: string;
  name: { en: string; zh: string };
  verified: boolean;
  scopes: string[];
  createdAt: number;
  lastAccessAt: number | null;
  /** Authorised inside the compromise window (likely by the intruder). */
  authorisedDuringWindow: boolean;
  /** Read the user's data inside the window. */
  usedDuringWindow: boolean;
}

/** What apps read of a user in a window: per app, the fields and how many reads. */
export interface AppReads {
  client: string;
  name: { en: string; zh: string };
  fields: string[];
  reads: number;
  first: number;
  last: number;
}

/**
 * Recovery's grant review over the OAuth part: every live grant of the account, each marked whether it
 * was authorised or used during the compromise window; and which apps read what in that window (the
 * owner's report).
 */
export class OAuthGrantsPort implements GrantsPort {
  private readonly oauth: OAuthService;
  constructor(oauth: OAuthService) {
    this.oauth = oauth;
  }

  async list(accountId: string, window?: { start: number; end: number }): Promise<ReviewGrant[]> {
    const apps = await this.oauth.userApps(accountId);
    const reads = window ? await this.readsDuring(accountId, window.start, window.end) : [];
    const used = new Set(reads.map((r) => r.client));
    return apps.flatMap((a) =>
      a.grants.map((g) => ({
        id: g,
        client: a.client,
        name: a.name,
        verified: a.verified,
        scopes: a.scopes,
        createdAt: a.authorisedAt,
        lastAccessAt: a.lastAccessAt,
        authorisedDuringWindow: !!window && a.authorisedAt >= window.start && a.authorisedAt <= window.end,
        usedDuringWindow: used.has(a.client),
      })),
    );
  }

  async revoke(accountId: string, grantId: string): Promise<void> {
    const owned = (await this.oauth.userApps(accountId)).some((a) => a.grants.includes(grantId));
    if (owned)
      await this.oauth.revokeGrantIds(accountId, [grantId], `account:${accountId}`, 'recovery review');
  }

  async readsDuring(accountId: string, from: number, to: number): Promise<AppReads[]> {
    const rows = await this.oauth.accessLogOf(accountId, { from, to, limit: 1000 });
    const by = new Map<string, AppReads>();
    for (const r of rows) {
      let a = by.get(r.client);
      if (!a) {
        const app = await this.oauth.registry.cached(r.client);
        a = {
          client: r.client,
          name: { en: app?.name ?? r.client, zh: app?.name_zh ?? r.client },
          fields: [],
          reads: 0,
          first: r.at,
          last: r.at,
        };
        by.set(r.client, a);
      }
      a.reads++;
      a.fields = [...new Set([...a.fields, ...(r.resource === 'friends' ? ['friends'] : r.fields)])].sort();
      a.first = Math.min(a.first, r.at);
      a.last = Math.max(a.last, r.at);
    }
    return [...by.values()];
  }
}
