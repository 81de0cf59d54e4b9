import type { Db, Tx } from '../store/db.ts';
import {
  OPEN_STATES,
  type CaseState,
  type RecoveryCaseEventsTable,
  type RecoveryCasesTable,
  type RecoveryChallengesTable,
  type RecoveryChannelsTable,
  type RecoveryCodesTable,
} from './schema.ts';

type Q = Db | Tx;

/** All recovery SQL. */
export const recoveryStore = {
  insertCase(q: Q, c: RecoveryCasesTable) {
    return q.insertInto('recovery_cases').values(c).execute();
  },
  caseById(q: Q, id: string) {
    return q.selectFrom('recovery_cases').selectAll().where('id', '=', id).executeTakeFirst();
  },
  caseByTokenHash(q: Q, tokenHash: string) {
    return q.selectFrom('recovery_cases').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
  },
  async countOpenCases(q: Q, accountId: string, now: number): Promise<number> {
    const r = await q
      .selectFrom('recovery_cases')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('account_id', '=', accountId)
      .where('state', 'in', [...OPEN_STATES])
      .where('expires_at', '>', now)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  },
  listCases(q: Q, f: { state?: CaseState; account?: string; limit: number; before?: number }) {
    let qb = q.selectFrom('recovery_cases').selectAll();
    if (f.state) qb = qb.where('state', '=', f.state);
    if (f.account) qb = qb.where('account_id', '=', f.account);
    if (f.before !== undefined) qb = qb.where('created_at', '<', f.before);
    return qb.orderBy('created_at', 'desc').orderBy('id').limit(f.limit).execute();
  },
  updateCase(q: Q, id: string, patch: Partial<Omit<RecoveryCasesTable, 'id' | 'account_id'>>) {
    return q.updateTable('recovery_cases').set(patch).where('id', '=', id).execute();
  },
  /** Moves a case from one of `from` to `to` (with the patch); false when another writer moved it first. */
  async transition(
    q: Q,
    id: string,
    from: readonly CaseState[],
    patch: Partial<Omit<RecoveryCasesTable, 'id' | 'account_id'>>,
  ): Promise<boolean> {
    const r = await q
      .updateTable('recovery_cases')
      .set(patch)
      .where('id', '=', id)
      .where('state', 'in', [...from])
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  insertEvent(q: Q, e: Omit<RecoveryCaseEventsTable, 'seq'>) {
    return q.insertInto('recovery_case_events').values(e).execute();
  },
  events(q: Q, caseId: string) {
    return q
      .selectFrom('recovery_case_events')
      .selectAll()
      .where('case_id', '=', caseId)
      .orderBy('seq')
      .execute();
  },

  insertChallenges(q: Q, rows: RecoveryChallengesTable[]) {
    if (rows.length === 0) return Promise.resolve();
    return q.insertInto('recovery_challenges').values(rows).execute();
  },
  challenges(q: Q, caseId: string, kind: string) {
    return q
      .selectFrom('recovery_challenges')
      .selectAll()
      .where('case_id', '=', caseId)
      .where('kind', '=', kind)
      .orderBy('created_at')
      .execute();
  },
  /** Retires the live (unconsumed) challenges of a case of one kind: a new start replaces them. */
  retireChallenges(q: Q, caseId: string, kind: string, now: number) {
    return q
      .updateTable('recovery_challenges')
      .set({ expires_at: now })
      .where('case_id', '=', caseId)
      .where('kind', '=', kind)
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', now)
      .execute();
  },
  async consumeChallenge(q: Q, id: string, now: number): Promise<boolean> {
    const r = await q
      .updateTable('recovery_challenges')
      .set({ consumed_at: now })
      .where('id', '=', id)
      .where('consumed_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },
  /** Open cases of an account with a live friend challenge for this friend. */
  friendChallenges(q: Q, accountId: string, friendId: string, now: number) {
    return q
      .selectFrom('recovery_challenges')
      .innerJoin('recovery_cases', 'recovery_cases.id', 'recovery_challenges.case_id')
      .selectAll('recovery_challenges')
      .where('recovery_cases.account_id', '=', accountId)
      .where('recovery_cases.state', '=', 'verifying')
      .where('recovery_challenges.kind', '=', 'trusted_friends')
      .where('recovery_challenges.target', '=', friendId)
      .where('recovery_challenges.expires_at', '>', now)
      .execute();
  },

  /** Live friend challenges addressed to this friend, with the owner they vouch for. */
  pendingVouches(q: Q, friendId: string, now: number) {
    return q
      .selectFrom('recovery_challenges')
      .innerJoin('recovery_cases', 'recovery_cases.id', 'recovery_challenges.case_id')
      .innerJoin('accounts', 'accounts.id', 'recovery_cases.account_id')
      .select([
        'recovery_cases.id as case_id',
        'accounts.handle as owner_handle',
        'recovery_cases.created_at as opened_at',
        'recovery_challenges.expires_at as expires_at',
      ])
      .where('recovery_challenges.kind', '=', 'trusted_friends')
      .where('recovery_challenges.target', '=', friendId)
      .where('recovery_challenges.consumed_at', 'is', null)
      .where('recovery_challenges.expires_at', '>', now)
      .where('recovery_cases.state', '=', 'verifying')
      .orderBy('recovery_challenges.created_at')
      .execute();
  },

  async replaceCodes(q: Q, accountId: string, rows: RecoveryCodesTable[]) {
    await q
      .deleteFrom('recovery_codes')
      .where('account_id', '=', accountId)
      .where('used_at', 'is', null)
      .execute();
    await q.insertInto('recovery_codes').values(rows).execute();
  },
  unusedCodes(q: Q, accountId: string) {
    return q
      .selectFrom('recovery_codes')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('used_at', 'is', null)
      .execute();
  },
  async useCode(q: Q, id: string, caseId: string, now: number): Promise<boolean> {
    const r = await q
      .updateTable('recovery_codes')
      .set({ used_at: now, used_case: caseId })
      .where('id', '=', id)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  async setFriends(q: Q, accountId: string, friendIds: string[], now: number) {
    await q.deleteFrom('recovery_trusted_friends').where('account_id', '=', accountId).execute();
    if (friendIds.length)
      await q
        .insertInto('recovery_trusted_friends')
        .values(friendIds.map((f) => ({ account_id: accountId, friend_id: f, created_at: now })))
        .execute();
  },
  friends(q: Q, accountId: string) {
    return q
      .selectFrom('recovery_trusted_friends')
      .innerJoin('accounts', 'accounts.id', 'recovery_trusted_friends.friend_id')
      .select(['accounts.id as id', 'accounts.handle as handle', 'accounts.state as state'])
      .where('recovery_trusted_friends.account_id', '=', accountId)
      .orderBy('recovery_trusted_friends.created_at')
      .orderBy('accounts.id')
      .execute();
  },

  insertChannel(q: Q, c: RecoveryChannelsTable) {
    return q.insertInto('recovery_channels').values(c).execute();
  },
  channel(q: Q, accountId: string, id: string) {
    return q
      .selectFrom('recovery_channels')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .executeTakeFirst();
  },
  channels(q: Q, accountId: string) {
    return q
      .selectFrom('recovery_channels')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('created_at')
      .execute();
  },
  updateChannel(q: Q, id: string, patch: Partial<Omit<RecoveryChannelsTable, 'id' | 'account_id'>>) {
    return q.updateTable('recovery_channels').set(patch).where('id', '=', id).execute();
  },
  deleteChannel(q: Q, accountId: string, id: string) {
    return q
      .deleteFrom('recovery_channels')
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .executeTakeFirst();
  },
};
