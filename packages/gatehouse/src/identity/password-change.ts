import { appendAuditInTx } from '../audit/index.ts';
import { GatehouseError } from '../errors/index.ts';
import { rateLimited } from '../ratelimit/index.ts';
import type { Tx } from '../store/db.ts';
import type { RequestContext } from './core.ts';
import { announceRevoked, endableFrom, keptFields, type EndedOwn } from './revoke.ts';
import type { IdentityService } from './service.ts';
import { identityStore as q } from './store.ts';

const NOTICE = {
  owner: {
    en: 'The password of your account was changed, and your other devices were signed out. If this was not you, open an appeal at once.',
    zh: '您账号的密码已修改，其他设备已退出登录。如果不是您本人操作，请立即申诉。',
  },
  /** Changed from a session too new to sign out the older ones (`session-age.ts`): they stay signed in. */
  ownerKept: {
    en: 'The password of your account was changed from a device that signed in recently; your devices that were signed in before it stay signed in. If this was not you, use "this wasn\'t me" or open an appeal at once.',
    zh: '您账号的密码已在一台刚登录的设备上修改；在它之前登录的设备仍保持登录。如果不是您本人操作，请立即点击“这不是我”或申诉。',
  },
  recovery: {
    en: 'The password of your account was reset at the end of an appeal, and every device was signed out.',
    zh: '您账号的密码已在申诉完成时重置，所有设备均已退出登录。',
  },
};

/**
 * Changes the password after checking the current one (counted like a sign-in) and ends every other
 * session — but from a session too new to end older ones (`session-age.ts`), those stay signed in.
 */
export async function changePassword(
  id: IdentityService,
  p: {
    accountId: string;
    currentSessionId: string;
    current: string;
    next: string;
    ctx?: RequestContext | undefined;
  },
): Promise<EndedOwn> {
  const a = await q.accountById(id.db, p.accountId);
  if (!a) throw new GatehouseError('ACCOUNT_NOT_FOUND');
  const current = await q.sessionById(id.db, p.currentSessionId);
  if (current) id.probation.assertNot(current);
  const ip = p.ctx?.ip ?? (await q.sessionById(id.db, p.currentSessionId))?.ip ?? 'unknown';
  const ticket = await id.guard.reserve({ handleKey: a.handle_key, ip, accountId: a.id });
  if (!ticket.allowed) throw rateLimited(ticket.retryAfterSeconds);
  if (!(await id.hasher.verify(a.password_hash, p.current)))
    throw new GatehouseError('INVALID_CREDENTIALS', 'The current password is wrong');
  await id.guard.succeeded(ticket);
  id.checkNewPassword(p.next, a.handle, a.display_name);
  const hash = await id.hasher.hash(p.next);
  const t = id.now();
  const result = await id.tx(async (tx, out) => {
    await q.setPasswordHash(tx, p.accountId, hash, t);
    const live = (await q.liveSessions(tx, p.accountId, t)).filter((s) => s.id !== p.currentSessionId);
    const { end, kept, keptUntil } = current
      ? endableFrom(id, current, live)
      : { end: live, kept: [], keptUntil: null };
    const done = await q.revokeSessions(
      tx,
      end.map((s) => s.id),
      'password_changed',
      t,
    );
    out.emit({ type: 'password.changed', account: p.accountId });
    out.webhook('password.changed', {
      account: p.accountId,
      via: 'owner',
      sessionsRevoked: done.length,
      notice: kept.length ? NOTICE.ownerKept : NOTICE.owner,
    });
    announceRevoked(out, p.accountId, done, 'password_changed', false);
    out.noticed();
    await id.opts.onPasswordChangedTx?.(tx, {
      account: p.accountId,
      session: p.currentSessionId,
      via: 'settings',
      sessionsEnded: done.length,
      ...(kept.length ? { sessionsKept: kept.length } : {}),
      at: t,
    });
    return { revoked: done.length, ...keptFields(kept.length, keptUntil) };
  });
  return result;
}

/**
 * Sets a new password without the current one, for an owner who proved themselves another way (account
 * recovery). Refuses weak passwords and the password the account had (the intruder knows it). Ends every
 * live session. `also` runs inside the same transaction so the caller's own record commits with it.
 */
export async function resetPassword(
  id: IdentityService,
  accountId: string,
  next: string,
  opts: { also?: (tx: Tx) => Promise<void>; actor?: string },
): Promise<{ revoked: number }> {
  const a = await q.accountById(id.db, accountId);
  if (!a) throw new GatehouseError('ACCOUNT_NOT_FOUND');
  if (a.state === 'deleted') throw new GatehouseError('ACCOUNT_DELETED');
  id.checkNewPassword(next, a.handle, a.display_name);
  if (await id.hasher.verify(a.password_hash, next)) {
    const reasons = [
      { code: 'same_as_before', en: 'must differ from the previous password', zh: '不能与之前的密码相同' },
    ];
    throw new GatehouseError('WEAK_PASSWORD', reasons[0]!.en, { extra: { reasons } });
  }
  const hash = await id.hasher.hash(next);
  const t = id.now();
  const revoked = await id.tx(async (tx, out) => {
    await q.setPasswordHash(tx, accountId, hash, t);
    const live = (await q.liveSessions(tx, accountId, t)).map((s) => s.id);
    const done = await q.revokeSessions(tx, live, 'password_changed', t);
    out.emit({ type: 'password.changed', account: accountId, via: 'recovery' });
    out.webhook('password.changed', {
      account: accountId,
      via: 'recovery',
      sessionsRevoked: done.length,
      notice: NOTICE.recovery,
    });
    announceRevoked(out, accountId, done, 'password_changed', true);
    out.noticed();
    await id.opts.onPasswordChangedTx?.(tx, {
      account: accountId,
      via: 'recovery',
      sessionsEnded: done.length,
      at: t,
    });
    await appendAuditInTx(tx, {
      actor: opts.actor ?? 'system',
      action: 'account.password_reset',
      subject: accountId,
      data: { sessionsRevoked: done.length },
      at: t,
    });
    await opts.also?.(tx);
    return done.length;
  });
  return { revoked };
}
