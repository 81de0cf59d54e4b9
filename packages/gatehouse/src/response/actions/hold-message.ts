import { z } from 'zod';
import { responseStore as q } from '../store.ts';
import { localize } from '../texts.ts';
import { defineAction, duration } from './action.ts';

/** Holds the decision's message (not delivered) until the owner confirms, an operator releases it, or it expires. */
export const holdMessage = defineAction({
  kind: 'hold_message',
  params: z.strictObject({ expiresIn: duration.prefault('24h') }),
  async plan(ctx, d, params) {
    const t = ctx.now();
    const expiresAt = t + params.expiresIn;
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
        await ctx.deps.delivery.enqueueInTx(tx, {
          type: 'message.hold',
          account: d.account,
          payload: {
            message,
            account: d.account,
            expiresAt,
            decision: d.id,
            // why, in both languages, for the sender's "held" notice and the platform's support staff
            reasons: [...d.reasons],
            notice: localize('messageHeld'),
          },
        });
      },
    };
  },
});
