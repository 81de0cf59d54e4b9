import { newEventId, outboxStore } from '../bus/index.ts';
import { hashToken, newId, newToken, safeEqual } from '../crypto/index.ts';
import { GatehouseError } from '../errors/index.ts';
import type { AccountView, IdentityService, RequestContext } from '../identity/index.ts';
import type { Logger } from '../log/index.ts';
import { RateLimiter } from '../ratelimit/index.ts';
import type { Db, Tx } from '../store/db.ts';
import { checkNotBreached } from './breached.ts';
import { codeMatches, hashCode, newRecoveryCode, randomDigits } from './codes.ts';
import { CURRENT_PLEDGE, type Pledge } from './pledge.ts';
import type {
  AccountEventLog,
  AppendAudit,
  CompromiseFacts,
  EnqueueWebhook,
  GrantsPort,
  LoggedEvent,
} from './ports.ts';
import { ADVICE, type OwnerReport } from './report.ts';
import { planRestore, RESTORE_EVENT_TYPES, type RestorePlan } from './restore.ts';
import {
  OPEN_STATES,
  type CaseState,
  type RecoveryCasesTable,
  type RecoveryChannelsTable,
} from './schema.ts';
import type { ChannelKind, CodeSender } from './senders.ts';
import { recoveryStore as q } from './store.ts';
import {
  ChannelCodeVerifier,
  RecoveryCodeVerifier,
  TrustedFriendsVerifier,
  VerifierRegistry,
  type Answer,
  type CaseRef,
  type CheckResult,
  type StartOptions,
  type Verifier,
  type VerifierKind,
} from './verifiers.ts';

export interface RecoveryOptions {
  caseTtlMs: number;
  maxOpenCases: number;
  appealsPerIp: number;
  maxWrongAnswers: number;
  lockoutMs: number;
  attemptsPerAccount: number;
  attemptsPerIp: number;
  codeTtlMs: number;
  sendsPerCase: number;
  friendThreshold: number;
  friendMax: number;
  defaultWindowMs: number;
}

/** What recovery uses from the rest of Gatehouse. Optional ports that are absent are reported as such. */
export interface RecoveryDeps {
  identity: IdentityService;
  codeSender?: CodeSender;
  eventLog?: AccountEventLog;
  compromiseFacts?: (accountId: string, frozenAt: number) => Promise<CompromiseFacts | undefined>;
  /** Friends of long standing (engine): used when the owner chose no trusted friends. */
  longStandingFriends?: (accountId: string) => Promise<string[]>;
  enqueueWebhook?: EnqueueWebhook;
  appendAudit?: AppendAudit;
  grants?: GrantsPort;
  /** More verifiers (passkey, TOTP) from the sign-in part. */
  verifiers?: Verifier[];
  onCommit?: () => void;
  now?: () => number;
  log?: Logger;
}

export interface CaseView {
  id: string;
  account: { id: string; handle: string };
  state: CaseState;
  openedBy: string;
  createdAt: number;
  expiresAt: number;
  method: string | null;
  verifiedBy: string | null;
  verifiedAt: number | null;
  pledge: { version: string; at: number } | null;
  passwordChanged: boolean;
  sessionsReviewed: boolean;
  lockedUntil: number | null;
  window: { start: number; end: number };
  rejectReason: string | null;
  closedAt: number | null;
}

export interface CaseEventView {
  at: number;
  actor: string;
  step: string;
  details: Record<string, unknown>;
}

export interface ChannelView {
  id: string;
  kind: ChannelKind;
  address: string;
  verified: boolean;
  verifiedAt: number | null;
  createdAt: number;
}

export interface ReviewSession {
  id: string;
  method: string;
  device: string;
  ip: string;
  createdAt: number;
  live: boolean;
  duringCompromise: boolean;
  revokedReason: string | null;
}

const TOKEN_RE = /^ghr_[A-Za-z0-9_-]{43}$/;
const EMAIL_RE = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]{2,}$/;
const PHONE_RE = /^\+[1-9]\d{6,14}$/;
const APPELLANT = 'appellant';
const accountActor = (id: string) => `account:${id}`;
const keyActor = (id: string) => `key:${id}`;

function rateLimited(retryAfterSeconds: number): GatehouseError {
  return new GatehouseError('RATE_LIMITED', `Too many attempts; retry in ${retryAfterSeconds} s`, {
    headers: { 'retry-after': String(retryAfterSeconds) },
    extra: { retryAfterSeconds },
  });
}

function locked(until: number, now: number): GatehouseError {
  const retryAfterSeconds = Math.max(1, Math.ceil((until - now) / 1000));
  return new GatehouseError('RECOVERY_LOCKED', `Verification is locked for ${retryAfterSeconds} s`, {
    headers: { 'retry-after': String(retryAfterSeconds) },
    extra: { retryAfterSeconds, lockedUntil: until },
  });
}

function wrongState(c: RecoveryCasesTable, allowed: readonly CaseState[]): GatehouseError {
  return new GatehouseError(
    'RECOVERY_WRONG_STATE',
    `The case is ${c.state}; this step needs ${allowed.join(' or ')}`,
    { extra: { state: c.state, allowed } },
  );
}

/**
 * Appeal cases, from a frozen account to a restored one: open (by the owner with their handle, or by an
 * operator), verify through one of the registered verifiers (with per-case lockout and per-account and
 * per-IP limits), accept the pledge, set a new password, review sessions, then unfreeze and restore what
 * the intruder changed. Every step is a case event and an outbox event in the same transaction.
 */
export class RecoveryService {
  readonly registry = new VerifierRegistry();
  readonly friendsVerifier: TrustedFriendsVerifier;
  private readonly db: Db;
  private readonly deps: RecoveryDeps;
  private readonly opts: RecoveryOptions;
  private readonly now: () => number;
  private readonly appealsByIp: RateLimiter;
  private readonly attemptsByAccount: RateLimiter;
  private readonly attemptsByIp: RateLimiter;
  private readonly sends: RateLimiter;

  constructor(db: Db, deps: RecoveryDeps, opts: RecoveryOptions) {
    this.db = db;
    this.deps = deps;
    this.opts = opts;
    this.now = deps.now ?? Date.now;
    const hour = 3_600_000;
    this.appealsByIp = new RateLimiter({ limit: opts.appealsPerIp, windowMs: hour, now: this.now });
    this.attemptsByAccount = new RateLimiter({
      limit: opts.attemptsPerAccount,
      windowMs: hour,
      now: this.now,
    });
    this.attemptsByIp = new RateLimiter({ limit: opts.attemptsPerIp, windowMs: hour, now: this.now });
    this.sends = new RateLimiter({ limit: opts.sendsPerCase, windowMs: hour, now: this.now });
    this.friendsVerifier = new TrustedFriendsVerifier(db, (a) => this.friendsOf(a), {
      threshold: opts.friendThreshold,
      max: opts.friendMax,
      ttlMs: opts.codeTtlMs,
      now: this.now,
    });
    this.registry.register(new RecoveryCodeVerifier(db, this.now));
    this.registry.register(this.friendsVerifier);
    for (const kind of ['email', 'phone'] as const)
      this.registry.register(
        new ChannelCodeVerifier(kind, db, deps.codeSender, { ttlMs: opts.codeTtlMs, now: this.now }),
      );
    for (const v of deps.verifiers ?? []) this.registry.register(v);
  }

  get pledge(): Pledge {
    return CURRENT_PLEDGE;
  }

  // ---- transactions, case events, outbox -------------------------------------------------------------

  private async tx<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const r = await this.db.transaction().execute(fn);
    this.deps.onCommit?.();
    return r;
  }

  /** Records one step of a case: a case event, an outbox event recovery.case.<step>, an audit entry. */
  private async record(
    tx: Tx,
    c: { id: string; account_id: string },
    actor: string,
    step: string,
    details: Record<string, unknown> = {},
  ): Promise<void> {
    const at = this.now();
    await q.insertEvent(tx, { case_id: c.id, at, actor, step, details: JSON.stringify(details) });
    await outboxStore.append(tx, [
      {
        id: newEventId(),
        type: `recovery.case.${step}`,
        time: at,
        account: c.account_id,
        case: c.id,
        actor,
        ...details,
      },
    ]);
    await this.deps.appendAudit?.(tx, {
      actor,
      action: `recovery.case.${step}`,
      subject: `case:${c.id}`,
      data: { account: c.account_id, ...details },
      at,
    });
  }

  /** An account-level recovery event (codes, friends, channels) on the outbox. */
  private async emit(tx: Tx, type: string, account: string, data: Record<string, unknown> = {}) {
    const at = this.now();
    await outboxStore.append(tx, [{ id: newEventId(), type, time: at, account, ...data }]);
    await this.deps.appendAudit?.(tx, {
      actor: accountActor(account),
      action: type,
      subject: `account:${account}`,
      data,
      at,
    });
  }

  // ---- views --------------------------------------------------------------------------------------

  private async view(c: RecoveryCasesTable): Promise<CaseView> {
    const a = await this.deps.identity.getAccount(c.account_id);
    return {
      id: c.id,
      account: { id: a.id, handle: a.handle },
      state: c.state,
      openedBy: c.opened_by,
      createdAt: c.created_at,
      expiresAt: c.expires_at,
      method: c.method,
      verifiedBy: c.verified_by,
      verifiedAt: c.verified_at,
      pledge:
        c.pledge_version && c.pledged_at !== null ? { version: c.pledge_version, at: c.pledged_at } : null,
      passwordChanged: c.password_changed_at !== null,
      sessionsReviewed: c.sessions_reviewed_at !== null,
      lockedUntil: c.locked_until !== null && c.locked_until > this.now() ? c.locked_until : null,
      window: { start: c.window_start, end: c.window_end },
      rejectReason: c.reject_reason,
      closedAt: c.closed_at,
    };
  }

  async caseView(caseId: string): Promise<CaseView> {
    return this.view(await this.mustCase(caseId));
  }

  async history(caseId: string): Promise<CaseEventView[]> {
    return (await q.events(this.db, caseId)).map((e) => ({
      at: e.at,
      actor: e.actor,
      step: e.step,
      details: JSON.parse(e.details) as Record<string, unknown>,
    }));
  }

  private async mustCase(caseId: string): Promise<RecoveryCasesTable> {
    const c = await q.caseById(this.db, caseId);
    if (!c) throw new GatehouseError('RECOVERY_CASE_NOT_FOUND');
    return c;
  }

  private requireState(c: RecoveryCasesTable, allowed: readonly CaseState[]): void {
    if (!allowed.includes(c.state)) throw wrongState(c, allowed);
  }

  // ---- opening ------------------------------------------------------------------------------------

  /** The owner appeals by handle. Unknown handles and accounts that are not frozen get the same answer. */
  async openAppeal(handle: string, ctx: RequestContext): Promise<{ token: string; case: CaseView }> {
    const limit = this.appealsByIp.hit(ctx.ip);
    if (!limit.allowed) throw rateLimited(limit.retryAfterSeconds);
    const account = await this.deps.identity.findByHandle(handle);
    if (!account || account.state !== 'frozen') throw new GatehouseError('RECOVERY_NOT_ELIGIBLE');
    return this.open(account, 'owner', APPELLANT, ctx.ip);
  }

  /** An operator opens a case for a frozen account and hands the token to the owner. */
  async openByOperator(
    accountId: string,
    keyId: string,
    ctx: RequestContext,
  ): Promise<{ token: string; case: CaseView }> {
    const account = await this.deps.identity.getAccount(accountId);
    if (account.state !== 'frozen') throw new GatehouseError('ACCOUNT_NOT_FROZEN');
    return this.open(account, 'operator', keyActor(keyId), ctx.ip);
  }

  private async open(
    account: AccountView,
    openedBy: 'owner' | 'operator',
    actor: string,
    ip: string,
  ): Promise<{ token: string; case: CaseView }> {
    const t = this.now();
    const facts = await this.deps.compromiseFacts?.(account.id, t);
    const windowEnd = facts?.windowEnd ?? t;
    // Without the engine's window: from the first sign-in from a new IP in the default window, else the
    // whole default window.
    const fallback = windowEnd - this.opts.defaultWindowMs;
    const suspect =
      facts?.windowStart === undefined ? await this.entryFromSignins(account.id, fallback, windowEnd) : null;
    const windowStart = Math.min(facts?.windowStart ?? suspect?.at ?? fallback, windowEnd);
    const token = newToken('ghr');
    const row: RecoveryCasesTable = {
      id: newId('case'),
      account_id: account.id,
      state: 'opened',
      opened_by: openedBy,
      opener: actor,
      token_hash: hashToken(token),
      ip,
      expires_at: t + this.opts.caseTtlMs,
      method: null,
      verified_at: null,
      verified_by: null,
      pledge_version: null,
      pledged_at: null,
      pledge_ip: null,
      password_changed_at: null,
      sessions_reviewed_at: null,
      window_start: windowStart,
      window_end: windowEnd,
      wrong_answers: 0,
      locked_until: null,
      reject_reason: null,
      restore: null,
      created_at: t,
      updated_at: t,
      closed_at: null,
    };
    await this.tx(async (tx) => {
      if ((await q.countOpenCases(tx, account.id, t)) >= this.opts.maxOpenCases)
        throw new GatehouseError('RECOVERY_TOO_MANY_CASES');
      await q.insertCase(tx, row);
      await this.record(tx, row, actor, 'opened', {
        openedBy,
        ip,
        window: { start: windowStart, end: windowEnd },
      });
    });
    return { token, case: await this.view(row) };
  }

  /** Resolves an owner's case token; expired open cases are closed as expired on the way. */
  async caseForToken(token: string): Promise<RecoveryCasesTable> {
    if (!TOKEN_RE.test(token)) throw new GatehouseError('RECOVERY_TOKEN_INVALID');
    const h = hashToken(token);
    const c = await q.caseByTokenHash(this.db, h);
    if (!c || !safeEqual(c.token_hash, h)) throw new GatehouseError('RECOVERY_TOKEN_INVALID');
    if (c.expires_at <= this.now()) {
      if (OPEN_STATES.includes(c.state)) {
        await this.tx(async (tx) => {
          if (await q.transition(tx, c.id, OPEN_STATES, { state: 'expired', closed_at: this.now() }))
            await this.record(tx, c, 'system', 'expired');
        });
      }
      throw new GatehouseError('RECOVERY_TOKEN_INVALID', 'The appeal has expired; start a new one');
    }
    return c;
  }

  async ownerView(c: RecoveryCasesTable) {
    const methods = OPEN_STATES.includes(c.state) ? await this.registry.availableFor(c.account_id) : [];
    const friends =
      c.method === 'trusted_friends' ? await this.friendsVerifier.progress(this.db, c.id) : undefined;
    return { case: await this.view(c), methods, ...(friends ? { friends } : {}) };
  }

  // ---- verification -------------------------------------------------------------------------------

  private ref(c: RecoveryCasesTable, handle: string): CaseRef {
    return { id: c.id, accountId: c.account_id, handle };
  }

  async startVerification(
    token: RecoveryCasesTable,
    kind: VerifierKind,
    opts: StartOptions,
    ctx: RequestContext,
  ) {
    const c = token;
    this.requireState(c, ['opened', 'verifying']);
    const t = this.now();
    if (c.locked_until !== null && c.locked_until > t) throw locked(c.locked_until, t);
    const verifier = this.registry.get(kind);
    if (!verifier || !(await verifier.available(c.account_id)))
      throw new GatehouseError('RECOVERY_METHOD_UNAVAILABLE', `${kind} is not available for this account`, {
        extra: { method: kind },
      });
    const ip = this.attemptsByIp.hit(ctx.ip);
    if (!ip.allowed) throw rateLimited(ip.retryAfterSeconds);
    const sends = this.sends.hit(`${c.id}|${kind}`);
    if (!sends.allowed) throw rateLimited(sends.retryAfterSeconds);
    const account = await this.deps.identity.getAccount(c.account_id);
    const r0 = await verifier.start(this.ref(c, account.handle), opts);
    const result = await this.tx(async (tx) => {
      const r = r0;
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
      if (
        !(await q.transition(tx, c.id, ['opened', 'verifying'], {
          state: 'verifying',
          method: kind,
          updated_at: t,
        }))
      )
        throw wrongState((await q.caseById(tx, c.id))!, ['opened', 'verifying']);
      await this.record(tx, c, APPELLANT, 'verifying', {
        method: kind,
        ip: ctx.ip,
        ...(r.sentTo ? { sentTo: r.sentTo, delivery: r.delivery } : {}),
        ...(r.friendCodes ? { friends: r.friendCodes.map((f) => f.friend), needed: r.needed } : {}),
      });
      return r;
    });
    if (result.afterCommit) {
      try {
        await result.afterCommit();
      } catch (err) {
        this.deps.log?.error({ err, case: c.id }, 'sending the appeal code failed');
        throw new GatehouseError(
          'RECOVERY_SENDER_UNAVAILABLE',
          'The code could not be sent; try again later',
        );
      }
    }
    const { afterCommit: _a, challenges: _c, ...rest } = result;
    return { case: await this.caseView(c.id), ...rest };
  }

  /** The owner answers the current challenge (recovery code, emailed or texted code). */
  async answer(c: RecoveryCasesTable, code: string, ctx: RequestContext) {
    this.requireState(c, ['verifying']);
    if (!c.method || c.method === 'trusted_friends')
      throw new GatehouseError(
        'RECOVERY_METHOD_UNAVAILABLE',
        'Trusted friends confirm through their own signed-in sessions, not here',
      );
    const verifier = this.registry.get(c.method as VerifierKind);
    if (!verifier) throw new GatehouseError('RECOVERY_METHOD_UNAVAILABLE');
    const r = await this.attempt(c, verifier, { code }, APPELLANT, ctx);
    return { case: await this.caseView(c.id), outcome: r.outcome };
  }

  /**
   * One verification attempt with every limit: the case's lockout (persistent), then attempts per account
   * and per IP (in memory). A wrong answer counts toward the lockout in the same transaction that records it.
   */
  private async attempt(
    c0: RecoveryCasesTable,
    verifier: Verifier,
    answer: Answer,
    actor: string,
    ctx: RequestContext,
  ): Promise<CheckResult> {
    const t = this.now();
    if (c0.locked_until !== null && c0.locked_until > t) throw locked(c0.locked_until, t);
    const byAcc = this.attemptsByAccount.hit(c0.account_id);
    const byIp = this.attemptsByIp.hit(ctx.ip);
    if (!byAcc.allowed || !byIp.allowed)
      throw rateLimited(
        Math.max(byAcc.allowed ? 0 : byAcc.retryAfterSeconds, byIp.allowed ? 0 : byIp.retryAfterSeconds),
      );
    const account = await this.deps.identity.getAccount(c0.account_id);
    let lockedUntil: number | undefined;
    let attemptsLeft = 0;
    const result = await this.tx(async (tx) => {
      const c = (await q.caseById(tx, c0.id))!;
      if (c.state !== 'verifying') throw wrongState(c, ['verifying']);
      if (c.locked_until !== null && c.locked_until > t) {
        lockedUntil = c.locked_until;
        return { outcome: 'wrong' } as CheckResult;
      }
      const r = await verifier.check(tx, this.ref(c, account.handle), answer);
      const who = answer.friend ? { friend: answer.friend } : {};
      if (r.outcome === 'verified') {
        await q.updateCase(tx, c.id, {
          state: 'verified',
          verified_at: t,
          verified_by: verifier.kind,
          wrong_answers: 0,
          updated_at: t,
        });
        await this.record(tx, c, actor, 'verified', { method: verifier.kind, ip: ctx.ip, ...who });
      } else if (r.outcome === 'pending') {
        await this.record(tx, c, actor, 'friend_confirmed', {
          confirmed: r.confirmed,
          needed: r.needed,
          ip: ctx.ip,
          ...who,
        });
      } else if (r.outcome === 'wrong') {
        const wrong = c.wrong_answers + 1;
        if (wrong >= this.opts.maxWrongAnswers) {
          lockedUntil = t + this.opts.lockoutMs;
          await q.updateCase(tx, c.id, { wrong_answers: 0, locked_until: lockedUntil, updated_at: t });
          await this.record(tx, c, actor, 'answer_wrong', { method: verifier.kind, ip: ctx.ip, ...who });
          await this.record(tx, c, 'system', 'locked', { until: lockedUntil, wrongAnswers: wrong });
        } else {
          attemptsLeft = this.opts.maxWrongAnswers - wrong;
          await q.updateCase(tx, c.id, { wrong_answers: wrong, updated_at: t });
          await this.record(tx, c, actor, 'answer_wrong', {
            method: verifier.kind,
            ip: ctx.ip,
            attemptsLeft,
            ...who,
          });
        }
      } else {
        await this.record(tx, c, actor, 'answer_expired', { method: verifier.kind, ip: ctx.ip, ...who });
      }
      return r;
    });
    if (lockedUntil !== undefined) throw locked(lockedUntil, t);
    if (result.outcome === 'wrong')
      throw new GatehouseError('RECOVERY_CODE_INVALID', `The code is wrong; ${attemptsLeft} attempts left`, {
        extra: { attemptsLeft },
      });
    if (result.outcome === 'expired') throw new GatehouseError('RECOVERY_CODE_EXPIRED');
    if (result.outcome === 'verified') this.attemptsByAccount.reset(c0.account_id);
    return result;
  }

  /** A trusted friend, signed in to their own account, confirms the owner's appeal with the code. */
  async vouch(friendId: string, ownerHandle: string, code: string, ctx: RequestContext) {
    const ip = this.attemptsByIp.check(ctx.ip);
    if (!ip.allowed) throw rateLimited(ip.retryAfterSeconds);
    const owner = await this.deps.identity.findByHandle(ownerHandle);
    const t = this.now();
    const challenges = owner ? await q.friendChallenges(this.db, owner.id, friendId, t) : [];
    if (!owner || challenges.length === 0) {
      this.attemptsByIp.hit(ctx.ip);
      throw new GatehouseError('RECOVERY_FRIEND_NOT_TRUSTED');
    }
    const hit = challenges.find((ch) => codeMatches(`${ch.case_id}|${friendId}`, code, ch.code_hash));
    const caseId = (hit ?? challenges[challenges.length - 1]!).case_id;
    const c = await this.mustCase(caseId);
    const r = await this.attempt(
      c,
      this.friendsVerifier,
      { code, friend: friendId },
      accountActor(friendId),
      ctx,
    );
    const progress = await this.friendsVerifier.progress(this.db, caseId);
    return { owner: owner.handle, verified: r.outcome === 'verified', ...progress };
  }

  /** Appeals a signed-in user is asked to confirm as a trusted friend. */
  async vouchRequests(friendId: string) {
    return (await q.pendingVouches(this.db, friendId, this.now())).map((r) => ({
      owner: r.owner_handle,
      openedAt: r.opened_at,
      expiresAt: r.expires_at,
    }));
  }

  /** An operator approves a manual verification (documents checked by support, for example). */
  async approveManual(caseId: string, keyId: string, note: string): Promise<CaseView> {
    const c = await this.mustCase(caseId);
    this.requireState(c, ['opened', 'verifying']);
    const t = this.now();
    await this.tx(async (tx) => {
      if (
        !(await q.transition(tx, c.id, ['opened', 'verifying'], {
          state: 'verified',
          verified_at: t,
          verified_by: 'manual',
          method: 'manual',
          locked_until: null,
          wrong_answers: 0,
          updated_at: t,
        }))
      )
        throw wrongState((await q.caseById(tx, c.id))!, ['opened', 'verifying']);
      await this.record(tx, c, keyActor(keyId), 'verified', { method: 'manual', note });
    });
    return this.caseView(c.id);
  }

  async reject(caseId: string, keyId: string, reason: string): Promise<CaseView> {
    const c = await this.mustCase(caseId);
    this.requireState(c, OPEN_STATES);
    const t = this.now();
    await this.tx(async (tx) => {
      if (
        !(await q.transition(tx, c.id, OPEN_STATES, {
          state: 'rejected',
          reject_reason: reason,
          closed_at: t,
          updated_at: t,
        }))
      )
        throw wrongState((await q.caseById(tx, c.id))!, OPEN_STATES);
      await this.record(tx, c, keyActor(keyId), 'rejected', { reason });
    });
    return this.caseView(c.id);
  }

  // ---- pledge, password, sessions, finish ---------------------------------------------------------

  async acceptPledge(c: RecoveryCasesTable, version: string, ctx: RequestContext): Promise<CaseView> {
    this.requireState(c, ['verified']);
    if (version !== CURRENT_PLEDGE.version)
      throw new GatehouseError('RECOVERY_PLEDGE_OUTDATED', undefined, {
        extra: { current: CURRENT_PLEDGE.version },
      });
    const t = this.now();
    await this.tx(async (tx) => {
      if (
        !(await q.transition(tx, c.id, ['verified'], {
          state: 'pledged',
          pledge_version: version,
          pledged_at: t,
          pledge_ip: ctx.ip,
          updated_at: t,
        }))
      )
        throw wrongState((await q.caseById(tx, c.id))!, ['verified']);
      await this.record(tx, c, APPELLANT, 'pledged', { version, ip: ctx.ip });
    });
    return this.caseView(c.id);
  }

  /** The forced new password: strength rules, the breached list, and not the old one. */
  async changePassword(c: RecoveryCasesTable, password: string, ctx: RequestContext) {
    this.requireState(c, ['pledged']);
    const ip = this.attemptsByIp.hit(ctx.ip);
    if (!ip.allowed) throw rateLimited(ip.retryAfterSeconds);
    const t = this.now();
    const r = await this.deps.identity.resetPassword(c.account_id, password, {
      extraCheck: checkNotBreached,
      actor: accountActor(c.account_id),
      also: async (tx) => {
        if (!(await q.transition(tx, c.id, ['pledged'], { password_changed_at: t, updated_at: t })))
          throw wrongState((await q.caseById(tx, c.id))!, ['pledged']);
        await this.record(tx, c, APPELLANT, 'password_changed', { ip: ctx.ip });
      },
    });
    this.deps.onCommit?.();
    return { case: await this.caseView(c.id), revokedSessions: r.revoked };
  }

  /** Sessions (and app grants, where the OAuth part is wired) for the owner to keep or revoke. */
  async sessionsForReview(c: RecoveryCasesTable) {
    this.requireState(c, ['pledged']);
    const rows = await this.deps.identity.sessionsForReview(c.account_id, c.window_start, c.window_end);
    const sessions: ReviewSession[] = rows.map((s) => ({
      id: s.id,
      method: s.method,
      device: s.device.label,
      ip: s.ip,
      createdAt: s.createdAt,
      live: s.revokedAt === null,
      duringCompromise: s.createdAt >= c.window_start && s.createdAt <= c.window_end,
      revokedReason: s.revokedReason,
    }));
    const grants = this.deps.grants ? await this.deps.grants.list(c.account_id) : null;
    return {
      sessions,
      grants,
      mustRevoke: sessions.filter((s) => s.live && s.duringCompromise).map((s) => s.id),
    };
  }

  async reviewSessions(
    c: RecoveryCasesTable,
    decision: { keep: string[]; revoke: string[]; keepGrants?: string[]; revokeGrants?: string[] },
    ctx: RequestContext,
  ) {
    this.requireState(c, ['pledged']);
    if (c.password_changed_at === null)
      throw new GatehouseError('RECOVERY_STEP_INCOMPLETE', 'Set a new password first', {
        extra: { missing: ['password'] },
      });
    const review = await this.sessionsForReview(c);
    const live = review.sessions.filter((s) => s.live);
    const keep = new Set(decision.keep);
    const revoke = new Set(decision.revoke);
    const undecided = live.filter((s) => !keep.has(s.id) && !revoke.has(s.id)).map((s) => s.id);
    const unknown = [...keep, ...revoke].filter((id) => !live.some((s) => s.id === id));
    const both = [...keep].filter((id) => revoke.has(id));
    const forced = [...keep].filter((id) => review.mustRevoke.includes(id));
    const grants = review.grants ?? [];
    const keepG = new Set(decision.keepGrants ?? []);
    const revokeG = new Set(decision.revokeGrants ?? []);
    const undecidedGrants = grants.filter((g) => !keepG.has(g.id) && !revokeG.has(g.id)).map((g) => g.id);
    if (undecided.length || unknown.length || both.length || forced.length || undecidedGrants.length)
      throw new GatehouseError('RECOVERY_SESSIONS_UNDECIDED', undefined, {
        extra: { undecided, unknown, both, mustRevoke: forced, undecidedGrants },
      });
    for (const id of revoke)
      await this.deps.identity.revokeSession(c.account_id, id, 'user', accountActor(c.account_id));
    for (const id of revokeG) await this.deps.grants?.revoke(c.account_id, id);
    const t = this.now();
    await this.tx(async (tx) => {
      if (!(await q.transition(tx, c.id, ['pledged'], { sessions_reviewed_at: t, updated_at: t })))
        throw wrongState((await q.caseById(tx, c.id))!, ['pledged']);
      await this.record(tx, c, APPELLANT, 'sessions_reviewed', {
        kept: [...keep],
        revoked: [...revoke],
        endedDuringCompromise: review.sessions.filter((s) => s.duringCompromise).map((s) => s.id),
        grantsKept: [...keepG],
        grantsRevoked: [...revokeG],
        grantsAvailable: review.grants !== null,
        ip: ctx.ip,
      });
    });
    return this.caseView(c.id);
  }

  /**
   * Unfreezes the account and closes the case as restored, in one transaction with the restore instruction
   * to the platform (account.restore webhook) worked out from the account's events in the window.
   */
  async finish(c: RecoveryCasesTable, ctx: RequestContext) {
    this.requireState(c, ['pledged']);
    const missing = [
      ...(c.password_changed_at === null ? ['password'] : []),
      ...(c.sessions_reviewed_at === null ? ['sessions'] : []),
    ];
    if (missing.length)
      throw new GatehouseError('RECOVERY_STEP_INCOMPLETE', `Still to do: ${missing.join(', ')}`, {
        extra: { missing },
      });
    const events = await this.deps.eventLog?.between(c.account_id, c.window_start, c.window_end, {
      types: RESTORE_EVENT_TYPES,
    });
    const plan: RestorePlan | null = events ? planRestore(events) : null;
    const needed = plan !== null && plan.friends.length + plan.groups.length + plan.profile.length > 0;
    const t = this.now();
    await this.deps.identity.unfreeze(
      c.account_id,
      `appeal ${c.id} restored`,
      accountActor(c.account_id),
      async (tx) => {
        let sent = false;
        // The platform froze the account on Gatehouse's word (account.frozen); it is told to unfreeze it
        // first, then what to restore (webhooks about one account are delivered in order).
        await this.deps.enqueueWebhook?.(tx, {
          type: 'account.unfrozen',
          account: c.account_id,
          payload: {
            account: c.account_id,
            case: c.id,
            reason: 'appeal restored',
            notice: {
              en: 'Your account is yours again. Read what happened while it was out of your hands, and follow the advice at the end.',
              zh: '您的账号已恢复。请阅读账号失控期间发生的情况，并按报告末尾的建议操作。',
            },
          },
        });
        if (needed && this.deps.enqueueWebhook) {
          await this.deps.enqueueWebhook(tx, {
            type: 'account.restore',
            account: c.account_id,
            payload: {
              case: c.id,
              account: c.account_id,
              window: { start: c.window_start, end: c.window_end },
              friends: plan.friends,
              groups: plan.groups,
              profile: plan.profile,
            },
          });
          sent = true;
        }
        const restore = plan ? { ...plan, sent: sent || !needed } : null;
        if (
          !(await q.transition(tx, c.id, ['pledged'], {
            state: 'restored',
            restore: JSON.stringify(restore),
            closed_at: t,
            updated_at: t,
          }))
        )
          throw wrongState((await q.caseById(tx, c.id))!, ['pledged']);
        await this.record(tx, c, APPELLANT, 'restore', {
          plan,
          sent: restore?.sent ?? false,
          ...(plan === null ? { why: 'event log not available' } : {}),
          ...(needed && !sent ? { why: 'webhook delivery not available' } : {}),
        });
        await this.record(tx, c, APPELLANT, 'restored', { ip: ctx.ip });
      },
    );
    this.deps.onCommit?.();
    const done = await this.mustCase(c.id);
    return { case: await this.view(done), report: await this.report(done) };
  }

  // ---- the owner's report ---------------------------------------------------------------------------

  async reportFor(caseId: string): Promise<OwnerReport> {
    return this.report(await this.mustCase(caseId));
  }

  async report(c: RecoveryCasesTable): Promise<OwnerReport> {
    const account = await this.deps.identity.getAccount(c.account_id);
    // Asked as at the case's opening, like at opening: actions taken just after the freeze count too.
    const facts = await this.deps.compromiseFacts?.(c.account_id, c.created_at);
    let entry: OwnerReport['entry'] = facts?.entry
      ? { ...facts.entry, source: 'engine' }
      : await this.entryFromSignins(c.account_id, c.window_start, c.window_end);
    if (entry)
      entry = {
        method: entry.method,
        ip: entry.ip,
        device: entry.device,
        at: entry.at,
        source: entry.source,
      };
    let messages: OwnerReport['messages'] = null;
    if (this.deps.eventLog) {
      const sent = await this.deps.eventLog.between(c.account_id, c.window_start, c.window_end, {
        types: ['message.sent'],
      });
      messages = summariseMessages(sent);
    }
    const sessions = await this.deps.identity.sessionsForReview(c.account_id, c.window_start, c.window_end);
    const restore = c.restore ? (JSON.parse(c.restore) as (RestorePlan & { sent: boolean }) | null) : null;
    return {
      case: c.id,
      account: { id: account.id, handle: account.handle },
      generatedAt: this.now(),
      window: { start: c.window_start, end: c.window_end },
      entry,
      decision: facts?.decision ? { at: facts.decision.at, summary: facts.decision.summary } : null,
      messages,
      retracted: facts?.retracted ? { count: facts.retracted.count } : null,
      warned: facts?.warned ? { count: facts.warned.count } : null,
      restored: restore,
      sessionsRevoked: sessions.filter(
        (s) => s.createdAt >= c.window_start && s.createdAt <= c.window_end && s.revokedAt !== null,
      ).length,
      verifiedBy: c.verified_by,
      restoredAt: c.state === 'restored' ? c.closed_at : null,
      advice: [...ADVICE],
    };
  }

  /**
   * Without the engine: the first successful sign-in in [from, to] from an IP or a device the account had
   * not signed in from before (an account's very first sign-in is never suspect).
   */
  private async entryFromSignins(accountId: string, from: number, to: number): Promise<OwnerReport['entry']> {
    const rows = (await this.deps.identity.signins(accountId, 500))
      .filter((r) => r.success && r.at <= to)
      .sort((a, b) => a.at - b.at || a.seq - b.seq);
    const ips = new Set<string>();
    const devices = new Set<string>();
    for (const r of rows) {
      if (r.at >= from && ips.size > 0 && (!ips.has(r.ip) || !devices.has(r.device.label)))
        return { method: r.method, ip: r.ip, device: r.device.label, at: r.at, source: 'signin-history' };
      ips.add(r.ip);
      devices.add(r.device.label);
    }
    return null;
  }

  // ---- owner set-up (signed in): recovery codes, trusted friends, contact channels -------------------

  /** Ten new one-time recovery codes (the old unused ones stop working). Shown once. */
  async generateCodes(accountId: string): Promise<string[]> {
    const t = this.now();
    const codes = Array.from({ length: 10 }, () => newRecoveryCode());
    await this.tx(async (tx) => {
      await q.replaceCodes(
        tx,
        accountId,
        codes.map((code) => ({
          id: newId('rc'),
          account_id: accountId,
          code_hash: hashCode(accountId, code),
          created_at: t,
          used_at: null,
          used_case: null,
        })),
      );
      await this.emit(tx, 'recovery.codes.generated', accountId, { count: codes.length });
    });
    return codes;
  }

  async codesRemaining(accountId: string): Promise<number> {
    return (await q.unusedCodes(this.db, accountId)).length;
  }

  async setFriends(accountId: string, handles: string[]): Promise<Array<{ handle: string }>> {
    const max = 10;
    if (handles.length > max)
      throw new GatehouseError('VALIDATION_FAILED', `at most ${max} trusted friends`, {
        extra: { field: 'handles' },
      });
    const ids: string[] = [];
    for (const h of handles) {
      const a = await this.deps.identity.findByHandle(h);
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
    await this.tx(async (tx) => {
      await q.setFriends(tx, accountId, ids, this.now());
      await this.emit(tx, 'recovery.friends.updated', accountId, { count: ids.length });
    });
    return this.friends(accountId);
  }

  async friends(accountId: string): Promise<Array<{ handle: string }>> {
    return (await q.friends(this.db, accountId)).map((f) => ({ handle: f.handle }));
  }

  /** The friends asked to vouch: the owner's pre-chosen list, else long-standing friends from the engine. */
  private async friendsOf(accountId: string): Promise<Array<{ id: string; handle: string }>> {
    const chosen = (await q.friends(this.db, accountId)).filter((f) => f.state === 'active');
    if (chosen.length) return chosen.map((f) => ({ id: f.id, handle: f.handle }));
    const ids = (await this.deps.longStandingFriends?.(accountId)) ?? [];
    const out: Array<{ id: string; handle: string }> = [];
    for (const id of ids) {
      if (id === accountId) continue;
      const a = await this.deps.identity.getAccount(id).catch(() => undefined);
      if (a && a.state === 'active') out.push({ id: a.id, handle: a.handle });
    }
    return out;
  }

  async channels(accountId: string): Promise<ChannelView[]> {
    return (await q.channels(this.db, accountId)).map(channelView);
  }

  /** Registers an email address or phone number and sends it a code to prove it (verifyChannel). */
  async addChannel(accountId: string, kind: ChannelKind, address: string) {
    const addr = address.normalize('NFKC').trim();
    if (kind === 'email' ? !EMAIL_RE.test(addr) || addr.length > 254 : !PHONE_RE.test(addr))
      throw new GatehouseError(
        'VALIDATION_FAILED',
        kind === 'email'
          ? 'not an email address'
          : 'a phone number in international form, e.g. +8613800138000',
        { extra: { field: 'address' } },
      );
    const sender = this.deps.codeSender;
    if (!sender || !sender.kinds.includes(kind)) throw new GatehouseError('RECOVERY_SENDER_UNAVAILABLE');
    const key = kind === 'email' ? addr.toLowerCase() : addr;
    const existing = (await q.channels(this.db, accountId)).find(
      (c) => c.kind === kind && c.address_key === key,
    );
    if (existing?.verified_at) throw new GatehouseError('RECOVERY_CHANNEL_EXISTS');
    const limit = this.sends.hit(`channel|${accountId}`);
    if (!limit.allowed) throw rateLimited(limit.retryAfterSeconds);
    const t = this.now();
    const code = randomDigits(6);
    const id = existing?.id ?? newId('chn');
    await this.tx(async (tx) => {
      const patch = {
        code_hash: hashCode(id, code),
        code_expires_at: t + this.opts.codeTtlMs,
        wrong_answers: 0,
      };
      if (existing) await q.updateChannel(tx, id, patch);
      else {
        await q.insertChannel(tx, {
          id,
          account_id: accountId,
          kind,
          address: addr,
          address_key: key,
          verified_at: null,
          created_at: t,
          ...patch,
        });
        await this.emit(tx, 'recovery.channel.added', accountId, { channel: id, kind });
      }
    });
    const account = await this.deps.identity.getAccount(accountId);
    await sender.send({ kind, address: addr, code, purpose: 'channel_verification', handle: account.handle });
    const row = (await q.channel(this.db, accountId, id))!;
    return { channel: channelView(row), delivery: sender.delivery, expiresAt: t + this.opts.codeTtlMs };
  }

  async verifyChannel(accountId: string, channelId: string, code: string): Promise<ChannelView> {
    const ch = await q.channel(this.db, accountId, channelId);
    if (!ch) throw new GatehouseError('RECOVERY_CHANNEL_NOT_FOUND');
    if (ch.verified_at !== null) return channelView(ch);
    const t = this.now();
    if (!ch.code_hash || ch.code_expires_at === null || ch.code_expires_at <= t)
      throw new GatehouseError('RECOVERY_CODE_EXPIRED');
    const byAcc = this.attemptsByAccount.hit(`channel|${accountId}`);
    if (!byAcc.allowed) throw rateLimited(byAcc.retryAfterSeconds);
    if (!codeMatches(ch.id, code, ch.code_hash)) {
      const wrong = ch.wrong_answers + 1;
      const spent = wrong >= this.opts.maxWrongAnswers;
      await q.updateChannel(
        this.db,
        ch.id,
        spent ? { wrong_answers: 0, code_hash: null, code_expires_at: null } : { wrong_answers: wrong },
      );
      if (spent) throw new GatehouseError('RECOVERY_CODE_EXPIRED', 'Too many wrong codes; ask for a new one');
      throw new GatehouseError('RECOVERY_CODE_INVALID', undefined, {
        extra: { attemptsLeft: this.opts.maxWrongAnswers - wrong },
      });
    }
    await this.tx(async (tx) => {
      await q.updateChannel(tx, ch.id, {
        verified_at: t,
        code_hash: null,
        code_expires_at: null,
        wrong_answers: 0,
      });
      await this.emit(tx, 'recovery.channel.verified', accountId, { channel: ch.id, kind: ch.kind });
    });
    return channelView((await q.channel(this.db, accountId, ch.id))!);
  }

  async removeChannel(accountId: string, channelId: string): Promise<void> {
    await this.tx(async (tx) => {
      const r = await q.deleteChannel(tx, accountId, channelId);
      if (Number(r.numDeletedRows) !== 1) throw new GatehouseError('RECOVERY_CHANNEL_NOT_FOUND');
      await this.emit(tx, 'recovery.channel.removed', accountId, { channel: channelId });
    });
  }

  // ---- operator ---------------------------------------------------------------------------------------

  async listCases(f: { state?: CaseState; account?: string; limit: number; before?: number }) {
    const rows = await q.listCases(this.db, f);
    return Promise.all(rows.map((r) => this.view(r)));
  }
}

function channelView(c: RecoveryChannelsTable): ChannelView {
  return {
    id: c.id,
    kind: c.kind,
    address: c.address,
    verified: c.verified_at !== null,
    verifiedAt: c.verified_at,
    createdAt: c.created_at,
  };
}

/** Counts, reach and a small sample of the messages sent in the window. */
export function summariseMessages(events: readonly LoggedEvent[]): NonNullable<OwnerReport['messages']> {
  const people = new Set<string>();
  const groups = new Set<string>();
  for (const e of events) {
    if (Array.isArray(e.recipients)) for (const r of e.recipients) if (typeof r === 'string') people.add(r);
    const g = (e.group as { id?: unknown } | undefined)?.id;
    if (typeof g === 'string') groups.add(g);
  }
  const sample = [...events]
    .sort((a, b) => a.time - b.time)
    .slice(0, 3)
    .map((e) => ({
      at: e.time,
      text: typeof e.text === 'string' ? [...e.text].slice(0, 200).join('') : '',
      urls: Array.isArray(e.urls) ? e.urls.filter((u): u is string => typeof u === 'string').slice(0, 5) : [],
    }));
  return { count: events.length, recipientsReached: people.size, groupsReached: groups.size, sample };
}
