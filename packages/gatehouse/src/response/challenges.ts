import { Localized } from '@gatehouse/sdk';
import { newEventId } from '../bus/index.ts';
import { explainSignal } from '../engine/index.ts';
import { GatehouseError } from '../errors/index.ts';
import { responseStore as q } from './store.ts';
import { localize } from './texts.ts';
import type { ThrottleGate } from './throttle.ts';
import type { DecisionInput, ResponseDeps, StepResult } from './types.ts';

/** The owner's answers to "was this you?" challenges. */
export class Challenges {
  private readonly d: ResponseDeps;
  private readonly now: () => number;
  private readonly throttles: ThrottleGate;
  private readonly contain: (d: DecisionInput) => Promise<StepResult[]>;

  constructor(
    deps: ResponseDeps,
    o: { now: () => number; throttles: ThrottleGate; contain: (d: DecisionInput) => Promise<StepResult[]> },
  ) {
    this.d = deps;
    this.now = o.now;
    this.throttles = o.throttles;
    this.contain = o.contain;
  }

  /**
   * The owner answers a challenge from a session of their own (never the suspected one). "not_me"
   * contains at once; "was_me" releases the held messages and lifts the throttle.
   */
  async answer(
    id: string,
    answer: 'was_me' | 'not_me',
    by: { account: string; session: string },
  ): Promise<{ status: string; steps?: StepResult[] }> {
    const t = this.now();
    const c = await q.challenge(this.d.db, id);
    if (!c || c.account !== by.account) throw new GatehouseError('NOT_FOUND', 'No such challenge');
    if (c.status !== 'pending' || c.expires_at <= t) throw new GatehouseError('CHALLENGE_CLOSED');
    if (c.session && c.session === by.session) throw new GatehouseError('CHALLENGE_SUSPECTED_SESSION');
    if (answer === 'was_me') {
      // "it was me" only from a session older than the activity and not itself suspected, or after a step-up
      const started = await this.d.messages.compromiseStart(c.account, c.session ?? undefined, c.created_at);
      const suspected = (await q.pendingChallenges(this.d.db, c.account, t)).flatMap((x) =>
        x.session ? [x.session] : [],
      );
      await this.d.identity.assertMayConfirm(by.session, {
        since: Math.min(started, c.created_at),
        suspected: c.session ? [c.session, ...suspected] : suspected,
        askedAt: c.created_at,
      });
    }
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
    const why = explainSignal({ name: 'owner_denied', value: 1 });
    const steps = await this.contain({
      id: `owner-denied:${id}`,
      account: c.account,
      ...(c.session ? { session: c.session } : {}),
      time: t,
      action: 'contain',
      risk: 1,
      eventType: 'owner.denied',
      eventId: newEventId(),
      signals: [{ name: 'owner_denied', value: 1, logOdds: 10, reason: why }],
      reasons: [{ signal: 'owner_denied', ...why }],
    });
    return { status: 'not_me', steps };
  }

  /** The owner's open "was this you?" questions, each with the text it was asked in (its reasons in words). */
  async pending(account: string) {
    const rows = await q.pendingChallenges(this.d.db, account, this.now());
    const out = [];
    for (const c of rows) {
      const asked = (await q.actions(this.d.db, { decisionId: c.decision_id, limit: 50 })).find(
        (a) => a.kind === 'challenge_owner',
      );
      const detail = asked ? (JSON.parse(asked.detail) as { challenge?: string; text?: unknown }) : undefined;
      const text =
        detail?.challenge === c.id && Localized.safeParse(detail.text).success
          ? (detail.text as Localized)
          : localize('ownerChallenge', { reason: c.reason });
      out.push({
        id: c.id,
        reason: c.reason,
        text,
        createdAt: c.created_at,
        expiresAt: c.expires_at,
        suspectedSession: c.session,
      });
    }
    return out;
  }
}
