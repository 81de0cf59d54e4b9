import type { Generated } from 'kysely';
import { seqColumn, type AnyDb, type PartMigrations } from '../store/migrations.ts';

export interface OutboxTable {
  seq: Generated<number>;
  id: string;
  type: string;
  account: string | null;
  payload: string;
  created_at: number;
  published_at: number | null;
}

/** Who drains the outbox (PostgreSQL, several dispatcher processes): one row, leased until `until`. */
export interface OutboxLeaseTable {
  name: string;
  owner: string;
  /** Epoch ms on the database's clock. */
  until: number;
}

export interface BusTables {
  outbox: OutboxTable;
  outbox_lease: OutboxLeaseTable;
}

export const busMigrations: PartMigrations = {
  '0001_outbox': (dialect) => ({
    async up(db: AnyDb) {
      await db.schema
        .createTable('outbox')
        .addColumn('seq', seqColumn(dialect), (c) =>
          dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey(),
        )
        .addColumn('id', 'text', (c) => c.notNull().unique())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('account', 'text')
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('published_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('outbox_unpublished')
        .on('outbox')
        .columns(['published_at', 'seq'])
        .execute();
    },
    async down(db: AnyDb) {
      await db.schema.dropTable('outbox').execute();
    },
  }),
  '0705_outbox_lease': () => ({
    async up(db: AnyDb) {
      await db.schema
        .createTable('outbox_lease')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('until', 'bigint', (c) => c.notNull())
        .execute();
    },
    async down(db: AnyDb) {
      await db.schema.dropTable('outbox_lease').execute();
    },
  }),
};
