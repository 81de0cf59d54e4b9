import type { AdapterPayload } from 'oidc-provider';
import { z } from 'zod';
import { newId, newToken } from '../crypto/index.ts';
import { GatehouseError } from '../errors/index.ts';
import type { Db, Tx } from '../store/db.ts';
import type { SecretBox } from '../webhooks/index.ts';
import type { OAuthAppsTable } from './schema.ts';
import { ALL_SCOPES, effectiveCeiling, FIELD_BY_SCOPE, type Localized } from './scopes.ts';
import { oauthStore as q } from './store.ts';

export const GRANT_TYPES = {
  authorization_code: 'authorization_code',
  refresh_token: 'refresh_token',
  device_code: 'urn:ietf:params:oauth:grant-type:device_code',
} as const;
export type GrantTypeName = keyof typeof GRANT_TYPES;

export const AppInput = z.strictObject({
  name: z.strictObject({ en: z.string().min(1).max(100), zh: z.string().min(1).max(100) }),
  kind: z.enum(['confidential', 'public']).default('confidential'),
  redirectUris: z.array(z.string().min(1).max(2000)).min(1).max(20),
  postLogoutRedirectUris: z.array(z.string().min(1).max(2000)).max(20).default([]),
  scopes: z.array(z.string()).min(1).max(20),
  reviewedScopes: z.array(z.string()).max(20).default([]),
  verified: z.boolean().default(false),
  grantTypes: z
    .array(z.enum(['authorization_code', 'refresh_token', 'device_code']))
    .min(1)
    .default(['authorization_code', 'refresh_token']),
  backchannelLogoutUri: z.string().max(2000).optional(),
  /** Where the app publishes its public keys; device-grant apps authenticate with them (private_key_jwt). */
  jwksUri: z.string().max(2000).optional(),
  rateLimitPerMinute: z.number().int().min(1).max(1_000_000).default(600),
});
export type AppInput = z.input<typeof AppInput>;

export const AppPatch = z.strictObject({
  name: AppInput.shape.name.optional(),
  redirectUris: AppInput.shape.redirectUris.optional(),
  postLogoutRedirectUris: z.array(z.string().min(1).max(2000)).max(20).optional(),
  scopes: AppInput.shape.scopes.optional(),
  reviewedScopes: z.array(z.string()).max(20).optional(),
  verified: z.boolean().optional(),
  backchannelLogoutUri: z.string().max(2000).nullable().optional(),
  rateLimitPerMinute: z.number().int().min(1).max(1_000_000).optional(),
});
export type AppPatch = z.input<typeof AppPatch>;

export interface AppView {
  id: string;
  name: Localized;
  kind: 'confidential' | 'public';
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  grantTypes: GrantTypeName[];
  /** The ceiling as registered. */
  scopes: string[];
  reviewedScopes: string[];
  /** What the app may actually ask for (the ceiling less unreviewed sensitive scopes). */
  allowedScopes: string[];
  verified: boolean;
  backchannelLogoutUri: string | null;
  jwksUri: string | null;
  rateLimitPerMinute: number;
  status: 'active' | 'suspended';
  statusReason: string | null;
  createdAt: number;
  updatedAt: number;
}

const arr = (s: string) => JSON.parse(s) as string[];

export function appView(r: OAuthAppsTable): AppView {
  const scopes = arr(r.scopes);
  const reviewedScopes = arr(r.reviewed_scopes);
  return {
    id: r.id,
    name: { en: r.name, zh: r.name_zh },
    kind: r.kind,
    redirectUris: arr(r.redirect_uris),
    postLogoutRedirectUris: arr(r.post_logout_redirect_uris),
    grantTypes: arr(r.grant_types) as GrantTypeName[],
    scopes,
    reviewedScopes,
    allowedScopes: effectiveCeiling({ scopes, reviewed: reviewedScopes }),
    verified: r.verified === 1,
    backchannelLogoutUri: r.backchannel_logout_uri,
    jwksUri: r.jwks_uri,
    rateLimitPerMinute: r.rate_limit_per_minute,
    status: r.status,
    statusReason: r.status_reason,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

function invalid(detail: string, zh: string, field: string): GatehouseError {
  return new GatehouseError('APP_INVALID', detail, { extra: { field, zh } });
}

/** An absolute https URL (http only on loopback), without a fragment or credentials. Kept exactly as given. */
function checkUrl(u: string, field: string): URL {
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    throw invalid(
      `"${u.slice(0, 200)}" is not an absolute URL`,
      `"${u.slice(0, 200)}" 不是完整的网址`,
      field,
    );
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname)))
    throw invalid(
      `${field}: https only (http only on loopback for development): ${u.slice(0, 200)}`,
      `${field}：只接受 https（开发时本机地址可用 http）`,
      field,
    );
  if (url.hash || u.includes('#'))
    throw invalid(`${field}: no fragment allowed`, `${field}：不能包含片段（#）`, field);
  if (url.username || url.password)
    throw invalid(`${field}: no credentials in the URL`, `${field}：网址中不能包含账号密码`, field);
  return url;
}

function checkScopes(scopes: string[], reviewed: string[]): void {
  for (const s of [...scopes, ...reviewed])
    if (!ALL_SCOPES.includes(s) || s === 'openid')
      throw invalid(
        `unknown scope "${s}"; known: ${ALL_SCOPES.filter((x) => x !== 'openid').join(', ')}`,
        `未知权限 "${s}"`,
        'scopes',
      );
  for (const s of reviewed)
    if (!scopes.includes(s))
      throw invalid(
        `reviewed scope "${s}" is not in the app's scopes`,
        `已审核的权限 "${s}" 不在应用权限内`,
        'reviewedScopes',
      );
}

function checkRedirects(uris: string[]): void {
  const hosts = new Set(uris.map((u) => checkUrl(u, 'redirectUris').host));
  // pairwise subject ids are per sector (the redirect host): one app, one sector
  if (hosts.size > 1)
    throw invalid(
      'every redirect URI of an app must be on one host (its sector for pairwise ids)',
      '同一应用的所有回调地址必须在同一主机上',
      'redirectUris',
    );
}

/**
 * The app registry: apps registered by operators (API and CLI), their exact redirect URIs, scope
 * ceiling, review and verification, rate limit, and status. The provider reads clients from here.
 */
export class AppRegistry {
  private readonly db: Db;
  private readonly box: SecretBox;
  private readonly now: () => number;
  private readonly cache = new Map<string, { at: number; row: OAuthAppsTable | undefined }>();
  /** Moves on every `forget`: a row read while an app was forgotten is not cached (see `cached`). */
  private epoch = 0;
  /** The provider's view of a cached row, built (and its secret opened) once per row read. */
  private readonly metadata = new WeakMap<OAuthAppsTable, AdapterPayload>();
  /** The view of a cached row, built once per row read (every resource request needs one). */
  private readonly views = new WeakMap<OAuthAppsTable, Readonly<AppView>>();
  private readonly cacheMs: number;

  constructor(db: Db, box: SecretBox, opts: { now?: () => number; cacheMs?: number } = {}) {
    this.db = db;
    this.box = box;
    this.now = opts.now ?? Date.now;
    this.cacheMs = opts.cacheMs ?? 1000;
  }

  async add(input: AppInput): Promise<{ app: AppView; clientSecret: string | null }> {
    const a = AppInput.parse(input);
    checkRedirects(a.redirectUris);
    for (const u of a.postLogoutRedirectUris) checkUrl(u, 'postLogoutRedirectUris');
    if (a.backchannelLogoutUri) checkUrl(a.backchannelLogoutUri, 'backchannelLogoutUri');
    checkScopes(a.scopes, a.reviewedScopes);
    const device = a.grantTypes.includes('device_code');
    if (a.jwksUri) checkUrl(a.jwksUri, 'jwksUri');
    // pairwise ids with the device grant: the app proves itself with its registered keys
    if (device && (a.kind !== 'confidential' || !a.jwksUri))
      throw invalid(
        'the device grant needs a confidential app with a jwksUri (it authenticates with private_key_jwt)',
        '设备授权需要登记了 jwksUri 的机密应用（使用 private_key_jwt 认证）',
        'jwksUri',
      );
    const id = newId('app', 9);
    const secret = a.kind === 'confidential' && !a.jwksUri ? newToken('ghc') : null;
    const t = this.now();
    const row: OAuthAppsTable = {
      id,
      name: a.name.en,
      name_zh: a.name.zh,
      kind: a.kind,
      secret_enc: secret ? this.box.seal(secret, `oauth:client:${id}`) : null,
      redirect_uris: JSON.stringify(a.redirectUris),
      post_logout_redirect_uris: JSON.stringify(a.postLogoutRedirectUris),
      grant_types: JSON.stringify([...new Set(['authorization_code', ...a.grantTypes])]),
      scopes: JSON.stringify([...new Set(a.scopes)]),
      reviewed_scopes: JSON.stringify([...new Set(a.reviewedScopes)]),
      verified: a.verified ? 1 : 0,
      backchannel_logout_uri: a.backchannelLogoutUri ?? null,
      jwks_uri: a.jwksUri ?? null,
      rate_limit_per_minute: a.rateLimitPerMinute,
      status: 'active',
      status_reason: null,
      created_at: t,
      updated_at: t,
    };
    await q.insertApp(this.db, row);
    return { app: appView(row), clientSecret: secret };
  }

  async update(id: string, patch: AppPatch): Promise<AppView> {
    const p = AppPatch.parse(patch);
    const cur = appView(await this.row(id));
    if (p.redirectUris) checkRedirects(p.redirectUris);
    for (const u of p.postLogoutRedirectUris ?? []) checkUrl(u, 'postLogoutRedirectUris');
    if (p.backchannelLogoutUri) checkUrl(p.backchannelLogoutUri, 'backchannelLogoutUri');
    const scopes = p.scopes ?? cur.scopes;
    const reviewed = p.reviewedScopes ?? cur.reviewedScopes.filter((s) => scopes.includes(s));
    checkScopes(scopes, reviewed);
    await q.updateApp(this.db, id, {
      ...(p.name ? { name: p.name.en, name_zh: p.name.zh } : {}),
      ...(p.redirectUris ? { redirect_uris: JSON.stringify(p.redirectUris) } : {}),
      ...(p.postLogoutRedirectUris
        ? { post_logout_redirect_uris: JSON.stringify(p.postLogoutRedirectUris) }
        : {}),
      scopes: JSON.stringify(scopes),
      reviewed_scopes: JSON.stringify(reviewed),
      ...(p.verified !== undefined ? { verified: p.verified ? 1 : 0 } : {}),
      ...(p.backchannelLogoutUri !== undefined ? { backchannel_logout_uri: p.backchannelLogoutUri } : {}),
      ...(p.rateLimitPerMinute ? { rate_limit_per_minute: p.rateLimitPerMinute } : {}),
      updated_at: this.now(),
    });
    this.forget(id);
    return this.get(id);
  }

  async get(id: string): Promise<AppView> {
    return appView(await this.row(id));
  }

  async list(): Promise<AppView[]> {
    return (await q.apps(this.db)).map(appView);
  }

  /** Sets the status inside the caller's transaction; false when it already had it. */
  async setStatusInTx(
    tx: Tx,
    id: string,
    status: 'active' | 'suspended',
    reason: string | null,
  ): Promise<boolean> {
    const from = status === 'active' ? 'suspended' : 'active';
    const changed = await q.updateApp(
      tx,
      id,
      { status, status_reason: reason, updated_at: this.now() },
      from,
    );
    this.forget(id);
    return changed;
  }

  forget(id: string): void {
    this.epoch++;
    this.cache.delete(id);
  }

  /**
   * The app's row, cached for a second (every token request asks for its client). A read that was under
   * way while an app was forgotten (a suspension or change committing meanwhile) answers its own request
   * but is not cached: on PostgreSQL it can finish after the suspension committed and forgot the app, and
   * caching it would let this process treat a suspended app as active for up to a second.
   */
  async cached(id: string): Promise<OAuthAppsTable | undefined> {
    const t = this.now();
    const c = this.cache.get(id);
    if (c && t - c.at < this.cacheMs) return c.row;
    const mark = this.epoch;
    const row = await q.appById(this.db, id);
    if (mark !== this.epoch) return row;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(id, { at: t, row });
    return row;
  }

  /** The view of a row `cached` returned, built once per row (read only: shared by the requests). */
  viewOf(r: OAuthAppsTable): Readonly<AppView> {
    let v = this.views.get(r);
    if (!v) this.views.set(r, (v = appView(r)));
    return v;
  }

  private async row(id: string): Promise<OAuthAppsTable> {
    const r = await q.appById(this.db, id);
    if (!r) throw new GatehouseError('APP_NOT_FOUND');
    return r;
  }

  /** What the provider sees of an app; undefined when unknown or suspended (the provider: invalid_client). */
  async clientMetadata(id: string): Promise<AdapterPayload | undefined> {
    if (!/^app_[A-Za-z0-9_-]{12}$/.test(id)) return undefined;
    const r = await this.cached(id);
    if (!r || r.status !== 'active') return undefined;
    let m = this.metadata.get(r);
    if (!m) this.metadata.set(r, (m = this.metadataOf(r)));
    return m;
  }

  private metadataOf(r: OAuthAppsTable): AdapterPayload {
    const v = appView(r);
    const pub = v.kind === 'public';
    return {
      client_id: v.id,
      client_name: v.name.en,
      ...(r.secret_enc ? { client_secret: this.box.open(r.secret_enc, `oauth:client:${v.id}`) } : {}),
      redirect_uris: v.redirectUris,
      post_logout_redirect_uris: v.postLogoutRedirectUris,
      grant_types: v.grantTypes.map((g) => GRANT_TYPES[g]),
      response_types: ['code'],
      token_endpoint_auth_method: pub ? 'none' : v.jwksUri ? 'private_key_jwt' : 'client_secret_basic',
      ...(v.jwksUri ? { jwks_uri: v.jwksUri } : {}),
      scope: v.allowedScopes.join(' '),
      subject_type: 'pairwise',
      id_token_signed_response_alg: 'ES256',
      dpop_bound_access_tokens: pub,
      // with the device grant the provider wants the sector named as a URI; it is the redirect host, the
      // same sector Gatehouse's pairwise ids use (the provider is told not to fetch it)
      ...(v.grantTypes.includes('device_code')
        ? { sector_identifier_uri: `https://${new URL(v.redirectUris[0]!).host}/` }
        : {}),
      ...(v.backchannelLogoutUri
        ? { backchannel_logout_uri: v.backchannelLogoutUri, backchannel_logout_session_required: true }
        : {}),
    };
  }
}

/** The label of a scope for the consent page. */
export function scopeLabel(scope: string): Localized | undefined {
  return FIELD_BY_SCOPE.get(scope)?.label;
}
