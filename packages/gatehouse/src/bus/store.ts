import type { Db, Tx } from '../store/db.ts';
import type { BusEvent } from './index.ts';

/** Outbox SQL. `append` must run inside the transaction of the state change it reports. */
export const outboxStore = {
  async append(tx: Tx | Db, events: BusEvent[]): Promise<void> {
    if (events.length === 0) return;
    await tx
      .insertInto('outbox')
      .values(
        events.map((e) => ({
          id: e.id,
          type: e.type,
          account: e.account ?? null,
          payload: JSON.stringify(e),
          created_at: e.time,
          published_at: null,
        })),
      )
      .execute();
  },

  async unpublished(db: Db, limit: number): Promise<Array<{ seq: number; payload: string }>> {
    return db
      .selectFrom('outbox')
      .select(['seq', 'payload'])
      .where('published_at', 'is', null)
      .orderBy('seq')
      .limit(limit)
      .execute();
  },

  async markPublished(db: Db, seqs: number[], at: number): Promise<void> {
    if (seqs.length === 0) return;
    await db.updateTable('outbox').set({ published_at: at }).where('seq', 'in', seqs).execute();
  },

  async countUnpublished(db: Db): Promise<number> {
    const r = await db
      .selectFrom('outbox')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('published_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  },
};
