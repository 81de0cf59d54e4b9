import type { ActionContext } from './actions/index.ts';
import { forgetIntruderContexts, recordedDeviceSessions } from './actions/forget-device.ts';
import { handleBatch } from './batch.ts';
import { Challenges } from './challenges.ts';
import { Holds } from './holds.ts';
import type { Policy } from './policy.ts';
import { Quarantine } from './quarantine.ts';
import { isRepeat, Runner } from './runner.ts';
import { responseStore as q } from './store.ts';
import { ThrottleGate } from './throttle.ts';
import type { DecisionInput, ResponseDeps, SentMessage, StepResult } from './types.ts';

export type {
  AuditSink,
  DecisionInput,
  ResponseDecision,
  EngineControl,
  GrantRevoker,
  MessageLog,
  Notifier,
  PlatformDelivery,
  PlatformMessage,
  ResponseDeps,
  SentMessage,
  StepResult,
} from './types.ts';

const MAX_RETRACT = 10_000;

/**
 * The response part: turns decisions into actions through the policy (runner.ts, one file per action
 * in actions/), answers owner challenges (challenges.ts), keeps the pre-send check's throttle gate
 * (throttle.ts), holds (holds.ts) and quarantine (quarantine.ts). A dry run records exactly what the
 * real run would do and changes nothing else.
 */
export class ResponseService {
  private readonly d: ResponseDeps;
  private readonly now: () => number;
  /** The pre-send check's throttles (the scale-out shape shares their changes: cluster/throttles.ts). */
  readonly throttles = new ThrottleGate();
  private readonly runner: Runner;
  private readonly ctx: ActionContext;
  private readonly challenges: Challenges;
  private readonly holds: Holds;
  private readonly quarantine: Quarantine;
  /** The pre-send check's gate (synchronous): a reason to hold a message of a throttled account. */
  readonly gate: ThrottleGate['gate'];

  constructor(deps: ResponseDeps) {
    this.d = deps;
    const now = (this.now = deps.now ?? Date.now);
    const ctx: ActionContext = {
      deps,
      now,
      challengeTtlMs: deps.challengeTtlMs ?? 24 * 3_600_000,
      throttles: this.throttles,
      displayName: (account) => this.displayName(account),
      intruderMessages: (d, scope) => this.intruderMessages(d, scope),
    };
    this.runner = new Runner(ctx);
    this.ctx = ctx;
    this.challenges = new Challenges(deps, {
      now,
      throttles: this.throttles,
      contain: (d) => this.handle(d),
    });
    this.holds = new Holds(deps, now);
    this.quarantine = new Quarantine(deps, now);
    this.gate = this.throttles.gate;
  }

  handle(decision: DecisionInput): Promise<StepResult[]> {
    return this.runner.handle(decision);
  }

  /** Later decisions on one contained account, handled together (see batch.ts). */
  handleBatch(decisions: DecisionInput[]): Promise<void> {
    return handleBatch(this.runner, this.ctx, decisions);
  }

  /** The key the response queue gathers a decision under: a contained account's later decisions. */
  readonly batchKey = (d: DecisionInput): string | undefined => (isRepeat(d) ? d.account : undefined);

  private async displayName(account: string): Promise<string> {
    try {
      return (await this.d.identity.getAccount(account)).displayName;
    } catch {
      return account;
    }
  }

  private async intruderMessages(
    d: DecisionInput,
    scope: 'session' | 'since_compromise',
  ): Promise<{ since: number; messages: SentMessage[] }> {
    const since = await this.d.messages.compromiseStart(d.account, d.session, d.time);
    const session = scope === 'session' && d.session ? d.session : undefined;
    const messages = await this.d.messages.sentBy(d.account, {
      ...(session ? { session } : {}),
      since,
      limit: MAX_RETRACT,
    });
    return { since, messages };
  }

  /**
   * The owner answers a challenge from a session of their own (never the suspected one). "not_me"
   * contains at once; "was_me" releases the held messages and lifts the throttle.
   */
  answerChallenge(id: string, answer: 'was_me' | 'not_me', by: { account: string; session: string }) {
    return this.challenges.answer(id, answer, by);
  }

  pendingChallenges(account: string) {
    return this.challenges.pending(account);
  }

  /** Expires holds and quarantines whose time has come; tells the platform. */
  async sweep(): Promise<{ holdsExpired: number; quarantineLifted: number }> {
    const holdsExpired = await this.holds.expire();
    const quarantineLifted = await this.quarantine.expire();
    return { holdsExpired, quarantineLifted };
  }

  /** Re-applies live quarantines and throttles to the engine and the gate after a restart. */
  async restoreEngineState(): Promise<number> {
    const n = await this.quarantine.restore();
    await this.throttles.restore(this.d.db, this.now());
    await this.reapplyEffects();
    return n;
  }

  /**
   * A freeze, an intruder-session revocation and a device's forgetting are recorded in the action's
   * transaction and applied at identity just after it commits; a process killed in between leaves the
   * record without the effect (and the runner skips a recorded action). At start, those of the last day
   * are applied again: a freeze whose account is active and was not unfrozen since, the named intruder
   * session if still live, the intruder device's contexts (forgetting is idempotent).
   */
  async reapplyEffects(sinceMs = 24 * 3_600_000): Promise<number> {
    const since = this.now() - sinceMs;
    let n = 0;
    for (const r of await q.doneSince(this.d.db, 'freeze_account', since)) {
      const account = await this.d.identity.getAccount(r.account).catch(() => undefined);
      if (account?.state !== 'active' || (await q.unfrozenSince(this.d.db, r.account, r.created_at)))
        continue;
      const detail = JSON.parse(r.detail) as {
        reason?: string;
        kind?: 'containment' | 'sanction';
        deviceSessions?: unknown;
      };
      await this.d.identity.freeze(
        r.account,
        `decision ${r.decision_id}: ${detail.reason ?? 'restored'}`,
        undefined,
        { kind: detail.kind ?? 'containment', decidedAt: r.created_at },
      );
      // and the intruder device's contexts forgotten (a sanction's detail names no sessions)
      if (Array.isArray(detail.deviceSessions))
        await forgetIntruderContexts(this.d, r.account, recordedDeviceSessions(detail));
      this.d.log.warn(
        { account: r.account, decision: r.decision_id },
        'freeze re-applied: the process stopped before it took effect',
      );
      n++;
    }
    for (const r of await q.doneSince(this.d.db, 'revoke_sessions', since)) {
      const detail = JSON.parse(r.detail) as { session?: string | null; deviceSessions?: unknown };
      const { session } = detail;
      if (!session) continue;
      // SESSION_NOT_FOUND: already ended (the usual case)
      const ended = await this.d.identity.revokeSession(r.account, session, 'operator').then(
        () => true,
        () => false,
      );
      // and its device and network forgotten (idempotent: nothing left to forget the second time)
      await forgetIntruderContexts(this.d, r.account, recordedDeviceSessions(detail));
      if (ended) {
        this.d.log.warn(
          { account: r.account, decision: r.decision_id },
          'session revocation re-applied after a stop',
        );
        n++;
      }
    }
    // a forget_device the policy implied (its rule neither froze nor revoked): nothing else forgets it
    for (const r of await q.doneSince(this.d.db, 'forget_device', since))
      await forgetIntruderContexts(this.d, r.account, recordedDeviceSessions(JSON.parse(r.detail)));
    return n;
  }

  /** The throttle in force for an account, if any (the pre-send check consults it). */
  async throttleFor(account: string): Promise<{ perMinute: number; until: number } | undefined> {
    const r = await q.throttle(this.d.db, account);
    if (!r || r.until <= this.now()) return undefined;
    return { perMinute: r.per_minute, until: r.until };
  }

  /** An operator releases a held message. */
  releaseHold(messageId: string, actor: string): Promise<void> {
    return this.holds.release(messageId, actor);
  }

  /** An operator confirms a held message as bad: it is dropped, never delivered. */
  confirmHold(messageId: string, actor: string): Promise<void> {
    return this.holds.confirm(messageId, actor);
  }

  quarantineList() {
    return this.quarantine.list();
  }

  liftQuarantine(key: string, actor: string): Promise<void> {
    return this.quarantine.lift(key, actor);
  }

  policyVersions() {
    return q.policyVersions(this.d.db);
  }

  actions(filter: { account?: string; decisionId?: string; limit?: number }) {
    return q.actions(this.d.db, { ...filter, limit: Math.min(filter.limit ?? 100, 1000) });
  }

  async recordPolicy(p: Policy): Promise<void> {
    await q.recordPolicyVersion(this.d.db, p.hash, p.version, p.text, this.now());
  }
}
