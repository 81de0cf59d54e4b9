import { sql } from 'kysely';
import { precompiled } from '../store/compiled.ts';
import { lockAppendOrder, type Db, type Tx } from '../store/db.ts';
import { checkBusEvent, type CatalogueEvent } from './events.ts';

/**
 * Outbox SQL. `append` must run inside the transaction of the state change it reports; each event is
 * checked against the catalogue (bus/events.ts) first.
 */
const DRAIN_LEASE = 'drain';

/** The drainer's read, at every poke and poll. */
const unpublishedRows = precompiled((q, p: { limit: number; afterSeq: number }) =>
  q
    .selectFrom('outbox')
    .select(['seq', 'payload'])
    .where('published_at', 'is', null)
    .where('seq', '>', p.afterSeq)
    .orderBy('seq')
    .limit(p.limit),
);

/** Appends of up to this many events (a state change writes one to a few) run a statement compiled once. */
const APPEND_COMPILED = 4;
const appendRows = precompiled((q, p: Record<string, unknown>) => {
  const n = Object.keys(p).length / 5;
  return q.insertInto('outbox').values(
    Array.from({ length: n }, (_, i) => ({
      id: p[`id${i}`] as string,
      type: p[`type${i}`] as string,
      account: p[`account${i}`] as string | null,
      payload: p[`payload${i}`] as string,
      created_at: p[`created${i}`] as number,
      published_at: null,
    })),
  );
});

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
    const rows = events.map((e) => ({
      id: e.id,
      type: e.type,
      account: 'account' in e && typeof e.account === 'string' ? e.account : null,
      payload: JSON.stringify(e),
      created_at: e.time,
      published_at: null,
    }));
    if (rows.length > APPEND_COMPILED) {
      await tx.insertInto('outbox').values(rows).execute();
      return;
    }
    const p: Record<string, unknown> = {};
    rows.forEach((r, i) => {
      p[`id${i}`] = r.id;
      p[`type${i}`] = r.type;
      p[`account${i}`] = r.account;
      p[`payload${i}`] = r.payload;
      p[`created${i}`] = r.created_at;
    });
    await appendRows(tx, p);
  },

  async unpublished(db: Db, limit: number, afterSeq = 0): Promise<Array<{ seq: number; payload: string }>> {
    return (await unpublishedRows(db, { limit, afterSeq })).rows;
  },

  /**
   * Marks the rows after `afterSeq` up to `uptoSeq` published (one statement for a run of events). With
   * `owner` (several drainers on PostgreSQL) only while that drainer holds the drain lease: a drainer that
   * lost it records nothing, and the new holder publishes those rows again (at least once).
   */
  async markPublished(db: Db, afterSeq: number, uptoSeq: number, at: number, owner?: string): Promise<void> {
    let q = db
      .updateTable('outbox')
      .set({ published_at: at })
      .where('seq', '>', afterSeq)
      .where('seq', '<=', uptoSeq)
      .where('published_at', 'is', null);
    if (owner !== undefined)
      q = q.where(({ exists, selectFrom }) =>
        exists(
          selectFrom('outbox_lease')
            .select(sql`1`.as('one'))
            .where('name', '=', DRAIN_LEASE)
            .where('owner', '=', owner),
        ),
      );
    await q.execute();
  },

  /**
   * Takes or renews the drain lease for `ttlMs` (PostgreSQL; times on the database's clock, so the
   * processes' clocks do not matter). True when `owner` holds it afterwards: it was free, lapsed or
   * already this owner's. The row is locked by the upsert, so two drainers never both get it.
   */
  async holdDrainLease(db: Db, owner: string, ttlMs: number): Promise<boolean> {
    const now = sql<number>`(extract(epoch from clock_timestamp()) * 1000)::bigint`;
    const r = await sql<{ owner: string }>`
      insert into outbox_lease (name, owner, until) values (${DRAIN_LEASE}, ${owner}, ${now} + ${ttlMs})
      on conflict (name) do update set owner = excluded.owner, until = excluded.until
        where outbox_lease.owner = excluded.owner or outbox_lease.until <= ${now}
      returning owner`.execute(db);
    return r.rows.length === 1;
  },

  /** Gives the drain lease up (a clean stop: the next drainer takes over at once). */
  async releaseDrainLease(db: Db, owner: string): Promise<void> {
    await db.deleteFrom('outbox_lease').where('name', '=', DRAIN_LEASE).where('owner', '=', owner).execute();
  },

  /** The drain lease's holder and expiry (database clock), if any. */
  drainLease(db: Db) {
    return db.selectFrom('outbox_lease').selectAll().where('name', '=', DRAIN_LEASE).executeTakeFirst();
  },

  /**
   * Deletes published rows older than `before` (the outbox is a queue, not an archive), at most `limit`
   * of them (oldest first); the number deleted.
   */
  async prune(db: Db, before: number, limit = 1_000_000_000): Promise<number> {
    const r = await db
      .deleteFrom('outbox')
      .where('seq', 'in', (q) =>
        q
          .selectFrom('outbox')
          .select('seq')
          .where('published_at', 'is not', null)
          .where('published_at', '<', before)
          .orderBy('seq')
          .limit(limit),
      )
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  },

  /** The smallest sequence number not recorded as published, if any. */
  async oldestUnpublished(db: Db): Promise<number | undefined> {
    const r = await db
      .selectFrom('outbox')
      .select('seq')
      .where('published_at', 'is', null)
      .orderBy('seq')
      .limit(1)
      .executeTakeFirst();
    return r === undefined ? undefined : Number(r.seq);
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

/** The statements compiled once above (tests check their shapes). */
export const outboxStatements = { unpublishedRows, appendRows };
