import { z } from 'zod';
import { localize } from '../texts.ts';
import { defineAction, explainedReasons } from './action.ts';

/** Tells the owner their account was contained, on the platform and on their verified channels. */
export const notifyOwner = defineAction({
  kind: 'notify_owner',
  params: z.strictObject({}),
  oncePerContainment: true,
  async plan(ctx, d) {
    const name = await ctx.displayName(d.account);
    const reason = explainedReasons(d);
    const text = localize('ownerFrozen', { name, time: new Date(d.time).toISOString(), reason });
    return {
      detail: { text },
      apply: async (tx) => {
        await ctx.deps.delivery.enqueueInTx(tx, {
          type: 'owner.notify',
          account: d.account,
          payload: { account: d.account, text, decision: d.id, notice: null },
        });
      },
      after: async () => {
        await ctx.deps.notifier.notify(d.account, text, 'containment');
      },
    };
  },
});
