import type { Db, Tx } from '../store/db.ts';
import type {
  ActionsTable,
  ChallengesTable,
  HoldsTable,
  QuarantineTable,
  RetractionsTable,
  ThrottlesTable,
} from './schema.ts';

type Q = Db | Tx;

/** All response SQL. */
export const responseStore = {
  actionDone(q: Q, decisionId: string, kind: string) {
    return q
      .selectFrom('response_actions')
      .select('id')
      .where('decision_id', '=', decisionId)
      .where('kind', '=', kind)
      .executeTakeFirst();
  },
  /** The `detail` of every enforced, done action of a kind (revoke_sessions, revoke_grants) on an account. */
  revokeDetails(q: Q, account: string, kind: 'revoke_sessions' | 'revoke_grants' = 'revoke_sessions') {
    return q
      .selectFrom('response_actions')
      .select('detail')
      .where('account', '=', account)
      .where('kind', '=', kind)
      .where('mode', '=', 'enforce')
      .where('status', '=', 'done')
      .execute();
  },
  insertAction(q: Q, a: ActionsTable) {
    return q.insertInto('response_actions').values(a).execute();
  },
  async insertActions(q: Q, rows: ActionsTable[]) {
    for (let i = 0; i < rows.length; i += 500)
      await q
        .insertInto('response_actions')
        .values(rows.slice(i, i + 500))
        .execute();
  },
  /** Which (decision, kind) pairs already have an action, as "decision|kind". */
  async actionsDoneFor(q: Q, decisionIds: string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (let i = 0; i < decisionIds.length; i += 500) {
      const rows = await q
        .selectFrom('response_actions')
        .select(['decision_id', 'kind'])
        .where('decision_id', 'in', decisionIds.slice(i, i + 500))
        .execute();
      for (const r of rows) out.add(`${r.decision_id}|${r.kind}`);
    }
    return out;
  },
  actions(q: Q, filter: { account?: string; decisionId?: string; limit: number; before?: number }) {
    let qb = q.selectFrom('response_actions').selectAll();
    if (filter.account) qb = qb.where('account', '=', filter.account);
    if (filter.decisionId) qb = qb.where('decision_id', '=', filter.decisionId);
    if (filter.before !== undefined) qb = qb.where('created_at', '<', filter.before);
    return qb.orderBy('created_at', 'desc').limit(filter.limit).execute();
  },

  /** Enforced actions of a kind recorded since `since` (their identity effect runs after the commit). */
  doneSince(q: Q, kind: 'freeze_account' | 'revoke_sessions' | 'forget_device', since: number) {
    return q
      .selectFrom('response_actions')
      .select(['account', 'detail', 'created_at', 'decision_id'])
      .where('kind', '=', kind)
      .where('mode', '=', 'enforce')
      .where('status', '=', 'done')
      .where('created_at', '>=', since)
      .orderBy('created_at', 'asc')
      .limit(10_000)
      .execute();
  },

  /** Whether the account was unfrozen (by anyone) at or after `t`, per the audit log. */
  async unfrozenSince(q: Q, account: string, t: number): Promise<boolean> {
    const r = await q
      .selectFrom('audit_log')
      .select('seq')
      .where('subject', '=', account)
      .where('action', '=', 'account.unfreeze')
      .where('at', '>=', t)
      .limit(1)
      .executeTakeFirst();
    return r !== undefined;
  },

  upsertHold(q: Q, h: HoldsTable) {
    return q
      .insertInto('holds')
      .values(h)
      .onConflict((oc) => oc.column('message_id').doNothing())
      .execute();
  },
  hold(q: Q, messageId: string) {
    return q.selectFrom('holds').selectAll().where('message_id', '=', messageId).executeTakeFirst();
  },
  holdsFor(q: Q, account: string, status = 'held') {
    return q
      .selectFrom('holds')
      .selectAll()
      .where('account', '=', account)
      .where('status', '=', status)
      .execute();
  },
  expiredHolds(q: Q, now: number) {
    return q
      .selectFrom('holds')
      .selectAll()
      .where('status', '=', 'held')
      .where('expires_at', '<=', now)
      .limit(500)
      .execute();
  },
  resolveHold(
    q: Q,
    messageId: string,
    status: 'released' | 'expired' | 'retracted' | 'confirmed',
    now: number,
  ) {
    return q
      .updateTable('holds')
      .set({ status, resolved_at: now })
      .where('message_id', '=', messageId)
      .where('status', '=', 'held')
      .executeTakeFirst();
  },

  setThrottle(q: Q, t: ThrottlesTable) {
    return q
      .insertInto('throttles')
      .values(t)
      .onConflict((oc) =>
        oc.column('account').doUpdateSet({
          per_minute: t.per_minute,
          until: t.until,
          decision_id: t.decision_id,
          created_at: t.created_at,
        }),
      )
      .execute();
  },
  throttle(q: Q, account: string) {
    return q.selectFrom('throttles').selectAll().where('account', '=', account).executeTakeFirst();
  },
  liveThrottles(q: Q, now: number) {
    return q.selectFrom('throttles').selectAll().where('until', '>', now).execute();
  },
  deleteThrottle(q: Q, account: string) {
    return q.deleteFrom('throttles').where('account', '=', account).execute();
  },

  upsertQuarantine(q: Q, r: QuarantineTable) {
    return q
      .insertInto('quarantine')
      .values(r)
      .onConflict((oc) =>
        oc
          .column('key')
          .doUpdateSet({ expires_at: r.expires_at, decision_id: r.decision_id, lifted_at: null }),
      )
      .execute();
  },
  liveQuarantine(q: Q, now: number) {
    return q
      .selectFrom('quarantine')
      .selectAll()
      .where('lifted_at', 'is', null)
      .where('expires_at', '>', now)
      .execute();
  },
  expiredQuarantine(q: Q, now: number) {
    return q
      .selectFrom('quarantine')
      .selectAll()
      .where('lifted_at', 'is', null)
      .where('expires_at', '<=', now)
      .execute();
  },
  /** Lifts a live quarantine; the decision that set it, or undefined when none was live. */
  async liftQuarantine(q: Q, key: string, now: number): Promise<string | undefined> {
    const r = await q
      .updateTable('quarantine')
      .set({ lifted_at: now })
      .where('key', '=', key)
      .where('lifted_at', 'is', null)
      .returning('decision_id')
      .executeTakeFirst();
    return r?.decision_id;
  },

  insertChallenge(q: Q, c: ChallengesTable) {
    return q.insertInto('challenges').values(c).execute();
  },
  challenge(q: Q, id: string) {
    return q.selectFrom('challenges').selectAll().where('id', '=', id).executeTakeFirst();
  },
  pendingChallenges(q: Q, account: string, now: number) {
    return q
      .selectFrom('challenges')
      .selectAll()
      .where('account', '=', account)
      .where('status', '=', 'pending')
      .where('expires_at', '>', now)
      .orderBy('created_at', 'desc')
      .execute();
  },
  answerChallenge(q: Q, id: string, status: string, session: string, now: number) {
    return q
      .updateTable('challenges')
      .set({ status, answered_at: now, answered_by_session: session })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
  },

  async insertRetractions(q: Q, rows: RetractionsTable[]) {
    for (let i = 0; i < rows.length; i += 500)
      await q
        .insertInto('retractions')
        .values(rows.slice(i, i + 500))
        .onConflict((oc) => oc.column('message_id').doNothing())
        .execute();
  },
  /** Marks the held ones among these messages retracted (one statement per 500). */
  async retractHolds(q: Q, ids: string[], now: number) {
    for (let i = 0; i < ids.length; i += 500)
      await q
        .updateTable('holds')
        .set({ status: 'retracted', resolved_at: now })
        .where('message_id', 'in', ids.slice(i, i + 500))
        .where('status', '=', 'held')
        .execute();
  },
  /** Which of these keys are under a live quarantine that runs at least until `until`. */
  async quarantinedUntil(q: Q, keys: string[], until: number): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const rows = await q
      .selectFrom('quarantine')
      .select('key')
      .where('key', 'in', keys)
      .where('lifted_at', 'is', null)
      .where('expires_at', '>=', until)
      .execute();
    return new Set(rows.map((r) => r.key));
  },
  retractions(q: Q, account: string, limit: number) {
    return q
      .selectFrom('retractions')
      .selectAll()
      .where('account', '=', account)
      .orderBy('retracted_at', 'desc')
      .limit(limit)
      .execute();
  },
  async retractedIds(q: Q, ids: string[]) {
    const out: Array<{ message_id: string }> = [];
    for (let i = 0; i < ids.length; i += 500)
      out.push(
        ...(await q
          .selectFrom('retractions')
          .select('message_id')
          .where('message_id', 'in', ids.slice(i, i + 500))
          .execute()),
      );
    return out;
  },

  recordPolicyVersion(q: Q, hash: string, version: number, text: string, now: number) {
    return q
      .insertInto('policy_versions')
      .values({ hash, version, text, first_loaded_at: now })
      .onConflict((oc) => oc.column('hash').doNothing())
      .execute();
  },
  policyVersions(q: Q) {
    return q
      .selectFrom('policy_versions')
      .select(['hash', 'version', 'first_loaded_at'])
      .orderBy('first_loaded_at', 'desc')
      .execute();
  },
};
