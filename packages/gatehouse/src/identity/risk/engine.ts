import type { SignInRisk } from '../../engine/index.ts';
import type { GatehouseError } from '../../errors/index.ts';
import { signInRefused } from './stuffing.ts';
import type { AccountsTable } from '../schema.ts';
import type { IdentityService } from '../service.ts';

/**
 * The engine asked before the session (issue 12 item 6), for a password sign-in on a device the account
 * never used. What the engine holds against it (engine/sessions.ts `signInRisk`) decides:
 *
 * - an account with a second factor is asked for it anyway (a new device always is), so nothing changes;
 * - without one, `deny` (the engine contains the account now) refuses the sign-in with the signals, and
 *   `probation` (a wave of new-device sign-ins on this network: the QQ pattern) gives a session that
 *   cannot change the password or recovery factors, authorise apps or message outside the close circle
 *   until the owner vouches for it from an older session (qr/probation.ts), for `probationMs`.
 *
 * The owner on a known device is never asked about: the engine's view is of strangers.
 */
export interface EngineVerdict {
  signals: readonly SignInRisk[];
  deny: boolean;
  probation?: { until: number; reason: string };
}

export async function engineVerdict(
  id: IdentityService,
  account: AccountsTable,
  ip: string,
  knownDevice: boolean,
  factors: { totp: boolean; passkeys: number },
): Promise<EngineVerdict | undefined> {
  // a frozen account is told so, as before (its owner's way back is recovery)
  if (knownDevice || account.state !== 'active' || factors.totp || factors.passkeys > 0) return undefined;
  const signals = (await id.opts.engineSignInRisk?.({ account: account.id, ip })) ?? [];
  if (signals.length === 0) return undefined;
  const deny = signals.some((s) => s.effect === 'deny');
  const waves = signals.filter((s) => s.effect === 'probation');
  return {
    signals,
    deny,
    ...(!deny && waves.length > 0
      ? {
          probation: {
            until: id.now() + id.signinOpts.probationMs,
            reason: waves.map((s) => s.name).join(','),
          },
        }
      : {}),
  };
}

/** The refusal: 403 SIGNIN_RISK_DENIED with the engine's signals (values, thresholds, zh/en). */
export function engineDenied(signals: readonly SignInRisk[]): GatehouseError {
  return signInRefused(
    signals,
    'Gatehouse holds this account as a suspected takeover: sign in on a device you used before, or take it back through recovery',
    'Gatehouse 认为该账号疑似被盗：请在以前用过的设备上登录，或通过账号找回流程取回账号',
  );
}
