import type { RequestContext } from './core.ts';
import type { parseDevice } from './device.ts';
import type { AccountsTable } from './schema.ts';
import type { IdentityService } from './service.ts';
import { identityStore as q } from './store.ts';

export type FailureReason =
  'wrong_password' | 'unknown_account' | 'frozen' | 'deleted' | 'rate_limited' | 'risk_denied';

/** What a refused sign-in records: the account (if any), the typed handle's key, why, where, how. */
export type FailureArgs = [
  account: AccountsTable | undefined,
  key: string,
  reason: FailureReason,
  ctx: RequestContext,
  device: ReturnType<typeof parseDevice>,
  method?: 'password' | 'passkey',
];

/** A refused sign-in in the account's history (and `login.failed` on the bus). */
export async function recordSigninFailure(
  id: IdentityService,
  ...[account, key, reason, ctx, device, method = 'password']: FailureArgs
): Promise<void> {
  await id.tx(
    async (tx, out) => {
      await q.insertSignin(tx, {
        account_id: account?.id ?? null,
        handle: key.slice(0, 64),
        success: 0,
        reason,
        method,
        ip: ctx.ip,
        user_agent: ctx.userAgent.slice(0, 512),
        device: JSON.stringify(device),
        session_id: null,
        at: id.now(),
      });
      if (account)
        out.emit({
          type: 'login.failed',
          account: account.id,
          reason,
          ip: ctx.ip,
          userAgent: ctx.userAgent.slice(0, 512),
          device,
        });
      // login.failed is not among the types the engine consumes (engine/identity-events.ts)
    },
    id.now(),
    false,
  );
}
