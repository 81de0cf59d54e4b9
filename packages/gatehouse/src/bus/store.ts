import { lockAppendOrder, type Db, type Tx } from '../store/db.ts';
import { checkBusEvent, type CatalogueEvent } from './events.ts';

/**
 * Outbox SQL. `append` must run inside the transaction of the state change it reports; each event is
 * checked against the catalogue (bus/events.ts) first.
 */
export const outboxStore = {
  /**
   * Appends in `seq` order = commit order: on PostgreSQL the append takes the append-order lock (held
   * until commit, shared with the audit chain and the webhook feed), so a transaction that took a smaller
   * `seq` can never commit after the drainer has read past it. Without it, a row committed late below the
   * drainer's position would be skipped, then marked published, and never reach the bus.
   */
  async append(tx: Tx, events: ReadonlyArray<CatalogueEvent>): Promise<void> {
    if (events.length === 0) return;
    for (const e of events) checkBusEvent(e);
    await lockAppendOrder(tx);
    await tx
      .insertInto('outbox')
      .values(
        events.map((e) => ({
          id: e.id,
          type: e.type,
          account: 'account' in e && typeof e.account === 'string' ? e.account : null,
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
