import type { ColumnDefinitionBuilder, Generated } from 'kysely';
import { seqColumn, type AnyDb, type PartMigrations } from '../store/migrations.ts';

export interface WebhookEndpointsTable {
  id: string;
  url: string;
  /** JSON array of event types; "account.*" matches a prefix, "*" everything. */
  types: string;
  description: string;
  /** The signing secret, AES-256-GCM sealed under the secret key. */
  secret_enc: string;
  /** The secret before the last rotation, still signing until old_secret_expires_at. */
  old_secret_enc: string | null;
  old_secret_expires_at: number | null;
  created_at: number;
  updated_at: number;
  removed_at: number | null;
}

/** The message log and pull feed: one row per enqueued message, in commit order. */
export interface WebhookMessagesTable {
  seq: Generated<number>;
  id: string;
  type: string;
  account: string | null;
  /** The exact JSON body every endpoint receives (and the feed returns). */
  body: string;
  created_at: number;
}

export type DeliveryState = 'pending' | 'delivered' | 'dead' | 'cancelled';

/** One message to one endpoint. Ordered per (endpoint_id, account_key) by seq. */
export interface WebhookDeliveriesTable {
  seq: Generated<number>;
  message_id: string;
  endpoint_id: string;
  /** The account the message is about, or '' (messages about no account form one queue). */
  account_key: string;
  state: DeliveryState;
  attempts: number;
  next_attempt_at: number;
  /** Set while a dispatcher is sending it, so two dispatchers never send it at once. */
  lease_until: number | null;
  created_at: number;
  done_at: number | null;
  last_status: number | null;
  last_error: string | null;
}

export interface WebhookAttemptsTable {
  seq: Generated<number>;
  delivery_seq: number;
  at: number;
  status: number | null;
  latency_ms: number;
  error: string | null;
}

export interface WebhooksTables {
  webhook_endpoints: WebhookEndpointsTable;
  webhook_messages: WebhookMessagesTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
}

export const webhooksMigrations: PartMigrations = {
  '0100_webhooks': (dialect) => ({
    async up(db: AnyDb) {
      const seq = (c: ColumnDefinitionBuilder) =>
        dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey();
      await db.schema
        .createTable('webhook_endpoints')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('types', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('secret_enc', 'text', (c) => c.notNull())
        .addColumn('old_secret_enc', 'text')
        .addColumn('old_secret_expires_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('removed_at', 'bigint')
        .execute();
      await db.schema
        .createTable('webhook_messages')
        .addColumn('seq', seqColumn(dialect), seq)
        .addColumn('id', 'text', (c) => c.notNull().unique())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('account', 'text')
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('webhook_deliveries')
        .addColumn('seq', seqColumn(dialect), seq)
        .addColumn('message_id', 'text', (c) => c.notNull())
        .addColumn('endpoint_id', 'text', (c) => c.notNull())
        .addColumn('account_key', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('lease_until', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('done_at', 'bigint')
        .addColumn('last_status', 'integer')
        .addColumn('last_error', 'text')
        .addUniqueConstraint('webhook_deliveries_message_endpoint', ['message_id', 'endpoint_id'])
        .execute();
      await db.schema
        .createIndex('webhook_deliveries_due')
        .on('webhook_deliveries')
        .columns(['state', 'next_attempt_at', 'seq'])
        .execute();
      await db.schema
        .createIndex('webhook_deliveries_queue')
        .on('webhook_deliveries')
        .columns(['endpoint_id', 'account_key', 'state', 'seq'])
        .execute();
      await db.schema
        .createTable('webhook_attempts')
        .addColumn('seq', seqColumn(dialect), seq)
        .addColumn('delivery_seq', 'bigint', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('status', 'integer')
        .addColumn('latency_ms', 'real', (c) => c.notNull())
        .addColumn('error', 'text')
        .execute();
      await db.schema
        .createIndex('webhook_attempts_delivery')
        .on('webhook_attempts')
        .columns(['delivery_seq', 'seq'])
        .execute();
    },
    async down(db: AnyDb) {
      for (const t of ['webhook_attempts', 'webhook_deliveries', 'webhook_messages', 'webhook_endpoints'])
        await db.schema.dropTable(t).execute();
    },
  }),
};
