import { sql } from 'kysely';
import { precompiled } from '../store/compiled.ts';
import type { Db, Tx } from '../store/db.ts';
import type {
  NotifyChannelHealthTable,
  NotifyDeliveriesTable,
  NotifyLinksTable,
  NotifyNoticesTable,
  NoticeRow,
} from './schema.ts';

type Q = Db | Tx;
type NoticePatch = Partial<
  Pick<
    NotifyNoticesTable,
    | 'state'
    | 'not_before'
    | 'lease_until'
    | 'planned_at'
    | 'counted'
    | 'coalesced_into'
    | 'locale'
    | 'outcome'
  >
>;

/** All notify SQL. */
export const notifyStore = {
  /** Inserts a notice unless one with its dedup key exists; returns whether it was inserted. */
  async insertNotice(q: Q, n: Omit<NotifyNoticesTable, 'seq'>): Promise<boolean> {
    const r = await insertNoticeRow(q, n);
    return Number(r.numAffectedRows ?? 0) > 0;
  },
  noticeByKey(q: Q, key: string) {
    return q.selectFrom('notify_notices').selectAll().where('dedup_key', '=', key).executeTakeFirst();
  },
  async notice(q: Q, id: string): Promise<NoticeRow | undefined> {
    return (await noticeById(q, { id })).rows[0];
  },
  /** Sets the patch's fields (compiled once per set of fields: a planner writes a few). */
  async setNotice(q: Q, id: string, patch: NoticePatch): Promise<void> {
    await setNoticeFields(q, { ...patch, id });
  },
  /**
   * Notices to plan now (new, or held past their window), oldest first, leased to this planner; with
   * their kind and account (the planner's metrics and log name them without reading each again).
   */
  async claimDueNotices(
    q: Q,
    now: number,
    limit: number,
    leaseUntil: number,
  ): Promise<Array<{ id: string; kind: string; account_id: string }>> {
    const due = await q
      .selectFrom('notify_notices')
      .select('id')
      .where('state', 'in', ['new', 'held'])
      .where('not_before', '<=', now)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]))
      .orderBy('seq')
      .limit(limit)
      .execute();
    if (due.length === 0) return [];
    const got = await q
      .updateTable('notify_notices')
      .set({ lease_until: leaseUntil })
      .where(
        'id',
        'in',
        due.map((d) => d.id),
      )
      .where('state', 'in', ['new', 'held'])
      .where('not_before', '<=', now)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]))
      .returning(['id', 'seq', 'kind', 'account_id'])
      .execute();
    return got
      .sort((a, b) => a.seq - b.seq)
      .map((r) => ({ id: r.id, kind: r.kind, account_id: r.account_id }));
  },
  /**
   * Takes the account's planning lock until the transaction ends (PostgreSQL: the upserted row stays
   * locked; SQLite: one writer at a time) and returns the account's language, if set.
   */
  async lockAccount(tx: Tx, account: string, now: number): Promise<string | null> {
    const r = (await lockAccountRow(tx, { account, now })).rows[0];
    if (!r) throw new Error('notify: the account row was not upserted');
    return r.locale;
  },
  async locale(q: Q, account: string): Promise<string | null> {
    const r = await q
      .selectFrom('notify_accounts')
      .select('locale')
      .where('account_id', '=', account)
      .executeTakeFirst();
    return r?.locale ?? null;
  },
  setLocale(q: Q, account: string, locale: string, now: number) {
    return q
      .insertInto('notify_accounts')
      .values({ account_id: account, locale, touched_at: now })
      .onConflict((oc) => oc.column('account_id').doUpdateSet({ locale, touched_at: now }))
      .execute();
  },
  /** Planned notices of the account that count toward its hourly limit since `since`. */
  async countCounted(q: Q, account: string, since: number): Promise<number> {
    return Number((await countCountedRows(q, { account, since })).rows[0]?.n ?? 0);
  },
  async lastPlannedAt(q: Q, account: string, kind: string): Promise<number | undefined> {
    const t = (await lastPlanned(q, { account, kind })).rows[0]?.t;
    return t === null || t === undefined ? undefined : Number(t);
  },
  async held(q: Q, account: string, kind: string): Promise<NoticeRow[]> {
    return (await heldNotices(q, { account, kind })).rows;
  },
  coalescedInto(q: Q, id: string) {
    return q
      .selectFrom('notify_notices')
      .selectAll()
      .where('coalesced_into', '=', id)
      .orderBy('seq')
      .execute();
  },
  notices(q: Q, account: string, limit: number) {
    return q
      .selectFrom('notify_notices')
      .selectAll()
      .where('account_id', '=', account)
      .orderBy('seq', 'desc')
      .limit(limit)
      .execute();
  },

  async insertDeliveries(q: Q, rows: Array<Omit<NotifyDeliveriesTable, 'seq'>>): Promise<void> {
    if (rows.length === 0) return;
    // one address (a notice in the app alone, the usual case): one compiled statement
    if (rows.length === 1) {
      await insertDelivery(q, rows[0]!);
      return;
    }
    await q
      .insertInto('notify_deliveries')
      .values(rows)
      .onConflict((oc) => oc.columns(['notice_id', 'channel', 'address']).doNothing())
      .execute();
  },
  /** Due deliveries, leased to this dispatcher. */
  async claimDueDeliveries(q: Q, now: number, limit: number, leaseUntil: number) {
    const due = await q
      .selectFrom('notify_deliveries')
      .select('seq')
      .where('state', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]))
      .orderBy('next_attempt_at')
      .orderBy('seq')
      .limit(limit)
      .execute();
    if (due.length === 0) return [];
    return (
      q
        .updateTable('notify_deliveries')
        .set({ lease_until: leaseUntil })
        .where(
          'seq',
          'in',
          due.map((d) => d.seq),
        )
        .where('state', '=', 'pending')
        // checked again on the locked row: a delivery another dispatcher tried and rescheduled since the
        // read above is not sent again before its time
        .where('next_attempt_at', '<=', now)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]))
        .returningAll()
        .execute()
    );
  },
  finishDelivery(
    q: Q,
    seq: number,
    set: Pick<
      NotifyDeliveriesTable,
      'state' | 'attempts' | 'next_attempt_at' | 'done_at' | 'last_code' | 'last_error'
    >,
  ) {
    return q
      .updateTable('notify_deliveries')
      .set({ ...set, lease_until: null })
      .where('seq', '=', seq)
      .execute();
  },
  deliveriesOf(q: Q, noticeIds: string[]) {
    if (noticeIds.length === 0) return Promise.resolve([]);
    return q
      .selectFrom('notify_deliveries')
      .selectAll()
      .where('notice_id', 'in', noticeIds)
      .orderBy('seq')
      .execute();
  },
  async countPending(q: Q): Promise<number> {
    const r = await q
      .selectFrom('notify_deliveries')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('state', '=', 'pending')
      .executeTakeFirstOrThrow();
    return Number(r.n);
  },

  async markHealth(
    q: Q,
    h: Pick<NotifyChannelHealthTable, 'account_id' | 'channel' | 'address' | 'last_code' | 'last_error'>,
    failing: boolean,
    now: number,
  ): Promise<void> {
    if (!failing) {
      // a success clears a failing mark; addresses that never failed get no row
      await q
        .updateTable('notify_channel_health')
        .set({ state: 'ok', failures: 0, since: now, last_code: null, last_error: null, updated_at: now })
        .where('account_id', '=', h.account_id)
        .where('channel', '=', h.channel)
        .where('address', '=', h.address)
        .where('state', '=', 'failing')
        .execute();
      return;
    }
    await q
      .insertInto('notify_channel_health')
      .values({ ...h, state: 'failing', failures: 1, since: now, updated_at: now })
      .onConflict((oc) =>
        oc.columns(['account_id', 'channel', 'address']).doUpdateSet({
          state: 'failing',
          failures: sql`notify_channel_health.failures + 1`,
          since: sql`case when notify_channel_health.state = 'failing' then notify_channel_health.since else ${now} end`,
          last_code: h.last_code,
          last_error: h.last_error,
          updated_at: now,
        }),
      )
      .execute();
  },
  health(q: Q, account: string) {
    return q
      .selectFrom('notify_channel_health')
      .selectAll()
      .where('account_id', '=', account)
      .orderBy('channel')
      .orderBy('address')
      .execute();
  },
  async failingByChannel(q: Q): Promise<Array<{ channel: string; n: number }>> {
    const rows = await q
      .selectFrom('notify_channel_health')
      .select(['channel', (eb) => eb.fn.countAll<number>().as('n')])
      .where('state', '=', 'failing')
      .groupBy('channel')
      .execute();
    return rows.map((r) => ({ channel: r.channel, n: Number(r.n) }));
  },

  /**
   * Of these contexts, in one statement: which kinds the account has any of, which values it has
   * (`kind|value`) and when each known value was last seen. Primary-key lookups only (the value itself,
   * and any value of its kind), never every context of the account.
   */
  async contextsSeen(
    q: Q,
    account: string,
    contexts: ReadonlyArray<{ kind: string; value: string }>,
  ): Promise<{ kinds: Set<string>; values: Set<string>; lastSeen: Map<string, number> }> {
    const kinds = new Set<string>();
    const values = new Set<string>();
    const lastSeen = new Map<string, number>();
    if (contexts.length === 0) return { kinds, values, lastSeen };
    // a select without a table: always one row
    const row = (await contextsSeenRead(q, contextParams(account, contexts))).rows[0] as Record<
      string,
      number | string | null
    >;
    contexts.forEach((c, i) => {
      const seen = row[`v${i}`];
      if (seen !== null && seen !== undefined) {
        kinds.add(c.kind);
        values.add(`${c.kind}|${c.value}`);
        lastSeen.set(`${c.kind}|${c.value}`, Number(seen));
      } else if (row[`k${i}`] !== null && row[`k${i}`] !== undefined) kinds.add(c.kind);
    });
    return { kinds, values, lastSeen };
  },
  async noteContexts(
    q: Q,
    account: string,
    contexts: Array<{ kind: string; value: string }>,
    session: string,
    now: number,
  ): Promise<void> {
    if (contexts.length === 0) return;
    await noteContextRows(q, { ...contextParams(account, contexts), session, now });
  },
  /** Forgets what sessions taught (their devices, networks, countries were the intruder's). */
  forgetContextsOf(q: Q, account: string, sessions: readonly string[]) {
    return q
      .deleteFrom('notify_known_contexts')
      .where('account_id', '=', account)
      .where('first_session', 'in', sessions)
      .execute();
  },
  async pruneContexts(q: Q, account: string, before: number): Promise<void> {
    await pruneContextRows(q, { account, before });
  },

  /**
   * Deletes what is finished and older than `before`: ended deliveries, notices with no pending
   * delivery left, and links that expired. Failing marks stay (they describe the address, not a notice).
   */
  async prune(q: Q, before: number): Promise<{ notices: number; deliveries: number }> {
    const d = await q
      .deleteFrom('notify_deliveries')
      .where('state', 'in', ['sent', 'failed', 'dead'])
      .where('done_at', '<', before)
      .executeTakeFirst();
    const n = await q
      .deleteFrom('notify_notices')
      .where('state', 'in', ['planned', 'suppressed', 'coalesced'])
      .where('created_at', '<', before)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('notify_deliveries')
              .select(sql`1`.as('one'))
              .whereRef('notify_deliveries.notice_id', '=', 'notify_notices.id'),
          ),
        ),
      )
      .executeTakeFirst();
    await q.deleteFrom('notify_links').where('expires_at', '<', before).execute();
    return { notices: Number(n.numDeletedRows), deliveries: Number(d.numDeletedRows) };
  },

  async insertLink(q: Q, l: NotifyLinksTable): Promise<void> {
    await insertLinkRow(q, l);
  },
  linkOfNotice(q: Q, noticeId: string) {
    return q.selectFrom('notify_links').selectAll().where('notice_id', '=', noticeId).executeTakeFirst();
  },
  linkByHash(q: Q, hash: string) {
    return q.selectFrom('notify_links').selectAll().where('token_hash', '=', hash).executeTakeFirst();
  },
  /** Marks a link used; false when it already was (two clicks at once: one wins). */
  async useLink(q: Q, id: string, now: number, ip: string): Promise<boolean> {
    const r = await q
      .updateTable('notify_links')
      .set({ used_at: now, used_ip: ip })
      .where('id', '=', id)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },
  unuseLink(q: Q, id: string) {
    return q.updateTable('notify_links').set({ used_at: null, used_ip: null }).where('id', '=', id).execute();
  },
};

// A sign-in's statements, compiled once per shape (store/compiled.ts): one per number of contexts (a
// device and a network, and a country when known), bound to their kinds and values.

/** The account and its contexts as bound values: `k0`/`v0`, `k1`/`v1`, … (kinds and values). */
type ContextParams = Record<string, string | number>;

function contextParams(
  account: string,
  contexts: ReadonlyArray<{ kind: string; value: string }>,
): ContextParams {
  const p: ContextParams = { account };
  contexts.forEach((c, i) => {
    p[`k${i}`] = c.kind;
    p[`v${i}`] = c.value;
  });
  return p;
}

/** How many contexts a record of `contextParams` binds (its shape: the keys it defines). */
function contextCount(p: ContextParams): number {
  let n = 0;
  while (`k${n}` in p) n++;
  return n;
}

/** Per context: when the account last saw its value (`v<i>`), and whether its kind has any (`k<i>`). */
const contextsSeenRead = precompiled((q, p: ContextParams) =>
  q.selectNoFrom((eb) =>
    Array.from({ length: contextCount(p) }, (_, i) => {
      const of = eb
        .selectFrom('notify_known_contexts')
        .where('account_id', '=', p.account as string)
        .where('kind', '=', p[`k${i}`] as string);
      return [
        of
          .select('last_seen_at')
          .where('value', '=', p[`v${i}`] as string)
          .as(`v${i}`),
        of.select(eb.lit(1).as('one')).limit(1).as(`k${i}`),
      ];
    }).flat(),
  ),
);

/** Remembers the contexts (new ones with this session and time as their first). */
const noteContextRows = precompiled((q, p: ContextParams) =>
  q
    .insertInto('notify_known_contexts')
    .values(
      Array.from({ length: contextCount(p) }, (_, i) => ({
        account_id: p.account as string,
        kind: p[`k${i}`] as string,
        value: p[`v${i}`] as string,
        first_seen_at: p.now as number,
        first_session: p.session as string,
        last_seen_at: p.now as number,
      })),
    )
    .onConflict((oc) =>
      oc.columns(['account_id', 'kind', 'value']).doUpdateSet({ last_seen_at: p.now as number }),
    ),
);

const pruneContextRows = precompiled((q, p: { account: string; before: number }) =>
  q
    .deleteFrom('notify_known_contexts')
    .where('account_id', '=', p.account)
    .where('last_seen_at', '<', p.before),
);

/** The statements above (tests check that each compiles to one fixed shape). */
export const contextStatements = { contextsSeenRead, noteContextRows, pruneContextRows };

// A notice's statements, from its enqueueing in the producer's transaction to its planning, compiled
// once per shape (store/compiled.ts): a sign-in from a new network makes one notice.

const insertNoticeRow = precompiled((q, n: Omit<NotifyNoticesTable, 'seq'>) =>
  q
    .insertInto('notify_notices')
    .values(n)
    .onConflict((oc) => oc.column('dedup_key').doNothing()),
);
const noticeById = precompiled((q, p: { id: string }) =>
  q.selectFrom('notify_notices').selectAll().where('id', '=', p.id),
);
const setNoticeFields = precompiled((q, p: NoticePatch & { id: string }) => {
  const { id, ...patch } = p;
  return q.updateTable('notify_notices').set(patch).where('id', '=', id);
});
const lockAccountRow = precompiled((q, p: { account: string; now: number }) =>
  q
    .insertInto('notify_accounts')
    .values({ account_id: p.account, locale: null, touched_at: p.now })
    .onConflict((oc) => oc.column('account_id').doUpdateSet({ touched_at: p.now }))
    .returning('locale'),
);
const countCountedRows = precompiled((q, p: { account: string; since: number }) =>
  q
    .selectFrom('notify_notices')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', p.account)
    .where('counted', '=', 1)
    .where('planned_at', '>=', p.since),
);
const lastPlanned = precompiled((q, p: { account: string; kind: string }) =>
  q
    .selectFrom('notify_notices')
    .select((eb) => eb.fn.max('planned_at').as('t'))
    .where('account_id', '=', p.account)
    .where('kind', '=', p.kind)
    .where('state', '=', 'planned'),
);
const heldNotices = precompiled((q, p: { account: string; kind: string }) =>
  q
    .selectFrom('notify_notices')
    .selectAll()
    .where('account_id', '=', p.account)
    .where('kind', '=', p.kind)
    .where('state', '=', 'held')
    .orderBy('seq'),
);
const insertDelivery = precompiled((q, d: Omit<NotifyDeliveriesTable, 'seq'>) =>
  q
    .insertInto('notify_deliveries')
    .values(d)
    .onConflict((oc) => oc.columns(['notice_id', 'channel', 'address']).doNothing()),
);
const insertLinkRow = precompiled((q, l: NotifyLinksTable) =>
  q
    .insertInto('notify_links')
    .values(l)
    .onConflict((oc) => oc.column('notice_id').doNothing()),
);

/** The statements above (tests check that each compiles to fixed shapes). */
export const noticeStatements = {
  insertNoticeRow,
  noticeById,
  setNoticeFields,
  lockAccountRow,
  countCountedRows,
  lastPlanned,
  heldNotices,
  insertDelivery,
  insertLinkRow,
};
