import type { SignInMethod } from '@gatehouse/sdk';
import { hashToken, newId, newToken, safeEqual } from '../crypto/index.ts';
import { GatehouseError } from '../errors/index.ts';
import { AttemptCounters, rateLimited, RateLimiter, type CounterStore } from '../ratelimit/index.ts';
import type { Db, Tx } from '../store/db.ts';
import {
  inTx,
  type IdentityOptions,
  type RequestContext,
  type RevokeReason,
  type StateHook,
  type TxOut,
} from './core.ts';
import { parseDevice } from './device.ts';
import { recordSigninFailure, type FailureArgs } from './signin-failure.ts';
import { placeName } from './geo/geo.ts';
import { deviceIdOf, deviceKey, DEVICE_TOKEN_RE, SignInGuard, type Seen } from './limits.ts';
import { networkOf } from './network.ts';
import { DEFAULT_SIGNIN, type SigninOptions } from './mfa/options.ts';
import { askSecondFactorIfNeeded } from './mfa/second-factor.ts';
import { riskBeforeSession, riskDenied } from './risk/stuffing.ts';
import { bindingKeyOf, refreshRequired } from './binding/binding.ts';
import { Passkeys } from './passkeys/passkeys.ts';
import { confirmSession, Probation } from './qr/probation.ts';
import { engineDenied, engineVerdict } from './risk/engine.ts';
import { QrLogin } from './qr/qr.ts';
import { Totp } from './totp/totp.ts';
import { changePassword, resetPassword } from './password-change.ts';
import { checkPasswordStrength, DEFAULT_MIN_SCORE, PasswordHasher } from './passwords.ts';
import type { AccountsTable, SessionsTable } from './schema.ts';
import { setState, type FreezeOptions } from './state.ts';
import { identityStore as q } from './store.ts';
import {
  endOwnSession,
  endOwnSessions,
  deviceRunSessions,
  forgetSessionContexts,
  revokeSessions,
  sessionsForReview,
  type EndedOwn,
} from './revoke.ts';
import { assertMayConfirm, markStepUp, reauthenticate, requireReauth } from './trust.ts';

import { accountView, sessionView, type AccountView, type SessionView } from './views.ts';

export type { IdentityOptions, RequestContext } from './core.ts';
export { announceRevoked } from './revoke.ts';
export { accountView, sessionView, type AccountView, type SessionView } from './views.ts';

export interface Authenticated {
  account: { id: string; handle: string; state: AccountsTable['state'] };
  session: SessionsTable;
}

const HANDLE_RE = /^[\p{L}\p{N}_.-]{3,32}$/u;
const TOUCH_EVERY_MS = 60_000;

export function handleKey(handle: string): string {
  return handle.normalize('NFKC').toLowerCase();
}

/**
 * The identity core: accounts, passwords, sessions and sign-in history. Every state change writes its
 * identity event to the outbox, and its platform webhook, in the same transaction.
 */
export class IdentityService {
  readonly hasher: PasswordHasher;
  readonly db: Db;
  readonly opts: IdentityOptions;
  readonly now: () => number;
  readonly guard: SignInGuard;
  readonly signupsByIp: RateLimiter;
  readonly stateHooks: StateHook[] = [];
  readonly signinOpts: SigninOptions;
  /** Attempt counters of the second-factor, TOTP, passkey and QR endpoints. */
  readonly counters: CounterStore;
  readonly totp: Totp;
  readonly qr: QrLogin;
  readonly passkeys: Passkeys;
  readonly probation: Probation;

  constructor(db: Db, opts: IdentityOptions) {
    this.db = db;
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    this.hasher = new PasswordHasher(opts.argon2);
    this.counters = opts.counters ?? new AttemptCounters(db, this.now);
    this.guard = new SignInGuard(db, this.counters, {
      maxPerAccount: opts.loginMaxFailuresPerAccount,
      maxPerNetwork: opts.loginMaxFailuresPerIp,
      maxUnknownPerAccount: opts.loginMaxUnknownFailuresPerAccount ?? opts.loginMaxFailuresPerAccount * 4,
      windowMs: opts.loginWindowMs,
    });
    this.signupsByIp = new RateLimiter({ limit: opts.signupMaxPerIp, windowMs: 3_600_000, now: this.now });
    this.signinOpts = { ...DEFAULT_SIGNIN, ...opts.signin };
    this.totp = new Totp(this);
    this.qr = new QrLogin(this);
    this.passkeys = new Passkeys(this);
    this.probation = new Probation(db, this.now);
  }

  /**
   * Runs a state change with its events and webhooks in one transaction (events carry time `t`);
   * `reports: false` for a change that emits nothing the engine consumes (identity/core.ts inTx).
   */
  tx<T>(fn: (tx: Tx, out: TxOut) => Promise<T>, t = this.now(), reports = true): Promise<T> {
    return inTx(this.db, this.opts, fn, t, reports);
  }

  /** The strength rules (breached list and zxcvbn included) for a new password of this handle. */
  checkNewPassword(password: string, handle: string, displayName?: string): void {
    checkPasswordStrength(
      password,
      handle,
      this.opts.passwordMinScore ?? DEFAULT_MIN_SCORE,
      displayName && displayName !== handle ? [displayName] : [],
    );
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
    const displayName = (input.displayName ?? handle).normalize('NFC').trim() || handle;
    this.checkNewPassword(input.password, handle, displayName);
    const passwordHash = await this.hasher.hash(input.password);
    const t = this.now();
    const account: AccountsTable = {
      id: newId('acc'),
      handle,
      handle_key: handleKey(handle),
      display_name: displayName,
      password_hash: passwordHash,
      state: 'active',
      state_reason: null,
      created_at: t,
      updated_at: t,
      freeze_kind: null,
      frozen_at: null,
      freeze_since: null,
    };
    try {
      await this.tx(async (tx, out) => {
        await q.insertAccount(tx, account);
        out.emit({ type: 'account.created', account: account.id, handle, displayName: account.display_name });
      });
    } catch (e) {
      if (/unique|duplicate/i.test(String((e as Error).message))) throw new GatehouseError('HANDLE_TAKEN');
      throw e;
    }
    return accountView(account);
  }

  /**
   * Password sign-in. The attempt is counted before the password is checked (identity/limits.ts); past a
   * limit the answer is RATE_LIMITED with Retry-After and the password is not checked at all. Unknown
   * handles cost the same Argon2id verification as wrong passwords. A device token the client presents
   * (issued at an earlier sign-in) keeps its attempts apart; a sign-in without a known one gets a new one.
   */
  async signIn(
    input: {
      handle: string;
      password: string;
      deviceToken?: string | undefined;
      /** Binds the session to this P-256 public key (identity/binding). */
      bindingKey?: unknown;
    },
    ctx: RequestContext,
  ): Promise<{
    token: string;
    session: SessionView;
    account: AccountView;
    rehashed: boolean;
    deviceToken?: string;
  }> {
    const key = handleKey(input.handle);
    if (input.bindingKey !== undefined) bindingKeyOf(input.bindingKey);
    const device = parseDevice(ctx.userAgent);
    // the account, its known network and device and its second factors: one statement
    const read = await q.accountForSignIn(
      this.db,
      { handleKey: key },
      {
        network: networkOf(ctx.ip),
        deviceKey:
          input.deviceToken && DEVICE_TOKEN_RE.test(input.deviceToken)
            ? deviceKey(input.deviceToken)
            : undefined,
      },
    );
    const account = read?.account;
    const ticket = await this.guard.reserve({
      handleKey: key,
      ip: ctx.ip,
      deviceToken: input.deviceToken,
      accountId: account?.id,
      seen: read?.seen,
    });
    if (!ticket.allowed) {
      await this.recordFailure(account, key, 'rate_limited', ctx, device);
      throw rateLimited(ticket.retryAfterSeconds);
    }
    const ok = account
      ? await this.hasher.verify(account.password_hash, input.password)
      : await this.hasher.verifyDummy(input.password);
    if (!account || !ok) {
      await this.recordFailure(account, key, account ? 'wrong_password' : 'unknown_account', ctx, device);
      throw new GatehouseError('INVALID_CREDENTIALS');
    }
    // risk before the session: a right password from an unknown context amid credential stuffing
    if (!ticket.known.device && !ticket.known.network) {
      const risk = await riskBeforeSession(this, { accountId: account.id, handleKey: key, ip: ctx.ip });
      if (risk) {
        await this.recordFailure(account, key, 'risk_denied', ctx, device);
        throw riskDenied(risk);
      }
    }
    // the engine asked before the session on a new device (risk/engine.ts); a frozen account is told so below
    const f = read!.factors;
    const engine = await engineVerdict(this, account, ctx.ip, ticket.known.device, f.totp || f.passkeys > 0);
    if (engine?.deny) {
      await this.recordFailure(account, key, 'risk_denied', ctx, device);
      throw engineDenied(engine.signals);
    }
    // the counters are settled while the sign-in goes on (their commit shares the session's fsync)
    const settled = this.guard.succeeded(ticket);
    settled.catch(() => undefined);
    if (account.state !== 'active') {
      await this.recordFailure(account, key, account.state === 'frozen' ? 'frozen' : 'deleted', ctx, device);
      throw new GatehouseError(account.state === 'frozen' ? 'ACCOUNT_FROZEN' : 'ACCOUNT_DELETED');
    }
    let rehashed = false;
    if (this.hasher.needsRehash(account.password_hash)) {
      await q.setPasswordHash(this.db, account.id, await this.hasher.hash(input.password), this.now());
      rehashed = true;
    }
    const deviceToken = ticket.known.device ? input.deviceToken : newToken('ghd');
    // a second factor, when the account has one and this device or network is new to it
    await askSecondFactorIfNeeded(this, account, ctx, {
      deviceToken,
      newDevice: !ticket.known.device,
      read: { factors: read!.factors, knownNetwork: read!.seen.network !== undefined },
    });
    const { token, session } = await this.startSession(account, 'password', ctx, deviceToken, {
      ...(input.bindingKey !== undefined ? { bindingKey: input.bindingKey } : {}),
      ...(engine?.probation ? { probation: engine.probation } : {}),
      seen: ticket.seen,
    });
    if (engine?.probation) this.probation.note(session.id, engine.probation.until);
    await settled;
    return {
      token,
      session: sessionView(session, session.id),
      account: accountView(account),
      rehashed,
      ...(ticket.known.device ? {} : { deviceToken: deviceToken! }),
    };
  }

  /**
   * Creates a session for an account that has proven itself (password here; QR, passkey… later) and
   * remembers its network (and device token) as known to the account.
   */
  async startSession(
    account: AccountsTable,
    method: SignInMethod,
    ctx: RequestContext,
    deviceToken?: string,
    extra: {
      /** The second factor proved on the way in (the session counts as stepped up). */
      steppedUp?: string;
      /** A session on probation until then (a mismatched cross-device approval), and why. */
      probation?: { until: number; reason: string };
      /** A P-256 public JWK the session is bound to (refreshes need its signature: identity/binding). */
      bindingKey?: unknown;
      /** More work in the session's own transaction (its events, its records). */
      also?: (tx: Tx, out: TxOut, session: SessionsTable) => Promise<void>;
      /** When the account last signed in from this network and device, as the caller read it. */
      seen?: Seen;
    } = {},
  ): Promise<{ token: string; session: SessionsTable }> {
    const t = this.now();
    // the device is its long-lived device token (when it has one), the user-agent only its label
    const device = { ...parseDevice(ctx.userAgent), ...(deviceToken ? { id: deviceIdOf(deviceToken) } : {}) };
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
      reauth_at: null,
      step_up_at: extra.steppedUp ? t : null,
      probation_until: extra.probation?.until ?? null,
      probation_reason: extra.probation?.reason ?? null,
      binding_key: extra.bindingKey ? bindingKeyOf(extra.bindingKey) : null,
      bound_until: extra.bindingKey ? t + this.signinOpts.bindingRefreshMs : null,
      binding_challenge: null,
    };
    await this.tx(async (tx, out) => {
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
      // a session on probation teaches nothing: its network and device stay unknown to the account
      if (!extra.probation) await this.guard.remember(tx, account.id, ctx.ip, deviceToken, t, extra.seen);
      out.emit({
        type: 'login.succeeded',
        account: account.id,
        session: session.id,
        method,
        ip: ctx.ip,
        userAgent: session.user_agent,
        device,
      });
      out.emit({
        type: 'session.created',
        account: account.id,
        session: session.id,
        method,
        ip: ctx.ip,
        device,
      });
      const noticed = await this.opts.onSessionStartedTx?.(tx, {
        account: account.id,
        session: session.id,
        method,
        ip: ctx.ip,
        device,
        at: t,
      });
      if (noticed) out.noticed();
      await extra.also?.(tx, out, session);
    }, t);
    return { token, session };
  }

  /** A refused sign-in in the account's history (and `login.failed` on the bus). */
  recordFailure(...args: FailureArgs): Promise<void> {
    return recordSigninFailure(this, ...args);
  }

  /** Resolves a session token to its live session and account, or throws SESSION_INVALID. */
  async authenticate(token: string, opts: { refreshing?: boolean } = {}): Promise<Authenticated> {
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
    if (row.binding_key !== null && (row.bound_until ?? 0) <= t && !opts.refreshing) throw refreshRequired();
    if (t - row.last_seen_at >= TOUCH_EVERY_MS) await q.touchSession(this.db, row.id, t);
    const { account_state, handle, ...session } = row;
    return { account: { id: row.account_id, handle, state: account_state }, session };
  }

  /** The account with this handle (any state), or undefined. */
  /** Of these ids, the ones that name an account (in any state). */
  existingIds(ids: string[]): Promise<Set<string>> {
    return q.existingIds(this.db, ids);
  }

  async findByHandle(handle: string): Promise<AccountView | undefined> {
    const a = await q.accountByHandleKey(this.db, handleKey(handle));
    return a ? accountView(a) : undefined;
  }

  async getAccount(id: string, tx?: Tx): Promise<AccountView> {
    const a = await q.accountById(tx ?? this.db, id);
    if (!a) throw new GatehouseError('ACCOUNT_NOT_FOUND');
    return accountView(a);
  }

  /** One session of an account (live or not), or undefined. */
  async session(accountId: string, sessionId: string): Promise<SessionView | undefined> {
    const s = await q.sessionById(this.db, sessionId);
    return s && s.account_id === accountId ? sessionView(s) : undefined;
  }

  async listSessions(
    accountId: string,
    currentId?: string,
  ): Promise<Array<SessionView & { location: { en: string; zh: string } | null }>> {
    return (await q.liveSessions(this.db, accountId, this.now())).map((s) => ({
      ...sessionView(s, currentId),
      location: this.placeOf(s.ip),
    }));
  }

  /** Where an address is, in both languages, when the operator configured a GeoIP database (else null). */
  placeOf(ip: string): { en: string; zh: string } | null {
    return placeName(this.opts.geo?.lookup(ip)) ?? null;
  }

  /** Sessions live now or created in [from, to], oldest first: what an owner reviews after a compromise. */
  sessionsForReview(accountId: string, from: number, to: number) {
    return sessionsForReview(this, accountId, from, to);
  }

  async revokeSession(
    accountId: string,
    sessionId: string,
    reason: RevokeReason = 'user',
    actor?: string,
  ): Promise<void> {
    const s = await q.sessionById(this.db, sessionId);
    if (!s || s.account_id !== accountId || s.revoked_at !== null)
      throw new GatehouseError('SESSION_NOT_FOUND');
    await revokeSessions(this, accountId, [sessionId], reason, { actor, all: false });
  }

  /**
   * Forgets the device and network an intruder's sessions brought to the account (`run`: the device's
   * sessions from `deviceRunSessions`, the suspected one last). The response part calls it when it
   * contains an account: a later sign-in from them is then asked for the second factor and put to the
   * engine and the stuffing rules like a stranger's. The owner's earlier network stays known.
   */
  forgetSessionContexts(
    accountId: string,
    run: readonly string[],
  ): Promise<{ device: boolean; network: boolean }> {
    return forgetSessionContexts(this, accountId, run);
  }

  /** The ids of the sessions the device of `sessionId` had on the account (revoke.ts `deviceRunSessions`). */
  async deviceRunSessions(accountId: string, sessionId: string): Promise<string[]> {
    return (await deviceRunSessions(this, accountId, sessionId)).map((s) => s.id);
  }

  /** The holder ends one of its sessions (a session too new cannot end an older one: `session-age.ts`). */
  endOwnSession(auth: Authenticated, sessionId: string): Promise<void> {
    return endOwnSession(this, auth.account.id, auth.session, sessionId);
  }

  /** The holder ends its other sessions, or all (this one too); a session too new keeps older ones. */
  endOwnSessions(auth: Authenticated, scope: 'others' | 'all') {
    return endOwnSessions(this, auth.account.id, auth.session, scope);
  }

  async revokeOthers(
    accountId: string,
    currentId: string,
    reason: RevokeReason = 'others',
  ): Promise<string[]> {
    const live = await q.liveSessions(this.db, accountId, this.now());
    return revokeSessions(
      this,
      accountId,
      live.filter((s) => s.id !== currentId).map((s) => s.id),
      reason,
      { all: false },
    );
  }

  async revokeAll(accountId: string, reason: RevokeReason = 'everywhere', actor?: string): Promise<string[]> {
    const live = await q.liveSessions(this.db, accountId, this.now());
    return revokeSessions(
      this,
      accountId,
      live.map((s) => s.id),
      reason,
      { actor, all: true },
    );
  }

  /**
   * Changes the password (after checking the current one) and revokes every other session (the older ones
   * stay when this session is too new to end them: `session-age.ts`).
   */
  changePassword(
    accountId: string,
    currentSessionId: string,
    current: string,
    next: string,
    ctx?: RequestContext,
  ): Promise<EndedOwn> {
    return changePassword(this, { accountId, currentSessionId, current, next, ctx });
  }

  /**
   * Sets a new password without the current one, for an owner who proved themselves another way (account
   * recovery): the strength rules, and not the password the account had (the intruder knows it). Ends every
   * live session. `also` runs inside the same transaction so the caller's own record commits with it.
   */
  resetPassword(
    accountId: string,
    next: string,
    opts: { also?: (tx: Tx) => Promise<void>; actor?: string } = {},
  ): Promise<{ revoked: number }> {
    return resetPassword(this, accountId, next, opts);
  }

  async signins(accountId: string, limit = 50, before?: number) {
    const rows = await q.signins(this.db, accountId, Math.min(Math.max(limit, 1), 500), before);
    return rows.map((r) => ({
      seq: r.seq,
      success: r.success === 1,
      reason: r.reason,
      method: r.method,
      ip: r.ip,
      location: this.placeOf(r.ip),
      device: JSON.parse(r.device) as ReturnType<typeof parseDevice>,
      at: r.at,
    }));
  }

  /**
   * Freezes an account: it cannot sign in, and every live session ends. `actor` (for the audit log)
   * defaults to "system"; `kind` to containment (the owner may appeal). A sanction on a contained
   * account turns it into a sanction.
   */
  freeze(accountId: string, reason: string, actor?: string, opts: FreezeOptions = {}): Promise<AccountView> {
    return setState(this, accountId, 'frozen', reason, actor, opts);
  }

  /** Unfreezes an account. `also` runs inside the same transaction (e.g. closing an appeal case). */
  unfreeze(
    accountId: string,
    reason: string,
    actor?: string,
    also?: FreezeOptions['also'],
  ): Promise<AccountView> {
    return setState(this, accountId, 'active', reason, actor, also ? { also } : {});
  }

  deleteAccount(accountId: string, actor?: string): Promise<AccountView> {
    return setState(this, accountId, 'deleted', 'deleted', actor, {});
  }

  /** Ends the probation of a session, vouched for by an older one of the owner's (qr/probation.ts). */
  confirmSession(auth: Authenticated, sessionId: string): Promise<SessionView> {
    return confirmSession(this, auth, sessionId);
  }

  /** Runs `hook` inside the transaction of every state change (recovery closes appeal cases with it). */
  onStateChange(hook: StateHook): void {
    this.stateHooks.push(hook);
  }

  /** The password again: lets this session change recovery factors for a while (see requireReauth). */
  reauthenticate(auth: Authenticated, password: string, ctx: RequestContext): Promise<{ until: number }> {
    return reauthenticate(this, auth, password, ctx);
  }

  /** Throws REAUTH_REQUIRED unless the session re-authenticated (or stepped up) recently. */
  requireReauth(session: SessionsTable): void {
    requireReauth(this, session);
  }

  /** Records that this session proved a second factor or a recovery code just now. */
  markStepUp(accountId: string, sessionId: string, method: string, tx?: Tx): Promise<void> {
    return markStepUp(this, accountId, sessionId, method, tx);
  }

  /** Throws CHALLENGE_SESSION_TOO_NEW unless the session may confirm activity as its owner's. */
  assertMayConfirm(
    sessionId: string,
    opts: { since: number; suspected: readonly string[]; askedAt: number },
  ): Promise<void> {
    return assertMayConfirm(this, sessionId, opts);
  }
}
