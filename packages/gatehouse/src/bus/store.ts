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

  async unpublished(db: Db, limit: number, afterSeq = 0): Promise<Array<{ seq: number; payload: string }>> {
    return db
      .selectFrom('outbox')
      .select(['seq', 'payload'])
      .where('published_at', 'is', null)
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(limit)
      .execute();
  },

  /** Marks every row up to `uptoSeq` published (one statement for a whole run of events). */
  async markPublishedUpTo(db: Db, uptoSeq: number, at: number): Promise<void> {
    await db
      .updateTable('outbox')
      .set({ published_at: at })
      .where('seq', '<=', uptoSeq)
      .where('published_at', 'is', null)
      .execute();
  },

  /** Deletes published rows older than `before` (the outbox is a queue, not an archive). */
  async prune(db: Db, before: number): Promise<void> {
    await db
      .deleteFrom('outbox')
      .where('published_at', 'is not', null)
      .where('published_at', '<', before)
      .execute();
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
