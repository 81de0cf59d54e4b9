/** Identity bus events the engine consumes, mapped to its input types (`identity.*`). */
import type { IdentityEvent as SdkIdentityEvent } from '@gatehouse/sdk';
import type { IdentityEvent } from './types.ts';

/**
 * Identity bus events the engine consumes, mapped to its input types. Not `session.created`: identity
 * writes it in the same transaction as the sign-in's `login.succeeded`, right after it, and the engine
 * learns nothing from it (engine/account-events.ts ignores a session it has already seen): taking it cost
 * every sign-in a second write to the event log and a second drain.
 */
export const IDENTITY_TYPES = [
  'login.succeeded',
  'session.revoked',
  'signin.qr',
  'session.confirmed',
  'password.changed',
  'account.frozen',
  'account.unfrozen',
] as const;

/** Maps the SDK's identity event (the one definition, as the identity part publishes it) to the engine's input. */
export function identityFromBus(e: SdkIdentityEvent): IdentityEvent | undefined {
  const base = { id: `identity:${e.id}`, time: e.time, account: e.account };
  switch (e.type) {
    case 'login.succeeded':
      return {
        ...base,
        type: 'identity.login.succeeded',
        session: e.session,
        method: e.method,
        device: { id: e.device.label || 'unknown' },
        ip: e.ip,
        userAgent: e.userAgent,
      };
    case 'session.created':
      return {
        ...base,
        type: 'identity.session.created',
        session: e.session,
        method: e.method,
        device: { id: e.device.label || 'unknown' },
        ip: e.ip,
      };
    case 'session.revoked':
      return { ...base, type: 'identity.session.revoked', session: e.session };
    case 'signin.qr':
      return {
        ...base,
        type: 'identity.signin.qr',
        session: e.session,
        sameNetwork: e.sameNetwork,
        mismatch: e.mismatch,
        signals: e.signals,
      };
    case 'session.confirmed':
      return { ...base, type: 'identity.session.confirmed', session: e.session };
    case 'password.changed':
      return { ...base, type: 'identity.password.changed' };
    case 'account.frozen':
      return {
        ...base,
        type: 'identity.account.frozen',
        reason: e.reason,
        ...(e.kind ? { kind: e.kind } : {}),
        ...(e.decidedAt !== undefined ? { decidedAt: e.decidedAt } : {}),
      };
    case 'account.unfrozen':
      return { ...base, type: 'identity.account.unfrozen' };
  }
  return undefined;
}
