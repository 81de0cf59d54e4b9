import type { Generated } from 'kysely';
import { seqColumn, type AnyDb, type PartMigrations } from '../store/migrations.ts';

/** opened → verifying → verified → pledged → restored, or rejected / expired from any open state. */
export type CaseState = 'opened' | 'verifying' | 'verified' | 'pledged' | 'restored' | 'rejected' | 'expired';
export const OPEN_STATES: readonly CaseState[] = ['opened', 'verifying', 'verified', 'pledged'];

export interface RecoveryCasesTable {
  id: string;
  account_id: string;
  state: CaseState;
  /** 'owner' (appeal by handle) or 'operator'. */
  opened_by: string;
  /** Who opened it: "account:<id>" or "key:<id>". */
  opener: string;
  /** SHA-256 of the case token (ghr_…) the owner uses for the rest of the flow. */
  token_hash: string;
  ip: string;
  expires_at: number;
  /** The verification method in progress or that succeeded. */
  method: string | null;
  verified_at: number | null;
  verified_by: string | null;
  pledge_version: string | null;
  pledged_at: number | null;
  pledge_ip: string | null;
  password_changed_at: number | null;
  sessions_reviewed_at: number | null;
  /** The compromise window: from the intruder's first access to the freeze (epoch ms). */
  window_start: number;
  window_end: number;
  wrong_answers: number;
  locked_until: number | null;
  reject_reason: string | null;
  /** JSON: what was restored (the account.restore instruction) once finished. */
  restore: string | null;
  created_at: number;
  updated_at: number;
  closed_at: number | null;
}

export interface RecoveryCaseEventsTable {
  seq: Generated<number>;
  case_id: string;
  at: number;
  actor: string;
  step: string;
  /** JSON object. */
  details: string;
}

/** A one-time code issued inside a case: to a contact channel, or to one trusted friend. */
export interface RecoveryChallengesTable {
  id: string;
  case_id: string;
  kind: string;
  /** Channel id, or the friend's account id. */
  target: string;
  code_hash: string;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
}

export interface RecoveryCodesTable {
  id: string;
  account_id: string;
  code_hash: string;
  created_at: number;
  used_at: number | null;
  used_case: string | null;
}

export interface RecoveryTrustedFriendsTable {
  account_id: string;
  friend_id: string;
  created_at: number;
}

export interface RecoveryChannelsTable {
  id: string;
  account_id: string;
  kind: 'email' | 'phone';
  address: string;
  address_key: string;
  verified_at: number | null;
  code_hash: string | null;
  code_expires_at: number | null;
  wrong_answers: number;
  created_at: number;
}

export interface RecoveryTables {
  recovery_cases: RecoveryCasesTable;
  recovery_case_events: RecoveryCaseEventsTable;
  recovery_challenges: RecoveryChallengesTable;
  recovery_codes: RecoveryCodesTable;
  recovery_trusted_friends: RecoveryTrustedFriendsTable;
  recovery_channels: RecoveryChannelsTable;
}

export const recoveryMigrations: PartMigrations = {
  '0200_recovery': (dialect) => ({
    async up(db: AnyDb) {
      await db.schema
        .createTable('recovery_cases')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('opened_by', 'text', (c) => c.notNull())
        .addColumn('opener', 'text', (c) => c.notNull())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('ip', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('method', 'text')
        .addColumn('verified_at', 'bigint')
        .addColumn('verified_by', 'text')
        .addColumn('pledge_version', 'text')
        .addColumn('pledged_at', 'bigint')
        .addColumn('pledge_ip', 'text')
        .addColumn('password_changed_at', 'bigint')
        .addColumn('sessions_reviewed_at', 'bigint')
        .addColumn('window_start', 'bigint', (c) => c.notNull())
        .addColumn('window_end', 'bigint', (c) => c.notNull())
        .addColumn('wrong_answers', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('locked_until', 'bigint')
        .addColumn('reject_reason', 'text')
        .addColumn('restore', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('closed_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('recovery_cases_account')
        .on('recovery_cases')
        .columns(['account_id', 'state'])
        .execute();
      await db.schema
        .createIndex('recovery_cases_state')
        .on('recovery_cases')
        .columns(['state', 'created_at'])
        .execute();
      await db.schema
        .createTable('recovery_case_events')
        .addColumn('seq', seqColumn(dialect), (c) =>
          dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey(),
        )
        .addColumn('case_id', 'text', (c) => c.notNull().references('recovery_cases.id'))
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('step', 'text', (c) => c.notNull())
        .addColumn('details', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('recovery_case_events_case')
        .on('recovery_case_events')
        .columns(['case_id', 'seq'])
        .execute();
      await db.schema
        .createTable('recovery_challenges')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('case_id', 'text', (c) => c.notNull().references('recovery_cases.id'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('code_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('consumed_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('recovery_challenges_case')
        .on('recovery_challenges')
        .columns(['case_id', 'kind'])
        .execute();
      await db.schema
        .createTable('recovery_codes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
        .addColumn('code_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('used_at', 'bigint')
        .addColumn('used_case', 'text')
        .execute();
      await db.schema
        .createIndex('recovery_codes_account')
        .on('recovery_codes')
        .columns(['account_id', 'code_hash'])
        .execute();
      await db.schema
        .createTable('recovery_trusted_friends')
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
        .addColumn('friend_id', 'text', (c) => c.notNull().references('accounts.id'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('recovery_trusted_friends_pk', ['account_id', 'friend_id'])
        .execute();
      await db.schema
        .createTable('recovery_channels')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('address', 'text', (c) => c.notNull())
        .addColumn('address_key', 'text', (c) => c.notNull())
        .addColumn('verified_at', 'bigint')
        .addColumn('code_hash', 'text')
        .addColumn('code_expires_at', 'bigint')
        .addColumn('wrong_answers', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('recovery_channels_unique', ['account_id', 'kind', 'address_key'])
        .execute();
    },
    async down(db: AnyDb) {
      for (const t of [
        'recovery_channels',
        'recovery_trusted_friends',
        'recovery_codes',
        'recovery_challenges',
        'recovery_case_events',
        'recovery_cases',
      ])
        await db.schema.dropTable(t).execute();
    },
  }),
};
