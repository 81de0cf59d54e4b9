import { z } from 'zod';
import type { ResponseDeps } from '../types.ts';
import { defineAction } from './action.ts';

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

/**
 * Forgets the device and network the intruder's sessions brought to the account, so the intruder coming
 * back from them is a stranger again (asked for a second factor; refused while the account is contained).
 * `revoke_sessions` and a containment's `freeze_account` do the same themselves; a policy whose contain
 * rule enforces neither gets this step implied (policy.ts `evaluatePolicy`): every containment in
 * earnest forgets the intruder's device, whatever else the rule does. Nothing goes to the platform.
 */
export const forgetDevice = defineAction({
  kind: 'forget_device',
  params: z.strictObject({}),
  oncePerContainment: true,
  async plan(ctx, d) {
    const deviceSessions = await intruderDeviceSessions(ctx.deps, d.account, d.session);
    return {
      detail: { account: d.account, session: d.session ?? null, deviceSessions },
      apply: async () => undefined,
      after: () => forgetIntruderContexts(ctx.deps, d.account, deviceSessions),
    };
  },
});
