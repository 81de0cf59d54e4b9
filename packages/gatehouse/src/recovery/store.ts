import { isPostgres, type Db, type Tx } from '../store/db.ts';
import {
  OPEN_STATES,
  type CaseState,
  type RecoveryCaseEventsTable,
  type RecoveryCasesTable,
  type RecoveryChallengesTable,
  type RecoveryChannelsTable,
  type RecoveryCodesTable,
  type RecoveryFactorChangesTable,
  type RecoveryFriendSetsTable,
  type RecoveryOperatorAppealsTable,
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
  /** The case, locked for the rest of the transaction on PostgreSQL (SQLite has a single writer). */
  caseForUpdate(tx: Tx, id: string) {
    let qb = tx.selectFrom('recovery_cases').selectAll().where('id', '=', id);
    if (isPostgres(tx)) qb = qb.forUpdate();
    return qb.executeTakeFirst();
  },
  caseByTokenHash(q: Q, tokenHash: string) {
    return q.selectFrom('recovery_cases').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
  },
  /** Open, unexpired cases of an account opened by this appellant (network and device). */
  async countOpenCases(q: Q, accountId: string, appellant: string, now: number): Promise<number> {
    const r = await q
      .selectFrom('recovery_cases')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('account_id', '=', accountId)
      .where('appellant', '=', appellant)
      .where('state', 'in', [...OPEN_STATES])
      .where('expires_at', '>', now)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  },
  openCases(q: Q, accountId: string) {
    return q
      .selectFrom('recovery_cases')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('state', 'in', [...OPEN_STATES])
      .execute();
  },
  caseByDenyToken(q: Q, tokenHash: string) {
    return q
      .selectFrom('recovery_cases')
      .selectAll()
      .where('deny_token_hash', '=', tokenHash)
      .executeTakeFirst();
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

  /** The details of a case's latest event of one step, or undefined. */
  async stepDetails(q: Q, caseId: string, step: string): Promise<Record<string, unknown> | undefined> {
    const row = await q
      .selectFrom('recovery_case_events')
      .select('details')
      .where('case_id', '=', caseId)
      .where('step', '=', step)
      .orderBy('seq', 'desc')
      .executeTakeFirst();
    return row ? (JSON.parse(row.details) as Record<string, unknown>) : undefined;
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

  /** A new generation of codes; earlier ones stay until the new one is past its cooling-off. */
  insertCodes(q: Q, rows: RecoveryCodesTable[]) {
    return q.insertInto('recovery_codes').values(rows).execute();
  },
  /** Every code of the account that is not reverted (used or not), newest generation first. */
  codes(q: Q, accountId: string) {
    return q
      .selectFrom('recovery_codes')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('reverted_at', 'is', null)
      .orderBy('created_at', 'desc')
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

  insertFriendSet(q: Q, row: RecoveryFriendSetsTable) {
    return q.insertInto('recovery_friend_sets').values(row).execute();
  },
  /** Versions of the trusted-friend list that are not reverted, newest first. */
  friendSets(q: Q, accountId: string) {
    return q
      .selectFrom('recovery_friend_sets')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('reverted_at', 'is', null)
      .orderBy('created_at', 'desc')
      .execute();
  },
  accountsByIds(q: Q, ids: string[]) {
    if (ids.length === 0) return Promise.resolve([]);
    return q.selectFrom('accounts').select(['id', 'handle', 'state']).where('id', 'in', ids).execute();
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
  /** Any channel row with this address, reverted or removed included (the address is unique per account). */
  channelByAddress(q: Q, accountId: string, kind: string, addressKey: string) {
    return q
      .selectFrom('recovery_channels')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('kind', '=', kind as 'email')
      .where('address_key', '=', addressKey)
      .executeTakeFirst();
  },
  /** The account's channels that are not reverted (removed ones included: see removed_at). */
  channels(q: Q, accountId: string) {
    return q
      .selectFrom('recovery_channels')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('reverted_at', 'is', null)
      .orderBy('created_at')
      .execute();
  },
  updateChannel(q: Q, id: string, patch: Partial<Omit<RecoveryChannelsTable, 'id' | 'account_id'>>) {
    return q.updateTable('recovery_channels').set(patch).where('id', '=', id).execute();
  },

  /** Undoes what changed inside [from, to]: newer codes, friend lists and channels go, removals come back. */
  async revertFactors(tx: Tx, accountId: string, from: number, to: number, now: number) {
    const codes = await tx
      .updateTable('recovery_codes')
      .set({ reverted_at: now })
      .where('account_id', '=', accountId)
      .where('reverted_at', 'is', null)
      .where('used_at', 'is', null)
      .where('created_at', '>=', from)
      .where('created_at', '<=', to)
      .executeTakeFirst();
    const sets = await tx
      .updateTable('recovery_friend_sets')
      .set({ reverted_at: now })
      .where('account_id', '=', accountId)
      .where('reverted_at', 'is', null)
      .where('created_at', '>=', from)
      .where('created_at', '<=', to)
      .executeTakeFirst();
    const added = await tx
      .updateTable('recovery_channels')
      .set({ reverted_at: now })
      .where('account_id', '=', accountId)
      .where('reverted_at', 'is', null)
      .where((eb) =>
        eb.or([
          eb.and([eb('verified_at', '>=', from), eb('verified_at', '<=', to)]),
          eb.and([eb('created_at', '>=', from), eb('created_at', '<=', to)]),
        ]),
      )
      .executeTakeFirst();
    const removed = await tx
      .updateTable('recovery_channels')
      .set({ removed_at: null })
      .where('account_id', '=', accountId)
      .where('reverted_at', 'is', null)
      .where('removed_at', '>=', from)
      .where('removed_at', '<=', to)
      .executeTakeFirst();
    return {
      codes: Number(codes.numUpdatedRows),
      friendLists: Number(sets.numUpdatedRows),
      channelsRemoved: Number(added.numUpdatedRows),
      channelsRestored: Number(removed.numUpdatedRows),
    };
  },

  insertChange(q: Q, row: RecoveryFactorChangesTable) {
    return q.insertInto('recovery_factor_changes').values(row).execute();
  },
  changes(q: Q, accountId: string, since: number) {
    return q
      .selectFrom('recovery_factor_changes')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('at', '>=', since)
      .orderBy('at', 'desc')
      .limit(100)
      .execute();
  },
  change(q: Q, id: string) {
    return q.selectFrom('recovery_factor_changes').selectAll().where('id', '=', id).executeTakeFirst();
  },
  changeByToken(q: Q, tokenHash: string) {
    return q
      .selectFrom('recovery_factor_changes')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
  },
  disputeChange(q: Q, id: string, now: number) {
    return q
      .updateTable('recovery_factor_changes')
      .set({ disputed_at: now })
      .where('id', '=', id)
      .where('disputed_at', 'is', null)
      .executeTakeFirst();
  },

  insertOperatorAppeal(q: Q, row: RecoveryOperatorAppealsTable) {
    return q.insertInto('recovery_operator_appeals').values(row).execute();
  },
  operatorAppeal(q: Q, id: string) {
    return q.selectFrom('recovery_operator_appeals').selectAll().where('id', '=', id).executeTakeFirst();
  },
  pendingOperatorAppeal(q: Q, accountId: string, freezeAt: number) {
    return q
      .selectFrom('recovery_operator_appeals')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('freeze_at', '=', freezeAt)
      .where('state', '=', 'pending')
      .executeTakeFirst();
  },
  /** The latest decision time of a denied appeal of this freeze, if any. */
  async lastDeniedOperatorAppeal(q: Q, accountId: string, freezeAt: number): Promise<number | null> {
    const r = await q
      .selectFrom('recovery_operator_appeals')
      .select((eb) => eb.fn.max('decided_at').as('at'))
      .where('account_id', '=', accountId)
      .where('freeze_at', '=', freezeAt)
      .where('state', '=', 'denied')
      .executeTakeFirst();
    return r?.at == null ? null : Number(r.at);
  },
  operatorAppeals(q: Q, f: { state?: string; limit: number; before?: number; id?: string }) {
    let qb = q
      .selectFrom('recovery_operator_appeals')
      .innerJoin('accounts', 'accounts.id', 'recovery_operator_appeals.account_id')
      .selectAll('recovery_operator_appeals')
      .select(['accounts.handle as handle', 'accounts.state_reason as freeze_reason']);
    if (f.state) qb = qb.where('recovery_operator_appeals.state', '=', f.state as 'pending');
    if (f.before !== undefined) qb = qb.where('recovery_operator_appeals.created_at', '<', f.before);
    if (f.id !== undefined) qb = qb.where('recovery_operator_appeals.id', '=', f.id);
    return qb.orderBy('recovery_operator_appeals.created_at').limit(f.limit).execute();
  },
  async decideOperatorAppeal(
    q: Q,
    id: string,
    patch: { state: 'approved' | 'denied' | 'closed'; decided_at: number; decided_by: string; note: string },
  ): Promise<boolean> {
    const r = await q
      .updateTable('recovery_operator_appeals')
      .set(patch)
      .where('id', '=', id)
      .where('state', '=', 'pending')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },
  closeOperatorAppeals(q: Q, accountId: string, now: number, by: string, note: string) {
    return q
      .updateTable('recovery_operator_appeals')
      .set({ state: 'closed', decided_at: now, decided_by: by, note })
      .where('account_id', '=', accountId)
      .where('state', '=', 'pending')
      .execute();
  },
};
