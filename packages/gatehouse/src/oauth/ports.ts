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
    if (ids.length === 0) ids = (await this.oauth.userGrants(account)).map((g) => g.id);
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
  /** The fields this grant grants. */
  scopes: string[];
  /** When this grant was made (not the app's first grant). */
  createdAt: number;
  /** The app's last read, under any of its grants. */
  lastAccessAt: number | null;
  /** This grant was made inside the compromise window (likely by the intruder). */
  authorisedDuringWindow: boolean;
  /** This grant's tokens read the user's data inside the window (or a read of its app names no grant). */
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
 * Recovery's grant review over the OAuth part: every live grant of the account, each judged on its own
 * whether it was authorised or used during the compromise window (an intruder who authorises again an
 * app the owner uses gets a grant of its own, made in the window: it must not hide behind the owner's
 * older grant of the same app); and which apps read what in that window (the owner's report).
 */
export class OAuthGrantsPort implements GrantsPort {
  private readonly oauth: OAuthService;
  constructor(oauth: OAuthService) {
    this.oauth = oauth;
  }

  async list(accountId: string, window?: { start: number; end: number }): Promise<ReviewGrant[]> {
    const grants = await this.oauth.userGrants(accountId);
    const apps = new Map((await this.oauth.userApps(accountId, grants)).map((a) => [a.client, a]));
    const reads = window ? await this.oauth.readsOfGrants(accountId, window.start, window.end) : [];
    const usedGrants = new Set(reads.map((r) => r.grant));
    // a read recorded without its grant may have been any grant's of that app
    const usedUnattributed = new Set(reads.filter((r) => r.grant === null).map((r) => r.client));
    return grants.map((g) => {
      const a = apps.get(g.client)!;
      return {
        id: g.id,
        client: g.client,
        name: a.name,
        verified: a.verified,
        scopes: g.scopes,
        createdAt: g.createdAt,
        lastAccessAt: a.lastAccessAt,
        authorisedDuringWindow: !!window && g.createdAt >= window.start && g.createdAt <= window.end,
        usedDuringWindow: usedGrants.has(g.id) || usedUnattributed.has(g.client),
      };
    });
  }

  async revoke(accountId: string, grantId: string): Promise<void> {
    const owned = (await this.oauth.userGrants(accountId)).some((g) => g.id === grantId);
    if (owned)
      await this.oauth.revokeGrantIds(accountId, [grantId], `account:${accountId}`, 'recovery review');
  }

  async readsDuring(accountId: string, from: number, to: number): Promise<AppReads[]> {
    const by = new Map<string, AppReads>();
    for (const r of await this.oauth.readsOfGrants(accountId, from, to)) {
      let a = by.get(r.client);
      if (!a) {
        const app = await this.oauth.registry.cached(r.client);
        a = {
          client: r.client,
          name: { en: app?.name ?? r.client, zh: app?.name_zh ?? r.client },
          fields: [],
          reads: 0,
          first: r.first,
          last: r.last,
        };
        by.set(r.client, a);
      }
      a.reads += r.reads;
      a.fields = [...new Set([...a.fields, ...(r.resource === 'friends' ? ['friends'] : r.fields)])].sort();
      a.first = Math.min(a.first, r.first);
      a.last = Math.max(a.last, r.last);
    }
    // the app that read last first
    return [...by.values()].sort((x, y) => y.last - x.last || x.client.localeCompare(y.client));
  }
}
