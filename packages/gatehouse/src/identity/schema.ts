import type { Generated } from 'kysely';
import { seqColumn, type AnyDb, type PartMigrations } from '../store/migrations.ts';
import { mfaMigrations, type MfaTables } from './mfa/schema.ts';

export type AccountState = 'active' | 'frozen' | 'deleted';
/**
 * Why a frozen account is frozen: `containment` (taken over; the owner may prove ownership and take it
 * back by a self-service appeal) or `sanction` (the platform's enforcement; appeals go to operators).
 */
export type FreezeKind = 'containment' | 'sanction';
export const FREEZE_KINDS: readonly FreezeKind[] = ['containment', 'sanction'];

export interface AccountsTable {
  id: string;
  handle: string;
  /** Lower-cased NFKC handle: the uniqueness key. */
  handle_key: string;
  display_name: string;
  password_hash: string;
  state: AccountState;
  state_reason: string | null;
  created_at: number;
  updated_at: number;
  /** While frozen: the kind of freeze, when it began and (when known) when the compromise began. */
  freeze_kind: FreezeKind | null;
  frozen_at: number | null;
  freeze_since: number | null;
}

export interface SessionsTable {
  id: string;
  account_id: string;
  token_hash: string;
  method: string;
  user_agent: string;
  device: string;
  ip: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  revoked_at: number | null;
  revoked_reason: string | null;
  /** The last time the session's holder proved the password again (re-authentication). */
  reauth_at: number | null;
  /** The last time the session's holder proved a second factor or a recovery code (step-up). */
  step_up_at: number | null;
  /** Until when the session is on probation (a mismatched cross-device approval), and why. */
  probation_until: number | null;
  probation_reason: string | null;
  /** A device-bound session: the P-256 public JWK whose signature refreshes it (identity/binding). */
  binding_key: string | null;
  /** Until when the bound session's last proof of its key holds; then it must refresh. */
  bound_until: number | null;
  /** The pending refresh challenge (single use). */
  binding_challenge: string | null;
}

/** Networks and devices an account has signed in from: attempts from them are counted apart. */
export interface KnownContextsTable {
  account_id: string;
  /** 'network' (key: "203.0.113.0/24") or 'device' (key: SHA-256 of the device token). */
  kind: string;
  key: string;
  first_at: number;
  last_at: number;
}

export interface SigninsTable {
  seq: Generated<number>;
  account_id: string | null;
  handle: string;
  success: number;
  reason: string;
  method: string;
  ip: string;
  user_agent: string;
  device: string;
  session_id: string | null;
  at: number;
}

export interface IdentityTables extends MfaTables {
  accounts: AccountsTable;
  sessions: SessionsTable;
  signins: SigninsTable;
  known_contexts: KnownContextsTable;
}

export const identityMigrations: PartMigrations = {
  '0002_identity': (dialect) => ({
    async up(db: AnyDb) {
      await db.schema
        .createTable('accounts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('handle', 'text', (c) => c.notNull())
        .addColumn('handle_key', 'text', (c) => c.notNull().unique())
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('state_reason', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('user_agent', 'text', (c) => c.notNull())
        .addColumn('device', 'text', (c) => c.notNull())
        .addColumn('ip', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .addColumn('revoked_reason', 'text')
        .execute();
      await db.schema
        .createIndex('sessions_account')
        .on('sessions')
        .columns(['account_id', 'created_at'])
        .execute();
      await db.schema
        .createTable('signins')
        .addColumn('seq', seqColumn(dialect), (c) =>
          dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey(),
        )
        .addColumn('account_id', 'text')
        .addColumn('handle', 'text', (c) => c.notNull())
        .addColumn('success', 'integer', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('ip', 'text', (c) => c.notNull())
        .addColumn('user_agent', 'text', (c) => c.notNull())
        .addColumn('device', 'text', (c) => c.notNull())
        .addColumn('session_id', 'text')
        .addColumn('at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('signins_account').on('signins').columns(['account_id', 'at']).execute();
    },
    async down(db: AnyDb) {
      await db.schema.dropTable('signins').execute();
      await db.schema.dropTable('sessions').execute();
      await db.schema.dropTable('accounts').execute();
    },
  }),
  '0610_identity_account_control': () => ({
    async up(db: AnyDb) {
      for (const [col, type] of [
        ['freeze_kind', 'text'],
        ['frozen_at', 'bigint'],
        ['freeze_since', 'bigint'],
      ] as const)
        await db.schema.alterTable('accounts').addColumn(col, type).execute();
      for (const col of ['reauth_at', 'step_up_at'])
        await db.schema.alterTable('sessions').addColumn(col, 'bigint').execute();
      await db.schema
        .createTable('known_contexts')
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('first_at', 'bigint', (c) => c.notNull())
        .addColumn('last_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('known_contexts_pk', ['account_id', 'kind', 'key'])
        .execute();
    },
    async down(db: AnyDb) {
      await db.schema.dropTable('known_contexts').execute();
      for (const col of ['reauth_at', 'step_up_at'])
        await db.schema.alterTable('sessions').dropColumn(col).execute();
      for (const col of ['freeze_kind', 'frozen_at', 'freeze_since'])
        await db.schema.alterTable('accounts').dropColumn(col).execute();
    },
  }),
  ...mfaMigrations,
};
