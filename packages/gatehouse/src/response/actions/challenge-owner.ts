import { z } from 'zod';
import { newId } from '../../crypto/index.ts';
import { responseStore as q } from '../store.ts';
import { localize } from '../texts.ts';
import { defineAction, explainedReasons, reasonOf } from './action.ts';

/** Asks the owner "was this you?" on a trusted session or a verified channel (see challenges.ts). */
export const challengeOwner = defineAction({
  kind: 'challenge_owner',
  params: z.strictObject({
    channel: z.enum(['trusted_session', 'email', 'phone', 'any']).default('any'),
  }),
  async plan(ctx, d, params) {
    const t = ctx.now();
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
