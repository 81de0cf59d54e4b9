import { hashToken, newId, newToken } from '../crypto/index.ts';
import { GatehouseError } from '../errors/index.ts';
import { networkOf, type RequestContext } from '../identity/index.ts';
import type { Tx } from '../store/db.ts';
import { codeMatches } from './codes.ts';
import {
  accountActor,
  APPELLANT,
  keyActor,
  locked,
  wrongState,
  type CaseView,
  type RecoveryContext,
} from './context.ts';
import type { RecoveryCasesTable } from './schema.ts';
import { recoveryStore as q } from './store.ts';
import type {
  Answer,
  CheckResult,
  StartOptions,
  Verifier,
  VerifierKind,
  VerifierRegistry,
} from './verifiers.ts';
import type { TrustedFriendsVerifier } from './verifiers.ts';

/**
 * Verification: starting a method, answering it, friends confirming, an operator approving. Every
 * answer is counted before it is checked (per account and per network, in the database) and is judged
 * inside a transaction that holds the case's row, so a concurrent burst of wrong answers never judges
 * more than `maxWrongAnswers` before the case locks. Confirmation by trusted friends alone goes on only
 * after `friendDelayMs`, with the owner's channels alerted, unless another method verifies too.
 */

export interface Verification {
  registry: VerifierRegistry;
  friends: TrustedFriendsVerifier;
}

/** Where an appeal comes from, as a trusted friend is shown it. */
export interface Origin {
  network: string;
  /** Gatehouse ships no address-to-country data: null unless a deployment adds it. */
  country: string | null;
  device: string;
}

export const FRIEND_WARNING = {
  en: 'Only confirm if your friend asked you in person or on a phone call you made yourself. If a chat message asked you for this code, the account is probably in a criminal’s hands: do not confirm.',
  zh: '只有在好友当面或通过您主动拨打的电话请求时才确认。如果是聊天消息向您索要这个验证码，这个账号很可能已被不法分子控制：请不要确认。',
};

export function originOf(c: Pick<RecoveryCasesTable, 'ip' | 'device'>): Origin {
  return { network: networkOf(c.ip), country: null, device: c.device || 'unknown device' };
}

/** A verified case waiting out the friend delay may still be verified another way. */
function waiting(c: RecoveryCasesTable, now: number): boolean {
  return c.state === 'verified' && c.ready_at !== null && c.ready_at > now;
}

export async function startVerification(
  x: RecoveryContext,
  v: Verification,
  c: RecoveryCasesTable,
  kind: VerifierKind,
  opts: StartOptions,
  ctx: RequestContext,
) {
  const t = x.now();
  if (!waiting(c, t)) x.requireState(c, ['opened', 'verifying']);
  if (c.locked_until !== null && c.locked_until > t) throw locked(c.locked_until, t);
  const verifier = v.registry.get(kind);
  if (
    !verifier ||
    (waiting(c, t) && kind === 'trusted_friends') ||
    !(await verifier.available(c.account_id, x.scope(c)))
  )
    throw new GatehouseError('RECOVERY_METHOD_UNAVAILABLE', `${kind} is not available for this account`, {
      extra: { method: kind },
    });
  await x.limit([{ key: `recovery|attempt|network|${networkOf(ctx.ip)}`, limit: x.opts.attemptsPerIp }]);
  const sends = x.sends.hit(`${c.id}|${kind}`);
  if (!sends.allowed)
    throw new GatehouseError('RATE_LIMITED', undefined, {
      headers: { 'retry-after': String(sends.retryAfterSeconds) },
      extra: { retryAfterSeconds: sends.retryAfterSeconds },
    });
  const account = await x.identity.getAccount(c.account_id);
  const r = await verifier.start(x.ref(c, account.handle), opts);
  const from = waiting(c, t) ? (['verified'] as const) : (['opened', 'verifying'] as const);
  await x.tx(async (tx) => {
    await q.retireChallenges(tx, c.id, kind, t);
    await q.insertChallenges(
      tx,
      (r.challenges ?? []).map((ch) => ({
        id: newId('chl'),
        case_id: c.id,
        kind,
        target: ch.target,
        code_hash: ch.codeHash,
        created_at: t,
        expires_at: ch.expiresAt,
        consumed_at: null,
      })),
    );
    const patch = {
      method: kind,
      updated_at: t,
      // a started appeal lives the whole case TTL from its opening
      ...(c.state === 'opened' ? { expires_at: c.created_at + x.opts.caseTtlMs } : {}),
      ...(from[0] === 'verified' ? {} : { state: 'verifying' as const }),
    };
    if (!(await q.transition(tx, c.id, from, patch))) throw wrongState((await q.caseById(tx, c.id))!, from);
    await x.record(tx, c, APPELLANT, 'verifying', {
      method: kind,
      ip: ctx.ip,
      ...(r.sentTo ? { sentTo: r.sentTo, delivery: r.delivery } : {}),
      ...(r.friendCodes ? { friends: r.friendCodes.map((f) => f.friend), needed: r.needed } : {}),
    });
  });
  if (r.afterCommit) {
    try {
      await r.afterCommit();
    } catch (err) {
      x.deps.log?.error({ err, case: c.id }, 'sending the appeal code failed');
      throw new GatehouseError('RECOVERY_SENDER_UNAVAILABLE', 'The code could not be sent; try again later');
    }
  }
  const { afterCommit: _a, challenges: _c, ...rest } = r;
  return { case: await x.view(await x.mustCase(c.id), false), ...rest };
}

/** The owner answers the current challenge (recovery code, emailed or texted code, TOTP code, passkey). */
export async function answer(
  x: RecoveryContext,
  v: Verification,
  c: RecoveryCasesTable,
  ans: Pick<Answer, 'code' | 'credential'>,
  ctx: RequestContext,
) {
  if (!waiting(c, x.now())) x.requireState(c, ['verifying']);
  if (!c.method || c.method === 'trusted_friends')
    throw new GatehouseError(
      'RECOVERY_METHOD_UNAVAILABLE',
      'Trusted friends confirm through their own signed-in sessions, not here',
    );
  const verifier = v.registry.get(c.method as VerifierKind);
  if (!verifier) throw new GatehouseError('RECOVERY_METHOD_UNAVAILABLE');
  const r = await attempt(x, c, verifier, ans, APPELLANT, ctx);
  return { case: await x.view(await x.mustCase(c.id), false), outcome: r.outcome };
}

/**
 * One verification attempt with every limit: the case's lockout (persistent), then attempts per account
 * and per network (counted before the check). The case's row is held for the whole judgement, so
 * concurrent answers are judged one after another against the same count of wrong answers.
 */
export async function attempt(
  x: RecoveryContext,
  c0: RecoveryCasesTable,
  verifier: Verifier,
  ans: Answer,
  actor: string,
  ctx: RequestContext,
): Promise<CheckResult> {
  const t = x.now();
  if (c0.locked_until !== null && c0.locked_until > t) throw locked(c0.locked_until, t);
  await x.limit([
    { key: `recovery|attempt|account|${c0.account_id}`, limit: x.opts.attemptsPerAccount },
    { key: `recovery|attempt|network|${networkOf(ctx.ip)}`, limit: x.opts.attemptsPerIp },
  ]);
  const account = await x.identity.getAccount(c0.account_id);
  let lockedUntil: number | undefined;
  let attemptsLeft = 0;
  let alert = false;
  const result = await x.tx(async (tx) => {
    const c = (await q.caseForUpdate(tx, c0.id))!;
    if (c.state !== 'verifying' && !waiting(c, t)) throw wrongState(c, ['verifying']);
    if (c.locked_until !== null && c.locked_until > t) {
      lockedUntil = c.locked_until;
      return { outcome: 'wrong' } as CheckResult;
    }
    const r = await verifier.check(tx, x.ref(c, account.handle), ans);
    const who = ans.friend ? { friend: ans.friend } : {};
    if (r.outcome === 'verified')
      alert = await verified(x, tx, c, verifier.kind, actor, { ip: ctx.ip, ...who });
    else if (r.outcome === 'pending') {
      await x.record(tx, c, actor, 'friend_confirmed', {
        confirmed: r.confirmed,
        needed: r.needed,
        ip: ctx.ip,
        ...who,
      });
      alert = true;
    } else if (r.outcome === 'wrong') {
      const wrong = c.wrong_answers + 1;
      if (wrong >= x.opts.maxWrongAnswers) {
        lockedUntil = t + x.opts.lockoutMs;
        await q.updateCase(tx, c.id, { wrong_answers: 0, locked_until: lockedUntil, updated_at: t });
        await x.record(tx, c, actor, 'answer_wrong', { method: verifier.kind, ip: ctx.ip, ...who });
        await x.record(tx, c, 'system', 'locked', { until: lockedUntil, wrongAnswers: wrong });
      } else {
        attemptsLeft = x.opts.maxWrongAnswers - wrong;
        await q.updateCase(tx, c.id, { wrong_answers: wrong, updated_at: t });
        await x.record(tx, c, actor, 'answer_wrong', {
          method: verifier.kind,
          ip: ctx.ip,
          attemptsLeft,
          ...who,
        });
      }
    } else await x.record(tx, c, actor, 'answer_expired', { method: verifier.kind, ip: ctx.ip, ...who });
    return r;
  });
  if (alert) await alertFriendConfirmation(x, c0.id);
  if (lockedUntil !== undefined) throw locked(lockedUntil, t);
  if (result.outcome === 'wrong')
    throw new GatehouseError('RECOVERY_CODE_INVALID', `The code is wrong; ${attemptsLeft} attempts left`, {
      extra: { attemptsLeft },
    });
  if (result.outcome === 'expired') throw new GatehouseError('RECOVERY_CODE_EXPIRED');
  if (result.outcome === 'verified') await x.counters.clear([`recovery|attempt|account|${c0.account_id}`]);
  return result;
}

/**
 * Marks a case verified by one more method. Friends alone: the case waits `friendDelayMs` (and the
 * owner's channels are alerted, returns true); any other method ends a wait.
 */
async function verified(
  x: RecoveryContext,
  tx: Tx,
  c: RecoveryCasesTable,
  kind: string,
  actor: string,
  details: Record<string, unknown>,
): Promise<boolean> {
  const t = x.now();
  const methods = [...new Set([...(JSON.parse(c.verified_methods) as string[]), kind])];
  const friendsOnly = methods.every((m) => m === 'trusted_friends');
  const readyAt = friendsOnly && x.opts.friendDelayMs > 0 ? t + x.opts.friendDelayMs : null;
  await q.updateCase(tx, c.id, {
    state: 'verified',
    verified_at: c.verified_at ?? t,
    verified_by: methods.join('+'),
    verified_methods: JSON.stringify(methods),
    ready_at: readyAt,
    wrong_answers: 0,
    updated_at: t,
  });
  await x.record(tx, c, actor, 'verified', { method: kind, ...details, ...(readyAt ? { readyAt } : {}) });
  return readyAt !== null;
}

/**
 * Tells the owner, on every verified channel, that friends confirmed an appeal, from where, with a
 * one-time token that stops it (`POST /v1/recovery/not-me`).
 */
async function alertFriendConfirmation(x: RecoveryContext, caseId: string): Promise<void> {
  const c = await x.mustCase(caseId);
  const o = originOf(c);
  const stop = newToken('ghx');
  await q.updateCase(x.db, c.id, { deny_token_hash: hashToken(stop) });
  const when = c.ready_at ? new Date(c.ready_at).toISOString() : null;
  const text = {
    en: `Trusted friends confirmed an appeal to take over your account, made from network ${o.network} on ${o.device}.${when ? ` It can go on from ${when}.` : ''} If this is not you, stop it now with this message's link, and open your own appeal.`,
    zh: `有好友确认了一项找回您账号的申诉，申诉来自网络 ${o.network}，设备 ${o.device}。${when ? `它可在 ${when} 后继续。` : ''}如果不是您本人，请立即用本消息中的链接阻止它，并自行发起申诉。`,
  };
  const sent = await x.alert(c.account_id, text, stop);
  await x.tx((tx) => x.record(tx, c, 'system', 'owner_alerted', { about: 'friend_confirmation', ...sent }));
}

/** A trusted friend, signed in to their own account, confirms the owner's appeal with the code. */
export async function vouch(
  x: RecoveryContext,
  v: Verification,
  friendId: string,
  ownerHandle: string,
  code: string,
  ctx: RequestContext,
) {
  const net = `recovery|attempt|network|${networkOf(ctx.ip)}`;
  const owner = await x.identity.findByHandle(ownerHandle);
  const t = x.now();
  const challenges = owner ? await q.friendChallenges(x.db, owner.id, friendId, t) : [];
  if (!owner || challenges.length === 0) {
    await x.limit([{ key: net, limit: x.opts.attemptsPerIp }]);
    throw new GatehouseError('RECOVERY_FRIEND_NOT_TRUSTED');
  }
  const hit = challenges.find((ch) => codeMatches(`${ch.case_id}|${friendId}`, code, ch.code_hash));
  const caseId = (hit ?? challenges[challenges.length - 1]!).case_id;
  const c = await x.mustCase(caseId);
  const r = await attempt(x, c, v.friends, { code, friend: friendId }, accountActor(friendId), ctx);
  const progress = await v.friends.progress(x.db, caseId);
  return {
    owner: owner.handle,
    verified: r.outcome === 'verified',
    ...progress,
    origin: originOf(c),
    warning: FRIEND_WARNING,
  };
}

/** Appeals a signed-in user is asked to confirm as a trusted friend, with where each comes from. */
export async function vouchRequests(x: RecoveryContext, friendId: string) {
  const rows = await q.pendingVouches(x.db, friendId, x.now());
  const out = [];
  for (const r of rows) {
    const c = await x.mustCase(r.case_id);
    out.push({
      owner: r.owner_handle,
      openedAt: r.opened_at,
      expiresAt: r.expires_at,
      origin: originOf(c),
      warning: FRIEND_WARNING,
    });
  }
  return out;
}

/** An operator approves a manual verification (documents checked by support, for example). */
export async function approveManual(
  x: RecoveryContext,
  caseId: string,
  keyId: string,
  note: string,
): Promise<CaseView> {
  const c = await x.mustCase(caseId);
  if (!waiting(c, x.now())) x.requireState(c, ['opened', 'verifying']);
  await x.tx(async (tx) => {
    const cur = (await q.caseForUpdate(tx, c.id))!;
    if (!(['opened', 'verifying'] as const).includes(cur.state as 'opened') && !waiting(cur, x.now()))
      throw wrongState(cur, ['opened', 'verifying']);
    await q.updateCase(tx, c.id, { method: cur.method ?? 'manual', locked_until: null });
    await verified(x, tx, { ...cur, method: cur.method ?? 'manual' }, 'manual', keyActor(keyId), { note });
  });
  return x.view(await x.mustCase(c.id));
}

/** The owner stops a friend-verified appeal with the token an alert carried. */
export async function denyByToken(x: RecoveryContext, token: string): Promise<boolean> {
  if (!/^ghx_[A-Za-z0-9_-]{43}$/.test(token)) return false;
  const c = await q.caseByDenyToken(x.db, hashToken(token));
  if (!c) return false;
  const t = x.now();
  await x.tx(async (tx) => {
    if (
      await q.transition(tx, c.id, ['opened', 'verifying', 'verified', 'pledged'], {
        state: 'rejected',
        reject_reason: 'stopped by the owner from an alert on a recovery channel',
        closed_at: t,
        updated_at: t,
        deny_token_hash: null,
      })
    )
      await x.record(tx, c, accountActor(c.account_id), 'rejected', {
        reason: 'stopped by the owner (alert link)',
      });
  });
  return true;
}
