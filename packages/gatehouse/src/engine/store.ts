import { sql } from 'kysely';
import type { Db, Dialect, Tx } from '../store/db.ts';
import type { DecisionsTable, EventsTable } from './schema.ts';
import type { EngineEvent } from './types.ts';

type Q = Db | Tx;
/** Advisory lock key of the event log (PostgreSQL). */
const EVENT_LOG_LOCK = 0x6768_6576; // "ghev"
export type NewEvent = Omit<EventsTable, 'seq'>;
export type NewDecision = Omit<DecisionsTable, 'seq'>;

/**
 * A message (`events as e`) the pre-send check stopped: logged by the check (origin `check`) and judged
 * block or contain — the decisions the check flags `checked`. The flag is not read from the decision's
 * JSON (kilobytes of signals and reasons per decision): a check's decision loses it only when the
 * platform had reported the message first, and then the log's row is the report's (origin `api`,
 * persist.ts `writeCheckBatch`), so the origin says the same. A check whose verdict the policy only
 * rehearsed (dry-run) let the message go: its row's origin is `check-rehearsed`, never stopped.
 */
const STOPPED_BY_CHECK = sql<boolean>`(e.origin = 'check' and exists (select 1 from engine_decisions as d where d.event_id = e.id and d.action in ('block', 'contain')))`;

/** All engine SQL: the event log and the decisions table. */
export const engineStore = {
  /** Ids among `ids` that are already in the log; of one origin when given (`api`: POST /v1/events). */
  async existingIds(q: Q, ids: string[], origin?: NewEvent['origin']): Promise<Set<string>> {
    const out = new Set<string>();
    for (let i = 0; i < ids.length; i += 500) {
      let s = q
        .selectFrom('events')
        .select('id')
        .where('id', 'in', ids.slice(i, i + 500));
      if (origin) s = s.where('origin', '=', origin);
      for (const r of await s.execute()) out.add(r.id);
    }
    return out;
  },

  /**
   * Of the message ids among `ids`, those the pre-send check logged and stopped (a block or contain
   * decision flagged `checked`), with their logged rows (late-delivery.ts).
   */
  stoppedChecks(q: Q, ids: string[]) {
    return q
      .selectFrom('events as e')
      .select(['e.id', 'e.account', 'e.time', 'e.payload'])
      .where('e.id', 'in', ids)
      .where('e.type', '=', 'message.sent')
      .where(STOPPED_BY_CHECK)
      .execute();
  },

  /**
   * Appends events inside transaction `tx`; ids already present are skipped. Returns the ids
   * actually inserted. On PostgreSQL the appends are serialised with a transaction-scoped advisory
   * lock, so rows commit in `seq` order and the consumer, which reads the log by `seq`, can never
   * pass over a row that commits later with a smaller `seq`. (SQLite has one writer at a time.)
   */
  async append(tx: Tx, events: NewEvent[], dialect: Dialect = 'sqlite'): Promise<Set<string>> {
    const q = tx;
    if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(${EVENT_LOG_LOCK})`.execute(tx);
    const inserted = new Set<string>();
    for (let i = 0; i < events.length; i += 500) {
      const rows = await q
        .insertInto('events')
        .values(events.slice(i, i + 500))
        .onConflict((oc) => oc.column('id').doNothing())
        .returning('id')
        .execute();
      for (const r of rows) inserted.add(r.id);
    }
    return inserted;
  },

  /** Events after `afterSeq`, in log order. */
  after(q: Q, afterSeq: number, limit: number) {
    return q
      .selectFrom('events')
      .select(['seq', 'id', 'received_at', 'origin', 'payload'])
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(limit)
      .execute();
  },

  /** Like `after`, without the payload of pre-send-check rows (the live consumer has applied them). */
  afterLight(q: Q, afterSeq: number, limit: number) {
    return q
      .selectFrom('events')
      .select([
        'seq',
        'id',
        'received_at',
        'origin',
        sql<string>`case when origin = 'check' then '' else payload end`.as('payload'),
      ])
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(limit)
      .execute();
  },

  async payloadOf(q: Q, id: string): Promise<string | undefined> {
    const r = await q.selectFrom('events').select('payload').where('id', '=', id).executeTakeFirst();
    return r?.payload;
  },

  async lastSeq(q: Q): Promise<number> {
    const r = await q
      .selectFrom('events')
      .select((eb) => eb.fn.max('seq').as('m'))
      .executeTakeFirst();
    return Number(r?.m ?? 0);
  },

  eventsOfAccount(q: Q, account: string, limit: number) {
    return q
      .selectFrom('events')
      .select(['seq', 'id', 'type', 'time', 'received_at', 'payload'])
      .where('account', '=', account)
      .orderBy('seq', 'desc')
      .limit(limit)
      .execute();
  },

  /** Events of one account with time in [from, to] (optionally of some types), oldest first. */
  eventsBetween(
    q: Q,
    account: string,
    from: number,
    to: number,
    types: readonly string[] | undefined,
    limit: number,
  ) {
    let qb = q
      .selectFrom('events')
      .select(['seq', 'id', 'type', 'time', 'payload'])
      .where('account', '=', account)
      .where('time', '>=', from)
      .where('time', '<=', to);
    if (types && types.length) qb = qb.where('type', 'in', [...types]);
    return qb.orderBy('time').orderBy('seq').limit(limit).execute();
  },

  /**
   * The account's messages since `since` appended after `afterSeq`, each with whether the pre-send check
   * stopped it: an incremental read moves past stopped messages too (service-views.ts).
   */
  async sentAfter(q: Q, account: string, since: number, afterSeq: number, limit: number) {
    const rows = await q
      .selectFrom('events as e')
      .select(['e.seq', STOPPED_BY_CHECK.as('stopped'), 'e.payload'])
      .where('e.account', '=', account)
      .where('e.type', '=', 'message.sent')
      .where('e.time', '>=', since)
      .where('e.seq', '>', afterSeq)
      .orderBy('e.seq')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ seq: r.seq, stopped: Boolean(r.stopped), payload: r.payload }));
  },

  /**
   * The messages of an account since `since` that left it: those the pre-send check stopped (a block
   * or contain decision flagged `checked`) are left out in the query, so they are neither returned nor
   * parsed (a contained intruder's many blocked messages).
   */
  deliveredSince(q: Q, account: string, since: number, limit: number) {
    return q
      .selectFrom('events as e')
      .select(['e.seq', 'e.id', 'e.time', 'e.payload'])
      .where('e.account', '=', account)
      .where('e.type', '=', 'message.sent')
      .where('e.time', '>=', since)
      .where(sql<boolean>`not ${STOPPED_BY_CHECK}`)
      .orderBy('e.seq')
      .limit(limit)
      .execute();
  },

  async firstDecisionSince(q: Q, account: string, since: number): Promise<number | undefined> {
    const r = await q
      .selectFrom('engine_decisions')
      .select((eb) => eb.fn.min('time').as('t'))
      .where('account', '=', account)
      .where('time', '>=', since)
      .executeTakeFirst();
    return r?.t === null || r?.t === undefined ? undefined : Number(r.t);
  },

  async insertDecisions(q: Q, rows: NewDecision[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 500) {
      await q
        .insertInto('engine_decisions')
        .values(rows.slice(i, i + 500))
        .onConflict((oc) => oc.column('event_id').doNothing())
        .execute();
    }
  },

  async existingDecisionIds(q: Q, eventIds: string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (let i = 0; i < eventIds.length; i += 500) {
      const rows = await q
        .selectFrom('engine_decisions')
        .select('event_id')
        .where('event_id', 'in', eventIds.slice(i, i + 500))
        .execute();
      for (const r of rows) out.add(r.event_id);
    }
    return out;
  },

  /** Outbox ids already present (replays must not append the same bus event twice). */
  async outboxIdsPresent(q: Q, ids: string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await q
        .selectFrom('outbox')
        .select('id')
        .where('id', 'in', ids.slice(i, i + 500))
        .execute();
      for (const r of rows) out.add(r.id);
    }
    return out;
  },

  decisionsOfAccount(q: Q, account: string, limit: number) {
    return q
      .selectFrom('engine_decisions')
      .selectAll()
      .where('account', '=', account)
      .orderBy('seq', 'desc')
      .limit(limit)
      .execute();
  },
};

/**
 * How an event reached the log: `api` (POST /v1/events), `check` (the pre-send check), `check-rehearsed`
 * (a check whose verdict the policy only rehearsed: the message went out, so it is never counted as
 * stopped by the check; store.ts `STOPPED_BY_CHECK`). Identity's own events are logged as `identity`
 * (identity-events.ts).
 */
export type EventOrigin = 'api' | 'check' | 'check-rehearsed';

export function toRow(ev: EngineEvent, now: number, origin: EventOrigin): NewEvent {
  return {
    id: ev.id,
    type: ev.type,
    account: ev.account,
    time: ev.time,
    received_at: now,
    origin,
    payload: JSON.stringify(ev),
  };
}
