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

export interface BusTables {
  outbox: OutboxTable;
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
};
