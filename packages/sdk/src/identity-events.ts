import { z } from 'zod';

/**
 * Identity events: what Gatehouse's identity core emits when an account or session changes.
 * Shared by the service (which writes them through its outbox) and by platforms (which read them).
 */
const base = {
  /** Event id (unique, assigned by Gatehouse). */
  id: z.string(),
  /** Event time, epoch milliseconds. */
  time: z.number().int(),
  /** The account the event is about. */
  account: z.string(),
};

export const Device = z.object({
  /**
   * The device's stable id, derived from the long-lived device token Gatehouse issues at sign-in (absent
   * for a device without one); `label` is only the user-agent's description.
   */
  id: z.string().optional(),
  browser: z.string().optional(),
  os: z.string().optional(),
  deviceType: z.string().optional(),
  label: z.string(),
});
export type Device = z.infer<typeof Device>;

export const SignInMethod = z.enum(['password', 'qr', 'device_code', 'passkey', 'totp', 'recovery']);
export type SignInMethod = z.infer<typeof SignInMethod>;

export const IdentityEvent = z.discriminatedUnion('type', [
  z.object({ ...base, type: z.literal('account.created'), handle: z.string(), displayName: z.string() }),
  z.object({
    ...base,
    type: z.literal('login.succeeded'),
    session: z.string(),
    method: SignInMethod,
    ip: z.string(),
    userAgent: z.string(),
    device: Device,
  }),
  z.object({
    ...base,
    type: z.literal('login.failed'),
    reason: z.enum(['wrong_password', 'unknown_account', 'frozen', 'deleted', 'rate_limited', 'risk_denied']),
    ip: z.string(),
    userAgent: z.string(),
    device: Device,
  }),
  z.object({
    ...base,
    type: z.literal('session.created'),
    session: z.string(),
    method: SignInMethod,
    ip: z.string(),
    device: Device,
  }),
  z.object({
    ...base,
    type: z.literal('session.revoked'),
    session: z.string(),
    reason: z.enum([
      'signout',
      'user',
      'others',
      'everywhere',
      'password_changed',
      'operator',
      'frozen',
      'deleted',
    ]),
  }),
  /**
   * A session from a QR cross-device approval, with the relay signals measured at the approval: the
   * engine weighs `mismatch` (the two ends not near each other, or a network minting codes in bulk).
   */
  z.object({
    ...base,
    type: z.literal('signin.qr'),
    session: z.string(),
    approverSession: z.string(),
    requesterIp: z.string(),
    approverIp: z.string(),
    sameNetwork: z.boolean(),
    mintBurst: z.number().int(),
    mismatch: z.boolean(),
    probationUntil: z.number().int().nullable(),
    signals: z.array(z.object({ name: z.string(), value: z.number() })),
  }),
  /**
   * The owner vouched for a session (from an older session of theirs that is not on probation): its
   * probation, if any, ended. The engine takes it as the owner's own session.
   */
  z.object({
    ...base,
    type: z.literal('session.confirmed'),
    session: z.string(),
    /** The session that confirmed it. */
    by: z.string(),
  }),
  z.object({
    ...base,
    type: z.literal('password.changed'),
    /**
     * recovery: set by the owner who proved themselves in account recovery (every live session ended);
     * absent: changed from a session of the account.
     */
    via: z.literal('recovery').optional(),
  }),
  z.object({
    ...base,
    type: z.literal('account.frozen'),
    reason: z.string(),
    /**
     * containment (taken over: the engine treats the account as a hijack victim and raises the prior of its
     * contacts) or sanction. Absent in events written before it was added.
     */
    kind: z.enum(['containment', 'sanction']).optional(),
    /** When the containment was decided (the decision's time); absent: the event's time. */
    decidedAt: z.number().int().optional(),
  }),
  z.object({ ...base, type: z.literal('account.unfrozen'), reason: z.string() }),
  z.object({ ...base, type: z.literal('account.deleted') }),
]);
export type IdentityEvent = z.infer<typeof IdentityEvent>;
export type IdentityEventType = IdentityEvent['type'];
export const IDENTITY_EVENT_TYPES = IdentityEvent.options.map(
  (o) => o.shape.type.value,
) as IdentityEventType[];
