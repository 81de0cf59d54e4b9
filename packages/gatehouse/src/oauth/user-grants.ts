/**
 * A user's grants as the user, recovery's review and the owner's report see them: one entry per live
 * grant (an app may hold several: an intruder who authorises again an app the owner uses gets a grant
 * of its own), the apps they add up to, and what each grant's tokens read in a window (every read
 * counted, grouped in SQL: no newest-N cut an intruder could push another app's reads out of).
 */
import type { AdapterPayload } from 'oidc-provider';
import type { OAuthService } from './service.ts';
import { scopeSet } from './scopes.ts';
import { oauthStore as q } from './store.ts';

/** One authorised app as its user sees it. */
export interface AuthorisedApp {
  client: string;
  name: { en: string; zh: string };
  verified: boolean;
  status: 'active' | 'suspended';
  grants: string[];
  scopes: string[];
  authorisedAt: number;
  lastAccessAt: number | null;
}

/** One live grant of a user: the app, the fields it grants, when it was made (an app may have several). */
export interface UserGrant {
  id: string;
  client: string;
  scopes: string[];
  createdAt: number;
}

/** The reads of a user's data under one grant (null: none recorded) of one app, of one resource and fields. */
export interface GrantReads {
  grant: string | null;
  client: string;
  resource: string;
  fields: string[];
  reads: number;
  first: number;
  last: number;
}

/** The live grants of a user, oldest first, each with the fields it grants. */
export async function userGrants(s: OAuthService, accountId: string): Promise<UserGrant[]> {
  const out: UserGrant[] = [];
  for (const g of await q.grantsOfAccount(s.d.db, accountId)) {
    if (!g.client_id || (g.expires_at !== null && g.expires_at < s.now())) continue;
    const p = JSON.parse(g.payload) as AdapterPayload;
    const rej = scopeSet((p.rejected as { openid?: { scope?: string } } | undefined)?.openid?.scope);
    const scopes = [...scopeSet((p.openid as { scope?: string } | undefined)?.scope)].filter(
      (x) => x === 'openid' || !rej.has(x),
    );
    out.push({ id: g.id, client: g.client_id, scopes, createdAt: Number(g.created_at) });
  }
  return out;
}

/**
 * The apps a user has authorised: scopes granted, when (the first grant), last access; from the grants
 * the caller read already, when it has them.
 */
export async function userApps(
  s: OAuthService,
  accountId: string,
  read?: UserGrant[],
): Promise<AuthorisedApp[]> {
  const grants = read ?? (await userGrants(s, accountId));
  const last = new Map(
    (await q.lastAccessByClient(s.d.db, accountId)).map((r) => [r.client_id, Number(r.last)]),
  );
  const byClient = new Map<string, AuthorisedApp>();
  for (const g of grants) {
    let a = byClient.get(g.client);
    if (!a) {
      const r = await s.registry.cached(g.client);
      a = {
        client: g.client,
        name: { en: r?.name ?? g.client, zh: r?.name_zh ?? g.client },
        verified: r?.verified === 1,
        status: r?.status ?? 'suspended',
        grants: [],
        scopes: [],
        authorisedAt: g.createdAt,
        lastAccessAt: last.get(g.client) ?? null,
      };
      byClient.set(g.client, a);
    }
    a.grants.push(g.id);
    a.scopes = [...new Set([...a.scopes, ...g.scopes])];
    a.authorisedAt = Math.min(a.authorisedAt, g.createdAt);
  }
  return [...byClient.values()];
}

/** What apps read of a user in [from, to], per grant, resource and fields (reads not yet written first). */
export async function readsOfGrants(
  s: OAuthService,
  accountId: string,
  from: number,
  to: number,
): Promise<GrantReads[]> {
  await s.accessLog.flush();
  return (await q.readsByGrant(s.d.db, accountId, from, to)).map((r) => ({
    grant: r.grant_id,
    client: r.client_id,
    resource: r.resource,
    fields: JSON.parse(r.fields) as string[],
    reads: Number(r.reads),
    first: Number(r.first),
    last: Number(r.last),
  }));
}
