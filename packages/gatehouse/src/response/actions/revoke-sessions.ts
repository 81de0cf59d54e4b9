import { z } from 'zod';
import { defineAction } from './action.ts';
import type { ResponseDeps } from '../types.ts';

/**
 * Forgets the device and network the intruder's sessions (`run`, as `intruderDeviceSessions` found them)
 * brought to the account (identity `forgetSessionContexts`); a failure is logged and changes nothing else.
 */
export async function forgetIntruderContexts(
  deps: Pick<ResponseDeps, 'identity' | 'log'>,
  account: string,
  run: readonly string[],
): Promise<void> {
  if (run.length === 0) return;
  await deps.identity.forgetSessionContexts(account, run).catch((err: unknown) => {
    deps.log.warn({ err, account, run }, 'could not forget the intruder session’s device and network');
  });
}

/** The `deviceSessions` a recorded action's detail names (strings only), for a re-apply after a stop. */
export function recordedDeviceSessions(detail: { deviceSessions?: unknown; session?: unknown }): string[] {
  const list = Array.isArray(detail.deviceSessions) ? detail.deviceSessions : [detail.session];
  return list.filter((x): x is string => typeof x === 'string' && x.length > 0);
}

/**
 * The sessions the intruder's device had on the account (identity `deviceRunSessions`), named in the
 * containment's action detail (`deviceSessions`): the notify part forgets what they taught it.
 */
export function intruderDeviceSessions(
  deps: Pick<ResponseDeps, 'identity'>,
  account: string,
  session: string | undefined,
): Promise<string[]> {
  if (!session) return Promise.resolve([]);
  return deps.identity.deviceRunSessions(account, session).catch(() => [session]);
}

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
