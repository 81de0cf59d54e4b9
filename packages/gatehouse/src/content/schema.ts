import type { Generated } from 'kysely';
import { seqColumn, type AnyDb, type PartMigrations } from '../store/migrations.ts';

/** Operator labels on texts: the audit trail of online learning, and data for the next training run. */
export interface ContentLabelsTable {
  seq: Generated<number>;
  text_sha256: string;
  text: string;
  label: number;
  source: string | null;
  actor: string;
  score_before: number;
  score_after: number;
  at: number;
}

export interface ContentTables {
  content_labels: ContentLabelsTable;
}

export const contentMigrations: PartMigrations = {
  '0150_content_labels': (dialect) => ({
    async up(db: AnyDb) {
      await db.schema
        .createTable('content_labels')
        .addColumn('seq', seqColumn(dialect), (c) =>
          dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey(),
        )
        .addColumn('text_sha256', 'text', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('label', 'integer', (c) => c.notNull())
        .addColumn('source', 'text')
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('score_before', 'real', (c) => c.notNull())
        .addColumn('score_after', 'real', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .execute();
    },
    async down(db: AnyDb) {
      await db.schema.dropTable('content_labels').execute();
    },
  }),
};
