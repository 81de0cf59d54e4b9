import { sql } from 'kysely';
import type { Db, Tx } from '../store/db.ts';
import type { WebhookDeliveriesTable, WebhookEndpointsTable } from './schema.ts';

type Q = Db | Tx;

/** All webhook SQL. */
export const webhooksStore = {
  insertEndpoint(q: Q, e: WebhookEndpointsTable) {
    return q.insertInto('webhook_endpoints').values(e).execute();
  },
  endpoint(q: Q, id: string) {
    return q
      .selectFrom('webhook_endpoints')
      .selectAll()
      .where('id', '=', id)
      .where('removed_at', 'is', null)
      .executeTakeFirst();
  },
  liveEndpoints(q: Q) {
    return q
      .selectFrom('webhook_endpoints')
      .selectAll()
      .where('removed_at', 'is', null)
      .orderBy('created_at')
      .execute();
  },
  rotateSecret(q: Q, id: string, next: string, old: string, oldExpiresAt: number, now: number) {
    return q
      .updateTable('webhook_endpoints')
      .set({ secret_enc: next, old_secret_enc: old, old_secret_expires_at: oldExpiresAt, updated_at: now })
      .where('id', '=', id)
      .execute();
  },
  async updateEndpoint(
    q: Q,
    id: string,
    set: { types?: string; description?: string },
    now: number,
  ): Promise<boolean> {
    const r = await q
      .updateTable('webhook_endpoints')
      .set({ ...set, updated_at: now })
      .where('id', '=', id)
      .where('removed_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  },
  async removeEndpoint(q: Q, id: string, now: number): Promise<boolean> {
    const r = await q
      .updateTable('webhook_endpoints')
      .set({ removed_at: now, updated_at: now })
      .where('id', '=', id)
      .where('removed_at', 'is', null)
      .executeTakeFirst();
    await q
      .updateTable('webhook_deliveries')
      .set({ state: 'cancelled', done_at: now })
      .where('endpoint_id', '=', id)
      .where('state', '=', 'pending')
      .execute();
    return Number(r.numUpdatedRows) > 0;
  },

  insertMessage(
    q: Q,
    m: { id: string; type: string; account: string | null; body: string; created_at: number },
  ) {
    return q.insertInto('webhook_messages').values(m).execute();
  },
  insertDeliveries(q: Q, rows: Array<Omit<WebhookDeliveriesTable, 'seq'>>) {
    if (rows.length === 0) return Promise.resolve();
    return q.insertInto('webhook_deliveries').values(rows).execute();
  },
  messageBody(q: Q, id: string) {
    return q.selectFrom('webhook_messages').select(['body', 'seq']).where('id', '=', id).executeTakeFirst();
  },
  feed(q: Q, afterSeq: number, limit: number) {
    return q
      .selectFrom('webhook_messages')
      .select(['seq', 'id', 'body'])
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(limit)
      .execute();
  },

  /**
   * Due deliveries that are the head of their queue: pending, due, not leased, and no earlier pending
   * delivery for the same endpoint and account. Later messages of a queue wait for the head.
   */
  dueHeads(q: Q, now: number, limit: number) {
    return q
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_messages as m', 'm.id', 'd.message_id')
      .selectAll('d')
      .select('m.body')
      .where('d.state', '=', 'pending')
      .where('d.next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('d.lease_until', 'is', null), eb('d.lease_until', '<=', now)]))
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('webhook_deliveries as p')
              .select(sql`1`.as('one'))
              .whereRef('p.endpoint_id', '=', 'd.endpoint_id')
              .whereRef('p.account_key', '=', 'd.account_key')
              .where('p.state', '=', 'pending')
              .whereRef('p.seq', '<', 'd.seq'),
          ),
        ),
      )
      .orderBy('d.next_attempt_at')
      .orderBy('d.seq')
      .limit(limit)
      .execute();
  },
  /**
   * Takes the leases of deliveries; returns the ones this dispatcher got, with their attempt counts as
   * of the claim (others may hold the rest). The conditions are checked again on the locked row, so of
   * several dispatchers that read the same due rows exactly one gets each, and a row another dispatcher
   * has meanwhile delivered, or tried and rescheduled, is not taken (its `attempts` and
   * `next_attempt_at` moved on since the read).
   */
  async claim(q: Q, seqs: number[], now: number, until: number): Promise<Map<number, number>> {
    if (seqs.length === 0) return new Map();
    const rows = await q
      .updateTable('webhook_deliveries')
      .set({ lease_until: until })
      .where('seq', 'in', seqs)
      .where('state', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]))
      .returning(['seq', 'attempts'])
      .execute();
    return new Map(rows.map((r) => [r.seq, r.attempts]));
  },
  finish(
    q: Q,
    seq: number,
    set: Pick<
      WebhookDeliveriesTable,
      'state' | 'attempts' | 'next_attempt_at' | 'done_at' | 'last_status' | 'last_error'
    >,
  ) {
    return q
      .updateTable('webhook_deliveries')
      .set({ ...set, lease_until: null })
      .where('seq', '=', seq)
      .execute();
  },
  insertAttempt(
    q: Q,
    a: { delivery_seq: number; at: number; status: number | null; latency_ms: number; error: string | null },
  ) {
    return q.insertInto('webhook_attempts').values(a).execute();
  },
  attempts(q: Q, deliverySeq: number) {
    return q
      .selectFrom('webhook_attempts')
      .selectAll()
      .where('delivery_seq', '=', deliverySeq)
      .orderBy('seq')
      .execute();
  },
  deliveriesOf(q: Q, messageId: string) {
    return q
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('message_id', '=', messageId)
      .orderBy('seq')
      .execute();
  },
  dead(q: Q, endpointId: string | undefined, limit: number) {
    let qb = q
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_messages as m', 'm.id', 'd.message_id')
      .select([
        'd.seq',
        'd.message_id',
        'd.endpoint_id',
        'd.account_key',
        'd.attempts',
        'd.created_at',
        'd.done_at',
        'd.last_status',
        'd.last_error',
        'm.type',
      ])
      .where('d.state', '=', 'dead');
    if (endpointId !== undefined) qb = qb.where('d.endpoint_id', '=', endpointId);
    return qb.orderBy('d.seq').limit(limit).execute();
  },
  /** Puts dead letters back in their queues (they keep their seq, so their order). Returns how many. */
  async replay(q: Q, opts: { messageIds?: string[]; endpointId?: string }, now: number): Promise<number> {
    let qb = q
      .updateTable('webhook_deliveries')
      .set({
        state: 'pending',
        attempts: 0,
        next_attempt_at: now,
        created_at: now,
        done_at: null,
        lease_until: null,
      })
      .where('state', '=', 'dead');
    if (opts.messageIds) qb = qb.where('message_id', 'in', opts.messageIds);
    if (opts.endpointId !== undefined) qb = qb.where('endpoint_id', '=', opts.endpointId);
    const r = await qb.executeTakeFirst();
    return Number(r.numUpdatedRows);
  },
  async knownMessages(q: Q, ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await q.selectFrom('webhook_messages').select('id').where('id', 'in', ids).execute();
    return rows.map((r) => r.id);
  },
  /**
   * Deletes what is finished and older than `before`: delivered or cancelled deliveries with their
   * attempts, and messages that have no delivery left (so dead letters and pending ones stay).
   */
  async prune(q: Q, before: number): Promise<{ deliveries: number; messages: number }> {
    const finished = (eb: Q) =>
      eb
        .selectFrom('webhook_deliveries')
        .select('seq')
        .where('state', 'in', ['delivered', 'cancelled'])
        .where('done_at', '<', before);
    await q.deleteFrom('webhook_attempts').where('delivery_seq', 'in', finished(q)).execute();
    const d = await q
      .deleteFrom('webhook_deliveries')
      .where('state', 'in', ['delivered', 'cancelled'])
      .where('done_at', '<', before)
      .executeTakeFirst();
    const m = await q
      .deleteFrom('webhook_messages')
      .where('created_at', '<', before)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('webhook_deliveries')
              .select(sql`1`.as('one'))
              .whereRef('webhook_deliveries.message_id', '=', 'webhook_messages.id'),
          ),
        ),
      )
      .executeTakeFirst();
    return { deliveries: Number(d.numDeletedRows), messages: Number(m.numDeletedRows) };
  },
  async countPending(q: Q): Promise<number> {
    const r = await q
      .selectFrom('webhook_deliveries')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('state', '=', 'pending')
      .executeTakeFirstOrThrow();
    return Number(r.n);
  },
};
