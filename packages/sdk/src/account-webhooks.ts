import { z } from 'zod';
import { Localized } from './localized.ts';

/**
 * Webhooks about identity-side changes of an account, sent in the same transaction as the change:
 * a platform that keeps its own sessions ends them when Gatehouse ends the Gatehouse session behind
 * them, and tells the person at once when the password or the way the account is recovered changed.
 *
 * | type | when | what the platform does |
 * |---|---|---|
 * | `session.revoked` | one session ended (sign-out, "end this session", the owner's "end all others", a password change) | end its own session(s) made with that Gatehouse session |
 * | `sessions.revoked_all` | every session of the account ended (the owner's "sign out everywhere", an operator, a freeze, a recovery password reset) | end every session of the account (a frozen account: keep them read-only to show why) |
 * | `password.changed` | the password changed (by the owner, or by recovery) | tell the person on every device, with `notice` |
 * | `recovery.factors_changed` | recovery codes, trusted friends, or a recovery email/phone changed | show `notice` to every session of the account with a one-step "this wasn't me" (`POST /v1/me/recovery/changes/{change}/not-me`) |
 */

export const SessionRevokeReason = z.enum([
  'signout',
  'user',
  'others',
  'everywhere',
  'password_changed',
  'operator',
  'frozen',
  'deleted',
]);
export type SessionRevokeReason = z.infer<typeof SessionRevokeReason>;

export const SessionRevokedWebhook = z.object({
  account: z.string(),
  /** The Gatehouse session id (as returned at sign-in). */
  session: z.string(),
  reason: SessionRevokeReason,
});
export type SessionRevokedWebhook = z.infer<typeof SessionRevokedWebhook>;

export const SessionsRevokedAllWebhook = z.object({
  account: z.string(),
  /** Every session that ended. */
  sessions: z.array(z.string()),
  reason: SessionRevokeReason,
});
export type SessionsRevokedAllWebhook = z.infer<typeof SessionsRevokedAllWebhook>;

export const PasswordChangedWebhook = z.object({
  account: z.string(),
  /** `owner`: from a signed-in session with the current password; `recovery`: at the end of an appeal. */
  via: z.enum(['owner', 'recovery']),
  sessionsRevoked: z.number().int(),
  notice: Localized,
});
export type PasswordChangedWebhook = z.infer<typeof PasswordChangedWebhook>;

export const RecoveryFactor = z.enum(['recovery_codes', 'trusted_friends', 'email', 'phone']);
export const RecoveryFactorAction = z.enum(['generated', 'set', 'added', 'verified', 'removed']);

export const RecoveryFactorsChangedWebhook = z.object({
  account: z.string(),
  /** The change's id: the owner answers "this wasn't me" with it. */
  change: z.string(),
  factor: RecoveryFactor,
  action: RecoveryFactorAction,
  /** The session that made the change. */
  session: z.string().nullable(),
  /** Epoch ms from which the new factor counts for recovery (the previous ones count until then). */
  usableFrom: z.number().int(),
  notice: Localized,
});
export type RecoveryFactorsChangedWebhook = z.infer<typeof RecoveryFactorsChangedWebhook>;

/** Payload schema of each account webhook type. */
export const ACCOUNT_WEBHOOKS = {
  'session.revoked': SessionRevokedWebhook,
  'sessions.revoked_all': SessionsRevokedAllWebhook,
  'password.changed': PasswordChangedWebhook,
  'recovery.factors_changed': RecoveryFactorsChangedWebhook,
} as const;
export type AccountWebhookType = keyof typeof ACCOUNT_WEBHOOKS;
export type AccountWebhookPayload<T extends AccountWebhookType> = z.infer<(typeof ACCOUNT_WEBHOOKS)[T]>;
export const ACCOUNT_WEBHOOK_TYPES = Object.keys(ACCOUNT_WEBHOOKS) as AccountWebhookType[];
