import { newEventId, outboxStore } from '../bus/index.ts';
import { newId } from '../crypto/index.ts';
import { GatehouseError } from '../errors/index.ts';
import type { IdentityService } from '../identity/index.ts';
import type { Logger } from '../log/index.ts';
import type { Db, Tx } from '../store/db.ts';
import type { PlannedAction, PlannedStep, Policy } from './policy.ts';
import { evaluatePolicy } from './policy.ts';
import type { PolicyManager } from './policy-manager.ts';
import { responseStore as q } from './store.ts';
import { localize, type Localized } from './texts.ts';

/** A decision of the engine, as the response part needs it. */
export interface DecisionInput {
  id: string;
  account: string;
  session?: string;
  time: number;
  action: 'allow' | 'challenge' | 'hold' | 'block' | 'contain';
  risk: number;
  eventType: string;
  eventId: string;
  /** The platform's message id for message decisions (defaults to the event id). */
  messageId?: string;
  signals: ReadonlyArray<{
    name: string;
    value: number | string;
    logOdds: number;
    reason: { en: string; zh: string };
  }>;
  reasons: ReadonlyArray<{ signal: string; en: string; zh: string }>;
  campaigns?: readonly string[];
  /** Content fingerprint keys of the event ("t:…", "d:<domain>", "i:<hash>") for quarantine. */
  fingerprints?: readonly string[];
  /** Made by the pre-send check (a block or contain verdict means the message was never delivered). */
  checked?: boolean;
}

export interface SentMessage {
  id: string;
  time: number;
  session?: string;
  recipients: string[];
  group?: { id: string; memberCount: number };
}

/** Reads what an account sent (the engine's event log implements it). */
export interface MessageLog {
  sentBy(account: string, opts: { session?: string; since: number; limit: number }): Promise<SentMessage[]>;
  /** Best estimate of when the compromise began (the intruder session's sign-in, or the first risky event). */
  compromiseStart(account: string, session: string | undefined, decidedAt: number): Promise<number>;
}

/** A message to the platform (a signed webhook through the transactional outbox). */
export interface PlatformMessage {
  type: string;
  account: string;
  payload: Record<string, unknown>;
}
export interface PlatformDelivery {
  enqueueInTx(tx: Tx, msg: PlatformMessage): Promise<void>;
}
export interface AuditSink {
  appendInTx(
    tx: Tx,
    entry: { actor: string; action: string; subject: string; data: Record<string, unknown> },
  ): Promise<void>;
}
/** Engine controls the response part uses. */
export interface EngineControl {
  markVictim(account: string, t?: number): void;
  release(account: string): void;
  quarantine(key: string): void;
  unquarantine(key: string): void;
}
/** Revokes third-party grants and tokens. The OAuth part implements it for apps; Gatehouse sessions now. */
export interface GrantRevoker {
  revokeGrants(
    account: string,
    scope: 'intruder' | 'all',
    session: string | undefined,
  ): Promise<{ revoked: number; kind: string }>;
}
/** Tells an owner something on their verified channels. */
export interface Notifier {
  notify(account: string, text: Localized, kind: string): Promise<{ channel: string }>;
}

export interface ResponseDeps {
  db: Db;
  log: Logger;
  identity: IdentityService;
  policy: PolicyManager;
  messages: MessageLog;
  delivery: PlatformDelivery;
  audit: AuditSink;
  engine: EngineControl;
  grants: GrantRevoker[];
  notifier: Notifier;
  challengeTtlMs?: number;
  /** Called after a transaction that wrote outbox events (action.taken) has committed. */
  onCommit?: () => void;
  now?: () => number;
}

/** The result of one planned step: what was (or, in dry-run, would have been) done. */
export interface StepResult {
  kind: PlannedAction['kind'];
  rule: string;
  mode: 'enforce' | 'dry-run';
  status: 'done' | 'skipped' | 'failed';
  detail: Record<string, unknown>;
  ms: number;
}

const MAX_RETRACT = 10_000;
/** Actions done once when an account is contained, not again for each later message of the intruder. */
const ONCE_PER_CONTAINMENT: ReadonlySet<string> = new Set(['freeze_account', 'notify_owner']);

/**
 * Turns decisions into actions through the policy. Each action has one planning step shared by both
 * modes and an apply step that only runs in enforce mode: a dry run records exactly what the real run
 * would do and changes nothing else. Actions are idempotent per (decision, action): a decision
 * redelivered after a crash does not act twice.
 */
export class ResponseService {
  private readonly d: ResponseDeps;
  private readonly now: () => number;
  private readonly challengeTtlMs: number;
  /** Throttles in force, mirrored in memory for the synchronous pre-send check. */
  private readonly throttles = new Map<
    string,
    { perMinute: number; until: number; windowStart: number; count: number }
  >();

  constructor(deps: ResponseDeps) {
    this.d = deps;
    this.now = deps.now ?? Date.now;
    this.challengeTtlMs = deps.challengeTtlMs ?? 24 * 3_600_000;
  }

  async handle(decision: DecisionInput): Promise<StepResult[]> {
    const policy = this.d.policy.current;
    const { steps } = evaluatePolicy(policy, decision);
    // Every later message of a contained intruder is judged `contain` again, and the engine says so
    // with `account_contained` (the first containing decision does not carry it): the account is
    // already frozen and its owner told, so only what is new is done (its own message taken back,
    // its own recipients warned), not another freeze notice per blocked message.
    const repeat =
      decision.action === 'contain' && decision.signals.some((s) => s.name === 'account_contained');
    const out: StepResult[] = [];
    for (const step of steps) out.push(await this.run(policy, decision, step, repeat));
    return out;
  }

  /** A contained account's session (or all of them) was already revoked by an earlier decision. */
  private async alreadyRevoked(d: DecisionInput): Promise<boolean> {
    for (const r of await q.revokeDetails(this.d.db, d.account)) {
      const x = JSON.parse(r.detail) as { scope?: string; session?: string | null };
      if (x.scope === 'all' || (d.session !== undefined && x.session === d.session)) return true;
    }
    return false;
  }

  private async run(
    policy: Policy,
    d: DecisionInput,
    step: PlannedStep,
    repeat = false,
  ): Promise<StepResult> {
    const t0 = performance.now();
    const { kind } = step.action;
    const skipped = (reason: string, ms = 0): StepResult => ({
      kind,
      rule: step.rule,
      mode: step.mode,
      status: 'skipped',
      detail: { reason },
      ms,
    });
    if (repeat && ONCE_PER_CONTAINMENT.has(kind)) return skipped('already_contained');
    if (repeat && kind === 'revoke_sessions' && (await this.alreadyRevoked(d)))
      return skipped('already_revoked');
    if (await q.actionDone(this.d.db, d.id, kind)) return skipped('already_done');
    let detail: Record<string, unknown>;
    let status: StepResult['status'] = 'done';
    try {
      const plan = await this.plan(d, step.action, repeat);
      detail = plan.detail;
      const actionId = newId('act');
      await this.d.db.transaction().execute(async (tx) => {
        if (step.mode === 'enforce') await plan.apply(tx);
        await q.insertAction(tx, {
          id: actionId,
          decision_id: d.id,
          account: d.account,
          kind,
          rule: step.rule,
          mode: step.mode,
          params: JSON.stringify(step.action.params),
          status,
          detail: JSON.stringify(detail),
          policy_hash: policy.hash,
          created_at: this.now(),
        });
        await this.d.audit.appendInTx(tx, {
          actor: `policy:${step.rule}`,
          action: `${step.mode === 'dry-run' ? 'dry-run:' : ''}${kind}`,
          subject: d.account,
          data: { decision: d.id, params: step.action.params, detail, policy: policy.hash },
        });
        await outboxStore.append(tx, [
          {
            id: `action:${actionId}`,
            type: 'action.taken',
            time: this.now(),
            account: d.account,
            action: {
              id: actionId,
              kind,
              mode: step.mode,
              status,
              rule: step.rule,
              decision: d.id,
              detail,
              /** decision time → this action committed (the time the harm was allowed to continue). */
              sinceDecisionMs: Math.max(0, this.now() - d.time),
              ms: performance.now() - t0,
            },
          },
        ]);
      });
      this.d.onCommit?.();
      if (step.mode === 'enforce') await plan.after?.();
    } catch (err) {
      if (/unique|duplicate/i.test(String((err as Error).message)))
        return skipped('already_done', performance.now() - t0);
      this.d.log.error({ err, decision: d.id, kind }, 'response action failed');
      status = 'failed';
      detail = { error: (err as Error).message };
    }
    return { kind, rule: step.rule, mode: step.mode, status, detail, ms: performance.now() - t0 };
  }

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
   * Plans one action: `detail` says what will be done (the dry-run record); `apply` does it inside the
   * transaction that records it (so platform webhooks go out only if the action is recorded); `after`
   * runs effects outside the database (engine state) once the transaction has committed.
   */
  private async plan(
    d: DecisionInput,
    a: PlannedAction,
    repeat = false,
  ): Promise<{
    detail: Record<string, unknown>;
    apply: (tx: Tx) => Promise<void>;
    after?: () => Promise<void>;
  }> {
    const t = this.now();
    const reason = d.reasons.map((r) => r.signal).join(', ') || d.action;
    switch (a.kind) {
      case 'freeze_account': {
        const name = await this.displayName(d.account);
        return {
          detail: { account: d.account, reason },
          apply: async (tx) => {
            await this.d.delivery.enqueueInTx(tx, {
              type: 'account.frozen',
              account: d.account,
              payload: {
                account: d.account,
                decision: d.id,
                reason,
                notice: localize('ownerFrozen', { name, time: new Date(t).toISOString(), reason }),
              },
            });
          },
          after: async () => {
            await this.d.identity.freeze(d.account, `decision ${d.id}: ${reason}`).catch((e: unknown) => {
              if (!(
                e instanceof GatehouseError &&
                (e.code === 'ACCOUNT_NOT_FOUND' || e.code === 'ACCOUNT_DELETED')
              ))
                throw e;
            });
            this.d.engine.markVictim(d.account, d.time);
          },
        };
      }
      case 'revoke_sessions': {
        const all = a.params.scope === 'all' || !d.session;
        return {
          detail: { scope: all ? 'all' : 'intruder', session: d.session ?? null },
          apply: async (tx) => {
            await this.d.delivery.enqueueInTx(tx, {
              type: 'sessions.revoke',
              account: d.account,
              payload: {
                account: d.account,
                scope: all ? 'all' : 'session',
                session: d.session ?? null,
                decision: d.id,
              },
            });
          },
          after: async () => {
            if (all) await this.d.identity.revokeAll(d.account, 'operator').catch(() => undefined);
            else
              await this.d.identity.revokeSession(d.account, d.session!, 'operator').catch(() => undefined);
          },
        };
      }
      case 'revoke_grants': {
        return {
          detail: { scope: a.params.scope, revokers: this.d.grants.length },
          apply: async () => undefined,
          after: async () => {
            for (const g of this.d.grants) await g.revokeGrants(d.account, a.params.scope, d.session);
          },
        };
      }
      case 'retract_messages': {
        const { since, messages } = await this.intruderMessages(d, a.params.scope);
        const name = await this.displayName(d.account);
        const notice = localize('messageRetracted', { name });
        return {
          detail: {
            scope: a.params.scope,
            since,
            messages: messages.length,
            messageIds: messages.slice(0, 50).map((m) => m.id),
          },
          apply: async (tx) => {
            const done = new Set(
              (
                await q.retractedIds(
                  tx,
                  messages.map((m) => m.id),
                )
              ).map((r) => r.message_id),
            );
            const todo = messages.filter((m) => !done.has(m.id));
            await q.insertRetractions(
              tx,
              todo.map((m) => ({
                message_id: m.id,
                account: d.account,
                session: m.session ?? null,
                decision_id: d.id,
                recipients: JSON.stringify(m.recipients.slice(0, 1000)),
                retracted_at: t,
              })),
            );
            for (const m of todo) {
              await q.resolveHold(tx, m.id, 'retracted', t);
              await this.d.delivery.enqueueInTx(tx, {
                type: 'message.retract',
                account: d.account,
                payload: {
                  message: m.id,
                  account: d.account,
                  recipients: m.recipients,
                  group: m.group ?? null,
                  decision: d.id,
                  notice,
                },
              });
            }
          },
        };
      }
      case 'warn_recipients': {
        let { messages } = await this.intruderMessages(d, 'since_compromise');
        // already contained: the earlier warning covered what came before; a message the pre-send
        // check stopped reached nobody
        if (repeat) {
          const own = d.messageId ?? d.eventId;
          messages = d.checked ? [] : messages.filter((m) => m.id === own);
        }
        const recipients = [...new Set(messages.flatMap((m) => m.recipients))];
        const groups = [...new Set(messages.flatMap((m) => (m.group ? [m.group.id] : [])))];
        const name = await this.displayName(d.account);
        const warning = localize('recipientWarning', { name });
        return {
          detail: { recipients: recipients.length, groups: groups.length, warning },
          apply: async (tx) => {
            if (recipients.length === 0 && groups.length === 0) return;
            await this.d.delivery.enqueueInTx(tx, {
              type: 'recipients.warn',
              account: d.account,
              payload: {
                account: d.account,
                recipients,
                groups,
                messages: messages.map((m) => m.id),
                warning,
                decision: d.id,
              },
            });
          },
        };
      }
      case 'quarantine_content': {
        const keys = (d.fingerprints ?? []).filter((k) =>
          a.params.kinds.includes(k.startsWith('d:') ? 'domain' : k.startsWith('i:') ? 'image' : 'text'),
        );
        const expiresAt = t + a.params.ttl;
        return {
          detail: { keys, expiresAt },
          apply: async (tx) => {
            for (const key of keys) {
              await q.upsertQuarantine(tx, {
                key,
                kind: key.slice(0, 1),
                decision_id: d.id,
                expires_at: expiresAt,
                created_at: t,
                lifted_at: null,
              });
            }
            if (keys.length)
              await this.d.delivery.enqueueInTx(tx, {
                type: 'content.quarantine',
                account: d.account,
                payload: { keys, expiresAt, decision: d.id },
              });
          },
          after: async () => {
            for (const key of keys) this.d.engine.quarantine(key);
          },
        };
      }
      case 'hold_message': {
        const expiresAt = t + a.params.expiresIn;
        const applies = d.eventType === 'message.sent';
        const message = d.messageId ?? d.eventId;
        return {
          detail: applies ? { message, expiresAt } : { skipped: 'not a message' },
          apply: async (tx) => {
            if (!applies) return;
            await q.upsertHold(tx, {
              message_id: message,
              account: d.account,
              decision_id: d.id,
              status: 'held',
              expires_at: expiresAt,
              created_at: t,
              resolved_at: null,
            });
            await this.d.delivery.enqueueInTx(tx, {
              type: 'message.hold',
              account: d.account,
              payload: {
                message,
                account: d.account,
                expiresAt,
                decision: d.id,
                // why, in both languages, for the sender's "held" notice and the platform's support staff
                reasons: d.reasons,
                notice: localize('messageHeld'),
              },
            });
          },
        };
      }
      case 'throttle_account': {
        const until = t + a.params.duration;
        return {
          detail: { perMinute: a.params.messagesPerMinute, until },
          apply: async (tx) => {
            await q.setThrottle(tx, {
              account: d.account,
              per_minute: a.params.messagesPerMinute,
              until,
              decision_id: d.id,
              created_at: t,
            });
            await this.d.delivery.enqueueInTx(tx, {
              type: 'account.throttle',
              account: d.account,
              payload: {
                account: d.account,
                perMinute: a.params.messagesPerMinute,
                until,
                decision: d.id,
                notice: localize('ownerThrottled', { rate: a.params.messagesPerMinute }),
              },
            });
          },
          after: async () => {
            this.throttles.set(d.account, {
              perMinute: a.params.messagesPerMinute,
              until,
              windowStart: 0,
              count: 0,
            });
          },
        };
      }
      case 'challenge_owner': {
        const id = newId('chl');
        const text = localize('ownerChallenge', { reason });
        return {
          detail: { challenge: id, channel: a.params.channel, text },
          apply: async (tx) => {
            await q.insertChallenge(tx, {
              id,
              account: d.account,
              decision_id: d.id,
              session: d.session ?? null,
              status: 'pending',
              reason,
              created_at: t,
              expires_at: t + this.challengeTtlMs,
              answered_at: null,
              answered_by_session: null,
            });
            await this.d.delivery.enqueueInTx(tx, {
              type: 'owner.challenge',
              account: d.account,
              payload: {
                challenge: id,
                account: d.account,
                suspectedSession: d.session ?? null,
                channel: a.params.channel,
                text,
                decision: d.id,
              },
            });
          },
          after: async () => {
            await this.d.notifier.notify(d.account, text, 'challenge');
          },
        };
      }
      case 'notify_owner': {
        const name = await this.displayName(d.account);
        const text = localize('ownerFrozen', { name, time: new Date(d.time).toISOString(), reason });
        return {
          detail: { text },
          apply: async (tx) => {
            await this.d.delivery.enqueueInTx(tx, {
              type: 'owner.notify',
              account: d.account,
              payload: { account: d.account, text, decision: d.id },
            });
          },
          after: async () => {
            await this.d.notifier.notify(d.account, text, 'containment');
          },
        };
      }
    }
  }

  /**
   * The owner answers a challenge from a session of their own (never the suspected one). "not_me"
   * contains at once; "was_me" releases the held messages and lifts the throttle.
   */
  async answerChallenge(
    id: string,
    answer: 'was_me' | 'not_me',
    by: { account: string; session: string },
  ): Promise<{ status: string; steps?: StepResult[] }> {
    const t = this.now();
    const c = await q.challenge(this.d.db, id);
    if (!c || c.account !== by.account) throw new GatehouseError('NOT_FOUND', 'No such challenge');
    if (c.status !== 'pending' || c.expires_at <= t) throw new GatehouseError('CHALLENGE_CLOSED');
    if (c.session && c.session === by.session) throw new GatehouseError('CHALLENGE_SUSPECTED_SESSION');
    await this.d.db.transaction().execute(async (tx) => {
      const r = await q.answerChallenge(tx, id, answer, by.session, t);
      if (Number(r.numUpdatedRows) === 0) throw new GatehouseError('CHALLENGE_CLOSED');
      await this.d.audit.appendInTx(tx, {
        actor: `account:${by.account}`,
        action: `challenge.${answer}`,
        subject: by.account,
        data: { challenge: id, decision: c.decision_id },
      });
      if (answer === 'was_me') {
        for (const h of await q.holdsFor(tx, c.account)) {
          await q.resolveHold(tx, h.message_id, 'released', t);
          await this.d.delivery.enqueueInTx(tx, {
            type: 'message.release',
            account: c.account,
            payload: { message: h.message_id, account: c.account },
          });
        }
        await q.deleteThrottle(tx, c.account);
      }
    });
    if (answer === 'was_me') {
      this.d.engine.release(c.account);
      this.throttles.delete(c.account);
      return { status: 'was_me' };
    }
    const steps = await this.handle({
      id: `owner-denied:${id}`,
      account: c.account,
      ...(c.session ? { session: c.session } : {}),
      time: t,
      action: 'contain',
      risk: 1,
      eventType: 'owner.denied',
      eventId: newEventId(),
      signals: [
        {
          name: 'owner_denied',
          value: 1,
          logOdds: 10,
          reason: { en: 'the owner said the activity was not them', zh: '号主确认不是本人操作' },
        },
      ],
      reasons: [
        {
          signal: 'owner_denied',
          en: 'the owner said the activity was not them',
          zh: '号主确认不是本人操作',
        },
      ],
    });
    return { status: 'not_me', steps };
  }

  /** Expires holds and quarantines whose time has come; tells the platform. */
  async sweep(): Promise<{ holdsExpired: number; quarantineLifted: number }> {
    const t = this.now();
    const holds = await q.expiredHolds(this.d.db, t);
    for (const h of holds) {
      await this.d.db.transaction().execute(async (tx) => {
        const r = await q.resolveHold(tx, h.message_id, 'expired', t);
        if (Number(r.numUpdatedRows) > 0)
          await this.d.delivery.enqueueInTx(tx, {
            type: 'message.expire',
            account: h.account,
            payload: { message: h.message_id, account: h.account },
          });
      });
    }
    const quarantine = await q.expiredQuarantine(this.d.db, t);
    for (const r of quarantine) {
      await q.liftQuarantine(this.d.db, r.key, t);
      this.d.engine.unquarantine(r.key);
    }
    return { holdsExpired: holds.length, quarantineLifted: quarantine.length };
  }

  /** Re-applies live quarantines to the engine after a restart. */
  async restoreEngineState(): Promise<number> {
    const live = await q.liveQuarantine(this.d.db, this.now());
    for (const r of live) this.d.engine.quarantine(r.key);
    for (const r of await q.liveThrottles(this.d.db, this.now())) {
      this.throttles.set(r.account, { perMinute: r.per_minute, until: r.until, windowStart: 0, count: 0 });
    }
    return live.length;
  }

  /**
   * The pre-send check's gate (synchronous): counts a message of a throttled account and says to hold
   * it when the account is over its rate.
   */
  readonly gate = (account: string, now: number): { signal: string; en: string; zh: string } | undefined => {
    const t = this.throttles.get(account);
    if (!t) return undefined;
    if (t.until <= now) {
      this.throttles.delete(account);
      return undefined;
    }
    if (now - t.windowStart >= 60_000) {
      t.windowStart = now;
      t.count = 0;
    }
    t.count++;
    if (t.count <= t.perMinute) return undefined;
    return {
      signal: 'throttled',
      en: `the account is limited to ${t.perMinute} messages a minute`,
      zh: `该账号被限制为每分钟最多 ${t.perMinute} 条消息`,
    };
  };

  /** The throttle in force for an account, if any (the pre-send check consults it). */
  async throttleFor(account: string): Promise<{ perMinute: number; until: number } | undefined> {
    const r = await q.throttle(this.d.db, account);
    if (!r || r.until <= this.now()) return undefined;
    return { perMinute: r.per_minute, until: r.until };
  }

  async pendingChallenges(account: string) {
    return (await q.pendingChallenges(this.d.db, account, this.now())).map((c) => ({
      id: c.id,
      reason: c.reason,
      text: localize('ownerChallenge', { reason: c.reason }),
      createdAt: c.created_at,
      expiresAt: c.expires_at,
      suspectedSession: c.session,
    }));
  }

  /** An operator releases a held message. */
  async releaseHold(messageId: string, actor: string): Promise<void> {
    const t = this.now();
    await this.d.db.transaction().execute(async (tx) => {
      const h = await q.hold(tx, messageId);
      if (!h || h.status !== 'held') throw new GatehouseError('HOLD_NOT_FOUND');
      await q.resolveHold(tx, messageId, 'released', t);
      await this.d.delivery.enqueueInTx(tx, {
        type: 'message.release',
        account: h.account,
        payload: { message: messageId, account: h.account },
      });
      await this.d.audit.appendInTx(tx, {
        actor,
        action: 'hold.release',
        subject: h.account,
        data: { message: messageId },
      });
    });
  }

  async quarantineList() {
    return (await q.liveQuarantine(this.d.db, this.now())).map((r) => ({
      key: r.key,
      kind: r.kind,
      decision: r.decision_id,
      createdAt: r.created_at,
      expiresAt: r.expires_at,
    }));
  }

  async liftQuarantine(key: string, actor: string): Promise<void> {
    const t = this.now();
    await this.d.db.transaction().execute(async (tx) => {
      const r = await q.liftQuarantine(tx, key, t);
      if (Number(r.numUpdatedRows) === 0)
        throw new GatehouseError('NOT_FOUND', `no live quarantine for ${key}`);
      await this.d.audit.appendInTx(tx, { actor, action: 'quarantine.lift', subject: key, data: {} });
    });
    this.d.engine.unquarantine(key);
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
