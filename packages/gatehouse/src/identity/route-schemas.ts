import { z } from 'zod';
import { FREEZE_KINDS } from './schema.ts';

/** The shapes identity answers with (shared by its route files). */
export const Account = z.object({
  id: z.string(),
  handle: z.string(),
  displayName: z.string(),
  state: z.enum(['active', 'frozen', 'deleted']),
  stateReason: z.string().nullable(),
  createdAt: z.number(),
  freezeKind: z.enum(FREEZE_KINDS).nullable(),
  frozenAt: z.number().nullable(),
  freezeSince: z.number().nullable(),
});
export const DeviceS = z.object({
  /** The device's stable id (from its device token), when it has one. */
  id: z.string().optional(),
  label: z.string(),
  browser: z.string().optional(),
  os: z.string().optional(),
  deviceType: z.string().optional(),
});
export const Session = z.object({
  id: z.string(),
  method: z.string(),
  device: DeviceS,
  ip: z.string(),
  createdAt: z.number(),
  lastSeenAt: z.number(),
  expiresAt: z.number(),
  current: z.boolean(),
  /** Until when the session is on probation (a mismatched cross-device approval), if it is. */
  probationUntil: z.number().nullable().optional(),
  /** A device-bound session: until when its last proof of the device key holds. */
  boundUntil: z.number().nullable().optional(),
});

/** What every way in answers: the account, the session and (token mode) the bearer token. */
export const SignedInS = z.object({
  account: Account,
  session: Session,
  token: z.string().optional(),
  csrfToken: z.string().optional(),
  deviceToken: z.string().optional(),
});

/** A P-256 public JWK the new session is bound to (device-bound sessions: identity/binding). */
export const BindingKey = z
  .object({ kty: z.string(), crv: z.string(), x: z.string().max(200), y: z.string().max(200) })
  .describe('the public half of a non-extractable P-256 key; refreshes must be signed with it');
