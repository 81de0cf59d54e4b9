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

/** User reports on message texts (reports.ts): one row per (message, reporter). */
export interface ContentReportsTable {
  seq: Generated<number>;
  message_id: string;
  text_key: string;
  sender: string;
  reporter: string;
  reason: string;
  at: number;
}

/** Reporter reputation: reports operators confirmed or rejected. */
export interface ContentReportersTable {
  reporter: string;
  confirmed: number;
  rejected: number;
}

/** Texts whose reports reached the quorum, waiting for (or decided by) an operator. */
export interface ContentReportQueueTable {
  seq: Generated<number>;
  text_key: string;
  text: string;
  reporters: number;
  weight: number;
  /** pending | confirmed | rejected */
  status: string;
  created_at: number;
  decided_by: string | null;
  decided_at: number | null;
}

export interface ContentTables {
  content_labels: ContentLabelsTable;
  content_reports: ContentReportsTable;
  content_reporters: ContentReportersTable;
  content_report_queue: ContentReportQueueTable;
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
  '0151_content_reports': (dialect) => ({
    async up(db: AnyDb) {
      await db.schema
        .createTable('content_reports')
        .addColumn('seq', seqColumn(dialect), (c) =>
          dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey(),
        )
        .addColumn('message_id', 'text', (c) => c.notNull())
        .addColumn('text_key', 'text', (c) => c.notNull())
        .addColumn('sender', 'text', (c) => c.notNull())
        .addColumn('reporter', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('content_reports_message_reporter', ['message_id', 'reporter'])
        .execute();
      await db.schema.createIndex('content_reports_text').on('content_reports').column('text_key').execute();
      await db.schema
        .createTable('content_reporters')
        .addColumn('reporter', 'text', (c) => c.primaryKey())
        .addColumn('confirmed', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('rejected', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .createTable('content_report_queue')
        .addColumn('seq', seqColumn(dialect), (c) =>
          dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey(),
        )
        .addColumn('text_key', 'text', (c) => c.notNull().unique())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('reporters', 'integer', (c) => c.notNull())
        .addColumn('weight', 'real', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('decided_by', 'text')
        .addColumn('decided_at', 'bigint')
        .execute();
    },
    async down(db: AnyDb) {
      await db.schema.dropTable('content_report_queue').execute();
      await db.schema.dropTable('content_reporters').execute();
      await db.schema.dropTable('content_reports').execute();
    },
  }),
};
