import { sql, type Generated, type Kysely } from 'kysely';
import { seqColumn, type AnyDb, type PartMigrations } from '../store/migrations.ts';

/**
 * opened → verifying → verified → pledged → restored, or rejected / expired from any open state, or
 * superseded when the account left the freeze the case was opened for (another case restored it, an
 * operator unfroze it, or a containment became a sanction).
 */
export type CaseState =
  'opened' | 'verifying' | 'verified' | 'pledged' | 'restored' | 'rejected' | 'expired' | 'superseded';
export const CASE_STATES: readonly CaseState[] = [
  'opened',
  'verifying',
  'verified',
  'pledged',
  'restored',
  'rejected',
  'expired',
  'superseded',
];
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
  /** Who appeals: a hash of their network and device (their own cases count against them, no one else's). */
  appellant: string;
  /** The appellant's device label (shown to trusted friends with the network). */
  device: string;
  /** The freeze the case is about (the account's frozen_at when it was opened). */
  freeze_at: number;
  /** Where the window's start comes from: engine, freeze, signins or default (nothing known). */
  window_basis: string;
  /** Methods that verified the case (JSON array). */
  verified_methods: string;
  /** Verified by trusted friends alone: the case goes on from this time (null: no wait). */
  ready_at: number | null;
  /** Hash of the token, sent to the owner's channels, that stops a friend-verified case. */
  deny_token_hash: string | null;
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
  reverted_at: number | null;
}

/** One version of an account's trusted-friend list; the newest one past its cooling-off counts. */
export interface RecoveryFriendSetsTable {
  id: string;
  account_id: string;
  /** JSON array of account ids. */
  friend_ids: string;
  created_at: number;
  reverted_at: number | null;
}

/** Every change to how an account is recovered, announced with a "this wasn't me" token. */
export interface RecoveryFactorChangesTable {
  id: string;
  account_id: string;
  factor: string;
  action: string;
  /** JSON details (channel id and kind, friend count…). */
  detail: string;
  session_id: string | null;
  at: number;
  usable_from: number;
  token_hash: string;
  disputed_at: number | null;
}

/** An appeal of a sanction: it waits for an operator (approve unfreezes, deny keeps the sanction). */
export interface RecoveryOperatorAppealsTable {
  id: string;
  account_id: string;
  freeze_at: number;
  statement: string;
  ip: string;
  device: string;
  state: 'pending' | 'approved' | 'denied' | 'closed';
  created_at: number;
  decided_at: number | null;
  decided_by: string | null;
  note: string | null;
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
  removed_at: number | null;
  reverted_at: number | null;
}

export interface RecoveryTables {
  recovery_cases: RecoveryCasesTable;
  recovery_case_events: RecoveryCaseEventsTable;
  recovery_challenges: RecoveryChallengesTable;
  recovery_codes: RecoveryCodesTable;
  recovery_friend_sets: RecoveryFriendSetsTable;
  recovery_channels: RecoveryChannelsTable;
  recovery_factor_changes: RecoveryFactorChangesTable;
  recovery_operator_appeals: RecoveryOperatorAppealsTable;
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
  '0620_recovery_account_control': () => ({
    async up(db: AnyDb) {
      const cols: Array<[string, 'text' | 'bigint', string | number | null]> = [
        ['appellant', 'text', ''],
        ['device', 'text', ''],
        ['freeze_at', 'bigint', 0],
        ['window_basis', 'text', 'default'],
        ['verified_methods', 'text', '[]'],
        ['ready_at', 'bigint', null],
        ['deny_token_hash', 'text', null],
      ];
      for (const [col, type, dflt] of cols)
        await db.schema
          .alterTable('recovery_cases')
          .addColumn(col, type, (c) => (dflt === null ? c : c.notNull().defaultTo(dflt)))
          .execute();
      await db.schema.alterTable('recovery_codes').addColumn('reverted_at', 'bigint').execute();
      for (const col of ['removed_at', 'reverted_at'])
        await db.schema.alterTable('recovery_channels').addColumn(col, 'bigint').execute();
      await db.schema
        .createTable('recovery_friend_sets')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
        .addColumn('friend_ids', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('reverted_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('recovery_friend_sets_account')
        .on('recovery_friend_sets')
        .columns(['account_id', 'created_at'])
        .execute();
      // Friends chosen before versions existed become each account's first version.
      const old = (await (db as unknown as Kysely<{ recovery_trusted_friends: RecoveryTrustedFriendsRow }>)
        .selectFrom('recovery_trusted_friends')
        .selectAll()
        .orderBy('created_at')
        .execute()) as RecoveryTrustedFriendsRow[];
      const byAccount = new Map<string, { ids: string[]; at: number }>();
      for (const r of old) {
        const e = byAccount.get(r.account_id) ?? { ids: [], at: r.created_at };
        e.ids.push(r.friend_id);
        byAccount.set(r.account_id, e);
      }
      for (const [account, e] of byAccount)
        await (db as unknown as Kysely<Pick<RecoveryTables, 'recovery_friend_sets'>>)
          .insertInto('recovery_friend_sets')
          .values({
            id: `fset_${account}`,
            account_id: account,
            friend_ids: JSON.stringify(e.ids),
            created_at: e.at,
            reverted_at: null,
          })
          .execute();
      await db.schema.dropTable('recovery_trusted_friends').execute();
      await db.schema
        .createTable('recovery_factor_changes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
        .addColumn('factor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('detail', 'text', (c) => c.notNull())
        .addColumn('session_id', 'text')
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('usable_from', 'bigint', (c) => c.notNull())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('disputed_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('recovery_factor_changes_account')
        .on('recovery_factor_changes')
        .columns(['account_id', 'at'])
        .execute();
      await db.schema
        .createTable('recovery_operator_appeals')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
        .addColumn('freeze_at', 'bigint', (c) => c.notNull())
        .addColumn('statement', 'text', (c) => c.notNull())
        .addColumn('ip', 'text', (c) => c.notNull())
        .addColumn('device', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('decided_at', 'bigint')
        .addColumn('decided_by', 'text')
        .addColumn('note', 'text')
        .execute();
      await db.schema
        .createIndex('recovery_operator_appeals_state')
        .on('recovery_operator_appeals')
        .columns(['state', 'created_at'])
        .execute();
    },
    async down(db: AnyDb) {
      await db.schema.dropTable('recovery_operator_appeals').execute();
      await db.schema.dropTable('recovery_factor_changes').execute();
      await db.schema
        .createTable('recovery_trusted_friends')
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
        .addColumn('friend_id', 'text', (c) => c.notNull().references('accounts.id'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('recovery_trusted_friends_pk', ['account_id', 'friend_id'])
        .execute();
      await db.schema.dropTable('recovery_friend_sets').execute();
      for (const col of ['removed_at', 'reverted_at'])
        await db.schema.alterTable('recovery_channels').dropColumn(col).execute();
      await db.schema.alterTable('recovery_codes').dropColumn('reverted_at').execute();
      for (const col of [
        'appellant',
        'device',
        'freeze_at',
        'window_basis',
        'verified_methods',
        'ready_at',
        'deny_token_hash',
      ])
        await db.schema.alterTable('recovery_cases').dropColumn(col).execute();
    },
  }),
  /**
   * One pending sanction appeal per freeze, enforced by the database so that two appeals filed at the
   * same moment cannot both enter the queue. Duplicates filed before this migration are closed (the
   * earliest stays pending), never deleted.
   */
  '0630_recovery_one_pending_appeal': () => ({
    async up(db: AnyDb) {
      await sql`update recovery_operator_appeals set state = 'closed', note = 'duplicate pending appeal'
        where state = 'pending' and exists (
          select 1 from recovery_operator_appeals o
          where o.account_id = recovery_operator_appeals.account_id
            and o.freeze_at = recovery_operator_appeals.freeze_at
            and o.state = 'pending'
            and (o.created_at < recovery_operator_appeals.created_at
              or (o.created_at = recovery_operator_appeals.created_at and o.id < recovery_operator_appeals.id)))`.execute(
        db,
      );
      await sql`create unique index recovery_operator_appeals_one_pending
        on recovery_operator_appeals (account_id, freeze_at) where state = 'pending'`.execute(db);
    },
    async down(db: AnyDb) {
      await db.schema.dropIndex('recovery_operator_appeals_one_pending').execute();
    },
  }),
};

/** The pre-0620 trusted-friend rows (read once by the migration). */
interface RecoveryTrustedFriendsRow {
  account_id: string;
  friend_id: string;
  created_at: number;
}
