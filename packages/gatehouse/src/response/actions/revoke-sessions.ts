import { z } from 'zod';
import { defineAction } from './action.ts';
import { forgetIntruderContexts, intruderDeviceSessions } from './forget-device.ts';

/** Ends the intruder's session (or every session of the account) at Gatehouse and on the platform. */
export const revokeSessions = defineAction({
  kind: 'revoke_sessions',
  params: z.strictObject({ scope: z.enum(['intruder', 'all']).default('intruder') }),
  async plan(ctx, d, params) {
    const all = params.scope === 'all' || !d.session;
    const sessions = await intruderDeviceSessions(ctx.deps, d.account, d.session);
    return {
      detail: { scope: all ? 'all' : 'intruder', session: d.session ?? null, deviceSessions: sessions },
      apply: async (tx) => {
        await ctx.deps.delivery.enqueueInTx(tx, {
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
        const identity = ctx.deps.identity;
        if (all) await identity.revokeAll(d.account, 'operator').catch(() => undefined);
        else await identity.revokeSession(d.account, d.session!, 'operator').catch(() => undefined);
        // the intruder's device and network are not the owner's: forgotten, so they are asked again
        await forgetIntruderContexts(ctx.deps, d.account, sessions);
      },
    };
  },
});
