import { sql } from 'kysely';
import { isPostgres, type Db, type Tx } from '../store/db.ts';
import type { IncidentsTable } from './schema.ts';

type Q = Db | Tx;

const INCIDENTS_LOCK = 0x6768_696e; // "ghin"

export const incidentStore = {
  /**
   * Serialises the transactions that write incidents (the feed's batches of every process, and the
   * parts' recordInTx) on PostgreSQL: a transaction-scoped advisory lock per schema, taken before any
   * incident row, so two writers never hold incident rows in opposite orders (they deadlocked). SQLite
   * has a single writer already.
   */
  async lockWriters(tx: Tx): Promise<void> {
    if (isPostgres(tx))
      await sql`select pg_advisory_xact_lock(${INCIDENTS_LOCK}, hashtext(current_schema()))`.execute(tx);
  },
  bySource(q: Q, key: string) {
    return q.selectFrom('incidents').selectAll().where('source_key', '=', key).executeTakeFirst();
  },
  /** The row, locked until commit (PostgreSQL only). */
  byIdForUpdate(q: Q, id: string) {
    return q.selectFrom('incidents').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  },
  byId(q: Q, id: string) {
    return q.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
  },
  insert(q: Q, i: IncidentsTable) {
    return q.insertInto('incidents').values(i).execute();
  },
  update(
    q: Q,
    id: string,
    set: Partial<Pick<IncidentsTable, 'status' | 'facts' | 'updated_at' | 'closed_at' | 'title'>>,
  ) {
    return q.updateTable('incidents').set(set).where('id', '=', id).execute();
  },
  list(q: Q, opts: { status?: string; limit: number }) {
    let qb = q.selectFrom('incidents').selectAll();
    if (opts.status) qb = qb.where('status', '=', opts.status);
    return qb.orderBy('updated_at', 'desc').limit(opts.limit).execute();
  },
  async addAccounts(q: Q, incidentId: string, accounts: string[], at: number): Promise<number> {
    if (accounts.length === 0) return 0;
    const have = new Set(
      (
        await q
          .selectFrom('incident_accounts')
          .select('account')
          .where('incident_id', '=', incidentId)
          .where('account', 'in', accounts)
          .execute()
      ).map((r) => r.account),
    );
    const fresh = [...new Set(accounts)].filter((a) => !have.has(a));
    if (fresh.length)
      await q
        .insertInto('incident_accounts')
        .values(fresh.map((account) => ({ incident_id: incidentId, account, first_seen: at })))
        .execute();
    return fresh.length;
  },
  /** Of these accounts, those already in the incident. */
  async existingAccounts(q: Q, incidentId: string, accounts: string[]): Promise<string[]> {
    if (accounts.length === 0) return [];
    const rows = await q
      .selectFrom('incident_accounts')
      .select('account')
      .where('incident_id', '=', incidentId)
      .where('account', 'in', accounts)
      .execute();
    return rows.map((r) => r.account);
  },
  insertAccounts(q: Q, rows: Array<{ incident_id: string; account: string; first_seen: number }>) {
    if (rows.length === 0) return Promise.resolve();
    return q
      .insertInto('incident_accounts')
      .values(rows)
      .onConflict((oc) => oc.columns(['incident_id', 'account']).doNothing())
      .execute()
      .then(() => undefined);
  },
  accounts(q: Q, incidentId: string, limit: number) {
    return q
      .selectFrom('incident_accounts')
      .selectAll()
      .where('incident_id', '=', incidentId)
      .orderBy('first_seen')
      .limit(limit)
      .execute();
  },
  async accountCount(q: Q, incidentId: string): Promise<number> {
    const r = await q
      .selectFrom('incident_accounts')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('incident_id', '=', incidentId)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  },
  incidentsOfAccount(q: Q, account: string) {
    return q
      .selectFrom('incident_accounts')
      .innerJoin('incidents', 'incidents.id', 'incident_accounts.incident_id')
      .select(['incidents.id', 'incidents.status'])
      .where('incident_accounts.account', '=', account)
      .where('incidents.status', '!=', 'closed')
      .execute();
  },
  /** Open incidents (not closed) of these accounts. */
  incidentsOfAccounts(q: Q, accounts: string[]) {
    return q
      .selectFrom('incident_accounts')
      .innerJoin('incidents', 'incidents.id', 'incident_accounts.incident_id')
      .select(['incidents.id', 'incident_accounts.account'])
      .where('incident_accounts.account', 'in', accounts)
      .where('incidents.status', '!=', 'closed')
      .execute();
  },
  addTimelines(
    q: Q,
    rows: Array<{ incident_id: string; at: number; kind: string; summary: string; data: string }>,
  ) {
    if (rows.length === 0) return Promise.resolve();
    return q
      .insertInto('incident_timeline')
      .values(rows)
      .execute()
      .then(() => undefined);
  },
  addTimeline(q: Q, row: { incident_id: string; at: number; kind: string; summary: string; data: string }) {
    return q.insertInto('incident_timeline').values(row).execute();
  },
  timeline(q: Q, incidentId: string, limit: number) {
    return q
      .selectFrom('incident_timeline')
      .selectAll()
      .where('incident_id', '=', incidentId)
      .orderBy('seq')
      .limit(limit)
      .execute();
  },
  addNote(q: Q, row: { id: string; incident_id: string; author: string; text: string; at: number }) {
    return q.insertInto('incident_notes').values(row).execute();
  },
  notes(q: Q, incidentId: string) {
    return q
      .selectFrom('incident_notes')
      .selectAll()
      .where('incident_id', '=', incidentId)
      .orderBy('at')
      .execute();
  },
};
