import type { Generated } from 'kysely';
import { seqColumn, type AnyDb, type PartMigrations } from '../store/migrations.ts';

/**
 * Every oidc-provider model (Session, Grant, AccessToken, AuthorizationCode, RefreshToken, DeviceCode,
 * Interaction, PushedAuthorizationRequest, ReplayDetection, …) in one table, keyed by (model, id). The
 * columns beside the payload are the lookups the provider and Gatehouse need: grant, user code, session
 * uid, the app and the account (kill switch, user's app list).
 */
export interface OAuthModelsTable {
  model: string;
  id: string;
  /** JSON of the provider's payload. Token values are never stored: the provider's ids are their hashes. */
  payload: string;
  grant_id: string | null;
  user_code: string | null;
  uid: string | null;
  client_id: string | null;
  account_id: string | null;
  created_at: number;
  /** Epoch ms; null: does not expire. */
  expires_at: number | null;
  consumed_at: number | null;
}

export type AppStatus = 'active' | 'suspended';

/** The app registry: one row per third-party app (an OAuth client). */
export interface OAuthAppsTable {
  id: string;
  name: string;
  name_zh: string;
  /** "confidential" (server-side, client secret) or "public" (device/browser app, DPoP required). */
  kind: 'confidential' | 'public';
  /** Sealed client secret (SecretBox, AES-256-GCM), null for public apps. */
  secret_enc: string | null;
  /** JSON arrays. */
  redirect_uris: string;
  post_logout_redirect_uris: string;
  grant_types: string;
  /** The ceiling of scopes the app may ask for. */
  scopes: string;
  /** Scopes an operator reviewed for this app (sensitive scopes and unmasked contacts need it). */
  reviewed_scopes: string;
  verified: number;
  backchannel_logout_uri: string | null;
  /** The app's public keys (private_key_jwt); required for the device grant. */
  jwks_uri: string | null;
  /** Resource reads per minute allowed to this app (userinfo and /v1/apps/…). */
  rate_limit_per_minute: number;
  status: AppStatus;
  status_reason: string | null;
  created_at: number;
  updated_at: number;
}

/** Every read of a user's data by an app: which fields, when, from which network. */
export interface OAuthAccessLogTable {
  seq: Generated<number>;
  client_id: string;
  account_id: string;
  grant_id: string | null;
  /** "userinfo", "profile" or "friends". */
  resource: string;
  /** JSON array of the fields returned. */
  fields: string;
  ip: string;
  network: string;
  at: number;
}

/** Signing keys of the provider, the private JWK sealed with the server's secret key. */
export interface OAuthKeysTable {
  kid: string;
  alg: string;
  jwk_enc: string;
  created_at: number;
  /** When it stopped signing (a newer key took over); null while it is the current key. */
  retired_at: number | null;
  /** After this it is no longer published in the JWKS (overlap end). */
  expires_at: number | null;
}

export interface OAuthTables {
  oauth_models: OAuthModelsTable;
  oauth_apps: OAuthAppsTable;
  oauth_access_log: OAuthAccessLogTable;
  oauth_keys: OAuthKeysTable;
}

export const oauthMigrations: PartMigrations = {
  '0600_oauth': (dialect) => ({
    async up(db: AnyDb) {
      await db.schema
        .createTable('oauth_models')
        .addColumn('model', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('grant_id', 'text')
        .addColumn('user_code', 'text')
        .addColumn('uid', 'text')
        .addColumn('client_id', 'text')
        .addColumn('account_id', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint')
        .addColumn('consumed_at', 'bigint')
        .addPrimaryKeyConstraint('oauth_models_pk', ['model', 'id'])
        .execute();
      await db.schema.createIndex('oauth_models_grant').on('oauth_models').columns(['grant_id']).execute();
      await db.schema
        .createIndex('oauth_models_user_code')
        .on('oauth_models')
        .columns(['model', 'user_code'])
        .execute();
      await db.schema.createIndex('oauth_models_uid').on('oauth_models').columns(['model', 'uid']).execute();
      await db.schema
        .createIndex('oauth_models_client')
        .on('oauth_models')
        .columns(['client_id', 'model'])
        .execute();
      await db.schema
        .createIndex('oauth_models_account')
        .on('oauth_models')
        .columns(['account_id', 'model'])
        .execute();
      await db.schema
        .createIndex('oauth_models_expires')
        .on('oauth_models')
        .columns(['expires_at'])
        .execute();
      await db.schema
        .createTable('oauth_apps')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('name_zh', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('secret_enc', 'text')
        .addColumn('redirect_uris', 'text', (c) => c.notNull())
        .addColumn('post_logout_redirect_uris', 'text', (c) => c.notNull())
        .addColumn('grant_types', 'text', (c) => c.notNull())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('reviewed_scopes', 'text', (c) => c.notNull())
        .addColumn('verified', 'integer', (c) => c.notNull())
        .addColumn('backchannel_logout_uri', 'text')
        .addColumn('jwks_uri', 'text')
        .addColumn('rate_limit_per_minute', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('status_reason', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('oauth_access_log')
        .addColumn('seq', seqColumn(dialect), (c) =>
          dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey(),
        )
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('grant_id', 'text')
        .addColumn('resource', 'text', (c) => c.notNull())
        .addColumn('fields', 'text', (c) => c.notNull())
        .addColumn('ip', 'text', (c) => c.notNull())
        .addColumn('network', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('oauth_access_log_account')
        .on('oauth_access_log')
        .columns(['account_id', 'at'])
        .execute();
      await db.schema
        .createIndex('oauth_access_log_client')
        .on('oauth_access_log')
        .columns(['client_id', 'at'])
        .execute();
      await db.schema
        .createTable('oauth_keys')
        .addColumn('kid', 'text', (c) => c.primaryKey())
        .addColumn('alg', 'text', (c) => c.notNull())
        .addColumn('jwk_enc', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('retired_at', 'bigint')
        .addColumn('expires_at', 'bigint')
        .execute();
    },
    async down(db: AnyDb) {
      for (const t of ['oauth_keys', 'oauth_access_log', 'oauth_apps', 'oauth_models'])
        await db.schema.dropTable(t).execute();
    },
  }),
};
