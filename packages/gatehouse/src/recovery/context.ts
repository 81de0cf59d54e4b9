import type { RecoveryCase, RecoveryFactorsChangedWebhook } from '@gatehouse/sdk';
import { newEventId, outboxStore } from '../bus/index.ts';
import { GatehouseError } from '../errors/index.ts';
import type { IdentityService } from '../identity/index.ts';
import type { Logger } from '../log/index.ts';
import {
  AttemptCounters,
  rateLimited,
  RateLimiter,
  type CounterRule,
  type CounterStore,
} from '../ratelimit/index.ts';
import type { Db, Tx } from '../store/db.ts';
import { changeCounts, type FactorScope } from './factors.ts';
import type { AccountEventLog, AppendAudit, CompromiseFacts, EnqueueWebhook, GrantsPort } from './ports.ts';
import type { CaseState, RecoveryCasesTable } from './schema.ts';
import type { AlertMessage, CodeSender } from './senders.ts';
import type { RecoveryOptions } from './options.ts';
import { recoveryStore as q } from './store.ts';
import type { CaseRef, Verifier } from './verifiers.ts';

/** What recovery uses from the rest of Gatehouse. Optional ports that are absent are reported as such. */
/** A recovery factor change as the owner hears of it. */
export interface FactorChange {
  account: string;
  change: 'added' | 'changed' | 'removed';
  factor: RecoveryFactorsChangedWebhook['factor'];
  /** The session that made it (null: an operator). */
  session: string | null;
  /** A masked address or a count; never a secret. */
  detail?: string;
  coolingOffUntil: number;
  at: number;
}

export interface RecoveryDeps {
  /** Where attempt counters live (Redis when `redisUrl` is set); the database's by default. */
  counters?: CounterStore | undefined;
  identity: IdentityService;
  codeSender?: CodeSender | undefined;
  eventLog?: AccountEventLog | undefined;
  compromiseFacts?: (accountId: string, frozenAt: number) => Promise<CompromiseFacts | undefined>;
  /** Friends of long standing (engine): used when the owner chose no trusted friends. */
  longStandingFriends?: (accountId: string) => Promise<string[]>;
  enqueueWebhook?: EnqueueWebhook | undefined;
  appendAudit?: AppendAudit;
  grants?: GrantsPort;
  /** More verifiers (passkey, TOTP) from the sign-in part. */
  verifiers?: Verifier[];
  /** Runs in the transaction of every case step (notify tells the owner about the appeal). */
  onCaseStepTx?: (
    tx: Tx,
    c: { id: string; account_id: string },
    step: string,
    details: Record<string, unknown>,
    at: number,
  ) => Promise<unknown>;
  /** In the change's transaction: a recovery factor was added, changed or removed (the owner's notice). */
  onFactorChangedTx?: (tx: Tx, c: FactorChange) => Promise<unknown>;
  onCommit?: () => void;
  now?: () => number;
  log?: Logger;
}

/** What the owner does next, in both languages (the SDK's type: one shape for server and clients). */
export type NextStep = RecoveryCase['next'];

/**
 * A case as its readers see it. Before the case is verified the appellant sees only its state and what
 * to do next (`details: false`): who the account is, the compromise window and what was done stay hidden.
 */
export interface CaseView extends Omit<RecoveryCase, 'state'> {
  state: CaseState;
}

export const APPELLANT = 'appellant';
export const accountActor = (id: string) => `account:${id}`;
export const keyActor = (id: string) => `key:${id}`;
const VERIFIED_STATES: readonly CaseState[] = ['verified', 'pledged', 'restored'];

export function wrongState(c: RecoveryCasesTable, allowed: readonly CaseState[]): GatehouseError {
  return new GatehouseError(
    'RECOVERY_WRONG_STATE',
    `The case is ${c.state}; this step needs ${allowed.join(' or ')}`,
    { extra: { state: c.state, allowed } },
  );
}

export function locked(until: number, now: number): GatehouseError {
  const retryAfterSeconds = Math.max(1, Math.ceil((until - now) / 1000));
  return new GatehouseError('RECOVERY_LOCKED', `Verification is locked for ${retryAfterSeconds} s`, {
    headers: { 'retry-after': String(retryAfterSeconds) },
    extra: { retryAfterSeconds, lockedUntil: until },
  });
}

/** The next step of a case, plainly. */
export function nextStep(c: RecoveryCasesTable, now: number): NextStep {
  if (c.state === 'opened')
    return {
      step: 'choose_method',
      en: 'Choose a way to prove the account is yours.',
      zh: '请选择一种方式证明账号属于您。',
    };
  if (c.state === 'verifying')
    return c.method === 'trusted_friends'
      ? {
          step: 'wait_for_friends',
          en: 'Give each friend their own code in person or by phone; they confirm from their own accounts.',
          zh: '请当面或电话把各自的验证码告诉每位好友，由他们在自己的账号中确认。',
        }
      : { step: 'answer', en: 'Enter the code.', zh: '请输入验证码。' };
  if (c.state === 'verified')
    return c.ready_at !== null && c.ready_at > now
      ? {
          step: 'wait',
          en: 'Your friends confirmed. For your safety the appeal goes on after a waiting period, or at once if you also verify another way.',
          zh: '好友已确认。为安全起见，申诉需等待一段时间后才能继续；如您再用其他方式验证，可立即继续。',
        }
      : { step: 'pledge', en: 'Read and accept the pledge.', zh: '请阅读并接受承诺书。' };
  if (c.state === 'pledged') {
    if (c.password_changed_at === null)
      return { step: 'password', en: 'Set a new password.', zh: '请设置新密码。' };
    if (c.sessions_reviewed_at === null)
      return { step: 'review_sessions', en: 'Review the signed-in sessions.', zh: '请检查已登录的会话。' };
    return { step: 'finish', en: 'Finish to take the account back.', zh: '完成以取回账号。' };
  }
  return { step: 'done', en: `The appeal is ${c.state}.`, zh: `申诉已结束（${c.state}）。` };
}

/**
 * The shared kernel of the recovery part: its store, ports, settings and counters, and the few
 * operations every step uses (transactions, case records, views, scopes, limits, alerts).
 */
export class RecoveryContext {
  readonly db: Db;
  readonly deps: RecoveryDeps;
  readonly opts: RecoveryOptions;
  readonly now: () => number;
  readonly counters: CounterStore;
  /** Codes sent per case and method (in memory: sending is slow and rare). */
  readonly sends: RateLimiter;

  constructor(db: Db, deps: RecoveryDeps, opts: RecoveryOptions) {
    this.db = db;
    this.deps = deps;
    this.opts = opts;
    this.now = deps.now ?? Date.now;
    this.counters = deps.counters ?? new AttemptCounters(db, this.now);
    this.sends = new RateLimiter({ limit: opts.sendsPerCase, windowMs: 3_600_000, now: this.now });
  }

  get identity(): IdentityService {
    return this.deps.identity;
  }

  async tx<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const r = await this.db.transaction().execute(fn);
    this.deps.onCommit?.();
    return r;
  }

  /** Counts one attempt against every rule (per hour) or throws RATE_LIMITED. */
  async limit(rules: Array<Omit<CounterRule, 'windowMs'> & { windowMs?: number }>): Promise<void> {
    const r = await this.counters.reserve(rules.map((x) => ({ windowMs: 3_600_000, ...x })));
    if (!r.allowed) throw rateLimited(r.retryAfterSeconds);
  }

  /** Records one step of a case: a case event, an outbox event recovery.case.<step>, an audit entry. */
  async record(
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
    await this.deps.onCaseStepTx?.(tx, c, step, details, at);
  }

  /** An account-level recovery event (codes, friends, channels) on the outbox and in the audit log. */
  async emit(
    tx: Tx,
    type: `recovery.${string}`,
    account: string,
    data: Record<string, unknown> = {},
    actor?: string,
  ) {
    const at = this.now();
    await outboxStore.append(tx, [{ id: newEventId(), type, time: at, account, ...data }]);
    await this.deps.appendAudit?.(tx, {
      actor: actor ?? accountActor(account),
      action: type,
      subject: `account:${account}`,
      data,
      at,
    });
  }

  /** The details recorded by a case's latest event of `step`. */
  caseStep(caseId: string, step: string): Promise<Record<string, unknown> | undefined> {
    return q.stepDetails(this.db, caseId, step);
  }

  async mustCase(caseId: string): Promise<RecoveryCasesTable> {
    const c = await q.caseById(this.db, caseId);
    if (!c) throw new GatehouseError('RECOVERY_CASE_NOT_FOUND');
    return c;
  }

  requireState(c: RecoveryCasesTable, allowed: readonly CaseState[]): void {
    if (!allowed.includes(c.state)) throw wrongState(c, allowed);
  }

  /** Whether the case has been verified (its details may be shown to the appellant). */
  verified(c: RecoveryCasesTable): boolean {
    return VERIFIED_STATES.includes(c.state);
  }

  /** The case for a reader: `full` (operators, or the appellant once verified) or restricted. */
  async view(c: RecoveryCasesTable, full = true): Promise<CaseView> {
    const t = this.now();
    const show = full || this.verified(c);
    const a = show ? await this.identity.getAccount(c.account_id) : undefined;
    return {
      id: c.id,
      state: c.state,
      details: show,
      account: a ? { id: a.id, handle: a.handle } : null,
      openedBy: c.opened_by,
      createdAt: c.created_at,
      expiresAt: c.expires_at,
      method: c.method,
      verifiedBy: c.verified_by,
      verifiedAt: c.verified_at,
      readyAt: c.ready_at !== null && c.ready_at > t ? c.ready_at : null,
      pledge:
        c.pledge_version && c.pledged_at !== null ? { version: c.pledge_version, at: c.pledged_at } : null,
      passwordChanged: c.password_changed_at !== null,
      sessionsReviewed: c.sessions_reviewed_at !== null,
      lockedUntil: c.locked_until !== null && c.locked_until > t ? c.locked_until : null,
      window: show ? { start: c.window_start, end: c.window_end } : null,
      rejectReason: c.reject_reason,
      closedAt: c.closed_at,
      next: nextStep(c, t),
    };
  }

  /** The factors that count for a case: past their cooling-off and (when known) outside its window. */
  scope(c: RecoveryCasesTable): FactorScope {
    return {
      accountId: c.account_id,
      now: this.now(),
      coolingOffMs: this.opts.factorCoolingOffMs,
      ...(c.window_basis === 'default' ? {} : { window: { start: c.window_start, end: c.window_end } }),
    };
  }

  /** The factors that count now, outside any containment. */
  readonly scopeNow = (accountId: string): FactorScope => ({
    accountId,
    now: this.now(),
    coolingOffMs: this.opts.factorCoolingOffMs,
  });

  ref(c: RecoveryCasesTable, handle: string): CaseRef {
    return { id: c.id, accountId: c.account_id, handle, scope: this.scope(c) };
  }

  /**
   * Alerts the owner on every verified channel (those still cooling off and those removed within their
   * cooling-off too: any of them may be the owner's), with a one-time "this wasn't me" token. Returns how
   * many channels were alerted and how.
   */
  async alert(
    accountId: string,
    text: AlertMessage['text'],
    stop: string,
    exclude?: string,
  ): Promise<{ channels: number; delivery: string | null }> {
    const sender = this.deps.codeSender;
    if (!sender?.alert) return { channels: 0, delivery: null };
    const account = await this.identity.getAccount(accountId);
    const scope = this.scopeNow(accountId);
    const channels = (await q.channels(this.db, accountId)).filter(
      (c) =>
        c.verified_at !== null &&
        c.id !== exclude &&
        sender.kinds.includes(c.kind) &&
        !(c.removed_at !== null && changeCounts(c.removed_at, scope)),
    );
    let sent = 0;
    for (const c of channels) {
      try {
        await sender.alert({ kind: c.kind, address: c.address, handle: account.handle, text, stop });
        sent++;
      } catch (err) {
        this.deps.log?.error(
          { err, account: accountId, channel: c.id },
          'a recovery alert could not be sent',
        );
      }
    }
    return { channels: sent, delivery: sender.delivery };
  }
}
