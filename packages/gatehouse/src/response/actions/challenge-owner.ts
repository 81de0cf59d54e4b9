import { z } from 'zod';
import { newId } from '../../crypto/index.ts';
import { responseStore as q } from '../store.ts';
import { localize } from '../texts.ts';
import { defineAction, explainedReasons, reasonOf } from './action.ts';

/**
 * A sign-in barrage asks the owner once: while a challenge made in the last 10 minutes is pending, a
 * later decision on something other than a message (a sign-in: nothing of it is held) adds no challenge,
 * webhook or notice. Prompting once per sign-in is how "was this you?" fatigue is bred; the later
 * sessions simply stay unvouched. A message's challenge is always its own (its answer releases its hold).
 */
const BARRAGE_MS = 10 * 60_000;

/** Asks the owner "was this you?" on a trusted session or a verified channel (see challenges.ts). */
export const challengeOwner = defineAction({
  kind: 'challenge_owner',
  params: z.strictObject({
    channel: z.enum(['trusted_session', 'email', 'phone', 'any']).default('any'),
  }),
  async plan(ctx, d, params) {
    const t = ctx.now();
    if (d.eventType !== 'message.sent') {
      const recent = (await q.pendingChallenges(ctx.deps.db, d.account, t)).find(
        (c) => t - c.created_at < BARRAGE_MS,
      );
      if (recent)
        return {
          detail: { coalescedWith: recent.id, channel: params.channel },
          apply: async () => undefined,
        };
    }
    const reason = reasonOf(d);
    const id = newId('chl');
    const text = localize('ownerChallenge', { reason: explainedReasons(d) });
    return {
      detail: { challenge: id, channel: params.channel, text },
      apply: async (tx) => {
        await q.insertChallenge(tx, {
          id,
          account: d.account,
          decision_id: d.id,
          session: d.session ?? null,
          status: 'pending',
          reason,
          created_at: t,
          expires_at: t + ctx.challengeTtlMs,
          answered_at: null,
          answered_by_session: null,
        });
        await ctx.deps.delivery.enqueueInTx(tx, {
          type: 'owner.challenge',
          account: d.account,
          payload: {
            challenge: id,
            account: d.account,
            suspectedSession: d.session ?? null,
            channel: params.channel,
            text,
            decision: d.id,
          },
        });
      },
      after: async () => {
        await ctx.deps.notifier.notify(d.account, text, 'challenge');
      },
    };
  },
});
