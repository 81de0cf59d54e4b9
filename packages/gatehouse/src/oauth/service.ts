import type { JWK } from 'jose';
import type Provider from 'oidc-provider';
import type { AdapterPayload } from 'oidc-provider';
import { newEventId, outboxStore } from '../bus/index.ts';
import { hashToken } from '../crypto/index.ts';
import { GatehouseError } from '../errors/index.ts';
import type { AccountView, IdentityService } from '../identity/index.ts';
import type { PartIncidentInput } from '../incidents/index.ts';
import type { Logger } from '../log/index.ts';
import { RateLimiter } from '../ratelimit/index.ts';
import type { Db, Tx } from '../store/db.ts';
import type { EnqueueWebhook, SecretBox } from '../webhooks/index.ts';
import { AccessLog, accessEntry, type AccessEntry } from './access-log.ts';
import { AccountCache } from './account-cache.ts';
import { AppAnomalyDetector, type AnomalyConfig } from './anomaly.ts';
import { checkDpop } from './dpop.ts';
import { GroupCommit } from './group-commit.ts';
import { SigningKeys } from './keys.ts';
import type { PlatformFacts } from './platform.ts';
import { PairwiseIds } from './provider-base.ts';
import { AppRegistry, type AppView } from './registry.ts';
import { claimsFor, FIELD_BY_SCOPE, scopeSet, type ProfileFields } from './scopes.ts';
import { oauthStore as q } from './store.ts';
import { TokenCache } from './token-cache.ts';
import { activeAccount } from './userinfo.ts';
import { createHmac } from 'node:crypto';
import { suspendApp, resumeApp, openAnomalyIncident } from './killswitch.ts';
import {
  readsOfGrants,
  userApps,
  userGrants,
  type AuthorisedApp,
  type GrantReads,
  type UserGrant,
} from './user-grants.ts';

export type { AuthorisedApp, GrantReads, UserGrant } from './user-grants.ts';

export interface OAuthOptions {
  /** Public issuer URL; empty: set by `setIssuer` when the server listens. */
  issuer: string;
  keyOverlapMs: number;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  userCodesPerIp: number;
  accessLogFlushMs: number;
  trustProxy: boolean;
  /** Back-channel logout may go to loopback and private addresses (off: the provider's SSRF guard). */
  fetchPrivateAddresses?: boolean;
  sessionCookieName: string;
  anomaly?: Partial<AnomalyConfig>;
}

export interface OAuthDeps {
  db: Db;
  box: SecretBox;
  /** The server's secret key (32 bytes): cookie keys and the pairwise salt derive from it. */
  secretKey: Buffer;
  log: Logger;
  identity: Pick<IdentityService, 'getAccount' | 'authenticate' | 'onStateChange'>;
  /** The incidents part: opens or joins an incident inside the caller's transaction. */
  incidents: { recordInTx(tx: Tx, i: PartIncidentInput): Promise<{ id: string; created: boolean }> };
  enqueueWebhook: EnqueueWebhook;
  appendAudit: (
    tx: Tx,
    e: { actor: string; action: string; subject: string; data?: Record<string, unknown>; at?: number },
  ) => Promise<unknown>;
  /** Profile fields and friends from the platform's events; absent (CLI): only Gatehouse's own data. */
  facts?: PlatformFacts;
  onCommit?: () => void;
  /** After an access-log commit (only bus events, no webhooks): default `onCommit`. */
  onAccessCommit?: () => void;
  now?: () => number;
}

/** A validated access token at the resource API. */
export interface ResourceAuth {
  accountId: string;
  clientId: string;
  grantId: string | undefined;
  scopes: Set<string>;
  app: Readonly<AppView>;
  /** The account's display name as authenticate read it (the nickname's fallback). */
  displayName: string;
}

const KEYS_CHECK_MS = 5000;

/**
 * The OAuth part: the OpenID Connect provider over Gatehouse's store, its app registry, the data the
 * apps read (and the log of every read), users' authorised apps, and the kill switch.
 */
export class OAuthService {
  readonly registry: AppRegistry;
  readonly keys: SigningKeys;
  readonly accessLog: AccessLog;
  readonly anomalies: AppAnomalyDetector;
  /** Access tokens and grants for the resource endpoints, forgotten on every deletion (token-cache.ts). */
  readonly tokens: TokenCache;
  /** The accounts behind the tokens, forgotten when their state changes (account-cache.ts). */
  readonly accounts: AccountCache<AccountView>;
  /** The provider's writes and the resource API's DPoP proof ids, in shared commits (group-commit.ts). */
  readonly writes: GroupCommit;
  readonly d: OAuthDeps;
  readonly o: OAuthOptions;
  readonly now: () => number;
  private issuer: string;
  private current: { provider: Provider; version: string; checkedAt: number; issuer: string } | undefined;
  private building: Promise<Provider> | undefined;
  private readonly limiters = new Map<number, RateLimiter>();
  readonly userCodes: RateLimiter;
  private readonly pairwise: PairwiseIds;
  private pruner: NodeJS.Timeout | undefined;

  constructor(deps: OAuthDeps, opts: OAuthOptions) {
    this.d = deps;
    this.o = opts;
    this.now = deps.now ?? Date.now;
    this.issuer = opts.issuer;
    this.registry = new AppRegistry(deps.db, deps.box, { now: this.now });
    this.keys = new SigningKeys(deps.db, deps.box, this.now);
    this.accessLog = new AccessLog(deps.db, {
      flushMs: opts.accessLogFlushMs,
      log: deps.log,
      ...((deps.onAccessCommit ?? deps.onCommit) ? { onCommit: deps.onAccessCommit ?? deps.onCommit } : {}),
    });
    this.anomalies = new AppAnomalyDetector(opts.anomaly);
    this.tokens = new TokenCache({ now: this.now });
    this.writes = new GroupCommit(deps.db);
    this.accounts = new AccountCache((id) => deps.identity.getAccount(id).catch(() => undefined), {
      now: this.now,
    });
    deps.identity.onStateChange(async (_tx, c) => this.accounts.changing(c.account, c.to));
    this.accessLog.onRecord((r) => {
      for (const a of this.anomalies.observe({ ...r, network: r.network }))
        openAnomalyIncident(this, a).catch((err: unknown) =>
          deps.log.error({ err, client: a.client }, 'app anomaly incident failed'),
        );
    });
    this.userCodes = new RateLimiter({ limit: opts.userCodesPerIp, windowMs: 10 * 60_000, now: this.now });
    this.pairwise = new PairwiseIds(
      createHmac('sha256', deps.secretKey).update('gatehouse-oauth|pairwise').digest(),
    );
  }

  /** Starts the pruning of expired rows. Signing keys are created when the provider is first built. */
  async start(): Promise<void> {
    this.pruner = setInterval(() => {
      q.pruneExpired(this.d.db, this.now() - 86_400_000).catch((err: unknown) =>
        this.d.log.error({ err }, 'oauth prune failed'),
      );
    }, 10 * 60_000);
    this.pruner.unref();
  }

  setIssuer(url: string): void {
    if (!this.o.issuer) this.issuer = url.replace(/\/$/, '');
  }

  get issuerUrl(): string {
    return this.issuer;
  }

  /** The provider, rebuilt when the signing keys changed (a rotation in this or another process). */
  async provider(): Promise<Provider> {
    const c = this.current;
    const t = this.now();
    if (c && c.issuer === this.issuer && t - c.checkedAt < KEYS_CHECK_MS) return c.provider;
    if (this.building) return this.building;
    this.building = (async () => {
      try {
        const version = await this.keys.version();
        if (c && c.issuer === this.issuer && c.version === version) {
          c.checkedAt = t;
          return c.provider;
        }
        if (!this.issuer) throw new GatehouseError('NOT_READY', 'the OpenID Connect issuer is not known yet');
        await this.keys.ensure();
        const provider = await this.build(await this.keys.jwks());
        this.current = { provider, version: await this.keys.version(), checkedAt: t, issuer: this.issuer };
        return provider;
      } finally {
        this.building = undefined;
      }
    })();
    return this.building;
  }

  /** Rotates the signing keys and uses the new ones at once (another process sees them within 5 s). */
  async rotateKeys(): Promise<{ added: string[]; retired: number }> {
    const r = await this.keys.rotate(this.o.keyOverlapMs);
    this.current = undefined;
    return r;
  }

  /** The library is loaded here, when the provider is first built (provider-base.ts). */
  private async build(jwks: { keys: JWK[] }): Promise<Provider> {
    const d = this.d;
    const [{ buildProvider }, { kyselyAdapter }] = await Promise.all([
      import('./provider.ts'),
      import('./adapter.ts'),
    ]);
    return buildProvider({
      issuer: this.issuer,
      trustProxy: this.o.trustProxy,
      fetchPrivateAddresses: this.o.fetchPrivateAddresses ?? false,
      adapter: kyselyAdapter(d.db, d.box, {
        client: (id) => this.registry.clientMetadata(id),
        onGrantSaved: (tx, g) => this.onGrantSaved(tx, g),
        cache: this.tokens,
        writes: this.writes,
        now: this.now,
      }),
      jwks,
      secretKey: d.secretKey,
      pairwise: this.pairwise,
      accessTokenTtlSeconds: this.o.accessTokenTtlSeconds,
      refreshTokenTtlSeconds: this.o.refreshTokenTtlSeconds,
      sessionCookieName: this.o.sessionCookieName,
      account: (id) => activeAccount(this.accounts, id),
      claims: (i) => this.claims(i),
      app: async (id) => {
        const r = await this.registry.cached(id);
        return r ? { name: { en: r.name, zh: r.name_zh }, verified: r.verified === 1 } : undefined;
      },
      gatehouseSession: async (cookie) => {
        if (!cookie) return undefined;
        try {
          return (await d.identity.authenticate(cookie)).account.id;
        } catch {
          return undefined;
        }
      },
      onError: (event, err) => d.log.warn({ err, event }, 'oidc provider error'),
    });
  }

  // ---- claims and the resource API --------------------------------------------------------------------

  /** Claims for the granted scopes; a userinfo read is logged (fields, time, network). */
  async claims(i: {
    accountId: string;
    clientId: string;
    scope: string;
    use: string;
    ip: string;
    grantId: string | undefined;
    account?: { displayName: string };
  }): Promise<Record<string, string | number>> {
    const r = await this.registry.cached(i.clientId);
    if (!r) return {};
    const app = this.registry.viewOf(r);
    const granted = scopeSet(i.scope);
    const needsProfile = [...granted].some((s) => FIELD_BY_SCOPE.get(s)?.claim);
    if (i.use === 'userinfo') this.limit(app, i.accountId);
    const profile = needsProfile ? await this.profileFields(i.accountId, granted, i.account) : {};
    const { claims, fields } = claimsFor(granted, profile, {
      verified: app.verified,
      reviewed: app.reviewedScopes,
    });
    // the read is answered only once its log row is durable
    if (i.use === 'userinfo')
      await this.accessLog.record({
        client: i.clientId,
        account: i.accountId,
        grant: i.grantId ?? null,
        resource: 'userinfo',
        fields,
        ip: i.ip,
        at: this.now(),
      });
    return claims;
  }

  /** `known`: the account as the caller already read it (saves reading it again for the nickname). */
  private async profileFields(accountId: string, granted: Set<string>, known?: { displayName: string }) {
    const [platform, account, friends] = await Promise.all([
      this.d.facts ? this.d.facts.profile(accountId) : ({} as Omit<ProfileFields, 'friendCount'>),
      granted.has('nickname') ? (known ?? this.accounts.get(accountId)) : undefined,
      granted.has('friend_count') ? (this.d.facts?.friends(accountId) ?? []) : undefined,
    ]);
    return {
      ...platform,
      ...(platform.nickname === undefined && account ? { nickname: account.displayName } : {}),
      ...(friends ? { friendCount: friends.length } : {}),
    };
  }

  /** Per-app resource rate limit (reads per minute, per app across its users). */
  private limit(app: Readonly<AppView>, accountId: string): void {
    let l = this.limiters.get(app.rateLimitPerMinute);
    if (!l) {
      l = new RateLimiter({ limit: app.rateLimitPerMinute, windowMs: 60_000, now: this.now });
      this.limiters.set(app.rateLimitPerMinute, l);
    }
    const r = l.hit(app.id);
    if (!r.allowed)
      throw new GatehouseError(
        'RATE_LIMITED',
        `app ${app.id} exceeded ${app.rateLimitPerMinute} reads per minute`,
        {
          headers: { 'retry-after': String(r.retryAfterSeconds) },
          extra: { retryAfterSeconds: r.retryAfterSeconds, client: app.id, account: accountId },
        },
      );
  }

  /** Validates an access token (and its DPoP proof when it is bound) for the resource API. */
  async authenticate(req: {
    authorization: string | undefined;
    dpop: string | undefined;
    method: string;
    url: string;
  }): Promise<{ auth: ResourceAuth; token: string }> {
    const m = /^(Bearer|DPoP)\s+([A-Za-z0-9_-]{20,200})$/i.exec(req.authorization ?? '');
    const invalid = (detail: string) =>
      new GatehouseError('OAUTH_TOKEN_INVALID', detail, {
        // header values stay ASCII without quotes inside
        headers: {
          'www-authenticate': `Bearer error="invalid_token", error_description="${detail.replace(/[^\x20-\x7e]|"/g, '')}"`,
        },
        extra: { error: 'invalid_token' },
      });
    if (!m) throw invalid('send the access token as Authorization: Bearer (or DPoP) TOKEN');
    const scheme = m[1]!.toLowerCase();
    const value = m[2]!;
    const provider = await this.provider();
    const at = await provider.AccessToken.find(value);
    if (!at || !at.accountId || !at.clientId)
      throw invalid('the access token is invalid, expired or revoked');
    const r = await this.registry.cached(at.clientId);
    if (!r || r.status !== 'active') throw invalid('the app is suspended or unknown');
    const account = await this.accounts.get(at.accountId);
    if (!account || account.state !== 'active') throw invalid('the account cannot use apps now');
    if (at.jkt) {
      if (scheme !== 'dpop')
        throw invalid('this token is DPoP-bound: send it as Authorization: DPoP with a proof');
      await checkDpop({
        proof: req.dpop,
        method: req.method,
        url: req.url,
        accessToken: value,
        jkt: at.jkt,
        unique: (jti, exp) =>
          this.writes.write((tx) =>
            q.insertResourceDpop(
              tx,
              hashToken(`${at.clientId}|${jti}`),
              at.clientId!,
              this.now(),
              exp * 1000,
            ),
          ),
      });
    } else if (scheme !== 'bearer')
      throw invalid('this token is not DPoP-bound: send it as Authorization: Bearer');
    return {
      token: value,
      auth: {
        accountId: at.accountId,
        clientId: at.clientId,
        grantId: at.grantId,
        scopes: scopeSet(at.scope),
        app: this.registry.viewOf(r),
        displayName: account.displayName,
      },
    };
  }

  /** The user's permitted profile fields (never more than the token's scopes name). */
  async readProfile(
    a: ResourceAuth,
    ip: string,
  ): Promise<{ sub: string; fields: Record<string, string | number> }> {
    this.limit(a.app, a.accountId);
    const profile = await this.profileFields(a.accountId, a.scopes, { displayName: a.displayName });
    const { claims, fields } = claimsFor(a.scopes, profile, {
      verified: a.app.verified,
      reviewed: a.app.reviewedScopes,
    });
    await this.accessLog.record({
      client: a.clientId,
      account: a.accountId,
      grant: a.grantId ?? null,
      resource: 'profile',
      fields,
      ip,
      at: this.now(),
    });
    return { sub: this.subFor(a.app, a.accountId), fields: claims };
  }

  /** The user's friends as this app's pairwise ids (only with the `friends` scope). */
  async readFriends(a: ResourceAuth, ip: string): Promise<{ sub: string; friends: string[] }> {
    if (!a.scopes.has('friends'))
      throw new GatehouseError('OAUTH_SCOPE_INSUFFICIENT', 'the token does not grant the friends scope', {
        headers: { 'www-authenticate': 'Bearer error="insufficient_scope", scope="friends"' },
        extra: { error: 'insufficient_scope', scope: 'friends' },
      });
    this.limit(a.app, a.accountId);
    const friends = (await this.d.facts?.friends(a.accountId)) ?? [];
    await this.accessLog.record({
      client: a.clientId,
      account: a.accountId,
      grant: a.grantId ?? null,
      resource: 'friends',
      fields: ['friends'],
      ip,
      at: this.now(),
    });
    return { sub: this.subFor(a.app, a.accountId), friends: friends.map((f) => this.subFor(a.app, f)) };
  }

  /** The app's pairwise id of an account (as in its ID tokens and userinfo). */
  subFor(app: Readonly<AppView>, accountId: string): string {
    return this.pairwise.of(this.pairwise.sectorOf(app.redirectUris[0]!), accountId);
  }

  // ---- grants -----------------------------------------------------------------------------------------

  /** In the grant's own transaction: app.authorised when a user grants an app new scopes. */
  private async onGrantSaved(
    tx: Tx,
    g: { id: string; before: AdapterPayload | undefined; after: AdapterPayload },
  ): Promise<void> {
    const scope = (p: AdapterPayload | undefined) => {
      const o = (p?.openid as { scope?: string } | undefined)?.scope;
      const rej = scopeSet((p?.rejected as { openid?: { scope?: string } } | undefined)?.openid?.scope);
      return { granted: [...scopeSet(o)].filter((s) => !rej.has(s) || s === 'openid'), rejected: [...rej] };
    };
    const before = scope(g.before);
    const after = scope(g.after);
    const account = g.after.accountId;
    const client = g.after.clientId;
    if (!account || !client) return;
    if (before.granted.join(' ') === after.granted.join(' ') && g.before) return;
    const r = await q.appById(tx, client);
    const t = this.now();
    await outboxStore.append(tx, [
      {
        id: newEventId(),
        type: 'app.authorised',
        time: t,
        account,
        client,
        app: { en: r?.name ?? client, zh: r?.name_zh ?? client },
        verified: r?.verified === 1,
        grant: g.id,
        scopes: after.granted,
        declined: after.rejected,
      },
    ]);
    this.d.onCommit?.();
  }

  /** Remembers which Gatehouse session authorised a grant (containment revokes the intruder's grants). */
  async recordGrantOrigin(
    grantId: string,
    origin: { accountId: string; clientId: string; session: string; ip: string },
  ) {
    await q.upsertModel(this.d.db, {
      model: 'GrantOrigin',
      id: grantId,
      payload: JSON.stringify({ session: origin.session, ip: origin.ip }),
      grant_id: grantId,
      user_code: null,
      uid: null,
      client_id: origin.clientId,
      account_id: origin.accountId,
      created_at: this.now(),
      expires_at: null,
      consumed_at: null,
    });
  }

  /** The live grants of a user, oldest first, each with the fields it grants (user-grants.ts). */
  userGrants(accountId: string): Promise<UserGrant[]> {
    return userGrants(this, accountId);
  }

  /** The apps a user has authorised: scopes granted, when (the first grant), last access. */
  userApps(accountId: string, grants?: UserGrant[]): Promise<AuthorisedApp[]> {
    return userApps(this, accountId, grants);
  }

  /** What apps read of a user in [from, to], per grant, resource and fields (every read counted). */
  readsOfGrants(accountId: string, from: number, to: number): Promise<GrantReads[]> {
    return readsOfGrants(this, accountId, from, to);
  }

  /** Revokes every grant (and its tokens) a user gave one app. */
  async revokeApp(accountId: string, clientId: string, actor: string): Promise<{ grants: number }> {
    const grants = (await q.grantsOfAccount(this.d.db, accountId)).filter((g) => g.client_id === clientId);
    if (grants.length === 0) throw new GatehouseError('APP_NOT_AUTHORISED');
    await this.revokeGrantIds(
      accountId,
      grants.map((g) => g.id),
      actor,
      'user',
    );
    return { grants: grants.length };
  }

  /** Deletes grants and everything issued under them, audited, in one transaction. */
  async revokeGrantIds(accountId: string, grantIds: string[], actor: string, why: string): Promise<number> {
    if (grantIds.length === 0) return 0;
    const t = this.now();
    const forget = () => grantIds.forEach((id) => this.tokens.forgetGrant(id));
    forget();
    await this.d.db
      .transaction()
      .execute(async (tx) => {
        await q.destroyGrants(tx, grantIds);
        await this.d.appendAudit(tx, {
          actor,
          action: 'oauth.grants.revoke',
          subject: accountId,
          data: { grants: grantIds, reason: why },
          at: t,
        });
      })
      .finally(forget);
    return grantIds.length;
  }

  /** The grants a Gatehouse session authorised (GrantOrigin rows). */
  async grantsFromSession(accountId: string, session: string): Promise<string[]> {
    const rows = await this.d.db
      .selectFrom('oauth_models')
      .select(['id', 'payload'])
      .where('model', '=', 'GrantOrigin')
      .where('account_id', '=', accountId)
      .execute();
    return rows
      .filter((r) => (JSON.parse(r.payload) as { session?: string }).session === session)
      .map((r) => r.id);
  }

  async accessLogOf(
    accountId: string,
    opts: { client?: string; from?: number; to?: number; limit?: number } = {},
  ): Promise<AccessEntry[]> {
    await this.accessLog.flush();
    return (
      await q.accessOfAccount(this.d.db, accountId, {
        ...opts,
        limit: Math.min(Math.max(opts.limit ?? 100, 1), 1000),
      })
    ).map(accessEntry);
  }

  async accessLogOfApp(clientId: string, opts: { after?: number; limit?: number } = {}) {
    await this.registry.get(clientId);
    await this.accessLog.flush();
    return (
      await q.accessOfClientLog(this.d.db, clientId, {
        ...opts,
        limit: Math.min(Math.max(opts.limit ?? 100, 1), 1000),
      })
    ).map((r) => ({ ...accessEntry(r), account: r.account_id }));
  }

  // ---- kill switch ------------------------------------------------------------------------------------

  suspend(clientId: string, reason: string, actor: string) {
    return suspendApp(this, clientId, reason, actor);
  }

  resume(clientId: string, reason: string, actor: string) {
    return resumeApp(this, clientId, reason, actor);
  }

  async close(): Promise<void> {
    if (this.pruner) clearInterval(this.pruner);
    await this.accessLog.close();
  }
}
