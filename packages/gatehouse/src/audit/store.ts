import type { Db, Tx } from '../store/db.ts';
import type { AuditCheckpointTable, AuditLogTable } from './schema.ts';

type Q = Db | Tx;

/** All audit SQL. */
export const auditStore = {
  /** The checkpoint row, locked for the rest of the transaction on PostgreSQL. */
  async checkpointForUpdate(tx: Tx, pg: boolean): Promise<AuditCheckpointTable | undefined> {
    let qb = tx.selectFrom('audit_checkpoint').selectAll().where('id', '=', 1);
    if (pg) qb = qb.forUpdate();
    return qb.executeTakeFirst();
  },
  checkpoint(q: Q) {
    return q.selectFrom('audit_checkpoint').selectAll().where('id', '=', 1).executeTakeFirst();
  },
  insert(tx: Tx, row: AuditLogTable) {
    return tx.insertInto('audit_log').values(row).execute();
  },
  /** Several rows in one statement (consecutive seqs of one append). */
  insertMany(tx: Tx, rows: AuditLogTable[]) {
    return tx.insertInto('audit_log').values(rows).execute();
  },
  async saveCheckpoint(tx: Tx, c: AuditCheckpointTable): Promise<void> {
    await tx
      .updateTable('audit_checkpoint')
      .set({ head_seq: c.head_seq, head_hash: c.head_hash, count: c.count, updated_at: c.updated_at })
      .where('id', '=', 1)
      .execute();
  },
  /** Rows in seq order, a page at a time (for verification). */
  page(q: Q, afterSeq: number, limit: number) {
    return q
      .selectFrom('audit_log')
      .selectAll()
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(limit)
      .execute();
  },
  list(q: Q, opts: { subject?: string; after?: number; limit: number }) {
    let qb = q.selectFrom('audit_log').selectAll();
    if (opts.subject !== undefined) qb = qb.where('subject', '=', opts.subject);
    if (opts.after !== undefined) qb = qb.where('seq', '>', opts.after);
    return qb.orderBy('seq').limit(opts.limit).execute();
  },
};
