import type { IdentityEvent, SignInMethod } from '@gatehouse/sdk';
import { appendAuditInTx } from '../audit/index.ts';
import { newEventId, outboxStore } from '../bus/index.ts';
import { hashToken, newId, newToken, safeEqual } from '../crypto/index.ts';
import { GatehouseError } from '../errors/index.ts';
import { RateLimiter } from '../ratelimit/index.ts';
import type { Db, Tx } from '../store/db.ts';
import { parseDevice } from './device.ts';
import { checkPasswordStrength, PasswordHasher, type Argon2Params } from './passwords.ts';
import type { AccountsTable, SessionsTable } from './schema.ts';
import { identityStore as q } from './store.ts';

export interface IdentityOptions {
  argon2: Argon2Params;
  sessionTtlMs: number;
  sessionIdleMs: number;
  loginMaxFailuresPerAccount: number;
  loginMaxFailuresPerIp: number;
  loginWindowMs: number;
  signupMaxPerIp: number;
  /** Called after a transaction that wrote outbox events has committed. */
  onCommit?: () => void;
  now?: () => number;
}

export interface RequestContext {
  ip: string;
  userAgent: string;
}

export interface AccountView {
  id: string;
  handle: string;
  displayName: string;
  state: AccountsTable['state'];
  stateReason: string | null;
  createdAt: number;
}

export interface SessionView {
  id: string;
  method: string;
  device: ReturnType<typeof parseDevice>;
  ip: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  current: boolean;
}

export interface Authenticated {
  account: { id: string; handle: string; state: AccountsTable['state'] };
  session: SessionsTable;
}

const HANDLE_RE = /^[\p{L}\p{N}_.-]{3,32}$/u;
const TOUCH_EVERY_MS = 60_000;

export function handleKey(handle: string): string {
  return handle.normalize('NFKC').toLowerCase();
}

function accountView(a: AccountsTable): AccountView {
  return {
    id: a.id,
    handle: a.handle,
    displayName: a.display_name,
    state: a.state,
    stateReason: a.state_reason,
    createdAt: a.created_at,
  };
}

export function sessionView(s: SessionsTable, currentId?: string): SessionView {
  return {
    id: s.id,
    method: s.method,
    device: JSON.parse(s.device) as SessionView['device'],
    ip: s.ip,
    createdAt: s.created_at,
    lastSeenAt: s.last_seen_at,
    expiresAt: s.expires_at,
    current: s.id === currentId,
  };
}

type EventInput = IdentityEvent extends infer E
  ? E extends IdentityEvent
    ? Omit<E, 'id' | 'time'>
    : never
  : never;

/**
 * The identity core: accounts, passwords, sessions and sign-in history. Every state change writes its
 * identity event to the outbox in the same transaction.
 */
export class IdentityService {
  readonly hasher: PasswordHasher;
  private readonly db: Db;
  private readonly opts: IdentityOptions;
  private readonly now: () => number;
  readonly failuresByAccount: RateLimiter;
  readonly failuresByIp: RateLimiter;
  readonly signupsByIp: RateLimiter;

  constructor(db: Db, opts: IdentityOptions) {
    this.db = db;
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    this.hasher = new PasswordHasher(opts.argon2);
    this.failuresByAccount = new RateLimiter({
      limit: opts.loginMaxFailuresPerAccount,
      windowMs: opts.loginWindowMs,
      now: this.now,
    });
    this.failuresByIp = new RateLimiter({
      limit: opts.loginMaxFailuresPerIp,
      windowMs: opts.loginWindowMs,
      now: this.now,
    });
    this.signupsByIp = new RateLimiter({ limit: opts.signupMaxPerIp, windowMs: 3_600_000, now: this.now });
  }

  /** Runs a state change and its events in one transaction; the events carry `t`, the change's own time. */
  private async tx<T>(fn: (tx: Tx, emit: (e: EventInput) => void) => Promise<T>, t = this.now()): Promise<T> {
    const events: IdentityEvent[] = [];
    const result = await this.db.transaction().execute(async (tx) => {
      const r = await fn(tx, (e) => events.push({ ...e, id: newEventId(), time: t } as IdentityEvent));
      await outboxStore.append(tx, events);
      return r;
    });
    if (events.length) this.opts.onCommit?.();
    return result;
  }

  async createAccount(
    input: { handle: string; displayName?: string; password: string },
    ctx: RequestContext,
  ): Promise<AccountView> {
    const handle = input.handle.normalize('NFKC');
    if (!HANDLE_RE.test(handle)) {
      throw new GatehouseError('VALIDATION_FAILED', 'handle must be 3-32 letters, digits, "_", "." or "-"', {
        extra: { field: 'handle', zh: '用户名须为 3-32 个字母、数字、"_"、"." 或 "-"' },
      });
    }
    const limit = this.signupsByIp.hit(ctx.ip);
    if (!limit.allowed) throw rateLimited(limit.retryAfterSeconds);
    checkPasswordStrength(input.password, handle);
    const passwordHash = await this.hasher.hash(input.password);
    const t = this.now();
    const account: AccountsTable = {
      id: newId('acc'),
      handle,
      handle_key: handleKey(handle),
      display_name: (input.displayName ?? handle).normalize('NFC').trim() || handle,
      password_hash: passwordHash,
      state: 'active',
      state_reason: null,
      created_at: t,
      updated_at: t,
    };
    try {
      await this.tx(async (tx, emit) => {
        await q.insertAccount(tx, account);
        emit({ type: 'account.created', account: account.id, handle, displayName: account.display_name });
      });
    } catch (e) {
      if (/unique|duplicate/i.test(String((e as Error).message))) throw new GatehouseError('HANDLE_TAKEN');
      throw e;
    }
    return accountView(account);
  }

  /**
   * Password sign-in. Unknown handles cost the same Argon2id verification as wrong passwords. Failures
   * count per account and per IP; past the limit the answer is RATE_LIMITED with Retry-After.
   */
  async signIn(
    input: { handle: string; password: string },
    ctx: RequestContext,
  ): Promise<{ token: string; session: SessionView; account: AccountView; rehashed: boolean }> {
    const key = handleKey(input.handle);
    const device = parseDevice(ctx.userAgent);
    const byAcc = this.failuresByAccount.check(key);
    const byIp = this.failuresByIp.check(ctx.ip);
    const account = await q.accountByHandleKey(this.db, key);
    if (!byAcc.allowed || !byIp.allowed) {
      const retry = Math.max(
        byAcc.allowed ? 0 : byAcc.retryAfterSeconds,
        byIp.allowed ? 0 : byIp.retryAfterSeconds,
      );
      await this.recordFailure(account, key, 'rate_limited', ctx, device);
      throw rateLimited(retry);
    }
    const ok = account
      ? await this.hasher.verify(account.password_hash, input.password)
      : await this.hasher.verifyDummy(input.password);
    if (!account || !ok) {
      this.failuresByAccount.hit(key);
      this.failuresByIp.hit(ctx.ip);
      await this.recordFailure(account, key, account ? 'wrong_password' : 'unknown_account', ctx, device);
      throw new GatehouseError('INVALID_CREDENTIALS');
    }
    if (account.state !== 'active') {
      await this.recordFailure(account, key, account.state === 'frozen' ? 'frozen' : 'deleted', ctx, device);
      throw new GatehouseError(account.state === 'frozen' ? 'ACCOUNT_FROZEN' : 'ACCOUNT_DELETED');
    }
    this.failuresByAccount.reset(key);
    let rehashed = false;
    if (this.hasher.needsRehash(account.password_hash)) {
      await q.setPasswordHash(this.db, account.id, await this.hasher.hash(input.password), this.now());
      rehashed = true;
    }
    const { token, session } = await this.startSession(account, 'password', ctx);
    return { token, session: sessionView(session, session.id), account: accountView(account), rehashed };
  }

  /** Creates a session for an account that has proven itself (password here; QR, passkey… later). */
  async startSession(
    account: AccountsTable,
    method: SignInMethod,
    ctx: RequestContext,
  ): Promise<{ token: string; session: SessionsTable }> {
    const t = this.now();
    const device = parseDevice(ctx.userAgent);
    const token = newToken('ghs');
    const session: SessionsTable = {
      id: newId('ses'),
      account_id: account.id,
      token_hash: hashToken(token),
      method,
      user_agent: ctx.userAgent.slice(0, 512),
      device: JSON.stringify(device),
      ip: ctx.ip,
      created_at: t,
      last_seen_at: t,
      expires_at: t + this.opts.sessionTtlMs,
      revoked_at: null,
      revoked_reason: null,
    };
    await this.tx(async (tx, emit) => {
      await q.insertSession(tx, session);
      await q.insertSignin(tx, {
        account_id: account.id,
        handle: account.handle,
        success: 1,
        reason: 'ok',
        method,
        ip: ctx.ip,
        user_agent: session.user_agent,
        device: session.device,
        session_id: session.id,
        at: t,
      });
      emit({
        type: 'login.succeeded',
        account: account.id,
        session: session.id,
        method,
        ip: ctx.ip,
        userAgent: session.user_agent,
        device,
      });
      emit({ type: 'session.created', account: account.id, session: session.id, method, ip: ctx.ip, device });
    }, t);
    return { token, session };
  }

  private async recordFailure(
    account: AccountsTable | undefined,
    key: string,
    reason: 'wrong_password' | 'unknown_account' | 'frozen' | 'deleted' | 'rate_limited',
    ctx: RequestContext,
    device: ReturnType<typeof parseDevice>,
  ): Promise<void> {
    await this.tx(async (tx, emit) => {
      await q.insertSignin(tx, {
        account_id: account?.id ?? null,
        handle: key.slice(0, 64),
        success: 0,
        reason,
        method: 'password',
        ip: ctx.ip,
        user_agent: ctx.userAgent.slice(0, 512),
        device: JSON.stringify(device),
        session_id: null,
        at: this.now(),
      });
      if (account)
        emit({
          type: 'login.failed',
          account: account.id,
          reason,
          ip: ctx.ip,
          userAgent: ctx.userAgent.slice(0, 512),
          device,
        });
    });
  }

  /** Resolves a session token to its live session and account, or throws SESSION_INVALID. */
  async authenticate(token: string): Promise<Authenticated> {
    if (!/^ghs_[A-Za-z0-9_-]{43}$/.test(token)) throw new GatehouseError('SESSION_INVALID');
    const h = hashToken(token);
    const row = await q.sessionByTokenHash(this.db, h);
    const t = this.now();
    if (
      !row ||
      !safeEqual(row.token_hash, h) ||
      row.revoked_at !== null ||
      row.expires_at <= t ||
      row.last_seen_at + this.opts.sessionIdleMs <= t
    ) {
      throw new GatehouseError('SESSION_INVALID');
    }
    if (row.account_state !== 'active')
      throw new GatehouseError(row.account_state === 'frozen' ? 'ACCOUNT_FROZEN' : 'SESSION_INVALID');
    if (t - row.last_seen_at >= TOUCH_EVERY_MS) await q.touchSession(this.db, row.id, t);
    const { account_state, handle, ...session } = row;
    return { account: { id: row.account_id, handle, state: account_state }, session };
  }

  /** The account with this handle (any state), or undefined. */
  async findByHandle(handle: string): Promise<AccountView | undefined> {
    const a = await q.accountByHandleKey(this.db, handleKey(handle));
    return a ? accountView(a) : undefined;
  }

  async getAccount(id: string): Promise<AccountView> {
    const a = await q.accountById(this.db, id);
    if (!a) throw new GatehouseError('ACCOUNT_NOT_FOUND');
    return accountView(a);
  }

  async listSessions(accountId: string, currentId?: string): Promise<SessionView[]> {
    return (await q.liveSessions(this.db, accountId, this.now())).map((s) => sessionView(s, currentId));
  }

  /**
   * Sessions of an account that are live now or were created in [from, to] (live or not), oldest first:
   * what an owner reviews after a compromise.
   */
  async sessionsForReview(
    accountId: string,
    from: number,
    to: number,
  ): Promise<Array<SessionView & { revokedAt: number | null; revokedReason: string | null }>> {
    const t = this.now();
    const byId = new Map<string, SessionsTable>();
    for (const s of await q.sessionsCreatedBetween(this.db, accountId, from, to)) byId.set(s.id, s);
    for (const s of await q.liveSessions(this.db, accountId, t)) byId.set(s.id, s);
    return [...byId.values()]
      .sort((a, b) => a.created_at - b.created_at)
      .map((s) => ({ ...sessionView(s), revokedAt: s.revoked_at, revokedReason: s.revoked_reason }));
  }

  private async revoke(
    accountId: string,
    ids: string[],
    reason: IdentityEventRevokeReason,
    actor?: string,
  ): Promise<string[]> {
    return this.tx(async (tx, emit) => {
      const t = this.now();
      const done = await q.revokeSessions(tx, ids, reason, t);
      for (const id of done) emit({ type: 'session.revoked', account: accountId, session: id, reason });
      if (actor && done.length)
        await appendAuditInTx(tx, {
          actor,
          action: 'session.revoke',
          subject: accountId,
          data: { sessions: done, reason },
          at: t,
        });
      return done;
    });
  }

  async revokeSession(
    accountId: string,
    sessionId: string,
    reason: IdentityEventRevokeReason = 'user',
    actor?: string,
  ): Promise<void> {
    const s = await q.sessionById(this.db, sessionId);
    if (!s || s.account_id !== accountId || s.revoked_at !== null)
      throw new GatehouseError('SESSION_NOT_FOUND');
    await this.revoke(accountId, [sessionId], reason, actor);
  }

  async revokeOthers(
    accountId: string,
    currentId: string,
    reason: IdentityEventRevokeReason = 'others',
  ): Promise<string[]> {
    const live = await q.liveSessions(this.db, accountId, this.now());
    return this.revoke(
      accountId,
      live.filter((s) => s.id !== currentId).map((s) => s.id),
      reason,
    );
  }

  async revokeAll(
    accountId: string,
    reason: IdentityEventRevokeReason = 'everywhere',
    actor?: string,
  ): Promise<string[]> {
    const live = await q.liveSessions(this.db, accountId, this.now());
    return this.revoke(
      accountId,
      live.map((s) => s.id),
      reason,
      actor,
    );
  }

  /** Changes the password (after checking the current one) and revokes every other session. */
  async changePassword(
    accountId: string,
    currentSessionId: string,
    current: string,
    next: string,
  ): Promise<{ revoked: number }> {
    const a = await q.accountById(this.db, accountId);
    if (!a) throw new GatehouseError('ACCOUNT_NOT_FOUND');
    const limit = this.failuresByAccount.check(a.handle_key);
    if (!limit.allowed) throw rateLimited(limit.retryAfterSeconds);
    if (!(await this.hasher.verify(a.password_hash, current))) {
      this.failuresByAccount.hit(a.handle_key);
      throw new GatehouseError('INVALID_CREDENTIALS', 'The current password is wrong');
    }
    checkPasswordStrength(next, a.handle);
    const hash = await this.hasher.hash(next);
    const t = this.now();
    const revoked = await this.tx(async (tx, emit) => {
      await q.setPasswordHash(tx, accountId, hash, t);
      const others = (await q.liveSessions(tx, accountId, t))
        .filter((s) => s.id !== currentSessionId)
        .map((s) => s.id);
      const done = await q.revokeSessions(tx, others, 'password_changed', t);
      emit({ type: 'password.changed', account: accountId });
      for (const id of done)
        emit({ type: 'session.revoked', account: accountId, session: id, reason: 'password_changed' });
      return done.length;
    });
    return { revoked };
  }

  /**
   * Sets a new password without the current one, for an owner who proved themselves another way (account
   * recovery). Refuses weak passwords, `extraCheck`'s rejects (e.g. breached) and the password the account
   * had (the intruder knows it). Ends every live session. `also` runs inside the same transaction so the
   * caller's own record commits with the change.
   */
  async resetPassword(
    accountId: string,
    next: string,
    opts: { extraCheck?: (password: string) => void; also?: (tx: Tx) => Promise<void>; actor?: string } = {},
  ): Promise<{ revoked: number }> {
    const a = await q.accountById(this.db, accountId);
    if (!a) throw new GatehouseError('ACCOUNT_NOT_FOUND');
    if (a.state === 'deleted') throw new GatehouseError('ACCOUNT_DELETED');
    checkPasswordStrength(next, a.handle);
    opts.extraCheck?.(next);
    if (await this.hasher.verify(a.password_hash, next)) {
      const reasons = [
        { code: 'same_as_before', en: 'must differ from the previous password', zh: '不能与之前的密码相同' },
      ];
      throw new GatehouseError('WEAK_PASSWORD', reasons[0]!.en, { extra: { reasons } });
    }
    const hash = await this.hasher.hash(next);
    const t = this.now();
    const revoked = await this.tx(async (tx, emit) => {
      await q.setPasswordHash(tx, accountId, hash, t);
      const live = (await q.liveSessions(tx, accountId, t)).map((s) => s.id);
      const done = await q.revokeSessions(tx, live, 'password_changed', t);
      emit({ type: 'password.changed', account: accountId });
      for (const id of done)
        emit({ type: 'session.revoked', account: accountId, session: id, reason: 'password_changed' });
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

  async signins(accountId: string, limit = 50, before?: number) {
    const rows = await q.signins(this.db, accountId, Math.min(Math.max(limit, 1), 500), before);
    return rows.map((r) => ({
      seq: r.seq,
      success: r.success === 1,
      reason: r.reason,
      method: r.method,
      ip: r.ip,
      device: JSON.parse(r.device) as ReturnType<typeof parseDevice>,
      at: r.at,
    }));
  }

  /**
   * Freezes an account: it cannot sign in, and every live session ends. `actor` (who did it, for the
   * audit log: operatorActor(keyId), "system", …) defaults to "system".
   */
  async freeze(
    accountId: string,
    reason: string,
    actor?: string,
    also?: (tx: Tx, changed: boolean) => Promise<void>,
  ): Promise<AccountView> {
    return this.setState(accountId, 'frozen', reason, actor, also);
  }

  /** Unfreezes an account. `also` runs inside the same transaction (e.g. closing an appeal case). */
  async unfreeze(
    accountId: string,
    reason: string,
    actor?: string,
    also?: (tx: Tx, changed: boolean) => Promise<void>,
  ): Promise<AccountView> {
    return this.setState(accountId, 'active', reason, actor, also);
  }

  async deleteAccount(accountId: string, actor?: string): Promise<AccountView> {
    return this.setState(accountId, 'deleted', 'deleted', actor);
  }

  private async setState(
    accountId: string,
    state: AccountsTable['state'],
    reason: string,
    actor = 'system',
    also?: (tx: Tx, changed: boolean) => Promise<void>,
  ): Promise<AccountView> {
    const t = this.now();
    await this.tx(async (tx, emit) => {
      const a = await q.accountById(tx, accountId);
      if (!a) throw new GatehouseError('ACCOUNT_NOT_FOUND');
      if (a.state === 'deleted') throw new GatehouseError('ACCOUNT_DELETED');
      if (a.state === state) {
        await also?.(tx, false);
        return;
      }
      await q.setState(tx, accountId, state, state === 'active' ? null : reason, t);
      if (state === 'frozen' || state === 'deleted') {
        const ids = (await q.liveSessions(tx, accountId, t)).map((s) => s.id);
        const why = state === 'frozen' ? 'frozen' : 'deleted';
        for (const id of await q.revokeSessions(tx, ids, why, t))
          emit({ type: 'session.revoked', account: accountId, session: id, reason: why });
      }
      if (state === 'frozen') emit({ type: 'account.frozen', account: accountId, reason });
      else if (state === 'active') emit({ type: 'account.unfrozen', account: accountId, reason });
      else emit({ type: 'account.deleted', account: accountId });
      const action = state === 'frozen' ? 'freeze' : state === 'active' ? 'unfreeze' : 'delete';
      await appendAuditInTx(tx, {
        actor,
        action: `account.${action}`,
        subject: accountId,
        data: { reason },
        at: t,
      });
      await also?.(tx, true);
    });
    return this.getAccount(accountId);
  }
}

type IdentityEventRevokeReason = Extract<IdentityEvent, { type: 'session.revoked' }>['reason'];

function rateLimited(retryAfterSeconds: number): GatehouseError {
  return new GatehouseError('RATE_LIMITED', `Too many attempts; retry in ${retryAfterSeconds} s`, {
    headers: { 'retry-after': String(retryAfterSeconds) },
    extra: { retryAfterSeconds },
  });
}
