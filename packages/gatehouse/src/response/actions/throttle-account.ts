import { z } from 'zod';
import { responseStore as q } from '../store.ts';
import { localize } from '../texts.ts';
import { defineAction, duration } from './action.ts';

/** Limits the account's messages per minute (the pre-send check's throttle gate enforces it). */
export const throttleAccount = defineAction({
  kind: 'throttle_account',
  params: z.strictObject({
    messagesPerMinute: z.number().int().min(0).max(10_000).default(2),
    duration: duration.prefault('1h'),
  }),
  async plan(ctx, d, params) {
    const t = ctx.now();
    const until = t + params.duration;
    const perMinute = params.messagesPerMinute;
    return {
      detail: { perMinute, until },
      apply: async (tx) => {
        await q.setThrottle(tx, {
          account: d.account,
          per_minute: perMinute,
          until,
          decision_id: d.id,
          created_at: t,
        });
        await ctx.deps.delivery.enqueueInTx(tx, {
          type: 'account.throttle',
          account: d.account,
          payload: {
            account: d.account,
            perMinute,
            until,
            decision: d.id,
            notice: localize('ownerThrottled', { rate: perMinute }),
          },
        });
      },
      after: async () => {
        ctx.throttles.set(d.account, perMinute, until);
      },
    };
  },
});
