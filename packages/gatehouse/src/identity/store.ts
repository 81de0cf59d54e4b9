import type { Db, Tx } from '../store/db.ts';
import type { AccountState, AccountsTable, SessionsTable, SigninsTable } from './schema.ts';

type Q = Db | Tx;

/** All identity SQL. */
export const identityStore = {
  insertAccount(q: Q, a: AccountsTable) {
    return q.insertInto('accounts').values(a).execute();
  },
  accountByHandleKey(q: Q, handleKey: string) {
    return q.selectFrom('accounts').selectAll().where('handle_key', '=', handleKey).executeTakeFirst();
  },
  accountById(q: Q, id: string) {
    return q.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
  },
  setPasswordHash(q: Q, id: string, hash: string, now: number) {
    return q
      .updateTable('accounts')
      .set({ password_hash: hash, updated_at: now })
      .where('id', '=', id)
      .execute();
  },
  setState(q: Q, id: string, state: AccountState, reason: string | null, now: number) {
    return q
      .updateTable('accounts')
      .set({ state, state_reason: reason, updated_at: now })
      .where('id', '=', id)
      .execute();
  },

  insertSession(q: Q, s: SessionsTable) {
    return q.insertInto('sessions').values(s).execute();
  },
  sessionByTokenHash(q: Q, tokenHash: string) {
    return q
      .selectFrom('sessions')
      .innerJoin('accounts', 'accounts.id', 'sessions.account_id')
      .selectAll('sessions')
      .select(['accounts.state as account_state', 'accounts.handle as handle'])
      .where('sessions.token_hash', '=', tokenHash)
      .executeTakeFirst();
  },
  sessionById(q: Q, id: string) {
    return q.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
  },
  touchSession(q: Q, id: string, now: number) {
    return q.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', id).execute();
  },
  liveSessions(q: Q, accountId: string, now: number) {
    return q
      .selectFrom('sessions')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .orderBy('created_at', 'desc')
      .execute();
  },
  /** Revokes the given live sessions; returns the ids actually revoked. */
  async revokeSessions(q: Q, ids: string[], reason: string, now: number): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await q
      .updateTable('sessions')
      .set({ revoked_at: now, revoked_reason: reason })
      .where('id', 'in', ids)
      .where('revoked_at', 'is', null)
      .returning('id')
      .execute();
    return rows.map((r) => r.id);
  },

  insertSignin(q: Q, s: Omit<SigninsTable, 'seq'>) {
    return q.insertInto('signins').values(s).execute();
  },
  signins(q: Q, accountId: string, limit: number, before?: number) {
    let qb = q.selectFrom('signins').selectAll().where('account_id', '=', accountId);
    if (before !== undefined) qb = qb.where('seq', '<', before);
    return qb.orderBy('seq', 'desc').limit(limit).execute();
  },
};
