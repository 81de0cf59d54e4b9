import { z } from 'zod';

/**
 * Recovery: what Gatehouse emits while an owner appeals a frozen account, and the `account.restore`
 * instruction the platform receives (as a signed webhook) when the appeal is finished.
 */

/** Steps of an appeal case; each is emitted as `recovery.case.<step>`. */
export const RECOVERY_CASE_STEPS = [
  'opened',
  'verifying',
  'answer_wrong',
  'answer_expired',
  'locked',
  'friend_confirmed',
  'verified',
  'pledged',
  'password_changed',
  'sessions_reviewed',
  'restore',
  'restored',
  'rejected',
  'expired',
  'superseded',
  'owner_alerted',
] as const;
export type RecoveryCaseStep = (typeof RECOVERY_CASE_STEPS)[number];

/** A `recovery.case.<step>` event: the common fields; step details ride along. */
export const RecoveryCaseEvent = z.looseObject({
  id: z.string(),
  type: z.templateLiteral(['recovery.case.', z.enum(RECOVERY_CASE_STEPS)]),
  time: z.number().int(),
  account: z.string(),
  case: z.string(),
  /** "appellant", "account:<id>" (a trusted friend), "key:<id>" (an operator) or "system". */
  actor: z.string(),
});
export type RecoveryCaseEvent = z.infer<typeof RecoveryCaseEvent>;

/** Payload of the `account.restore` webhook: undo what the intruder changed during the window. */
export const AccountRestore = z.object({
  case: z.string(),
  account: z.string(),
  window: z.object({ start: z.number().int(), end: z.number().int() }),
  /** Friends to add back. */
  friends: z.array(z.string()),
  /** Groups to rejoin. */
  groups: z.array(z.string()),
  /** Profile fields to set back (null: the field was empty before). */
  profile: z.array(z.object({ field: z.string(), value: z.string().nullable() })),
});
export type AccountRestore = z.infer<typeof AccountRestore>;
