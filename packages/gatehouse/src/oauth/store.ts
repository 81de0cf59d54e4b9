import { CompiledQuery, sql, type QueryResult } from 'kysely';
import { isPostgres, type Db, type Tx } from '../store/db.ts';
import type { OAuthAccessLogTable, OAuthAppsTable, OAuthKeysTable, OAuthModelsTable } from './schema.ts';

type Q = Db | Tx;

const ACCESS_COLUMNS = 'client_id, account_id, grant_id, resource, fields, ip, network, at';
const INSERT_ACCESS_SQLITE =
  `insert into oauth_access_log (${ACCESS_COLUMNS}) select ` +
  [0, 1, 2, 3, 4, 5, 6, 7].map((i) => `json_extract(value, '$[${i}]')`).join(', ') +
  ' from json_each(?) order by key';
const INSERT_ACCESS_PG =
  `insert into oauth_access_log (${ACCESS_COLUMNS}) select ` +
  [0, 1, 2, 3, 4, 5, 6].map((i) => `r.v->>${i}`).join(', ') +
  ', (r.v->>7)::bigint from jsonb_array_elements($1::jsonb) with ordinality as r(v, n) order by r.n';

/**
 * The provider reads and writes one row by key on every request: that SQL is built once per database
 * (dialect) and run with new parameters, instead of being rebuilt by the query builder each time.
 * `build` compiles the query with each parameter given as a marker naming its field; the markers' order
 * in the compiled parameters is the order the values go in.
 */
const prepared = new WeakMap<object, Map<string, { sql: string; fields: string[] }>>();
const MARK = '\u0000gh-param:';
function preparedSql(
  q: Q,
  name: string,
  build: (mark: (field: string) => string) => { compile(): { sql: string; parameters: readonly unknown[] } },
): { sql: string; fields: string[] } {
  const key = q.getExecutor().adapter;
  let m = prepared.get(key);
  if (!m) prepared.set(key, (m = new Map()));
  let p = m.get(name);
  if (!p) {
    const c = build((f) => `${MARK}${f}`).compile();
    const fields = c.parameters.map((v) => {
      if (typeof v !== 'string' || !v.startsWith(MARK))
        throw new Error(`prepared ${name}: a literal parameter`);
      return v.slice(MARK.length);
    });
    m.set(name, (p = { sql: c.sql, fields }));
  }
  return p;
}
function runPrepared<R>(q: Q, p: { sql: string; fields: string[] }, values: object): Promise<QueryResult<R>> {
  const v = values as Record<string, unknown>;
  return q.executeQuery<R>(
    CompiledQuery.raw(
      p.sql,
      p.fields.map((f) => v[f]),
    ),
  );
}
const MODEL_COLUMNS = [
  'model',
  'id',
  'payload',
  'grant_id',
  'user_code',
  'uid',
  'client_id',
  'account_id',
  'created_at',
  'expires_at',
  'consumed_at',
] as const;
const marked = (mark: (f: string) => string) =>
  Object.fromEntries(MODEL_COLUMNS.map((c) => [c, mark(c)])) as unknown as OAuthModelsTable;

/** Apps to lock before a transaction's writes: by id, by a row of theirs, by a grant's rows. */
export interface AppRefs {
  clients: string[];
  rows: Array<{ model: string; id: string }>;
  grants: string[];
}
/** Fixed texts (no query builder per batch): the apps by id alone (token saves), or found from rows. */
const LOCK_APPS_BY_ID =
  'select a.id, a.status from oauth_apps a where a.id = any($1::text[]) order by a.id for share of a';
const LOCK_APPS_BY_ROW =
  'with ids as (select unnest($1::text[]) as id' +
  ' union select m.client_id from oauth_models m join unnest($2::text[], $3::text[]) as k(model, id)' +
  ' on m.model = k.model and m.id = k.id' +
  ' union select m.client_id from oauth_models m where m.grant_id = any($4::text[])' +
  " union select m.client_id from oauth_models m where m.model = 'Grant' and m.id = any($4::text[]))" +
  ' select a.id, a.status from oauth_apps a where a.id in (select id from ids) order by a.id for share of a';

/** The OAuth part's SQL. */
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export const oauthStore = {
  // ---- provider models -------------------------------------------------------------------------------
  async upsertModel(q: Q, row: OAuthModelsTable): Promise<void> {
    const p = preparedSql(q, 'upsertModel', (mark) => {
      const m = marked(mark);
      return q
        .insertInto('oauth_models')
        .values(m)
        .onConflict((oc) =>
          oc.columns(['model', 'id']).doUpdateSet({
            payload: m.payload,
            grant_id: m.grant_id,
            user_code: m.user_code,
            uid: m.uid,
            client_id: m.client_id,
            account_id: m.account_id,
            expires_at: m.expires_at,
          }),
        );
    });
    await runPrepared(q, p, row);
  },
  /** Inserts a row that must be new; false when the (model, id) exists (a replayed proof). */
  async insertUnique(q: Q, row: OAuthModelsTable): Promise<boolean> {
    const p = preparedSql(q, 'insertUnique', (mark) =>
      q
        .insertInto('oauth_models')
        .values(marked(mark))
        .onConflict((oc) => oc.columns(['model', 'id']).doNothing()),
    );
    const r = await runPrepared(q, p, row);
    return Number(r.numAffectedRows ?? 0n) > 0;
  },
  /** A DPoP proof id seen at the resource API; false when it was already there (a replay). */
  insertResourceDpop(q: Q, id: string, clientId: string, now: number, expiresAt: number): Promise<boolean> {
    return oauthStore.insertUnique(q, {
      model: 'ResourceDPoP',
      id,
      payload: '{}',
      grant_id: null,
      user_code: null,
      uid: null,
      client_id: clientId,
      account_id: null,
      created_at: now,
      expires_at: expiresAt,
      consumed_at: null,
    });
  },
  async findModel(
    q: Q,
    model: string,
    id: string,
  ): Promise<{ payload: string; consumed_at: number | null; expires_at: number | null } | undefined> {
    const p = preparedSql(q, 'findModel', (mark) =>
      q
        .selectFrom('oauth_models')
        .select(['payload', 'consumed_at', 'expires_at'])
        .where('model', '=', mark('model'))
        .where('id', '=', mark('id')),
    );
    const r = await runPrepared<{ payload: string; consumed_at: number | null; expires_at: number | null }>(
      q,
      p,
      { model, id },
    );
    const row = r.rows[0];
    return row ? { ...row, consumed_at: num(row.consumed_at), expires_at: num(row.expires_at) } : undefined;
  },
  findModelBy(q: Q, model: string, column: 'user_code' | 'uid', value: string) {
    return q
      .selectFrom('oauth_models')
      .select(['payload', 'consumed_at', 'expires_at'])
      .where('model', '=', model)
      .where(column, '=', value)
      .executeTakeFirst();
  },
  /**
   * The app's status, read inside the transaction that saves one of its grants, tokens or codes. On
   * PostgreSQL the row is share-locked until that transaction ends: the kill switch's update of the same
   * row waits for it (and its delete then sees what it saved), and a save that comes after the update
   * waits for the kill switch's commit and reads `suspended`. Saves of one app do not wait for each
   * other (share locks). SQLite needs no lock: its transactions take the write lock when they begin.
   * The group commit locks the apps of its writes first (`lockAppsForSave`); this is for an app it was
   * not told of, and for SQLite.
   */
  async appStatusForSave(tx: Tx, clientId: string): Promise<string | undefined> {
    const p = preparedSql(tx, 'appStatusForSave', (mark) => {
      const s = tx.selectFrom('oauth_apps').select('status').where('id', '=', mark('id'));
      return isPostgres(tx) ? s.forShare() : s;
    });
    const r = await runPrepared<{ status: string }>(tx, p, { id: clientId });
    return r.rows[0]?.status;
  },
  /**
   * PostgreSQL: share-locks the rows of the apps a transaction's writes touch — named, owning one of the
   * given rows, or owning a given grant's rows — one statement, in app id order, before the writes (the
   * lock order, group-commit.ts), and returns their statuses. Saves of one app do not wait for each other.
   */
  async lockAppsForSave(tx: Tx, refs: AppRefs): Promise<Array<{ id: string; status: string }>> {
    const byRow = refs.rows.length > 0 || refs.grants.length > 0;
    const r = await tx.executeQuery<{ id: string; status: string }>(
      byRow
        ? CompiledQuery.raw(LOCK_APPS_BY_ROW, [
            refs.clients,
            refs.rows.map((x) => x.model),
            refs.rows.map((x) => x.id),
            refs.grants,
          ])
        : CompiledQuery.raw(LOCK_APPS_BY_ID, [refs.clients]),
    );
    return r.rows;
  },
  /** Marks consumed; returns false when it already was (or does not exist). */
  async consumeModel(q: Q, model: string, id: string, at: number): Promise<boolean> {
    const p = preparedSql(q, 'consumeModel', (mark) =>
      q
        .updateTable('oauth_models')
        .set({ consumed_at: mark('at') as unknown as number })
        .where('model', '=', mark('model'))
        .where('id', '=', mark('id'))
        .where('consumed_at', 'is', null),
    );
    const r = await runPrepared(q, p, { model, id, at });
    return Number(r.numAffectedRows ?? 0n) > 0;
  },
  async destroyModel(q: Q, model: string, id: string): Promise<void> {
    await q.deleteFrom('oauth_models').where('model', '=', model).where('id', '=', id).execute();
  },
  async revokeByGrant(q: Q, model: string, grantId: string): Promise<void> {
    await q.deleteFrom('oauth_models').where('grant_id', '=', grantId).where('model', '=', model).execute();
  },
  /** Every token, code and the grant itself of a grant id, any model. */
  async destroyGrantEverything(q: Q, grantId: string): Promise<number> {
    const a = await q.deleteFrom('oauth_models').where('grant_id', '=', grantId).executeTakeFirst();
    const b = await q
      .deleteFrom('oauth_models')
      .where('model', '=', 'Grant')
      .where('id', '=', grantId)
      .executeTakeFirst();
    return Number(a.numDeletedRows) + Number(b.numDeletedRows);
  },
  /**
   * Grants revoked by their owner or by a containment, with everything issued under them; on PostgreSQL
   * their apps' locks first, in the order the batched saves and the kill switch take them (group-commit.ts).
   */
  async destroyGrants(tx: Tx, grantIds: string[]): Promise<void> {
    if (isPostgres(tx)) await oauthStore.lockAppsForSave(tx, { clients: [], rows: [], grants: grantIds });
    for (const id of grantIds) await oauthStore.destroyGrantEverything(tx, id);
  },
  grantsOfAccount(q: Q, accountId: string) {
    return q
      .selectFrom('oauth_models')
      .select(['id', 'payload', 'client_id', 'created_at', 'expires_at'])
      .where('model', '=', 'Grant')
      .where('account_id', '=', accountId)
      .orderBy('created_at')
      .execute();
  },
  grantsOfClient(q: Q, clientId: string) {
    return q
      .selectFrom('oauth_models')
      .select(['id', 'account_id', 'created_at'])
      .where('model', '=', 'Grant')
      .where('client_id', '=', clientId)
      .execute();
  },
  /** Deletes every grant, token and code of an app; returns how many rows went. */
  async destroyClientEverything(q: Q, clientId: string): Promise<number> {
    const r = await q
      .deleteFrom('oauth_models')
      .where('client_id', '=', clientId)
      .where('model', '!=', 'Session')
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  },
  async pruneExpired(q: Q, before: number): Promise<number> {
    const r = await q
      .deleteFrom('oauth_models')
      .where('expires_at', 'is not', null)
      .where('expires_at', '<', before)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  },

  // ---- apps ------------------------------------------------------------------------------------------
  insertApp(q: Q, a: OAuthAppsTable) {
    return q.insertInto('oauth_apps').values(a).execute();
  },
  appById(q: Q, id: string) {
    return q.selectFrom('oauth_apps').selectAll().where('id', '=', id).executeTakeFirst();
  },
  apps(q: Q) {
    return q.selectFrom('oauth_apps').selectAll().orderBy('created_at').execute();
  },
  async updateApp(
    q: Q,
    id: string,
    set: Partial<Omit<OAuthAppsTable, 'id' | 'created_at'>>,
    onlyIfStatus?: OAuthAppsTable['status'],
  ): Promise<boolean> {
    let u = q.updateTable('oauth_apps').set(set).where('id', '=', id);
    if (onlyIfStatus) u = u.where('status', '=', onlyIfStatus);
    const r = await u.executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  },

  // ---- access log ------------------------------------------------------------------------------------
  /**
   * Every row of a batch in one statement of one fixed text per database: the rows go in as one JSON
   * parameter, taken apart by the database in their order (the builder compiled a new statement for every
   * batch size; one commit holds the reads of an event-loop turn).
   */
  async insertAccess(q: Q, rows: Array<Omit<OAuthAccessLogTable, 'seq'>>): Promise<void> {
    if (rows.length === 0) return;
    const json = JSON.stringify(
      rows.map((r) => [r.client_id, r.account_id, r.grant_id, r.resource, r.fields, r.ip, r.network, r.at]),
    );
    await q.executeQuery(CompiledQuery.raw(isPostgres(q) ? INSERT_ACCESS_PG : INSERT_ACCESS_SQLITE, [json]));
  },
  accessOfAccount(
    q: Q,
    accountId: string,
    opts: { client?: string; from?: number; to?: number; limit: number },
  ) {
    let s = q.selectFrom('oauth_access_log').selectAll().where('account_id', '=', accountId);
    if (opts.client) s = s.where('client_id', '=', opts.client);
    if (opts.from !== undefined) s = s.where('at', '>=', opts.from);
    if (opts.to !== undefined) s = s.where('at', '<=', opts.to);
    return s.orderBy('seq', 'desc').limit(opts.limit).execute();
  },
  lastAccessByClient(q: Q, accountId: string) {
    return q
      .selectFrom('oauth_access_log')
      .select(['client_id', (eb) => eb.fn.max('at').as('last')])
      .where('account_id', '=', accountId)
      .groupBy('client_id')
      .execute();
  },
  /** A user's reads in [from, to] per grant, app, resource and fields: how many, first, last. */
  readsByGrant(q: Q, accountId: string, from: number, to: number) {
    return q
      .selectFrom('oauth_access_log')
      .select((eb) => [
        'grant_id',
        'client_id',
        'resource',
        'fields',
        eb.fn.countAll().as('reads'),
        eb.fn.min('at').as('first'),
        eb.fn.max('at').as('last'),
      ])
      .where('account_id', '=', accountId)
      .where('at', '>=', from)
      .where('at', '<=', to)
      .groupBy(['grant_id', 'client_id', 'resource', 'fields'])
      .execute();
  },
  /** Per account and field, how often the app read it (for the kill switch's incident). */
  accessOfClient(q: Q, clientId: string, limit: number) {
    return q
      .selectFrom('oauth_access_log')
      .select(['account_id', 'fields', 'resource', 'at', 'network'])
      .where('client_id', '=', clientId)
      .orderBy('seq', 'desc')
      .limit(limit)
      .execute();
  },
  accessOfClientLog(q: Q, clientId: string, opts: { after?: number; limit: number }) {
    let s = q.selectFrom('oauth_access_log').selectAll().where('client_id', '=', clientId);
    if (opts.after !== undefined) s = s.where('seq', '<', opts.after);
    return s.orderBy('seq', 'desc').limit(opts.limit).execute();
  },

  // ---- signing keys ----------------------------------------------------------------------------------
  insertKey(q: Q, k: OAuthKeysTable) {
    return q.insertInto('oauth_keys').values(k).execute();
  },
  /** Keys still published (not past their overlap), newest first. */
  liveKeys(q: Q, now: number) {
    return q
      .selectFrom('oauth_keys')
      .selectAll()
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .orderBy('created_at', 'desc')
      .orderBy('kid', 'desc')
      .execute();
  },
  async retireCurrent(q: Q, alg: string, at: number, expiresAt: number): Promise<number> {
    const r = await q
      .updateTable('oauth_keys')
      .set({ retired_at: at, expires_at: expiresAt })
      .where('alg', '=', alg)
      .where('retired_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  },
  /** A fingerprint of the key set (changes when a key is added or retired). */
  async keysVersion(q: Q): Promise<string> {
    const r = await sql<{
      n: number;
      c: number | null;
      r: number | null;
    }>`select count(*) as n, max(created_at) as c, max(retired_at) as r from oauth_keys`.execute(q);
    const row = r.rows[0];
    return `${Number(row?.n ?? 0)}:${Number(row?.c ?? 0)}:${Number(row?.r ?? 0)}`;
  },
};
