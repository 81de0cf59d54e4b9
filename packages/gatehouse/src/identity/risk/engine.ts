import type { SignInRisk } from '../../engine/index.ts';
import type { GatehouseError } from '../../errors/index.ts';
import { signInRefused } from './stuffing.ts';
import type { AccountsTable } from '../schema.ts';
import type { IdentityService } from '../service.ts';

/**
 * The engine asked before the session (issue 12 item 6), for a password or passkey sign-in on a device
 * the account never used. What the engine holds against it (engine/sessions.ts `signInRisk`) decides:
 *
 * - `deny` (the engine contains the account now) refuses the sign-in with the signals, whatever factors
 *   the account has: a second factor or a passkey added while the account was taken may be the
 *   intruder's own, so it proves nothing while the engine holds the account (the owner signs in on a
 *   device they used before, or takes the account back through recovery, which removes what was added);
 * - `probation` (a wave of new-device sign-ins on this network: the QQ pattern) gives a session that
 *   cannot change the password or recovery factors, authorise apps or message outside the close circle
 *   until the owner vouches for it from an older session (qr/probation.ts), for `probationMs` — unless
 *   the sign-in proves a strong factor (the account's second factor is asked on every new device anyway,
 *   and a passkey is one): then the wave changes nothing.
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
  /** The sign-in proves (or will be asked for) a strong factor: a second factor, or a passkey. */
  strongFactor: boolean,
): Promise<EngineVerdict | undefined> {
  // a frozen account is told so, as before (its owner's way back is recovery)
  if (knownDevice || account.state !== 'active') return undefined;
  const signals = (await id.opts.engineSignInRisk?.({ account: account.id, ip })) ?? [];
  if (signals.length === 0) return undefined;
  const deny = signals.some((s) => s.effect === 'deny');
  if (!deny && strongFactor) return undefined;
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
