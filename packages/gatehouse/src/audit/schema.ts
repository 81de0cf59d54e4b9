import { sql } from 'kysely';
import type { AnyDb, PartMigrations } from '../store/migrations.ts';

/** prev_hash of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

export interface AuditLogTable {
  /** 1, 2, 3, … without gaps: assigned from the checkpoint inside the appending transaction. */
  seq: number;
  at: number;
  /** "key:<operator key id>", "account:<id>", "system" or "cli". */
  actor: string;
  action: string;
  subject: string;
  /** Canonical JSON (sorted keys, no spaces). */
  data: string;
  prev_hash: string;
  hash: string;
}

/** One row (id 1): the head of the chain, updated with every append in the same transaction. */
export interface AuditCheckpointTable {
  id: number;
  head_seq: number;
  head_hash: string;
  count: number;
  updated_at: number;
}

export interface AuditTables {
  audit_log: AuditLogTable;
  audit_checkpoint: AuditCheckpointTable;
}

export const auditMigrations: PartMigrations = {
  '0110_audit': () => ({
    async up(db: AnyDb) {
      await db.schema
        .createTable('audit_log')
        .addColumn('seq', 'bigint', (c) => c.primaryKey())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('prev_hash', 'text', (c) => c.notNull().unique())
        .addColumn('hash', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_log_subject').on('audit_log').columns(['subject', 'seq']).execute();
      await db.schema
        .createTable('audit_checkpoint')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('head_seq', 'bigint', (c) => c.notNull())
        .addColumn('head_hash', 'text', (c) => c.notNull())
        .addColumn('count', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await sql`insert into audit_checkpoint (id, head_seq, head_hash, count, updated_at) values (1, 0, ${GENESIS_HASH}, 0, 0)`.execute(
        db,
      );
    },
    async down(db: AnyDb) {
      await db.schema.dropTable('audit_checkpoint').execute();
      await db.schema.dropTable('audit_log').execute();
    },
  }),
};
