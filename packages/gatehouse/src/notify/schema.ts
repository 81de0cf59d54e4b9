import type { ColumnDefinitionBuilder, Generated, Selectable } from 'kysely';
import { seqColumn, type AnyDb, type PartMigrations } from '../store/migrations.ts';

/**
 * new: committed by the change that caused it, not yet planned · held: a security-critical notice waiting
 * for its coalescing window · planned: deliveries created · suppressed: over the recipient's hourly limit
 * (never sent, still listed for the owner) · coalesced: folded into a later notice of the same kind.
 */
export type NoticeState = 'new' | 'held' | 'planned' | 'suppressed' | 'coalesced';

/** One notice to one account: the outbox row a producer commits with its change. */
export interface NotifyNoticesTable {
  seq: Generated<number>;
  id: string;
  kind: string;
  account_id: string;
  /** kind|account|producer key: the same notice enqueued twice (a redelivered event) is one row. */
  dedup_key: string;
  /** The kind's parameters (JSON), checked against the catalogue's schema when enqueued. */
  params: string;
  /** JSON [{channel, address}] when the producer names the recipients (the factors before a change). */
  recipients: string | null;
  /** The session the notice is about (the "this wasn't me" link contains it). */
  session: string | null;
  critical: number;
  state: NoticeState;
  /** Not planned before this time (epoch ms; a held notice's coalescing window end). */
  not_before: number;
  lease_until: number | null;
  planned_at: number | null;
  /** 1 when it counts toward the recipient's hourly limit (planned, not security-critical). */
  counted: number;
  coalesced_into: string | null;
  locale: string | null;
  /** JSON: what planning decided (channels used or skipped and why, notices folded in). */
  outcome: string | null;
  created_at: number;
}

/** A notice as read back. */
export type NoticeRow = Selectable<NotifyNoticesTable>;

export type DeliveryState = 'pending' | 'sent' | 'failed' | 'dead';

/** One notice to one address on one channel. */
export interface NotifyDeliveriesTable {
  seq: Generated<number>;
  notice_id: string;
  account_id: string;
  channel: string;
  /** Email address, phone number, or the account id for in-app. */
  address: string;
  state: DeliveryState;
  attempts: number;
  next_attempt_at: number;
  lease_until: number | null;
  created_at: number;
  done_at: number | null;
  /** SMTP reply code, HTTP status or error code of the last attempt. */
  last_code: string | null;
  last_error: string | null;
}

/** A delivery as read back. */
export type DeliveryRow = Selectable<NotifyDeliveriesTable>;

/** Per account: the language notices are written in, and the row planning locks (one planner per account). */
export interface NotifyAccountsTable {
  account_id: string;
  /** zh-CN or en; null: notifyDefaultLocale. */
  locale: string | null;
  touched_at: number;
}

/** Where an account has signed in from (device, network, country): a sign-in from a new one is announced. */
export interface NotifyKnownContextsTable {
  account_id: string;
  kind: string;
  value: string;
  first_seen_at: number;
  first_session: string | null;
  last_seen_at: number;
}

/** Single-use "this wasn't me" links. Only the SHA-256 of the token is stored. */
export interface NotifyLinksTable {
  id: string;
  token_hash: string;
  account_id: string;
  notice_id: string;
  session: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  used_ip: string | null;
}

/** The state of each address an account is notified at: failing after a permanent failure or giving up. */
export interface NotifyChannelHealthTable {
  account_id: string;
  channel: string;
  address: string;
  state: 'ok' | 'failing';
  failures: number;
  since: number;
  last_code: string | null;
  last_error: string | null;
  updated_at: number;
}

export interface NotifyTables {
  notify_notices: NotifyNoticesTable;
  notify_deliveries: NotifyDeliveriesTable;
  notify_accounts: NotifyAccountsTable;
  notify_known_contexts: NotifyKnownContextsTable;
  notify_links: NotifyLinksTable;
  notify_channel_health: NotifyChannelHealthTable;
}

export const notifyMigrations: PartMigrations = {
  '1800_notify': (dialect) => ({
    async up(db: AnyDb) {
      const seq = (c: ColumnDefinitionBuilder) =>
        dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey();
      await db.schema
        .createTable('notify_notices')
        .addColumn('seq', seqColumn(dialect), seq)
        .addColumn('id', 'text', (c) => c.notNull().unique())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('dedup_key', 'text', (c) => c.notNull().unique())
        .addColumn('params', 'text', (c) => c.notNull())
        .addColumn('recipients', 'text')
        .addColumn('session', 'text')
        .addColumn('critical', 'integer', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('not_before', 'bigint', (c) => c.notNull())
        .addColumn('lease_until', 'bigint')
        .addColumn('planned_at', 'bigint')
        .addColumn('counted', 'integer', (c) => c.notNull())
        .addColumn('coalesced_into', 'text')
        .addColumn('locale', 'text')
        .addColumn('outcome', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('notify_notices_due')
        .on('notify_notices')
        .columns(['state', 'not_before', 'seq'])
        .execute();
      await db.schema
        .createIndex('notify_notices_account')
        .on('notify_notices')
        .columns(['account_id', 'planned_at'])
        .execute();
      await db.schema
        .createIndex('notify_notices_kind')
        .on('notify_notices')
        .columns(['account_id', 'kind', 'state'])
        .execute();
      await db.schema
        .createTable('notify_deliveries')
        .addColumn('seq', seqColumn(dialect), seq)
        .addColumn('notice_id', 'text', (c) => c.notNull())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('address', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('lease_until', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('done_at', 'bigint')
        .addColumn('last_code', 'text')
        .addColumn('last_error', 'text')
        .addUniqueConstraint('notify_deliveries_once', ['notice_id', 'channel', 'address'])
        .execute();
      await db.schema
        .createIndex('notify_deliveries_due')
        .on('notify_deliveries')
        .columns(['state', 'next_attempt_at', 'seq'])
        .execute();
      await db.schema
        .createTable('notify_accounts')
        .addColumn('account_id', 'text', (c) => c.primaryKey())
        .addColumn('locale', 'text')
        .addColumn('touched_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('notify_known_contexts')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('first_seen_at', 'bigint', (c) => c.notNull())
        .addColumn('first_session', 'text')
        .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('notify_known_contexts_pk', ['account_id', 'kind', 'value'])
        .execute();
      await db.schema
        .createTable('notify_links')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('notice_id', 'text', (c) => c.notNull().unique())
        .addColumn('session', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('used_at', 'bigint')
        .addColumn('used_ip', 'text')
        .execute();
      await db.schema
        .createTable('notify_channel_health')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('address', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('failures', 'integer', (c) => c.notNull())
        .addColumn('since', 'bigint', (c) => c.notNull())
        .addColumn('last_code', 'text')
        .addColumn('last_error', 'text')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('notify_channel_health_pk', ['account_id', 'channel', 'address'])
        .execute();
    },
    async down(db: AnyDb) {
      for (const t of [
        'notify_channel_health',
        'notify_links',
        'notify_known_contexts',
        'notify_accounts',
        'notify_deliveries',
        'notify_notices',
      ])
        await db.schema.dropTable(t).execute();
    },
  }),
  /** A notice's coalesced notices are read by the notice they joined (a full scan grew with the table). */
  '1810_notify_coalesced_index': () => ({
    async up(db: AnyDb) {
      await db.schema
        .createIndex('notify_notices_coalesced')
        .on('notify_notices')
        .columns(['coalesced_into', 'seq'])
        .execute();
    },
    async down(db: AnyDb) {
      await db.schema.dropIndex('notify_notices_coalesced').execute();
    },
  }),
};
