import { z } from 'zod';
import { GatehouseError } from '../../errors/index.ts';
import { localize } from '../texts.ts';
import { defineAction, explainedReasons, reasonList, reasonOf } from './action.ts';
import { forgetIntruderContexts, intruderDeviceSessions } from './forget-device.ts';

/** Freezes the account. containment: taken over, the owner may appeal; sanction: appeals go to operators. */
export const freezeAccount = defineAction({
  kind: 'freeze_account',
  params: z.strictObject({ kind: z.enum(['containment', 'sanction']).default('containment') }),
  oncePerContainment: true,
  async plan(ctx, d, params) {
    const t = ctx.now();
    const reason = reasonOf(d);
    const name = await ctx.displayName(d.account);
    const kind = params.kind;
    // a takeover's freeze forgets the intruder device's contexts too (a policy may freeze without
    // revoking); a sanction is about the owner's own sessions, which stay known
    const session = kind === 'containment' ? d.session : undefined;
    const deviceSessions = await intruderDeviceSessions(ctx.deps, d.account, session);
    return {
      detail: {
        account: d.account,
        reason,
        kind,
        why: explainedReasons(d),
        ...(deviceSessions.length ? { deviceSessions } : {}),
      },
      apply: async (tx) => {
        await ctx.deps.delivery.enqueueInTx(tx, {
          type: 'account.frozen',
          account: d.account,
          payload: {
            account: d.account,
            by: 'gatehouse',
            decision: d.id,
            reason,
            reasons: reasonList(d),
            kind,
            notice: localize('ownerFrozen', {
              name,
              time: new Date(t).toISOString(),
              reason: explainedReasons(d),
            }),
          },
        });
      },
      // identity's frozen record is the one channel: its account.frozen (kind, decision time) tells the engine
      after: async () => {
        await ctx.deps.identity
          .freeze(d.account, `decision ${d.id}: ${reason}`, undefined, { kind, decidedAt: d.time })
          .catch((e: unknown) => {
            if (!(
              e instanceof GatehouseError &&
              (e.code === 'ACCOUNT_NOT_FOUND' || e.code === 'ACCOUNT_DELETED')
            ))
              throw e;
          });
        await forgetIntruderContexts(ctx.deps, d.account, deviceSessions);
      },
    };
  },
});
