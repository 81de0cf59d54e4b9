import type { RecoveryFactorsChangedWebhook } from '@gatehouse/sdk';
import { hashToken, newId, newToken } from '../crypto/index.ts';
import { explainSignal } from '../engine/index.ts';
import { GatehouseError } from '../errors/index.ts';
import { networkOf, type Authenticated, type RequestContext } from '../identity/index.ts';
import type { Tx } from '../store/db.ts';
import { codeMatches, hashCode, newRecoveryCode, randomDigits } from './codes.ts';
import { accountActor, type FactorChange, type RecoveryContext } from './context.ts';
import { countingFriendSet, countingGeneration, usableFrom, type FactorScope } from './factors.ts';
import type { RecoveryChannelsTable, RecoveryFactorChangesTable } from './schema.ts';
import { maskAddress, type ChannelKind } from './senders.ts';
import { recoveryStore as q } from './store.ts';
import type { RecoveryCodeVerifier } from './verifiers.ts';
import { denyByToken } from './verification.ts';

/**
 * The owner's set-up while signed in: recovery codes, trusted friends, email and phone channels. The
 * routes ask for a recent proof of the password first (identity.requireReauth). Every change is a
 * factor change: announced at once, in its own transaction, to the platform (`recovery.factors_changed`,
 * for every session) and then to the owner's verified channels, each with a one-step "this wasn't me"
 * that contains the account; it counts for recovery only after the cooling-off (factors.ts).
 */

const EMAIL_RE = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]{2,}$/;
const PHONE_RE = /^\+[1-9]\d{6,14}$/;
const MAX_FRIENDS = 10;

export interface ChannelView {
  id: string;
  kind: ChannelKind;
  address: string;
  verified: boolean;
  verifiedAt: number | null;
  createdAt: number;
  /** When the channel counts for recovery (null: not verified yet). */
  usableFrom: number | null;
  /** Removed by the owner: it keeps counting until its removal is past the cooling-off. */
  removedAt: number | null;
}

export function channelView(c: RecoveryChannelsTable, coolingOffMs: number): ChannelView {
  return {
    id: c.id,
    kind: c.kind,
    address: c.address,
    verified: c.verified_at !== null,
    verifiedAt: c.verified_at,
    createdAt: c.created_at,
    usableFrom: c.verified_at === null ? null : usableFrom(c.verified_at, coolingOffMs),
    removedAt: c.removed_at,
  };
}

type Factor = RecoveryFactorsChangedWebhook['factor'];
type Action = RecoveryFactorsChangedWebhook['action'];

const WHAT: Record<Factor, { en: string; zh: string }> = {
  recovery_codes: { en: 'new recovery codes were generated', zh: '生成了新的恢复码' },
  trusted_friends: { en: 'the trusted friends were changed', zh: '信任好友被修改' },
  email: { en: 'a recovery email address was changed', zh: '找回邮箱被修改' },
  phone: { en: 'a recovery phone number was changed', zh: '找回手机号被修改' },
};

const CHANGE: Record<Action, FactorChange['change']> = {
  generated: 'changed',
  set: 'changed',
  added: 'added',
  verified: 'added',
  removed: 'removed',
};

/**
 * Records and announces one factor change inside the caller's transaction; returns what to alert the
 * channels with after commit.
 */
async function announce(
  x: RecoveryContext,
  tx: Tx,
  account: string,
  change: {
    factor: Factor;
    action: Action;
    detail: Record<string, unknown>;
    session: string | null;
    type: `recovery.${string}`;
  },
): Promise<{ token: string; text: { en: string; zh: string } }> {
  const at = x.now();
  const token = newToken('ghx');
  const from = usableFrom(at, x.opts.factorCoolingOffMs);
  const row: RecoveryFactorChangesTable = {
    id: newId('rfc'),
    account_id: account,
    factor: change.factor,
    action: change.action,
    detail: JSON.stringify(change.detail),
    session_id: change.session,
    at,
    usable_from: from,
    token_hash: hashToken(token),
    disputed_at: null,
  };
  await q.insertChange(tx, row);
  const w = WHAT[change.factor];
  const day = new Date(from).toISOString().slice(0, 16).replace('T', ' ');
  const text = {
    en: `On your account, ${w.en}. The change counts for account recovery from ${day} UTC; until then your earlier settings keep working. If this was not you, tap "This wasn't me": the account is locked at once and you can take it back.`,
    zh: `您的账号${w.zh}。该变更自 ${day}（UTC）起才可用于找回账号，在此之前原有设置继续有效。如果不是您本人操作，请点击“不是我本人”：账号会被立即锁定，您可以随后找回。`,
  };
  await x.emit(tx, change.type, account, { ...change.detail, change: row.id });
  const payload: RecoveryFactorsChangedWebhook = {
    account,
    change: row.id,
    factor: change.factor,
    action: change.action,
    session: change.session,
    usableFrom: from,
    notice: text,
  };
  await x.deps.enqueueWebhook?.(tx, { type: 'recovery.factors_changed', account, payload });
  await x.deps.onFactorChangedTx?.(tx, {
    account,
    change: CHANGE[change.action],
    factor: change.factor,
    session: change.session,
    ...(typeof change.detail.masked === 'string' ? { detail: change.detail.masked } : {}),
    coolingOffUntil: from,
    at,
  });
  return { token, text };
}

/** After commit: the owner's channels hear of the change (best effort; the platform already knows). */
async function alertChange(
  x: RecoveryContext,
  account: string,
  a: { token: string; text: { en: string; zh: string } },
  exclude?: string,
) {
  await x.alert(account, a.text, a.token, exclude);
}

export interface By {
  /** The session that makes the change (null: an operator or a test). */
  session?: string | undefined;
}

/** Ten new one-time recovery codes. Shown once; the previous ones keep working until these count. */
export async function generateCodes(x: RecoveryContext, accountId: string, by: By = {}): Promise<string[]> {
  const t = x.now();
  const codes = Array.from({ length: 10 }, () => newRecoveryCode());
  const a = await x.tx(async (tx) => {
    await q.insertCodes(
      tx,
      codes.map((code) => ({
        id: newId('rc'),
        account_id: accountId,
        code_hash: hashCode(accountId, code),
        created_at: t,
        used_at: null,
        used_case: null,
        reverted_at: null,
      })),
    );
    return announce(x, tx, accountId, {
      factor: 'recovery_codes',
      action: 'generated',
      detail: { count: codes.length },
      session: by.session ?? null,
      type: 'recovery.codes.generated',
    });
  });
  await alertChange(x, accountId, a);
  return codes;
}

/** Unused codes of the newest generation (what the owner last saved) and when they count. */
export async function codesStatus(x: RecoveryContext, accountId: string) {
  const all = await q.codes(x.db, accountId);
  const newest = all.length ? Math.max(...all.map((c) => c.created_at)) : undefined;
  const counting = countingGeneration(all, x.scopeNow(accountId));
  return {
    remaining:
      newest === undefined ? 0 : all.filter((c) => c.created_at === newest && c.used_at === null).length,
    usableFrom: newest === undefined ? null : usableFrom(newest, x.opts.factorCoolingOffMs),
    /** Codes of an earlier generation still count until the newest one does. */
    previousStillCount: counting !== undefined && counting !== newest,
  };
}

export async function setFriends(
  x: RecoveryContext,
  accountId: string,
  handles: string[],
  by: By = {},
): Promise<{ friends: Array<{ handle: string }>; usableFrom: number | null }> {
  if (handles.length > MAX_FRIENDS)
    throw new GatehouseError('VALIDATION_FAILED', `at most ${MAX_FRIENDS} trusted friends`, {
      extra: { field: 'handles' },
    });
  const ids: string[] = [];
  for (const h of handles) {
    const a = await x.identity.findByHandle(h);
    if (!a || a.state === 'deleted')
      throw new GatehouseError('VALIDATION_FAILED', `no account with handle "${h}"`, {
        extra: { field: 'handles', handle: h },
      });
    if (a.id === accountId)
      throw new GatehouseError('VALIDATION_FAILED', 'you cannot be your own trusted friend', {
        extra: { field: 'handles', handle: h },
      });
    if (!ids.includes(a.id)) ids.push(a.id);
  }
  const t = x.now();
  const a = await x.tx(async (tx) => {
    await q.insertFriendSet(tx, {
      id: newId('fset'),
      account_id: accountId,
      friend_ids: JSON.stringify(ids),
      created_at: t,
      reverted_at: null,
    });
    return announce(x, tx, accountId, {
      factor: 'trusted_friends',
      action: 'set',
      detail: { count: ids.length },
      session: by.session ?? null,
      type: 'recovery.friends.updated',
    });
  });
  await alertChange(x, accountId, a);
  return friends(x, accountId);
}

/** The newest trusted-friend list the owner set, and when it counts. */
export async function friends(
  x: RecoveryContext,
  accountId: string,
): Promise<{ friends: Array<{ handle: string }>; usableFrom: number | null }> {
  const newest = (await q.friendSets(x.db, accountId))[0];
  if (!newest) return { friends: [], usableFrom: null };
  const ids = JSON.parse(newest.friend_ids) as string[];
  const rows = await q.accountsByIds(x.db, ids);
  return {
    friends: ids.flatMap((id) => rows.filter((r) => r.id === id).map((r) => ({ handle: r.handle }))),
    usableFrom: usableFrom(newest.created_at, x.opts.factorCoolingOffMs),
  };
}

/**
 * The friends asked to vouch in a scope: the trusted-friend list that counts there, else friends of
 * long standing from the engine. Only active accounts.
 */
export async function friendsOf(
  x: RecoveryContext,
  scope: FactorScope,
): Promise<Array<{ id: string; handle: string }>> {
  const set = countingFriendSet(await q.friendSets(x.db, scope.accountId), scope);
  const chosen = set ? (JSON.parse(set.friend_ids) as string[]) : [];
  const ids = chosen.length ? chosen : ((await x.deps.longStandingFriends?.(scope.accountId)) ?? []);
  const rows = await q.accountsByIds(
    x.db,
    ids.filter((id) => id !== scope.accountId),
  );
  return ids.flatMap((id) =>
    rows.filter((r) => r.id === id && r.state === 'active').map((r) => ({ id: r.id, handle: r.handle })),
  );
}

export async function channels(x: RecoveryContext, accountId: string): Promise<ChannelView[]> {
  return (await q.channels(x.db, accountId))
    .filter((c) => c.removed_at === null)
    .map((c) => channelView(c, x.opts.factorCoolingOffMs));
}

/** Registers an email address or phone number and sends it a code to prove it (verifyChannel). */
export async function addChannel(x: RecoveryContext, accountId: string, kind: ChannelKind, address: string) {
  const addr = address.normalize('NFKC').trim();
  if (kind === 'email' ? !EMAIL_RE.test(addr) || addr.length > 254 : !PHONE_RE.test(addr))
    throw new GatehouseError(
      'VALIDATION_FAILED',
      kind === 'email' ? 'not an email address' : 'a phone number in international form, e.g. +8613800138000',
      { extra: { field: 'address' } },
    );
  const sender = x.deps.codeSender;
  if (!sender || !sender.kinds.includes(kind)) throw new GatehouseError('RECOVERY_SENDER_UNAVAILABLE');
  const key = kind === 'email' ? addr.toLowerCase() : addr;
  const existing = await q.channelByAddress(x.db, accountId, kind, key);
  const live = existing && existing.reverted_at === null && existing.removed_at === null;
  if (live && existing.verified_at !== null) throw new GatehouseError('RECOVERY_CHANNEL_EXISTS');
  const limit = x.sends.hit(`channel|${accountId}`);
  if (!limit.allowed)
    throw new GatehouseError('RATE_LIMITED', undefined, {
      headers: { 'retry-after': String(limit.retryAfterSeconds) },
      extra: { retryAfterSeconds: limit.retryAfterSeconds },
    });
  const t = x.now();
  const code = randomDigits(6);
  const id = existing?.id ?? newId('chn');
  await x.tx(async (tx) => {
    const patch = { code_hash: hashCode(id, code), code_expires_at: t + x.opts.codeTtlMs, wrong_answers: 0 };
    if (existing)
      // a removed or reverted address added again is a new channel: it must be proved again
      await q.updateChannel(tx, id, {
        ...patch,
        ...(live
          ? {}
          : { verified_at: null, removed_at: null, reverted_at: null, created_at: t, address: addr }),
      });
    else {
      await q.insertChannel(tx, {
        id,
        account_id: accountId,
        kind,
        address: addr,
        address_key: key,
        verified_at: null,
        created_at: t,
        removed_at: null,
        reverted_at: null,
        ...patch,
      });
    }
    if (!live) await x.emit(tx, 'recovery.channel.added', accountId, { channel: id, kind });
  });
  const account = await x.identity.getAccount(accountId);
  await sender.send({ kind, address: addr, code, purpose: 'channel_verification', handle: account.handle });
  const row = (await q.channel(x.db, accountId, id))!;
  return {
    channel: channelView(row, x.opts.factorCoolingOffMs),
    delivery: sender.delivery,
    expiresAt: t + x.opts.codeTtlMs,
  };
}

export async function verifyChannel(
  x: RecoveryContext,
  accountId: string,
  channelId: string,
  code: string,
  by: By = {},
): Promise<ChannelView> {
  const ch = await q.channel(x.db, accountId, channelId);
  if (!ch || ch.reverted_at !== null || ch.removed_at !== null)
    throw new GatehouseError('RECOVERY_CHANNEL_NOT_FOUND');
  if (ch.verified_at !== null) return channelView(ch, x.opts.factorCoolingOffMs);
  const t = x.now();
  if (!ch.code_hash || ch.code_expires_at === null || ch.code_expires_at <= t)
    throw new GatehouseError('RECOVERY_CODE_EXPIRED');
  await x.limit([{ key: `recovery|channel|account|${accountId}`, limit: x.opts.attemptsPerAccount }]);
  if (!codeMatches(ch.id, code, ch.code_hash)) {
    const wrong = ch.wrong_answers + 1;
    const spent = wrong >= x.opts.maxWrongAnswers;
    await q.updateChannel(
      x.db,
      ch.id,
      spent ? { wrong_answers: 0, code_hash: null, code_expires_at: null } : { wrong_answers: wrong },
    );
    if (spent) throw new GatehouseError('RECOVERY_CODE_EXPIRED', 'Too many wrong codes; ask for a new one');
    throw new GatehouseError('RECOVERY_CODE_INVALID', undefined, {
      extra: { attemptsLeft: x.opts.maxWrongAnswers - wrong },
    });
  }
  const a = await x.tx(async (tx) => {
    await q.updateChannel(tx, ch.id, {
      verified_at: t,
      code_hash: null,
      code_expires_at: null,
      wrong_answers: 0,
    });
    return announce(x, tx, accountId, {
      factor: ch.kind,
      action: 'verified',
      detail: { channel: ch.id, kind: ch.kind, masked: maskAddress(ch.kind, ch.address) },
      session: by.session ?? null,
      type: 'recovery.channel.verified',
    });
  });
  // the channel just proved is not one of the "existing" channels the change is announced to
  await alertChange(x, accountId, a, ch.id);
  return channelView((await q.channel(x.db, accountId, ch.id))!, x.opts.factorCoolingOffMs);
}

/** Removes a channel: it keeps counting (and hearing alerts) until the removal is past its cooling-off. */
export async function removeChannel(x: RecoveryContext, accountId: string, channelId: string, by: By = {}) {
  const ch = await q.channel(x.db, accountId, channelId);
  if (!ch || ch.reverted_at !== null || ch.removed_at !== null)
    throw new GatehouseError('RECOVERY_CHANNEL_NOT_FOUND');
  const a = await x.tx(async (tx) => {
    await q.updateChannel(tx, ch.id, { removed_at: x.now() });
    return announce(x, tx, accountId, {
      factor: ch.kind,
      action: 'removed',
      detail: { channel: ch.id, kind: ch.kind, masked: maskAddress(ch.kind, ch.address) },
      session: by.session ?? null,
      type: 'recovery.channel.removed',
    });
  });
  await alertChange(x, accountId, a);
}

/** Recent changes to how the account is recovered (the last 30 days), for the owner's sessions. */
export async function changes(x: RecoveryContext, accountId: string) {
  return (await q.changes(x.db, accountId, x.now() - 30 * 86_400_000)).map((c) => ({
    id: c.id,
    factor: c.factor,
    action: c.action,
    at: c.at,
    usableFrom: c.usable_from,
    bySession: c.session_id,
    disputedAt: c.disputed_at,
  }));
}

/**
 * "This wasn't me" about a factor change: the account is contained at once (frozen as a containment,
 * every session ended), with the compromise starting where the changing session began. The change, being
 * inside that window, never counts for the appeal and is undone when the owner takes the account back.
 */
async function contain(x: RecoveryContext, change: RecoveryFactorChangesTable, actor: string): Promise<void> {
  const t = x.now();
  const session = change.session_id
    ? await x.identity.session(change.account_id, change.session_id)
    : undefined;
  const since = Math.min(session?.createdAt ?? change.at, change.at);
  await x.identity.freeze(
    change.account_id,
    `owner: "this wasn't me" about a recovery change (${change.factor})`,
    actor,
    {
      kind: 'containment',
      since,
      also: async (tx, changed) => {
        await q.disputeChange(tx, change.id, t);
        await x.emit(tx, 'recovery.change.disputed', change.account_id, { change: change.id, since }, actor);
        if (changed)
          await x.deps.enqueueWebhook?.(tx, {
            type: 'account.frozen',
            account: change.account_id,
            payload: {
              account: change.account_id,
              reason: 'the owner reported a change to the account recovery settings they did not make',
              kind: 'containment',
              by: 'owner',
              reasons: [{ signal: 'owner_denied', ...explainSignal({ name: 'owner_denied', value: 1 }) }],
              decision: null,
              notice: {
                en: 'You told us a change to your account was not you: the account is locked and every device signed out. Open an appeal to take it back.',
                zh: '您报告了一项不是您本人的账号变更：账号已锁定，所有设备均已退出。请发起申诉以找回账号。',
              },
            },
          });
      },
    },
  );
  x.deps.onCommit?.();
}

/** "This wasn't me" from a signed-in session of the account. */
export async function notMeFromSession(x: RecoveryContext, auth: Authenticated, changeId: string) {
  const ch = await q.change(x.db, changeId);
  if (!ch || ch.account_id !== auth.account.id) throw new GatehouseError('RECOVERY_CHANGE_NOT_FOUND');
  await contain(x, ch, accountActor(auth.account.id));
  return { contained: true };
}

/** "This wasn't me" from an alert's link: about a factor change (contains), or a friend-verified appeal (stops it). */
export async function notMeByToken(x: RecoveryContext, token: string) {
  if (!/^ghx_[A-Za-z0-9_-]{43}$/.test(token)) throw new GatehouseError('RECOVERY_CHANGE_NOT_FOUND');
  const ch = await q.changeByToken(x.db, hashToken(token));
  if (ch) {
    await contain(x, ch, accountActor(ch.account_id));
    return { contained: true, appealStopped: false };
  }
  if (await denyByToken(x, token)) return { contained: false, appealStopped: true };
  throw new GatehouseError('RECOVERY_CHANGE_NOT_FOUND');
}

/**
 * Step-up with a recovery code: proves more than the session (the code must count now, so a code made
 * by whoever holds the session today does not). Spends the code.
 */
export async function stepUpWithCode(
  x: RecoveryContext,
  codes: RecoveryCodeVerifier,
  auth: Authenticated,
  code: string,
  ctx: RequestContext,
): Promise<{ steppedUpAt: number }> {
  const accountId = auth.account.id;
  await x.limit([
    { key: `recovery|stepup|account|${accountId}`, limit: x.opts.maxWrongAnswers },
    { key: `recovery|attempt|network|${networkOf(ctx.ip)}`, limit: x.opts.attemptsPerIp },
  ]);
  const t = x.now();
  await x.tx(async (tx) => {
    if (!(await codes.consume(tx, accountId, code, x.scopeNow(accountId), null)))
      throw new GatehouseError(
        'RECOVERY_CODE_INVALID',
        'The recovery code is wrong, used, or too new to count',
      );
    await x.identity.markStepUp(accountId, auth.session.id, 'recovery_code', tx);
  });
  await x.counters.clear([`recovery|stepup|account|${accountId}`]);
  return { steppedUpAt: t };
}
