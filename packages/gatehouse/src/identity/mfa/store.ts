import { sql } from 'kysely';
import { precompiled } from '../../store/compiled.ts';
import type { Db, Tx } from '../../store/db.ts';
import type {
  PasskeysTable,
  QrLoginsTable,
  RemovedSecondFactorsTable,
  SigninChallengesTable,
  TotpFactorsTable,
} from './schema.ts';

type Q = Db | Tx;

/** The SQL of second factors, passkeys, sign-in challenges, QR logins and probation. */
export const mfaStore = {
  totp(q: Q, accountId: string) {
    return q.selectFrom('totp_factors').selectAll().where('account_id', '=', accountId).executeTakeFirst();
  },
  /** A new pending enrolment replaces an unconfirmed one (never a confirmed one). */
  async putPendingTotp(q: Q, row: TotpFactorsTable) {
    await q
      .deleteFrom('totp_factors')
      .where('account_id', '=', row.account_id)
      .where('confirmed_at', 'is', null)
      .execute();
    await q.insertInto('totp_factors').values(row).execute();
  },
  /**
   * Accepts a code of time step `step`: only if no code of that step or a later one was accepted before
   * (so a code replayed, even concurrently, counts once). `confirm` also marks the enrolment confirmed.
   */
  async acceptTotpStep(q: Q, accountId: string, step: number, confirmAt?: number): Promise<boolean> {
    const r = await q
      .updateTable('totp_factors')
      .set(confirmAt !== undefined ? { last_step: step, confirmed_at: confirmAt } : { last_step: step })
      .where('account_id', '=', accountId)
      .where('last_step', '<', step)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },
  insertTotp(q: Q, row: TotpFactorsTable) {
    return q.insertInto('totp_factors').values(row).execute();
  },
  deleteTotp(q: Q, accountId: string) {
    return q.deleteFrom('totp_factors').where('account_id', '=', accountId).executeTakeFirst();
  },

  passkeys(q: Q, accountId: string) {
    return q
      .selectFrom('passkeys')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('created_at')
      .execute();
  },
  async passkey(q: Q, id: string) {
    return (await passkeyById(q, { id })).rows[0];
  },
  insertPasskey(q: Q, row: PasskeysTable) {
    return q.insertInto('passkeys').values(row).execute();
  },
  /** A use: the signature counter only ever moves forward (two uses may commit out of order). */
  async usePasskey(q: Q, id: string, counter: number, at: number) {
    await usePasskey(q, { id, counter, at });
  },
  deletePasskey(q: Q, accountId: string, id: string) {
    return q
      .deleteFrom('passkeys')
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .executeTakeFirst();
  },
  /** Keeps a removed factor's row so that a recovery can put it back (see `revertSecondFactors`). */
  keepRemoved(q: Q, row: RemovedSecondFactorsTable) {
    return q.insertInto('removed_second_factors').values(row).execute();
  },
  /** Factors removed inside [from, to] and not put back yet, oldest first. */
  removedBetween(q: Q, accountId: string, from: number, to: number) {
    return q
      .selectFrom('removed_second_factors')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('restored_at', 'is', null)
      .where('removed_at', '>=', from)
      .where('removed_at', '<=', to)
      .orderBy('removed_at')
      .execute();
  },
  /** When each of the account's sessions among `ids` began. */
  sessionsStarted(q: Q, accountId: string, ids: string[]) {
    if (ids.length === 0) return Promise.resolve([]);
    return q
      .selectFrom('sessions')
      .select(['id', 'created_at'])
      .where('account_id', '=', accountId)
      .where('id', 'in', ids)
      .execute();
  },
  markRestored(q: Q, id: string, at: number) {
    return q.updateTable('removed_second_factors').set({ restored_at: at }).where('id', '=', id).execute();
  },
  /** Passkeys registered inside [from, to]: deleted, their ids returned. */
  async deletePasskeysCreatedBetween(q: Q, accountId: string, from: number, to: number) {
    const rows = await q
      .deleteFrom('passkeys')
      .where('account_id', '=', accountId)
      .where('created_at', '>=', from)
      .where('created_at', '<=', to)
      .returning(['id'])
      .execute();
    return rows.map((r) => r.id);
  },
  /** The authenticator app, when it was set up or confirmed inside [from, to]: deleted. */
  async deleteTotpSetUpBetween(q: Q, accountId: string, from: number, to: number): Promise<boolean> {
    const r = await q
      .deleteFrom('totp_factors')
      .where('account_id', '=', accountId)
      .where((eb) =>
        eb.or([
          eb.and([eb('created_at', '>=', from), eb('created_at', '<=', to)]),
          eb.and([eb('confirmed_at', '>=', from), eb('confirmed_at', '<=', to)]),
        ]),
      )
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  },
  /** Whether the account has a confirmed authenticator app, and how many passkeys (one statement). */
  async hasSecondFactor(q: Q, accountId: string): Promise<{ totp: boolean; passkeys: number }> {
    const r = await q
      .selectNoFrom((eb) => [
        eb
          .selectFrom('totp_factors')
          .select(eb.fn.countAll<number>().as('n'))
          .where('account_id', '=', accountId)
          .where('confirmed_at', 'is not', null)
          .as('totp'),
        eb
          .selectFrom('passkeys')
          .select(eb.fn.countAll<number>().as('n'))
          .where('account_id', '=', accountId)
          .as('passkeys'),
      ])
      .executeTakeFirstOrThrow();
    return { totp: Number(r.totp ?? 0) > 0, passkeys: Number(r.passkeys ?? 0) };
  },

  insertChallenge(q: Q, row: SigninChallengesTable) {
    return q.insertInto('signin_challenges').values(row).execute();
  },
  /** Inserts a spent challenge; false when one with its hash exists (it was spent before). */
  async insertSpentChallenge(q: Q, row: SigninChallengesTable): Promise<boolean> {
    const r = await insertSpentChallenge(q, row);
    return Number(r.numAffectedRows ?? 0) === 1;
  },
  async challengeByHash(q: Q, tokenHash: string) {
    return (await challengeByHash(q, { tokenHash })).rows[0];
  },
  /** Spends a challenge once: false when it was already spent (a concurrent use won). */
  async spendChallenge(q: Q, id: string, at: number): Promise<boolean> {
    const r = await q
      .updateTable('signin_challenges')
      .set({ used_at: at })
      .where('id', '=', id)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },
  /** Counts a wrong answer; returns the attempts so far. */
  async failChallenge(q: Q, id: string): Promise<void> {
    await q
      .updateTable('signin_challenges')
      .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
      .where('id', '=', id)
      .execute();
  },
  setChallengeData(q: Q, id: string, data: string) {
    return q.updateTable('signin_challenges').set({ data }).where('id', '=', id).execute();
  },
  pruneChallenges(q: Q, before: number) {
    return q.deleteFrom('signin_challenges').where('expires_at', '<', before).execute();
  },

  insertQr(q: Q, row: QrLoginsTable) {
    return q.insertInto('qr_logins').values(row).execute();
  },
  qrByCodeHash(q: Q, codeHash: string) {
    return q.selectFrom('qr_logins').selectAll().where('code_hash', '=', codeHash).executeTakeFirst();
  },
  qrById(q: Q, id: string) {
    return q.selectFrom('qr_logins').selectAll().where('id', '=', id).executeTakeFirst();
  },
  /** Ends the still-pending codes of a key (a re-ask rotates the code). */
  expirePendingOfKey(q: Q, publicKey: string, at: number) {
    return q
      .updateTable('qr_logins')
      .set({ expires_at: at })
      .where('public_key', '=', publicKey)
      .where('state', '=', 'pending')
      .where('expires_at', '>', at)
      .execute();
  },
  /** Moves a login from `from` to its next state once; false when another request moved it first. */
  async moveQr(
    q: Q,
    id: string,
    from: QrLoginsTable['state'],
    set: Partial<QrLoginsTable>,
    notAfter?: number,
  ): Promise<boolean> {
    let qb = q.updateTable('qr_logins').set(set).where('id', '=', id).where('state', '=', from);
    if (notAfter !== undefined) qb = qb.where('expires_at', '>', notAfter);
    const r = await qb.executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  lastSuccessfulSignin(q: Q, accountId: string) {
    return q
      .selectFrom('signins')
      .select(['ip', 'at'])
      .where('account_id', '=', accountId)
      .where('success', '=', 1)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
  },

  setProbation(q: Q, sessionId: string, until: number | null, reason: string | null) {
    return q
      .updateTable('sessions')
      .set({ probation_until: until, probation_reason: reason })
      .where('id', '=', sessionId)
      .execute();
  },
  probationSessions(q: Q, now: number) {
    return q
      .selectFrom('sessions')
      .select(['id', 'account_id', 'probation_until'])
      .where('probation_until', '>', now)
      .where('revoked_at', 'is', null)
      .execute();
  },
};

// A passkey sign-in's statements, compiled once (store/compiled.ts).
const passkeyById = precompiled((q, p: { id: string }) =>
  q.selectFrom('passkeys').selectAll().where('id', '=', p.id),
);
const usePasskey = precompiled((q, p: { id: string; counter: number; at: number }) =>
  q
    .updateTable('passkeys')
    .set({
      counter: sql<number>`case when counter < ${p.counter} then ${p.counter} else counter end`,
      last_used_at: p.at,
    })
    .where('id', '=', p.id),
);
const insertSpentChallenge = precompiled((q, row: SigninChallengesTable) =>
  q
    .insertInto('signin_challenges')
    .values(row)
    .onConflict((oc) => oc.column('token_hash').doNothing()),
);
const challengeByHash = precompiled((q, p: { tokenHash: string }) =>
  q.selectFrom('signin_challenges').selectAll().where('token_hash', '=', p.tokenHash),
);

/** The statements above (tests check that each compiles to one fixed shape). */
export const passkeyStatements = { passkeyById, usePasskey, insertSpentChallenge, challengeByHash };
