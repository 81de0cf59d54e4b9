import type { Adapter, AdapterPayload } from 'oidc-provider';
import { createHash } from 'node:crypto';
import Provider, { errors } from 'oidc-provider';
import { hashToken } from '../crypto/index.ts';
import type { Db, Tx } from '../store/db.ts';
import type { SecretBox } from '../webhooks/index.ts';
import { GroupCommit } from './group-commit.ts';
import { oauthStore as q } from './store.ts';
import type { TokenCache } from './token-cache.ts';

/**
 * Models whose id the provider looks up again from another key (session uid, user code): their id is
 * kept sealed in the payload so the provider gets it back; every other credential's id is only ever
 * looked up by itself and is not stored at all (the row key is its SHA-256).
 */
const SEALED_ID = new Set(['Session', 'DeviceCode']);
/** Rows are kept this long past their expiry (an expired code still answers "expired", not "not found"). */
const KEEP_EXPIRED_MS = 3_600_000;

export interface AdapterHooks {
  /** The client metadata of an app the provider asks about (undefined: unknown or suspended). */
  client(id: string): Promise<AdapterPayload | undefined>;
  /** Runs inside the transaction that writes a grant (new or changed scopes): the app.authorised event. */
  onGrantSaved?(
    tx: Tx,
    grant: { id: string; before: AdapterPayload | undefined; after: AdapterPayload },
  ): Promise<void>;
  /** Runs inside the transaction that revokes a whole grant because a code or refresh token was reused. */
  onReuse?(
    tx: Tx,
    info: { model: string; grantId: string | undefined; clientId: string | undefined },
  ): Promise<void>;
  /** Access tokens and grants read on every resource request (token-cache.ts); forgotten on deletion. */
  cache?: TokenCache;
  /** The group commit the writes share (default: one of the adapter's own). */
  writes?: GroupCommit;
  now?: () => number;
}

/** The models the resource endpoints read on every request: cached, the rest always read. */
const CACHED = new Set(['AccessToken', 'Grant']);

/**
 * Models that carry an app's authority. Each is saved only if its app is active in the same transaction,
 * under a lock the kill switch also takes (store.lockAppsForSave), so no grant, token or code of an app
 * is saved after, or concurrently with, its suspension committing, in any process. Every write names
 * the app whose rows it touches (gc.write's `app`): the group commit takes those locks before any row.
 */
const GUARDED = new Set([
  'Grant',
  'AccessToken',
  'RefreshToken',
  'AuthorizationCode',
  'DeviceCode',
  'ClientCredentials',
  'BackchannelAuthenticationRequest',
]);
/** Those the token endpoint saves: refused there as invalid_grant (RFC 6749 5.2: the grant was revoked). */
const TOKEN_ENDPOINT = new Set(['AccessToken', 'RefreshToken', 'ClientCredentials']);

/**
 * A save refused because the app is not active (suspended or gone): the spec's error, never a 500. The
 * token endpoint answers invalid_grant; the authorisation and device endpoints, and the consent page
 * (interactions.ts), access_denied.
 */
export class AppNotActive extends errors.AccessDenied {
  /** isAppNotActive (provider-base.ts) tells it apart where the library is not loaded. */
  readonly appNotActive = true;
  constructor(clientId: string) {
    super('the app has been suspended', { detail: `app ${clientId} is not active` });
  }
}
function notActive(model: string, clientId: string): Error {
  return TOKEN_ENDPOINT.has(model)
    ? new errors.InvalidGrant({ detail: `app ${clientId} is suspended: its grants were revoked` })
    : new AppNotActive(clientId);
}

/** Grant ids are references (tokens carry them), not credentials: kept as they are, the rest hashed. */
const PLAIN_ID = new Set(['Grant']);
const rowIdOf = (model: string, id: string) => (PLAIN_ID.has(model) ? id : hashToken(id));

/**
 * The oidc-provider storage adapter over Kysely (SQLite and PostgreSQL): one table for every model, with
 * the grant, user-code and session-uid lookups the provider needs. Consuming a code or refresh token is
 * one conditional update, so two concurrent redemptions cannot both succeed: the loser revokes the grant.
 */
export function kyselyAdapter(db: Db, box: SecretBox, hooks: AdapterHooks): new (name: string) => Adapter {
  const now = hooks.now ?? Date.now;
  // every write waits for its commit; writes of the same event-loop turn share it (group-commit.ts)
  const gc = hooks.writes ?? new GroupCommit(db);
  const cache = hooks.cache;
  /** Runs a write that deletes or changes rows, forgetting them before it and again after its commit. */
  const changing = async <T>(forget: () => void, write: () => Promise<T>): Promise<T> => {
    forget();
    try {
      return await write();
    } finally {
      forget();
    }
  };
  return class KyselyAdapter implements Adapter {
    readonly name: string;
    constructor(name: string) {
      this.name = name;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      if (this.name === 'Client') return;
      const t = now();
      const stored: AdapterPayload & { sealedId?: string } = { ...payload };
      delete stored.jti;
      if (SEALED_ID.has(this.name)) stored.sealedId = box.seal(id, `oauth:${this.name}`);
      const row = {
        model: this.name,
        id: rowIdOf(this.name, id),
        payload: JSON.stringify(stored),
        grant_id: payload.grantId ?? null,
        user_code: payload.userCode ? hashToken(payload.userCode) : null,
        uid: payload.uid ?? null,
        client_id: payload.clientId ?? null,
        account_id: payload.accountId ?? null,
        created_at: t,
        expires_at: expiresIn ? t + expiresIn * 1000 : null,
        consumed_at: null,
      };
      if (this.name === 'ReplayDetection') {
        // one insert, not find-then-save: two concurrent uses of one proof cannot both pass
        if (!(await gc.write((tx) => q.insertUnique(tx, row)))) throw replayRefusal(id);
        return;
      }
      const clientId = GUARDED.has(this.name) ? payload.clientId : undefined;
      // the app's lock before any row of the transaction (group-commit.ts: the kill switch's lock order)
      const app = payload.clientId ? { client: payload.clientId } : undefined;
      /** The insert, refused (false) when the app is not active; the refusal is thrown after the commit. */
      const save = async (tx: Tx, write: () => Promise<void>): Promise<boolean> => {
        if (clientId !== undefined && (await gc.appStatus(tx, clientId)) !== 'active') return false;
        await write();
        return true;
      };
      let saved: boolean;
      if (this.name === 'Grant' && hooks.onGrantSaved) {
        saved = await changing(
          () => cache?.forget('Grant', row.id),
          () =>
            gc.write(
              (tx) =>
                save(tx, async () => {
                  const before = await q.findModel(tx, 'Grant', row.id);
                  await q.upsertModel(tx, row);
                  await hooks.onGrantSaved!(tx, {
                    id,
                    before: before ? (JSON.parse(before.payload) as AdapterPayload) : undefined,
                    after: payload,
                  });
                }),
              app,
            ),
        );
      } else if (CACHED.has(this.name) && cache)
        saved = await changing(
          () => cache.forget(this.name, row.id),
          () => gc.write((tx) => save(tx, () => q.upsertModel(tx, row)), app),
        );
      else saved = await gc.write((tx) => save(tx, () => q.upsertModel(tx, row)), app);
      if (!saved) throw notActive(this.name, clientId!);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.name === 'Client') return hooks.client(id);
      // a proof or assertion id is never looked up: the provider would refuse a replay it found here with
      // the error of the grant or token it guards (invalid_grant, invalid_token), not the proof's; the
      // unique insert in `upsert` is the one check, and says what was replayed (replayRefusal)
      if (this.name === 'ReplayDetection') return undefined;
      const key = rowIdOf(this.name, id);
      if (!cache || !CACHED.has(this.name)) {
        const r = await q.findModel(db, this.name, key);
        return r ? this.revive(r, id) : undefined;
      }
      const hit = cache.get(this.name, key);
      if (hit) return hit;
      const mark = cache.mark();
      const r = await q.findModel(db, this.name, key);
      const p = r ? this.revive(r, id) : undefined;
      if (p) cache.set(this.name, key, p, mark);
      return p;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      const r = await q.findModelBy(db, this.name, 'user_code', hashToken(userCode));
      return r ? this.revive(r) : undefined;
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const r = await q.findModelBy(db, this.name, 'uid', uid);
      return r ? this.revive(r) : undefined;
    }

    async consume(id: string): Promise<void> {
      const t = now();
      const key = rowIdOf(this.name, id);
      const reused = await gc.write(
        async (tx) => {
          if (await q.consumeModel(tx, this.name, key, t)) return undefined;
          const r = await q.findModel(tx, this.name, key);
          const p = r ? (JSON.parse(r.payload) as AdapterPayload) : undefined;
          // A concurrent redemption got there first: this one is a replay. The whole grant goes.
          if (p?.grantId) {
            cache?.forgetGrant(p.grantId);
            await q.destroyGrantEverything(tx, p.grantId);
          }
          await hooks.onReuse?.(tx, { model: this.name, grantId: p?.grantId, clientId: p?.clientId });
          return p ?? {};
        },
        { row: { model: this.name, id: key } },
      );
      if (reused) {
        if (reused.grantId) cache?.forgetGrant(reused.grantId);
        throw new errors.InvalidGrant(`${this.name} already consumed`);
      }
    }

    async destroy(id: string): Promise<void> {
      const key = rowIdOf(this.name, id);
      const forget = () => (this.name === 'Grant' ? cache?.forgetGrant(id) : cache?.forget(this.name, key));
      const app = { row: { model: this.name, id: key } };
      await changing(forget, () => gc.write((tx) => q.destroyModel(tx, this.name, key), app));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await changing(
        () => cache?.forgetGrant(grantId),
        () => gc.write((tx) => q.revokeByGrant(tx, this.name, grantId), { grant: grantId }),
      );
    }

    private revive(
      r: { payload: string; consumed_at: number | null; expires_at: number | null },
      id?: string,
    ): AdapterPayload | undefined {
      if (r.expires_at !== null && r.expires_at + KEEP_EXPIRED_MS < now()) return undefined;
      const p = JSON.parse(r.payload) as AdapterPayload & { sealedId?: string };
      const jti = id ?? (p.sealedId ? box.open(p.sealedId, `oauth:${this.name}`) : undefined);
      delete p.sealedId;
      if (jti !== undefined) p.jti = jti;
      if (r.consumed_at !== null) p.consumed = Math.floor(r.consumed_at / 1000);
      return p;
    }
  };
}

/** The `jti` and `iss` of a compact JWT's payload (already verified by the provider), or undefined. */
function claimsOf(jwt: unknown): { jti?: unknown; iss?: unknown } | undefined {
  if (typeof jwt !== 'string') return undefined;
  try {
    const p: unknown = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8'));
    return p && typeof p === 'object' ? (p as { jti?: unknown; iss?: unknown }) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The refusal of a proof used twice. The provider's replay id is sha256(iss + jti) of what it checks: a
 * client assertion (private_key_jwt) replayed is `invalid_client` (RFC 7523 §3: a JWT used once); a
 * DPoP proof replayed is `invalid_dpop_proof` (RFC 9449 §5 at the token endpoint; §7.1 at userinfo, a
 * 401 with `WWW-Authenticate: DPoP error="invalid_dpop_proof"`). The request in hand says which.
 */
function replayRefusal(id: string): Error {
  const params = (Provider.ctx as { oidc?: { params?: { client_assertion?: unknown } } } | undefined)?.oidc
    ?.params;
  const a = claimsOf(params?.client_assertion);
  if (
    typeof a?.jti === 'string' &&
    typeof a.iss === 'string' &&
    createHash('sha256').update(`${a.iss}${a.jti}`).digest('base64url') === id
  )
    return new errors.InvalidClientAuth('client assertion tokens must only be used once');
  return new errors.InvalidDpopProof('DPoP proof JWT Replay detected');
}
