import { precompiled } from '../store/compiled.ts';
import type { Db, Tx } from '../store/db.ts';
import type { AccountState, AccountsTable, FreezeKind, SessionsTable, SigninsTable } from './schema.ts';

type Q = Db | Tx;

/** What a sign-in reads of its account before checking anything (`accountForSignIn`). */
export interface SignInRead {
  account: AccountsTable;
  /** When the account last signed in from this network and this device; undefined: never. */
  seen: { network: number | undefined; device: number | undefined };
  /** Its second factors: a confirmed authenticator app, how many passkeys. */
  factors: { totp: boolean; passkeys: number };
}

/** All identity SQL. */
export const identityStore = {
  insertAccount(q: Q, a: AccountsTable) {
    return q.insertInto('accounts').values(a).execute();
  },
  accountByHandleKey(q: Q, handleKey: string) {
    return q.selectFrom('accounts').selectAll().where('handle_key', '=', handleKey).executeTakeFirst();
  },
  /**
   * A sign-in's reads in one statement: the account (by handle key or id), when it last signed in from
   * this network and from this device (by their keys; undefined: never) and which second factors it
   * has. One fixed shape, so one prepared statement.
   */
  async accountForSignIn(
    q: Q,
    by: { handleKey: string } | { id: string },
    ctx: { network: string; deviceKey?: string | undefined },
  ): Promise<SignInRead | undefined> {
    // no device key: '' names no device (keys are SHA-256 hex)
    const p = { network: ctx.network, deviceKey: ctx.deviceKey ?? '' };
    const { rows } =
      'handleKey' in by
        ? await signInReadByHandle(q, { ...p, by: by.handleKey })
        : await signInReadById(q, { ...p, by: by.id });
    const row = rows[0];
    if (!row) return undefined;
    const { seen_network, seen_device, factor_totp, factor_passkeys, ...account } = row;
    const at = (x: unknown) => (x === null || x === undefined ? undefined : Number(x));
    return {
      account,
      seen: { network: at(seen_network), device: ctx.deviceKey ? at(seen_device) : undefined },
      factors: { totp: Number(factor_totp ?? 0) > 0, passkeys: Number(factor_passkeys ?? 0) },
    };
  },
  accountById(q: Q, id: string) {
    return q.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
  },
  async existingIds(q: Q, ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await q.selectFrom('accounts').select('id').where('id', 'in', ids).execute();
    return new Set(rows.map((r) => r.id));
  },
  setPasswordHash(q: Q, id: string, hash: string, now: number) {
    return q
      .updateTable('accounts')
      .set({ password_hash: hash, updated_at: now })
      .where('id', '=', id)
      .execute();
  },
  /** Sets the state; a freeze records its kind, time and (when known) the compromise start. */
  setState(
    q: Q,
    id: string,
    state: AccountState,
    reason: string | null,
    now: number,
    freeze?: { kind: FreezeKind; since: number | null },
  ) {
    return q
      .updateTable('accounts')
      .set({
        state,
        state_reason: reason,
        updated_at: now,
        freeze_kind: freeze?.kind ?? null,
        frozen_at: freeze ? now : null,
        freeze_since: freeze?.since ?? null,
      })
      .where('id', '=', id)
      .execute();
  },
  /** A containment an operator turns into a sanction (the freeze's time stays). */
  setFreezeKind(q: Q, id: string, kind: FreezeKind, reason: string, now: number) {
    return q
      .updateTable('accounts')
      .set({ freeze_kind: kind, state_reason: reason, updated_at: now })
      .where('id', '=', id)
      .execute();
  },

  async insertSession(q: Q, s: SessionsTable) {
    await insertSession(q, s);
  },
  async sessionByTokenHash(q: Q, tokenHash: string) {
    return (await sessionByTokenHash(q, { tokenHash })).rows[0];
  },
  sessionById(q: Q, id: string) {
    return q.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
  },
  async touchSession(q: Q, id: string, now: number) {
    await touchSession(q, { id, now });
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
  sessionsCreatedBetween(q: Q, accountId: string, from: number, to: number) {
    return q
      .selectFrom('sessions')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('created_at', '>=', from)
      .where('created_at', '<=', to)
      .orderBy('created_at')
      .limit(500)
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

  setReauth(q: Q, sessionId: string, column: 'reauth_at' | 'step_up_at', at: number) {
    return q
      .updateTable('sessions')
      .set(column === 'reauth_at' ? { reauth_at: at } : { step_up_at: at })
      .where('id', '=', sessionId)
      .execute();
  },

  knownContext(q: Q, accountId: string, kind: 'network' | 'device', key: string) {
    return q
      .selectFrom('known_contexts')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('kind', '=', kind)
      .where('key', '=', key)
      .executeTakeFirst();
  },
  /**
   * Forgets known contexts of an account: a device (by the key's first 24 hex digits, as a session's
   * device id carries them), and a network only when first seen at or after `since` (a network the
   * account knew before stays). Returns what was forgotten.
   */
  async forgetContexts(
    q: Q,
    accountId: string,
    o: { devicePrefix?: string; network: string; since: number },
  ): Promise<{ device: boolean; network: boolean }> {
    const device =
      o.devicePrefix !== undefined &&
      Number(
        (
          await q
            .deleteFrom('known_contexts')
            .where('account_id', '=', accountId)
            .where('kind', '=', 'device')
            .where('key', 'like', `${o.devicePrefix}%`)
            .executeTakeFirst()
        ).numDeletedRows,
      ) > 0;
    const network =
      Number(
        (
          await q
            .deleteFrom('known_contexts')
            .where('account_id', '=', accountId)
            .where('kind', '=', 'network')
            .where('key', '=', o.network)
            .where('first_at', '>=', o.since)
            .executeTakeFirst()
        ).numDeletedRows,
      ) > 0;
    return { device, network };
  },

  /** Remembers contexts an account signed in from (new ones with their first time), in one statement. */
  async rememberContexts(
    q: Q,
    accountId: string,
    rows: ReadonlyArray<{ kind: 'network' | 'device'; key: string }>,
    now: number,
  ) {
    if (rows.length === 0) return;
    if (rows.length === 1) await rememberOne(q, { accountId, ...rows[0]!, now });
    else if (rows.length === 2)
      await rememberTwo(q, {
        accountId,
        kind0: rows[0]!.kind,
        key0: rows[0]!.key,
        kind1: rows[1]!.kind,
        key1: rows[1]!.key,
        now,
      });
    else
      await q
        .insertInto('known_contexts')
        .values(
          rows.map((r) => ({ account_id: accountId, kind: r.kind, key: r.key, first_at: now, last_at: now })),
        )
        .onConflict((oc) => oc.columns(['account_id', 'kind', 'key']).doUpdateSet({ last_at: now }))
        .execute();
  },

  async insertSignin(q: Q, s: Omit<SigninsTable, 'seq'>) {
    await insertSignin(q, s);
  },
  signins(q: Q, accountId: string, limit: number, before?: number) {
    let qb = q.selectFrom('signins').selectAll().where('account_id', '=', accountId);
    if (before !== undefined) qb = qb.where('seq', '<', before);
    return qb.orderBy('seq', 'desc').limit(limit).execute();
  },
};

// The sign-in's statements, compiled once (store/compiled.ts): a sign-in runs them at every attempt.

/** The account (by handle key or id), when it last signed in from this network and device, its factors. */
function signInRead(column: 'accounts.handle_key' | 'accounts.id') {
  return precompiled((q, p: { by: string; network: string; deviceKey: string }) =>
    q
      .selectFrom('accounts')
      .selectAll('accounts')
      .select((eb) => {
        const seen = (kind: 'network' | 'device', key: string) =>
          eb
            .selectFrom('known_contexts')
            .select('known_contexts.last_at')
            .whereRef('known_contexts.account_id', '=', 'accounts.id')
            .where('known_contexts.kind', '=', kind)
            .where('known_contexts.key', '=', key);
        return [
          seen('network', p.network).as('seen_network'),
          seen('device', p.deviceKey).as('seen_device'),
          eb
            .selectFrom('totp_factors')
            .select(eb.fn.countAll<number>().as('n'))
            .whereRef('totp_factors.account_id', '=', 'accounts.id')
            .where('totp_factors.confirmed_at', 'is not', null)
            .as('factor_totp'),
          eb
            .selectFrom('passkeys')
            .select(eb.fn.countAll<number>().as('n'))
            .whereRef('passkeys.account_id', '=', 'accounts.id')
            .as('factor_passkeys'),
        ];
      })
      .where(column, '=', p.by),
  );
}
const signInReadByHandle = signInRead('accounts.handle_key');
const signInReadById = signInRead('accounts.id');

const insertSession = precompiled((q, s: SessionsTable) => q.insertInto('sessions').values(s));
const insertSignin = precompiled((q, s: Omit<SigninsTable, 'seq'>) => q.insertInto('signins').values(s));
const rememberOne = precompiled(
  (q, p: { accountId: string; kind: 'network' | 'device'; key: string; now: number }) =>
    q
      .insertInto('known_contexts')
      .values({ account_id: p.accountId, kind: p.kind, key: p.key, first_at: p.now, last_at: p.now })
      .onConflict((oc) => oc.columns(['account_id', 'kind', 'key']).doUpdateSet({ last_at: p.now })),
);
/** A sign-in from a network and a device both new (or not seen within the hour). */
const rememberTwo = precompiled(
  (q, p: { accountId: string; kind0: string; key0: string; kind1: string; key1: string; now: number }) =>
    q
      .insertInto('known_contexts')
      .values([
        { account_id: p.accountId, kind: p.kind0, key: p.key0, first_at: p.now, last_at: p.now },
        { account_id: p.accountId, kind: p.kind1, key: p.key1, first_at: p.now, last_at: p.now },
      ])
      .onConflict((oc) => oc.columns(['account_id', 'kind', 'key']).doUpdateSet({ last_at: p.now })),
);
const sessionByTokenHash = precompiled((q, p: { tokenHash: string }) =>
  q
    .selectFrom('sessions')
    .innerJoin('accounts', 'accounts.id', 'sessions.account_id')
    .selectAll('sessions')
    .select(['accounts.state as account_state', 'accounts.handle as handle'])
    .where('sessions.token_hash', '=', p.tokenHash),
);
const touchSession = precompiled((q, p: { id: string; now: number }) =>
  q.updateTable('sessions').set({ last_seen_at: p.now }).where('id', '=', p.id),
);

/** The statements above (tests check that each compiles to one fixed shape). */
export const signInStatements = {
  signInReadByHandle,
  signInReadById,
  insertSession,
  insertSignin,
  rememberOne,
  rememberTwo,
  sessionByTokenHash,
};
