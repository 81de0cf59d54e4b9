import { z } from 'zod';
import { defineAction } from './action.ts';
import { forgetIntruderContexts, intruderDeviceSessions } from './revoke-sessions.ts';

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
